#!/usr/bin/env bash
# Replicas (issue #15): the TodoList app holds no state, so it scales out by running several
# processes behind a load balancer on one database. This proves it on this machine:
#
# - builds `portico-todo-list` in release, creates a fresh PostgreSQL database (PG_DB, dropped
#   and created) and starts THREE app processes on it, at once, as a deployment does: each
#   migrates the empty database, and all three must start (one that exits is reported, which
#   fails the run, and started again once the tables exist, so that the rest still runs);
# - puts haproxy (Debian's) in front: HTTP mode, roundrobin, keep-alive and connection reuse
#   towards the apps, a /ping health check, HAPROXY_THREADS threads (1: on 2 cores it leaves
#   the most CPU to the apps, the same for both configurations);
# - load: for GET /todo-lists/{id} (100 lists seeded) and POST /todo-lists, WARMUP seconds of
#   unmeasured load then DURATION seconds measured with wrk -tTHREADS -cCONNECTIONS, through
#   haproxy with 1 backend and then with 3 (haproxy restarted with that config, the same
#   load). The table shows req/s, p50, p99, errors (non-2xx/3xx answers plus wrk's socket
#   errors), the share of requests each backend served, and the CPU seconds each side used
#   during the measured run (utime+stime from /proc/PID/stat): the three apps, PostgreSQL
#   (every `postgres` process of the server, so other clients of it count too), haproxy,
#   wrk, and the rest of the machine (from /proc/stat): on 2 cores that says what bounds it;
# - correctness across replicas under concurrent writes (replicas_check.py, beside this
#   script): no lost updates with ETag/If-Match, no duplicate image per list (a unique
#   property), no 5xx; then every app's /metrics is read to confirm no 500 over the whole run,
#   the load included.
#
# Exits non-zero when it cannot set up or a guarantee fails, never because of a speed figure.
# Every process it starts and its temporary directory are removed on exit.
#
#   apps/todo-list/scripts/replicas.sh
#   DURATION=3 apps/todo-list/scripts/replicas.sh
#
# CI runs the guarantees alone, on the debug build the tests made:
#
#   REPLICAS_LOAD=0 PROFILE=debug apps/todo-list/scripts/replicas.sh
#
# Environment: REPLICAS_LOAD (1; 0 skips the load, leaving the start and the guarantees),
# PROFILE (release, or debug), DURATION (10), WARMUP (2), CONNECTIONS (64), THREADS (2), HAPROXY_THREADS (1),
# PG_HOST (127.0.0.1), PG_PORT (5432), PG_USER (postgres), PG_DB (replicas), LB_PORT (a free
# port), HAPROXY (haproxy on PATH, else /usr/sbin/haproxy).
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
scripts="$root/apps/todo-list/scripts"
duration="${DURATION:-10}"
warmup="${WARMUP:-2}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
haproxy_threads="${HAPROXY_THREADS:-1}"
pg_host="${PG_HOST:-127.0.0.1}"
pg_port="${PG_PORT:-5432}"
pg_user="${PG_USER:-postgres}"
pg_db="${PG_DB:-replicas}"
database_url="postgres://$pg_user@$pg_host:$pg_port/$pg_db"
load="${REPLICAS_LOAD:-1}"
profile="${PROFILE:-release}"
case "$profile" in
release) build_flags=(--release) ;;
debug) build_flags=() ;;
*)
    echo "replicas: PROFILE must be release or debug, not $profile" >&2
    exit 2
    ;;
esac
binary="$root/target/$profile/portico-todo-list"
replicas=3

