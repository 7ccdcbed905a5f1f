#!/usr/bin/env bash
# End-to-end check of the API explorer: builds and starts the Todo app, then the TodoList app,
# on the memory store, loads /explorer in headless Chromium (Debian's `chromium`, installed when
# missing), and asserts that Swagger UI rendered the operations of each app's OpenAPI document —
# the TodoList app's own typed operations (`/todo-lists/{id}/complete`, `/stats`) beside the
# generated ones.
#
#   apps/todo/scripts/explorer-check.sh
#
# Environment:
#   EXPLORER_SCREENSHOT  also save a PNG of the rendered page to this path
#   EXPLORER_BUDGET_MS   Chromium's virtual-time budget for the page (default 20000)
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
# shellcheck source=apps/todo/scripts/start-app.sh
source "$(dirname "$0")/start-app.sh"
budget="${EXPLORER_BUDGET_MS:-20000}"
work="$(mktemp -d)"
app_pid=""

cleanup() {
    if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
        kill -TERM "$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "explorer-check: FAIL: $*" >&2
    if [ -f "$work/app.log" ]; then
        echo "--- app log" >&2
        tail -n 20 "$work/app.log" >&2
    fi
    exit 1
}

if ! command -v chromium >/dev/null 2>&1; then
    echo "explorer-check: installing Debian's chromium" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi

cd "$root"
cargo build --quiet -p portico-todo --bin portico-todo -p portico-todo-list --bin portico-todo-list

# explore BINARY MIN_OPERATIONS NEEDLE...: the rendered explorer of that app holds every needle.
explore() {
    local binary="$root/target/debug/$1" minimum=$2
    shift 2
    start_todo_app "$binary" memory: "$work/app.log"
    echo "explorer-check: $(basename "$binary") at $url (pid $app_pid)"

    status="$(curl -s -o /dev/null -w '%{http_code}' "$url/explorer")"
    [ "$status" = "200" ] || fail "GET /explorer answered $status"

    chromium_flags=(
        --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --disable-dev-shm-usage
        --user-data-dir="$work/chromium-profile"
        --virtual-time-budget="$budget"
    )
    timeout 120 chromium "${chromium_flags[@]}" --dump-dom "$url/explorer" \
        >"$work/dom.html" 2>"$work/chromium.log" || fail "chromium failed: $(tail -n 5 "$work/chromium.log")"

    if [ -n "${EXPLORER_SCREENSHOT:-}" ]; then
        timeout 120 chromium "${chromium_flags[@]}" --window-size=1280,1600 \
            --screenshot="${EXPLORER_SCREENSHOT%.png}-$(basename "$binary").png" "$url/explorer" >/dev/null 2>&1 ||
            echo "explorer-check: (no screenshot: chromium failed)" >&2
    fi

    # Swagger UI renders each operation as an `opblock` with its path in `data-path` and its
    # tag as a section heading; the raw document embedded in the page would not produce these.
    for needle in 'class="opblock-tag-section' "$@"; do
        grep -qF -- "$needle" "$work/dom.html" || fail "the rendered explorer lacks: $needle"
    done
    operations="$(grep -o 'class="opblock opblock-[a-z]*' "$work/dom.html" | wc -l)"
    [ "$operations" -ge "$minimum" ] || fail "expected at least $minimum rendered operations, found $operations"
    echo "explorer-check: OK ($operations operations rendered)"

    kill -TERM "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
}

explore portico-todo 9 \
    'TodoController' 'PingController' \
    'data-path="/todos"' 'data-path="/todos/{id}"' 'data-path="/todos/count"' \
    'opblock-post' 'opblock-put' 'opblock-patch' 'opblock-delete'
# The TodoList app's own operations, in the same explorer as the generated ones.
explore portico-todo-list 28 \
    'TodoListController' 'TodoListTodoController' \
    'data-path="/todo-lists/{id}/todos"' \
    'data-path="/todo-lists/{id}/complete"' 'data-path="/todo-lists/{id}/stats"'
