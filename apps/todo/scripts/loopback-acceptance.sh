#!/usr/bin/env bash
# LoopBack's own acceptance suite of its Todo example, over HTTP, against apps/todo:
#
# - installs @loopback/example-todo@6.0.0 (its compiled tests ship in the tarball, under
#   dist/__tests__/) with the test tools they need (@loopback/testlab, mocha, lodash,
#   @loopback/http-caching-proxy; pinned) into target/loopback-acceptance (once);
# - builds apps/todo (`cargo build -p portico-todo`);
# - runs LoopBack's dist/__tests__/acceptance/*.acceptance.js with mocha, unmodified: the
#   harness in scripts/loopback-acceptance/ stands in for LoopBack's in-process app, repository
#   and client, and starts one Portico process per suite on a free port on `memory:` (see the
#   README there);
# - prints mocha's report and exits non-zero when a case fails.
#
#   apps/todo/scripts/loopback-acceptance.sh [mocha options…]     e.g. --grep 'home page'
#
# Environment:
#   LOOPBACK_ACCEPTANCE_TARGET    portico (default) or loopback (the same suite, over HTTP,
#                                 against LoopBack's own example: checks the harness)
#   LOOPBACK_ACCEPTANCE_GEOCODER  live (default: LoopBack's proxy and its 24 h TTL; offline the
#                                 two address cases are skipped, as in LoopBack's own run) or
#                                 recorded (the recorded geocoder answers, so those cases run)
#   PORTICO_BIN                   a prebuilt binary to test instead of building one
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
harness="$root/apps/todo/scripts/loopback-acceptance"
cache="$root/target/loopback-acceptance"
example_version="6.0.0"
packages=(
    "@loopback/example-todo@$example_version"
    "@loopback/testlab@5.0.0"
    "@loopback/http-caching-proxy@4.0.1"
    "mocha@10.0.0"
    "lodash@4.17.21"
)

say() { printf 'loopback-acceptance: %s\n' "$*" >&2; }
fail() {
    say "FAIL: $*"
    exit 1
}

command -v node >/dev/null || fail "node is required"
command -v npm >/dev/null || fail "npm is required"

# --- LoopBack's suite and its tools ------------------------------------------------------------
mkdir -p "$cache"
stamp="$cache/installed"
if [ "$(cat "$stamp" 2>/dev/null)" != "${packages[*]}" ]; then
    say "installing ${packages[*]} into $cache"
    echo '{"name":"portico-loopback-acceptance","private":true}' >"$cache/package.json"
    (cd "$cache" && npm install --no-audit --no-fund --loglevel=error "${packages[@]}" >&2)
    echo "${packages[*]}" >"$stamp"
fi
tests="$cache/node_modules/@loopback/example-todo/dist/__tests__/acceptance"
[ -d "$tests" ] || fail "$tests is missing"

# --- the app -----------------------------------------------------------------------------------
target="${LOOPBACK_ACCEPTANCE_TARGET:-portico}"
if [ "$target" = portico ] && [ -z "${PORTICO_BIN:-}" ]; then
    say "building portico-todo"
    (cd "$root" && cargo build --quiet -p portico-todo --bin portico-todo)
    target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
    PORTICO_BIN="$target_dir/debug/portico-todo"
fi

logs="$cache/logs"
rm -rf "$logs"
mkdir -p "$logs"

# --- the suite ---------------------------------------------------------------------------------
say "running LoopBack's example-todo $example_version acceptance suite against $target"
set +e
(
    cd "$cache"
    LOOPBACK_ACCEPTANCE_NODE_MODULES="$cache/node_modules" \
        LOOPBACK_ACCEPTANCE_TARGET="$target" \
        LOOPBACK_ACCEPTANCE_LOGS="$logs" \
        PORTICO_BIN="${PORTICO_BIN:-}" \
        PORTICO_CWD="$root/apps/todo" \
        node_modules/.bin/mocha \
        --require "$harness/register.js" \
        --reporter spec \
        --timeout 5000 \
        --exit \
        "$@" \
        "$tests"/*.acceptance.js
) 2>&1 | awk -v max=2000 '{
    # supertest quotes whole bodies in its errors: the explorer page is one 1.6 MB line
    if (length($0) > max) print substr($0, 1, max) "… [" length($0) - max " more characters]"
    else print
}'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    say "FAIL: $status case(s) failed against $target (the app's logs: $logs)"
    exit 1
fi
say "OK: every case passed against $target"
