#!/usr/bin/env bash
# Benchmarks the Portico Todo app against LoopBack 4's own Todo example, on this machine, in
# the same run, with the same load generator:
#
# - installs @loopback/example-todo@6.0.0 from npm into target/loopback-bench (once), and boots
#   it on its memory datasource without file persistence (as LoopBack's benchmark does);
# - builds apps/todo in release mode and boots it on `memory:`;
# - seeds 100 todos in each;
# - drives each with wrk (2 threads, 64 connections, DURATION seconds per scenario, after a
#   WARMUP-second warm-up): GET /todos/{id}, GET /todos?filter[limit]=10, POST /todos;
# - prints req/s, p50 and p99 latency per scenario and the peak RSS (VmHWM) of each server,
#   with the ratios against the goal (≥10× req/s, ≤1/10 p99, ≤1/5 RSS). The RSS goal is
#   judged after the read scenarios, when both hold the same 100 todos; after POST each store
#   holds what its server created, so that peak is printed with the todo counts.
#
# Traffic goes to 127.0.0.1 only.
#
#   apps/todo/scripts/bench-loopback.sh
#
# Environment: DURATION (default 10), WARMUP (default 3), CONNECTIONS (default 64),
# THREADS (default 2), LOOPBACK_PORT (default 3101), PORTICO_PORT (default 3102).
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
scripts="$root/apps/todo/scripts"
scratch="$root/target/loopback-bench"
duration="${DURATION:-10}"
warmup="${WARMUP:-3}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
lb_port="${LOOPBACK_PORT:-3101}"
portico_port="${PORTICO_PORT:-3102}"
loopback_version="6.0.0"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT

say() { printf 'bench: %s\n' "$*" >&2; }
fail() {
    say "FAIL: $*"
    exit 1
}

# --- tools -----------------------------------------------------------------------------------
command -v node >/dev/null || fail "node is required (Debian's nodejs)"
command -v npm >/dev/null || fail "npm is required"
if ! command -v wrk >/dev/null; then
    say "installing Debian's wrk"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi

# --- LoopBack --------------------------------------------------------------------------------
mkdir -p "$scratch"
installed="$(node -p "try { require('$scratch/node_modules/@loopback/example-todo/package.json').version } catch (e) { '' }")"
if [ "$installed" != "$loopback_version" ]; then
    say "installing @loopback/example-todo@$loopback_version into $scratch"
    [ -f "$scratch/package.json" ] || echo '{"name":"portico-loopback-bench","private":true}' >"$scratch/package.json"
    (cd "$scratch" && npm install --no-audit --no-fund --loglevel=error "@loopback/example-todo@$loopback_version" >&2)
fi

# --- Portico ---------------------------------------------------------------------------------
say "building portico-todo (release)"
(cd "$root" && cargo build --quiet --release -p portico-todo --bin portico-todo)

wait_for() {
    local url="$1" pid="$2"
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || return 1
        curl -s -o /dev/null "$url" && return 0
        sleep 0.1
    done
    return 1
}

say "starting LoopBack on 127.0.0.1:$lb_port"
(cd "$scratch" && PORT="$lb_port" NODE_ENV=production NODE_PATH="$scratch/node_modules" \
    exec node "$scripts/loopback-todo-server.js") >"$scratch/loopback.log" 2>&1 &
lb_pid=$!
pids+=("$lb_pid")
wait_for "http://127.0.0.1:$lb_port/ping" "$lb_pid" || fail "LoopBack did not start: $(tail -n 5 "$scratch/loopback.log")"

say "starting Portico on 127.0.0.1:$portico_port"
DATABASE_URL=memory: HOST=127.0.0.1 PORT="$portico_port" RUST_LOG=warn \
    "$root/target/release/portico-todo" >"$scratch/portico.log" 2>&1 &
portico_pid=$!
pids+=("$portico_pid")
wait_for "http://127.0.0.1:$portico_port/ping" "$portico_pid" || fail "Portico did not start: $(tail -n 5 "$scratch/portico.log")"

# --- seed ------------------------------------------------------------------------------------
for base in "http://127.0.0.1:$lb_port" "http://127.0.0.1:$portico_port"; do
    for i in $(seq 1 100); do
        curl -sf -o /dev/null -X POST "$base/todos" -H 'Content-Type: application/json' \
            -d "{\"title\":\"todo $i\",\"desc\":\"seeded for the benchmark\",\"isComplete\":false}" ||
            fail "seeding $base failed"
    done
    count="$(curl -sf "$base/todos/count")"
    [ "$count" = '{"count":100}' ] || fail "$base has $count after seeding"
    curl -sf -o /dev/null "$base/todos/50" || fail "$base/todos/50 is missing"
done

# --- load ------------------------------------------------------------------------------------
cat >"$scratch/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"title":"Finish this","desc":"Finish running this benchmark."}'
wrk.headers["Content-Type"] = "application/json"
LUA

