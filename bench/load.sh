#!/usr/bin/env bash
# Load test of the error path: the release reference server on loopback, each framework, four
# scenarios, every response checked by bench/wrk/contract.lua. Writes one
# load-<framework>-<scenario>.json per run into OUT_DIR (default bench/out).
#
#   bash bench/load.sh [OUT_DIR]
#
# Environment: LOAD_DURATION (per scenario, default 10s), LOAD_CONNECTIONS (default 32).
# Loopback only; every wrk run and the script itself are bounded in time.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/bench/out}"
DURATION="${LOAD_DURATION:-10s}"
CONNECTIONS="${LOAD_CONNECTIONS:-32}"
LUA="$ROOT/bench/wrk/contract.lua"
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
    echo "load.sh: installing wrk (Debian package)" >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
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

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap stop_server EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server FRAMEWORK RATE_LIMIT: serves on a free loopback port, sets PORT.
start_server() {
    PORT="$(free_port)"
    "${SERVER_CPU[@]}" "$BIN" --framework "$1" --addr "127.0.0.1:$PORT" --rate-limit "$2" \
        2>>"$OUT/server-$1.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "load.sh: the $1 server did not start" >&2
    exit 1
}

# run FRAMEWORK SCENARIO DESCRIPTION EXPECT METHOD PATH [KEY] [BODY_BYTES]
run() {
    echo "load.sh: $1 $2 ($DURATION, $CONNECTIONS connections)" >&2
    FRAMEWORK="$1" SCENARIO="$2" REQUEST="$3" EXPECT="$4" METHOD="$5" REQ_PATH="$6" \
        API_KEY="${7:-}" BODY_BYTES="${8:-}" OUT="$OUT/load-$1-$2.json" \
        timeout 120 "${WRK_CPU[@]}" wrk --threads 1 --connections "$CONNECTIONS" \
        --duration "$DURATION" --timeout 5s --script "$LUA" "http://127.0.0.1:$PORT" \
        >>"$OUT/wrk-$1.log"
}

# A limit far above what the load reaches, so only (d) is throttled.
UNLIMITED=1000000000

for framework in axum actix; do
    : >"$OUT/server-$framework.log"
    : >"$OUT/wrk-$framework.log"
    start_server "$framework" "$UNLIMITED"
    run "$framework" a-sites-200 "GET /api/v1/sites, key ak_demo_free" "200:-" \
        GET /api/v1/sites ak_demo_free
    run "$framework" b-missing-key "GET /api/v1/sites, no key" "401:MISSING_KEY" \
        GET /api/v1/sites
    run "$framework" c-invalid-json "POST /api/v1/events, 1 KiB invalid JSON" "400:INVALID_JSON" \
        POST /api/v1/events ak_demo_free 1024
    stop_server
    # (d): one key flooding a 1 request/s limit; the one request a second let through is a 200.
    start_server "$framework" 1
    run "$framework" d-rate-limited "GET /api/v1/sites, one key over a 1/s limit" \
        "429:RATE_LIMITED 200:-" GET /api/v1/sites ak_demo_free
    stop_server
done
