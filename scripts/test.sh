#!/usr/bin/env bash
# The README's test command: installs redis-server when missing (the limit store's tests start
# a real one and never skip), then runs every test of the workspace. Extra arguments go to
# cargo test (e.g. `scripts/test.sh --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-server is missing; installing Debian's package" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y redis-server
fi

cargo test --workspace "$@"
