#!/usr/bin/env bash
# Starts or stops SecantusDB, a MongoDB-wire-protocol server from PyPI, for the tests and the
# benchmark of portico-mongo on machines without a real mongod.
#
#   adapters/mongo/scripts/secantus.sh start   # prints PORTICO_TEST_MONGO_URL=...
#   adapters/mongo/scripts/secantus.sh stop
#
# Environment:
#   SECANTUS_VENV  the virtualenv to create or reuse   (default: target/secantus-venv)
#   SECANTUS_PORT  the port to listen on (127.0.0.1)    (default: 27117)
#   SECANTUS_WAIT  seconds to wait for the port         (default: 60)
#
# The pid file and the log live under target/ (secantus-PORT.pid, secantus-PORT.log).
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
venv="${SECANTUS_VENV:-$root/target/secantus-venv}"
port="${SECANTUS_PORT:-27117}"
wait_secs="${SECANTUS_WAIT:-60}"
pid_file="$root/target/secantus-$port.pid"
log_file="$root/target/secantus-$port.log"
version="0.7.0b3"

port_answers() {
    python3 - "$port" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

running() {
    [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

start() {
    mkdir -p "$root/target"
    if running; then
        echo "secantus already running (pid $(cat "$pid_file"))" >&2
    else
        if [ ! -x "$venv/bin/secantusd-py" ]; then
            echo "creating $venv with SecantusDB==$version" >&2
            python3 -m venv "$venv"
            "$venv/bin/pip" install --quiet "SecantusDB==$version" >&2
        fi
        if port_answers; then
            echo "error: port $port is already in use by another process" >&2
            exit 1
        fi
        nohup "$venv/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path :memory: \
            >"$log_file" 2>&1 </dev/null &
        echo $! >"$pid_file"
        for _ in $(seq 1 $((wait_secs * 4))); do
            if port_answers; then
                break
            fi
            if ! running; then
                echo "error: secantus exited; see $log_file:" >&2
                tail -n 20 "$log_file" >&2
                rm -f "$pid_file"
                exit 1
            fi
            sleep 0.25
        done
        if ! port_answers; then
            echo "error: secantus did not answer on port $port within ${wait_secs}s; see $log_file" >&2
            exit 1
        fi
    fi
    echo "PORTICO_TEST_MONGO_URL=mongodb://127.0.0.1:$port/?directConnection=true"
}

stop() {
    if running; then
        kill -TERM "$(cat "$pid_file")"
        for _ in $(seq 1 40); do
            running || break
            sleep 0.25
        done
        echo "secantus stopped" >&2
    else
        echo "secantus is not running" >&2
    fi
    rm -f "$pid_file"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
