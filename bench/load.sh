#!/usr/bin/env bash
# Load test of the error path: the release reference server on loopback, each framework, four
# scenarios run in turn for several rounds, every response checked by bench/wrk/contract.lua.
# Writes one load-<framework>-<scenario>-r<round>.json per wrk run into OUT_DIR (default
# bench/out); perf-report adds the rounds up.
#
#   bash bench/load.sh [OUT_DIR]
#
# Environment: LOAD_ROUNDS (default 5), LOAD_DURATION (per scenario and round, default 3s),
# LOAD_CONNECTIONS (default 32), LOAD_IDLE_WAIT (before each round, at most this many seconds of
# waiting for other work on the machine to stop, default 60), LOAD_PROFILE (default 1: after the
# measured rounds, one more round of (a), (c) and its control with `perf record` sampling the
# server for LOAD_PROFILE_DURATION (default 10s) each, then one counting its malloc calls, written
# to profile-<framework>-<scenario>.{json,txt}; 0 skips both, as does a machine where perf may
# not record).
# Loopback only; every wrk run and the script itself are bounded in time.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/bench/out}"
ROUNDS="${LOAD_ROUNDS:-5}"
DURATION="${LOAD_DURATION:-3s}"
CONNECTIONS="${LOAD_CONNECTIONS:-32}"
LUA="$ROOT/bench/wrk/contract.lua"
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
    echo "load.sh: installing wrk (Debian package)" >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

PROFILE="${LOAD_PROFILE:-1}"
PROFILE_HZ=999
if [ "$PROFILE" = 1 ] && ! command -v perf >/dev/null; then
    echo "load.sh: installing perf (Debian package linux-perf)" >&2
    (apt-get update -qq && apt-get install -y -qq linux-perf) >/dev/null 2>&1 || true
fi
if [ "$PROFILE" = 1 ] && ! perf record -q -o /dev/null -- true 2>/dev/null; then
    echo "load.sh: perf cannot record here (not installed or not permitted); no profile" >&2
    PROFILE=0
fi

cd "$ROOT"
cargo build --release -q -p attractos-reference
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/attractos-reference"

# Server on CPU 0, wrk on CPU 1 (when there are two), so they do not steal each other's core.
if [ "$(nproc)" -ge 2 ]; then
    SERVER_CPU=(taskset -c 0)
    WRK_CPU=(taskset -c 1)
else
    SERVER_CPU=()
    WRK_CPU=()
fi

SERVER_PIDS=()
stop_servers() {
    for pid in "${SERVER_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PIDS=()
}
# A last round counts the server's malloc calls, through a uprobe on libc's malloc that lives
# until the script exits.
MALLOC_EVENT=""
if [ "$PROFILE" = 1 ]; then
    libc="$(ldd "$BIN" | awk '/libc\.so/ { print $3 }')"
    if perf probe -q -x "$libc" -a attractos_malloc=malloc 2>/dev/null; then
        MALLOC_EVENT=probe_libc:attractos_malloc
    else
        echo "load.sh: no uprobe on malloc here; the profile counts no allocations" >&2
    fi