scenarios=(
    "GET /todos/{id}|/todos/50|"
    "GET /todos?filter[limit]=10|/todos?filter%5Blimit%5D=10|"
    "POST /todos|/todos|$scratch/post.lua"
)
results="$scratch/results.tsv"
: >"$results"

run_wrk() {
    local seconds="$1" url="$2" script="$3"
    local args=(-t"$threads" -c"$connections" -d"${seconds}s" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    wrk "${args[@]}" "$url"
}

peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

for scenario in "${scenarios[@]}"; do
    IFS='|' read -r name path script <<<"$scenario"
    if [ -n "$script" ] && [ -z "${lb_read_rss:-}" ]; then
        # The peak so far is the footprint of serving the reads (100 todos, 64 connections);
        # creates then grow each store by however many todos that server managed to create.
        lb_read_rss="$(peak_rss_kib "$lb_pid")"
        portico_read_rss="$(peak_rss_kib "$portico_pid")"
    fi
    for server in LoopBack Portico; do
        if [ "$server" = LoopBack ]; then port="$lb_port"; else port="$portico_port"; fi
        url="http://127.0.0.1:$port$path"
        say "$name on $server: ${warmup}s warm-up, ${duration}s measured"
        run_wrk "$warmup" "$url" "$script" >/dev/null
        out="$(run_wrk "$duration" "$url" "$script")"
        if grep -q 'Non-2xx' <<<"$out"; then
            fail "$server answered errors during $name: $(grep 'Non-2xx' <<<"$out")"
        fi
        rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
        p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
        p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
        printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$server" "$rps" "$p50" "$p99" >>"$results"
    done
done

lb_rss="$(peak_rss_kib "$lb_pid")"
portico_rss="$(peak_rss_kib "$portico_pid")"
lb_todos="$(curl -sf "http://127.0.0.1:$lb_port/todos/count" | tr -dc 0-9)"
portico_todos="$(curl -sf "http://127.0.0.1:$portico_port/todos/count" | tr -dc 0-9)"

# --- report ----------------------------------------------------------------------------------
python3 - "$results" "$duration" "$threads" "$connections" \
    "$lb_read_rss" "$portico_read_rss" "$lb_rss" "$portico_rss" "$lb_todos" "$portico_todos" <<'PY'
import sys

(results, duration, threads, connections, lb_read_rss, portico_read_rss,
 lb_rss, portico_rss, lb_todos, portico_todos) = sys.argv[1:]

def ms(text):
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)

rows = {}
order = []
for line in open(results):
    name, server, rps, p50, p99 = line.rstrip("\n").split("\t")
    if name not in rows:
        order.append(name)
        rows[name] = {}
    rows[name][server] = (float(rps), ms(p50), ms(p99))

def verdict(ok):
    return "meets" if ok else "misses"

print(f"wrk: {threads} threads, {connections} connections, {duration} s per scenario; "
      f"LoopBack 4 (@loopback/example-todo 6.0.0, memory) vs Portico (release, memory:)")
print()
print(f"| scenario | server | req/s | p50 ms | p99 ms |")
print(f"|---|---|---:|---:|---:|")
for name in order:
    lb, pt = rows[name]["LoopBack"], rows[name]["Portico"]
    print(f"| {name} | LoopBack | {lb[0]:,.0f} | {lb[1]:.2f} | {lb[2]:.2f} |")
    print(f"| {name} | Portico | {pt[0]:,.0f} | {pt[1]:.2f} | {pt[2]:.2f} |")
    rps_ratio = pt[0] / lb[0]
    p99_ratio = pt[2] / lb[2]
    print(f"| {name} | **ratio** | **{rps_ratio:.1f}×** ({verdict(rps_ratio >= 10)} ≥10×) "
          f"| {pt[1] / lb[1]:.3f} | **{p99_ratio:.3f}** ({verdict(p99_ratio <= 0.1)} ≤0.1) |")
lb_read, pt_read = int(lb_read_rss) / 1024, int(portico_read_rss) / 1024
read_ratio = pt_read / lb_read
lb_mib, pt_mib = int(lb_rss) / 1024, int(portico_rss) / 1024
print()
print("| peak RSS (VmHWM) | LoopBack | Portico | ratio |")
print("|---|---:|---:|---:|")
print(f"| after the read scenarios (100 todos) | {lb_read:.1f} MiB | {pt_read:.1f} MiB "
      f"| **{read_ratio:.3f}** ({verdict(read_ratio <= 0.2)} ≤0.2) |")
print(f"| after POST (LoopBack {int(lb_todos):,} todos, Portico {int(portico_todos):,}) "
      f"| {lb_mib:.1f} MiB | {pt_mib:.1f} MiB | {pt_mib / lb_mib:.3f} |")
PY