say() { printf 'replicas: %s\n' "$*" >&2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/portico-replicas.XXXXXX")"
app_pids=()
app_urls=()
haproxy_pid=""
failed=""

fail() {
    say "FAIL: $*"
    failed=1
    exit 1
}

stop_pid() {
    local pid="$1"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}

cleanup() {
    local status=$?
    stop_pid "$haproxy_pid"
    for pid in "${app_pids[@]}"; do
        stop_pid "$pid"
    done
    if [ "$status" -ne 0 ] || [ -n "$failed" ]; then
        for log in "$tmp"/*.log; do
            [ -s "$log" ] || continue
            say "last lines of $(basename "$log"):"
            tail -n 5 "$log" >&2 || true
        done
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools -----------------------------------------------------------------------------------
haproxy_bin="${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}"
[ -x "$haproxy_bin" ] || fail "haproxy is required (Debian's haproxy)"
tools=(curl psql python3 getconf)
[ "$load" = 1 ] && tools+=(wrk)
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || fail "$tool is required"
done

say "building portico-todo-list ($profile)"
(cd "$root" && cargo build --quiet "${build_flags[@]}" -p portico-todo-list) || fail "the build failed"

psql_admin() { psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -v ON_ERROR_STOP=1 -qtA "$@"; }
say "creating the database $pg_db on $pg_host:$pg_port"
psql_admin -d postgres -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" -c "CREATE DATABASE $pg_db" ||
    fail "cannot create the database $pg_db on $pg_host:$pg_port"

# --- the replicas ----------------------------------------------------------------------------
# PORT=0: each app picks a free port and logs its URL (JSON); access logs are off (warn). All
# three start at once on the empty database, as a deployment starts them: each migrates it.
# One that exits instead is reported (a guarantee failing: the run ends non-zero) and started
# again once the others have created the tables, so the rest of the run still measures.
start_replica() {
    local i="$1" log="$2"
    DATABASE_URL="$database_url" HOST=127.0.0.1 PORT=0 LOG_FORMAT=json \
        RUST_LOG="warn,portico_server::app=info,portico_server::serve=info" "$binary" 2>"$log" >/dev/null &
    app_pids[i - 1]=$!
}

# Waits for replica I to log its URL: sets app_urls[I-1], or returns 1 when it exited.
await_replica() {
    local i="$1" log="$2" url=""
    for _ in $(seq 1 300); do
        url="$(grep -o '"url":"http://[^"]*"' "$log" 2>/dev/null | head -n 1 | cut -d'"' -f4 || true)"
        if [ -n "$url" ]; then
            curl -sf -o /dev/null "$url/ready" || fail "replica $i at $url is not ready"
            app_urls[i - 1]="$url"
            return 0
        fi
        kill -0 "${app_pids[$((i - 1))]}" 2>/dev/null || return 1
        sleep 0.1
    done
    fail "replica $i did not log its URL"
}

say "starting $replicas replicas at once on $database_url"
for i in $(seq 1 "$replicas"); do
    start_replica "$i" "$tmp/app$i.log"
done
start_failures=()
for i in $(seq 1 "$replicas"); do
    await_replica "$i" "$tmp/app$i.log" && continue
    wait "${app_pids[$((i - 1))]}" 2>/dev/null || true
    reason="$(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    try:
        error = json.loads(line).get("fields", {}).get("error")
    except ValueError:
        continue
    if error:
        print(error)
        break' "$tmp/app$i.log" || true)"
    start_failures+=("replica $i exited: ${reason:-$(tail -n 1 "$tmp/app$i.log")}")
done
for failure in "${start_failures[@]}"; do
    i="${failure#replica }"
    i="${i%% *}"
    say "started at once with the others, $failure; starting it again"
    start_replica "$i" "$tmp/app$i-again.log"
    await_replica "$i" "$tmp/app$i-again.log" || fail "replica $i exited again"
done
say "listening: ${app_urls[*]}"

# Fails, naming it and how it stopped, when a replica is no longer running.
replicas_alive() {
    for i in $(seq 1 "$replicas"); do
        kill -0 "${app_pids[$((i - 1))]}" 2>/dev/null ||
            fail "replica $i (${app_urls[$((i - 1))]}) stopped during the run: $(tail -n 2 "$tmp"/app"$i"*.log | tr '\n' ' ' | cut -c1-400)"
    done
}

# --- haproxy ---------------------------------------------------------------------------------
lb_port="${LB_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
lb_url="http://127.0.0.1:$lb_port"

# haproxy.cfg for the first N replicas.
write_haproxy_config() {
    local n="$1" config="$tmp/haproxy-$1.cfg"
    cat >"$config" <<CFG
global
    nbthread $haproxy_threads
    maxconn 4096
    stats socket $tmp/haproxy.sock mode 600 level admin

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    option http-keep-alive
    http-reuse always

frontend replicas
    bind 127.0.0.1:$lb_port
    default_backend apps

backend apps
    balance roundrobin
    option httpchk
    http-check send meth GET uri /ping
    http-check expect status 200
CFG
    for i in $(seq 1 "$n"); do
        local address="${app_urls[$((i - 1))]#http://}"
        printf '    server app%s %s check inter 2s fall 2 rise 1\n' "$i" "$address" >>"$config"
    done
    echo "$config"
}

# haproxy's `show stat` for the backend's servers: {server: {status, responses}}, as JSON.
cat >"$tmp/hastat.py" <<'PY'
import csv, json, socket, sys

def stat(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b"show stat\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    out = {}
    for row in csv.DictReader(data.decode().lstrip("# ").splitlines()):
        if row["pxname"] == "apps" and row["svname"] not in ("FRONTEND", "BACKEND"):
            codes = ("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other")
            out[row["svname"]] = {"status": row["status"],
                                  "responses": sum(int(row.get(k) or 0) for k in codes)}
    return out

if __name__ == "__main__":
    servers = stat(sys.argv[1])
    wanted = int(sys.argv[2])
    sys.exit(0 if len(servers) == wanted and all(v["status"] == "UP" for v in servers.values()) else 1)
PY

start_haproxy() {
    local n="$1" config
    replicas_alive
    config="$(write_haproxy_config "$n")"
    "$haproxy_bin" -c -q -f "$config" >"$tmp/haproxy-check.log" 2>&1 || fail "haproxy refuses $config: $(cat "$tmp/haproxy-check.log")"
    "$haproxy_bin" -db -f "$config" >>"$tmp/haproxy.log" 2>&1 &
    haproxy_pid=$!
    for _ in $(seq 1 100); do
        kill -0 "$haproxy_pid" 2>/dev/null || fail "haproxy exited"
        if [ -S "$tmp/haproxy.sock" ] &&
            python3 "$tmp/hastat.py" "$tmp/haproxy.sock" "$n" 2>/dev/null &&
            curl -sf -o /dev/null "$lb_url/ping"; then
            return 0
        fi
        sleep 0.1
    done
    fail "haproxy did not report its $n servers UP"
}

stop_haproxy() {
    stop_pid "$haproxy_pid"
    haproxy_pid=""
    rm -f "$tmp/haproxy.sock"
}

# --- seed ------------------------------------------------------------------------------------
for i in $(seq 1 100); do
    curl -sf -o /dev/null -X POST "${app_urls[$((i % replicas))]}/todo-lists" \
        -H 'Content-Type: application/json' -d "{\"title\":\"list $i\",\"color\":\"blue\"}" ||
        fail "seeding list $i failed"
done
count="$(curl -sf "${app_urls[0]}/todo-lists/count")"
[ "$count" = '{"count":100}' ] || fail "the database holds $count lists after seeding 100"

# --- load ------------------------------------------------------------------------------------
cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"title":"Finish this","color":"green"}'
wrk.headers["Content-Type"] = "application/json"
LUA

# Runs wrk once, measured: prints one TSV row (see the header below) on stdout.
cat >"$tmp/measure.py" <<'PY'
import os, re, resource, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hastat import stat

label, backends, apps, haproxy, sock, *wrk = sys.argv[1:]
apps = [int(p) for p in apps.split(",")]
haproxy = int(haproxy)
tck = os.sysconf("SC_CLK_TCK")

def ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0

def postgres_ticks():
    total = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() != "postgres":
                        continue
            except OSError:
                continue
            total += ticks(pid)
    return total

def machine_ticks():
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal: everything but idle and iowait
    return sum(cpu[:8]) - cpu[3] - cpu[4]

def responses():
    return {k: v["responses"] for k, v in stat(sock).items()}

before = (sum(ticks(p) for p in apps), postgres_ticks(), ticks(haproxy), machine_ticks())
served_before = responses()
wrk_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
wrk_cpu = wrk_cpu.ru_utime + wrk_cpu.ru_stime
run = subprocess.run(wrk, capture_output=True, text=True)
after_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
wrk_cpu = after_cpu.ru_utime + after_cpu.ru_stime - wrk_cpu
after = (sum(ticks(p) for p in apps), postgres_ticks(), ticks(haproxy), machine_ticks())
served_after = responses()
if run.returncode != 0:
    sys.exit(f"wrk failed: {run.stderr}")
text = run.stdout

def find(pattern, default="0"):
    m = re.search(pattern, text, re.M)
    return m.group(1) if m else default

def ms(value):
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    return float(value)

socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = int(find(r"Non-2xx or 3xx responses: (\d+)")) + (sum(map(int, socket.groups())) if socket else 0)
apps_s, pg_s, haproxy_s, machine_s = ((a - b) / tck for a, b in zip(after, before))
others_s = max(0.0, machine_s - apps_s - pg_s - haproxy_s - wrk_cpu)
served = {k: served_after.get(k, 0) - served_before.get(k, 0) for k in served_after}
total = sum(served.values()) or 1
share = " / ".join(f"{100 * served[k] / total:.0f}%" for k in sorted(served))
print("\t".join(str(x) for x in (
    label, backends, find(r"^Requests/sec:\s+([\d.]+)"), ms(find(r"^\s+50%\s+(\S+)")),
    ms(find(r"^\s+99%\s+(\S+)")), errors, f"{apps_s:.2f}", f"{pg_s:.2f}", f"{haproxy_s:.2f}",
    f"{wrk_cpu:.2f}", f"{others_s:.2f}", f"{machine_s:.2f}", share)))
PY

if [ "$load" = 1 ]; then
results="$tmp/results.tsv"
: >"$results"
app_pid_list="$(IFS=,; echo "${app_pids[*]}")"
start_load="$(cut -d' ' -f1-3 /proc/loadavg)"
for scenario in "GET /todo-lists/{id}|/todo-lists/50|" "POST /todo-lists|/todo-lists|$tmp/post.lua"; do
    IFS='|' read -r name path script <<<"$scenario"
    for n in 1 "$replicas"; do
        start_haproxy "$n"
        args=(-t"$threads" -c"$connections" --latency)
        [ -n "$script" ] && args+=(-s "$script")
        say "$name through haproxy, $n backend(s): ${warmup}s warm-up, ${duration}s measured"
        wrk "${args[@]}" -d"${warmup}s" "$lb_url$path" >/dev/null
        python3 "$tmp/measure.py" "$name" "$n" "$app_pid_list" "$haproxy_pid" "$tmp/haproxy.sock" \
            wrk "${args[@]}" -d"${duration}s" "$lb_url$path" >>"$results" ||
            fail "the measured run of $name with $n backend(s) failed"
        replicas_alive
        stop_haproxy
    done
done
end_load="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" "$duration" "$threads" "$connections" "$haproxy_threads" "$(nproc)" \
    "$start_load" "$end_load" <<'PY'
import sys

results, duration, threads, connections, hthreads, cores, start_load, end_load = sys.argv[1:]
duration, cores = float(duration), int(cores)
rows = [line.rstrip("\n").split("\t") for line in open(results)]
print(f"wrk -t{threads} -c{connections}, {duration:g} s measured per run after a warm-up, "
      f"through haproxy (nbthread {hthreads}, roundrobin, keep-alive) to release "
      f"portico-todo-list replicas on one PostgreSQL; {cores} cores, load average "
      f"{start_load} before, {end_load} after")
print()
print("| scenario | backends | req/s | p50 ms | p99 ms | errors | served per backend "
      "| CPU s apps | postgres | haproxy | wrk | rest of machine | busy of "
      f"{cores * duration:g} core-s |")
print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
by = {}
for (name, n, rps, p50, p99, errors, apps, pg, hap, wrk, others, machine, share) in rows:
    by[(name, n)] = float(rps)
    print(f"| {name} | {n} | {float(rps):,.0f} | {float(p50):.2f} | {float(p99):.2f} | {errors} "
          f"| {share} | {apps} | {pg} | {hap} | {wrk} | {others} | {float(machine):.2f} |")
print()
print("| scenario | req/s 3 vs 1 |")
print("|---|---:|")
for name in dict.fromkeys(r[0] for r in rows):
    one, three = by.get((name, "1")), by.get((name, "3"))
    if one and three:
        print(f"| {name} | **{three / one:.2f}×** |")
print()
for (name, n, rps, p50, p99, errors, apps, pg, hap, wrk, others, machine, share) in rows:
    machine = float(machine)
    if not machine:
        continue
    parts = {"apps": float(apps), "postgres": float(pg), "haproxy": float(hap),
             "wrk": float(wrk), "rest of the machine": float(others)}
    shares = ", ".join(f"{k} {100 * v / machine:.0f}%" for k, v in parts.items())
    busy = machine / (cores * duration)
    state = "saturated" if busy >= 0.9 else "not saturated"
    requests = float(rps) * duration
    per_request = ", ".join(f"{k} {1e6 * float(v) / requests:.0f}"
                            for k, v in (("apps", apps), ("postgres", pg), ("haproxy", hap)))
    print(f"- {name}, {n} backend(s): the {cores} cores were {100 * busy:.0f}% busy "
          f"({state}): {shares}; CPU µs per request: {per_request}.")
PY
fi

# --- correctness -----------------------------------------------------------------------------
start_haproxy "$replicas"
say "correctness across the $replicas replicas under concurrent writes"
replica_args=()
for url in "${app_urls[@]}"; do
    replica_args+=(--replica "$url")
done
check_status=0
python3 "$scripts/replicas_check.py" --via "$lb_url" "${replica_args[@]}" \
    --database-url "$database_url" || check_status=$?
replicas_alive

# No 500 over the whole run (the load included), as each app counts its answers.
metrics_status=0
for i in $(seq 1 "$replicas"); do
    curl -sf "${app_urls[$((i - 1))]}/metrics" >"$tmp/metrics$i.txt" || fail "replica $i has no /metrics"
done
python3 - "$tmp"/metrics*.txt <<'PY' || metrics_status=$?
import re, sys
counts = {}
for path in sys.argv[1:]:
    for line in open(path):
        m = re.match(r'http_requests_total\{([^}]*)\}\s+(\S+)', line)
        if m:
            status = re.search(r'status="(\d+)"', m.group(1))
            if status:
                counts[status.group(1)] = counts.get(status.group(1), 0) + float(m.group(2))
server = {k: int(v) for k, v in sorted(counts.items()) if k.startswith("5")}
total = int(sum(counts.values()))
print(f"answers counted by the apps' /metrics over the whole run: {total:,}; 5xx: "
      + (", ".join(f"{k} × {v}" for k, v in server.items()) if server else "none"))
sys.exit(1 if server.get("500") else 0)
PY

if [ "${#start_failures[@]}" -eq 0 ]; then
    echo "simultaneous start on the empty database: all $replicas replicas started"
else
    echo "simultaneous start on the empty database: FAILED, ${#start_failures[@]} of $replicas replicas exited (then started again, after the tables existed):"
    printf -- '- %s\n' "${start_failures[@]}"
fi

[ "${#start_failures[@]}" -eq 0 ] || fail "replicas started at once on an empty database do not all start"
[ "$check_status" -eq 0 ] || fail "a guarantee failed across the replicas (replicas_check.py exited $check_status)"
[ "$metrics_status" -eq 0 ] || fail "the apps answered 500"
say "done"