fi
cleanup() {
    stop_servers
    if [ -n "$MALLOC_EVENT" ]; then
        perf probe -q -d "$MALLOC_EVENT" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# shellcheck source=bench/idle.sh
source "$ROOT/bench/idle.sh"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server FRAMEWORK RATE_LIMIT: serves on a free loopback port, which it puts in PORT, and
# its process id in SERVER_PID.
start_server() {
    local port
    port="$(free_port)"
    "${SERVER_CPU[@]}" "$BIN" --framework "$1" --addr "127.0.0.1:$port" --rate-limit "$2" \
        --auth-failure-limit "$UNLIMITED" 2>>"$OUT/server-$1.log" &
    SERVER_PIDS+=($!)
    SERVER_PID=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            PORT="$port"
            return 0
        fi
        sleep 0.1
    done
    echo "load.sh: the $1 server did not start" >&2
    exit 1
}

# run PORT FRAMEWORK SCENARIO ROUND DESCRIPTION EXPECT METHOD PATH [KEY] [BODY_BYTES]
# ROUND `profile` samples the server (PROFILED_PID) with perf while wrk runs and writes the
# profile (a flat `perf report`) and wrk's record apart from the measured rounds; ROUND
# `mallocs` counts the server's malloc calls in a run of its own (the uprobe slows every call
# down, so the profile must not see it) and adds the count to the profile.
run() {
    local record="$OUT/load-$2-$3-r$4.json" profiler=() duration="$DURATION"
    local profile="$OUT/profile-$2-$3"
    case "$4" in
        profile)
            record="$profile.json"
            duration="${LOAD_PROFILE_DURATION:-10s}"
            profiler=(perf record -q -F "$PROFILE_HZ" -o "$profile.data" -p "$PROFILED_PID" --)
            ;;
        mallocs)
            record="$profile.mallocs.json"
            profiler=(perf stat -x, -e "$MALLOC_EVENT" -o "$profile.mallocs" -p "$PROFILED_PID" --)
            ;;
    esac
    echo "load.sh: $2 $3 round $4 ($duration, $CONNECTIONS connections)" >&2
    FRAMEWORK="$2" SCENARIO="$3" REQUEST="$5" EXPECT="$6" METHOD="$7" REQ_PATH="$8" \
        API_KEY="${9:-}" BODY_BYTES="${10:-}" OUT="$record" \
        timeout 120 "${WRK_CPU[@]}" "${profiler[@]}" wrk --threads 1 --connections "$CONNECTIONS" \
        --duration "$duration" --timeout 5s --script "$LUA" "http://127.0.0.1:$1" \
        >>"$OUT/wrk-$2.log"
    case "$4" in
        profile)
            {
                echo "# attractos: sampled at $PROFILE_HZ Hz"
                perf report -i "$profile.data" --no-children --sort dso,sym -n -g none \
                    --stdio --percent-limit 0 2>/dev/null
            } >"$profile.txt"
            rm -f "$profile.data"
            ;;
        mallocs)
            local calls requests
            calls="$(awk -F, -v event="$MALLOC_EVENT" '$3 == event { print $1 }' "$profile.mallocs")"
            requests="$(grep -o '"requests":[0-9]*' "$record" | cut -d: -f2)"
            echo "# attractos: malloc calls $calls in $requests requests" >>"$profile.txt"
            rm -f "$profile.mallocs" "$record"
            ;;
    esac
}

# measured ROUND: whether ROUND is one of the measured rounds (a number), not `profile` or
# `mallocs`.
measured() { [[ "$1" =~ ^[0-9]+$ ]]; }

# A limit far above what the load reaches, for (a)-(c).
UNLIMITED=1000000000

for framework in axum actix; do
    : >"$OUT/server-$framework.log"
    : >"$OUT/wrk-$framework.log"
    start_server "$framework" "$UNLIMITED"
    open="$PORT"
    open_pid="$SERVER_PID"
    # (d): one key flooding a 1 request/s limit; the one request a second let through is a 200.
    start_server "$framework" 1
    limited="$PORT"
    rounds=$(seq "$ROUNDS")
    if [ "$PROFILE" = 1 ]; then
        rounds="$rounds profile"
    fi
    if [ -n "$MALLOC_EVENT" ]; then
        rounds="$rounds mallocs"
    fi
    for round in $rounds; do
        # The servers idle between runs.
        wait_for_idle load.sh "${LOAD_IDLE_WAIT:-60}" 1 2
        PROFILED_PID="$open_pid"
        run "$open" "$framework" a-sites-200 "$round" "GET /api/v1/sites, key ak_demo_free" \
            "200:-" GET /api/v1/sites ak_demo_free
        if measured "$round"; then
            run "$open" "$framework" b-missing-key "$round" "GET /api/v1/sites, no key" \
                "401:MISSING_KEY" GET /api/v1/sites
        fi
        run "$open" "$framework" c-invalid-json "$round" "POST /api/v1/events, 1 KiB invalid JSON" \
            "400:INVALID_JSON" POST /api/v1/events ak_demo_free 1024
        if measured "$round"; then
            run "$limited" "$framework" d-rate-limited "$round" \
                "GET /api/v1/sites, one key over a 1/s limit" "429:RATE_LIMITED 200:-" \
                GET /api/v1/sites ak_demo_free
        fi
        # Control for (c): the same 1 KiB upload, valid and accepted (202), on a server of its
        # own per round so that the Pro key's monthly event quota never runs out.
        start_server "$framework" "$UNLIMITED"
        PROFILED_PID="$SERVER_PID"
        BODY_VALID=1 run "$PORT" "$framework" control-valid-event "$round" \
            "POST /api/v1/events, 1 KiB valid event (control for c)" "202:-" \
            POST /api/v1/events ak_demo_pro 1024
        kill "${SERVER_PIDS[-1]}" && wait "${SERVER_PIDS[-1]}" 2>/dev/null || true
        unset 'SERVER_PIDS[-1]'
    done
    stop_servers
done
