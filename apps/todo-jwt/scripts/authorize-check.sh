#!/usr/bin/env bash
# End-to-end check of the API explorer's "Authorize": builds and starts the todo-jwt app on the
# memory store with a random JWT_SECRET, then drives /explorer in headless Chromium (Debian's
# `chromium`, installed when missing) through playwright-core (pinned in package.json beside
# this script, installed under target/authorize-check-node): signs up and logs in through the
# explorer's own forms, sees GET /todos answer 401, pastes the login's token into Authorize
# (the document's `jwt` http bearer scheme), and sees GET /todos answer 200 [] and GET /whoAmI
# 200. Prints `authorize-check: OK` only when every step held.
#
#   apps/todo-jwt/scripts/authorize-check.sh
#
# Environment:
#   AUTHORIZE_SCREENSHOT  also save a PNG of the explorer at the end (or at the failing step)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
# shellcheck source=apps/todo/scripts/start-app.sh
source "$root/apps/todo/scripts/start-app.sh"
node_dir="$root/target/authorize-check-node"
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
    echo "authorize-check: FAIL: $*" >&2
    if [ -f "$work/app.log" ]; then
        echo "--- app log" >&2
        tail -n 20 "$work/app.log" >&2
    fi
    exit 1
}

if ! command -v chromium >/dev/null 2>&1; then
    echo "authorize-check: installing Debian's chromium" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
command -v node >/dev/null 2>&1 || fail "node is not installed (playwright-core needs Node.js 20 or later)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "node $(node --version) is too old: playwright-core needs Node.js 20 or later"

# playwright-core from the lockfile, into target/ (never the source tree); again only when the
# lockfile changed. It drives the system's Chromium: it downloads no browser of its own.
if ! cmp -s "$here/package-lock.json" "$node_dir/package-lock.json" ||
    [ ! -f "$node_dir/node_modules/playwright-core/package.json" ]; then
    echo "authorize-check: installing playwright-core into ${node_dir#"$root"/}" >&2
    mkdir -p "$node_dir"
    cp "$here/package.json" "$here/package-lock.json" "$node_dir/"
    (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
        fail "npm ci of playwright-core failed"
fi

cd "$root"
cargo build --quiet -p portico-todo-jwt --bin portico-todo-jwt

# A fresh secret each run (48 random bytes, hex: 96 characters), so no token outlives the run.
JWT_SECRET="$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')"
export JWT_SECRET
start_todo_app "$root/target/debug/portico-todo-jwt" memory: "$work/app.log"
unset JWT_SECRET
echo "authorize-check: portico-todo-jwt at $url (pid $app_pid)"

status="$(curl -s -o /dev/null -w '%{http_code}' "$url/explorer" || true)"
[ "$status" = "200" ] || fail "GET /explorer answered ${status:-nothing}"

AUTHORIZE_CHECK_NODE_DIR="$node_dir" timeout 180 node "$here/authorize-check.mjs" "$url" ||
    fail "the explorer's Authorize check failed (the step is above)"

kill -0 "$app_pid" 2>/dev/null || fail "the app died during the check"
echo "authorize-check: OK"
