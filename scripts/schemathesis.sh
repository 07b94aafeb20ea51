#!/usr/bin/env bash
# Checks the reference server's OpenAPI document with Schemathesis (https://schemathesis.io),
# an independent property-based API tester: for each framework in turn, builds and starts the
# reference server on a free loopback port, points Schemathesis at the document it serves
# (GET /api/v1/openapi.json) and runs every generated request through the checks below.
# Exits non-zero when any check fails on either framework.
#
#   scripts/schemathesis.sh              # both frameworks
#   scripts/schemathesis.sh actix        # one
#   MAX_EXAMPLES=200 SEED=7 scripts/schemathesis.sh
#
# Needs python3 (with venv) and access to PyPI on the first run; the virtualenv lives in .venv.
set -euo pipefail

cd "$(dirname "$0")/.."

FRAMEWORKS=("${@:-axum}")
[ $# -eq 0 ] && FRAMEWORKS=(axum actix)
MAX_EXAMPLES="${MAX_EXAMPLES:-50}"
SEED="${SEED:-1}"
# The whole Schemathesis run per framework, in seconds.
RUN_TIMEOUT="${RUN_TIMEOUT:-600}"
CHECKS=status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,ignored_auth

VENV=.venv
if [ ! -x "$VENV/bin/st" ]; then
    echo "== creating $VENV and installing schemathesis from PyPI"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
"$VENV/bin/st" --version

echo "== building the reference server"
cargo build --quiet -p attractos-reference
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
    "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
SERVER="$TARGET_DIR/debug/attractos-reference"

free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap stop_server EXIT

status=0
for framework in "${FRAMEWORKS[@]}"; do
    port="$(free_port)"
    log="$TARGET_DIR/schemathesis-$framework.log"
    echo "== $framework on 127.0.0.1:$port (server log: $log)"
    # A rate limit no run reaches, so RATE_LIMITED does not mask what is being checked.
    RUST_LOG=warn "$SERVER" --framework "$framework" --addr "127.0.0.1:$port" \
        --rate-limit 1000000 2>"$log" &
    SERVER_PID=$!
    if timeout "$RUN_TIMEOUT" "$VENV/bin/st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
        --wait-for-schema 60 \
        --checks "$CHECKS" \
        -H 'Authorization: Bearer ak_demo_pro' \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$SEED" \
        --generation-database none \
        --no-color; then
        echo "== $framework: all checks passed"
    else
        echo "== $framework: FAILED"
        status=1
    fi
    stop_server
done
exit "$status"
