#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing, then runs every
# test of the workspace. Extra arguments go to cargo test (e.g. `scripts/test.sh --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools the tests start or call for real: redis-server (the limit store's tests) and xmllint
# (the checker's JUnit report against the JUnit schema). They fail, never skip, without them.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian's ${missing[*]}" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y "${missing[@]}"
fi

cargo test --workspace "$@"
