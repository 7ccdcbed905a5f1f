# Sourced by the scripts beside it (not run on its own): starts the Todo app and waits for it.
#
#   start_todo_app BINARY DATABASE_URL LOG
#
# PORT=0: the app picks a free port and logs its URL (JSON logs are easy to read back). Sets
# `app_pid` and `url`; calls the sourcing script's `fail` when the app exits or stays silent.
start_todo_app() {
    local binary=$1 database_url=$2 log=$3
    DATABASE_URL="$database_url" HOST=127.0.0.1 PORT=0 LOG_FORMAT=json RUST_LOG=info \
        "$binary" 2>"$log" &
    app_pid=$!
    url=""
    for _ in $(seq 1 100); do
        url="$(grep -o '"url":"http://[^"]*"' "$log" 2>/dev/null | head -n 1 | cut -d'"' -f4 || true)"
        [ -n "$url" ] && return 0
        kill -0 "$app_pid" 2>/dev/null || fail "the app exited before listening on $database_url"
        sleep 0.1
    done
    fail "the app did not log its URL on $database_url"
}
