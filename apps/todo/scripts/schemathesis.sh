#!/usr/bin/env bash
# The published OpenAPI document tells the whole truth: builds the Todo app, starts it on the
# memory store and then on in-memory SQLite, and runs Schemathesis (a pinned version, in a venv
# of its own) against the app's own /openapi.json with every check and every phase and a fixed
# seed. Any failure — a server error, an undocumented status, a response breaking its schema, a
# valid request refused or an invalid one accepted — fails the script.
#
#   apps/todo/scripts/schemathesis.sh
#
# Environment:
#   SCHEMATHESIS_VENV          the venv to create or reuse
#                              (default ~/.cache/portico/schemathesis-<version>)
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 50)
#   SCHEMATHESIS_BACKENDS      the DATABASE_URLs to run on (default "memory: sqlite::memory:")
#   SCHEMATHESIS_TIMEOUT       seconds one backend's run may take before it fails (default 300)
#   SCHEMATHESIS_APP           the app binary to fuzz (default portico-todo; portico-todo-list
#                              has typed operations of its own)
#   SCHEMATHESIS_PATHS         a regular expression: fuzz only the operations of matching paths
#                              (default every operation)
#
# For portico-todo-jwt the app gets a random JWT_SECRET, an account is signed up and logged in
# with curl, and Schemathesis sends its bearer token (its `ignored_auth` check then also calls
# each secured operation without it, expecting 401).
set -euo pipefail

version="4.32.5"
seed=1
root="$(cd "$(dirname "$0")/../../.." && pwd)"
# shellcheck source=apps/todo/scripts/start-app.sh
source "$(dirname "$0")/start-app.sh"
venv="${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/portico/schemathesis-$version}"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-50}"
backends="${SCHEMATHESIS_BACKENDS:-memory: sqlite::memory:}"
app="${SCHEMATHESIS_APP:-portico-todo}"
paths=()
if [ -n "${SCHEMATHESIS_PATHS:-}" ]; then
    paths=(--include-path-regex "$SCHEMATHESIS_PATHS")
fi
run_timeout="${SCHEMATHESIS_TIMEOUT:-300}"
work="$(mktemp -d)"
app_pid=""

stop_app() {
    if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
        kill -TERM "$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
    fi
    app_pid=""
}

cleanup() {
    stop_app
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "schemathesis: FAIL: $*" >&2
    if [ -f "$work/app.log" ]; then
        echo "--- app log" >&2
        tail -n 20 "$work/app.log" >&2
    fi
    exit 1
}

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "version $version"; then
    echo "schemathesis: installing schemathesis==$version into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

cd "$root"
cargo build --quiet --all-features -p "$app" --bin "$app"
target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
binary="$target_dir/debug/$app"

failed=()
auth=()
if [ "$app" = "portico-todo-jwt" ]; then
    JWT_SECRET="$(head -c 32 /dev/urandom | base64)"
    export JWT_SECRET
fi
for database_url in $backends; do
    start_todo_app "$binary" "$database_url" "$work/app.log"
    echo "schemathesis: $database_url at $url (pid $app_pid)"
    if [ "$app" = "portico-todo-jwt" ]; then
        account='{"email":"fuzz@example.com","password":"schemathesis"}'
        curl -sf -X POST "$url/signup" -H 'Content-Type: application/json' -d "$account" >/dev/null ||
            fail "signup failed"
        token="$(curl -sf -X POST "$url/users/login" -H 'Content-Type: application/json' -d "$account" |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')" || fail "login failed"
        auth=(-H "Authorization: Bearer $token")
    fi
    # Run from the scratch directory: Schemathesis keeps its example database in the cwd.
    if (cd "$work" && timeout "$run_timeout" "$venv/bin/schemathesis" run "$url/openapi.json" \
        --checks all \
        "${paths[@]}" \
        "${auth[@]}" \
        --phases examples,coverage,fuzzing,stateful \
        --seed "$seed" \
        --max-examples "$max_examples" \
        --request-timeout 10 \
        --no-color); then
        echo "schemathesis: $database_url OK"
    else
        failed+=("$database_url")
    fi
    kill -0 "$app_pid" 2>/dev/null || fail "the app died during the run on $database_url"
    stop_app
done

if [ "${#failed[@]}" -gt 0 ]; then
    fail "conformance failures on: ${failed[*]}"
fi
echo "schemathesis: $app OK on $backends (seed $seed, $max_examples examples per operation)"
