#!/usr/bin/env bash
# Regenerates docs/performance.md from fresh measurements, in one command:
#
#   bash bench/run.sh
#
# 1. criterion: the error rendering benches (crates/attractos-bench/benches/render.rs), in
#    BENCH_PASSES passes (default 5) whose medians the page takes the median of;
# 2. heap allocations per response (the `allocations` binary);
# 3. the load test (bench/load.sh: wrk against the release reference server on loopback), with
#    a final round profiled by perf (LOAD_PROFILE=0 skips it);
# 4. the page, written by the `perf-report` binary from those files only, into the template
#    crates/attractos-bench/performance.md.tpl (which holds the page's prose).
#
# Results go to bench/out (git-ignored). SKIP_LOAD=1 skips step 3 (the page then says so).
# Before each measuring step it waits (at most IDLE_WAIT seconds, default 300) for the CPUs to
# be mostly idle: other builds on a 2-core machine would otherwise be measured too.
# Takes about 25 minutes on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out"
cd "$ROOT"
rm -rf "$OUT"
mkdir -p "$OUT"

json_escape() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n'; }
field() { printf '"%s":"%s"' "$1" "$(printf '%s' "$2" | json_escape)"; }

LOAD_BEFORE="$(cat /proc/loadavg)"
DATE="$(date -u '+%Y-%m-%d %H:%M:%S')"
COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates bench || echo -dirty)"

# shellcheck source=bench/idle.sh
source "$ROOT/bench/idle.sh"

# Build everything first, so that no compilation runs during a measurement.
cargo bench -q -p attractos-bench --bench render --no-run
cargo build --release -q -p attractos-bench --bins
cargo build --release -q -p attractos-reference

for pass in $(seq "${BENCH_PASSES:-5}"); do
    wait_for_idle run.sh "${IDLE_WAIT:-300}" 2 5
    echo "run.sh: criterion benches, pass $pass" >&2
    CRITERION_HOME="$OUT/criterion" cargo bench -q -p attractos-bench --bench render -- \
        --save-baseline "pass$pass" >>"$OUT/criterion.log"
done

echo "run.sh: allocation counts" >&2
cargo run --release -q -p attractos-bench --bin allocations >"$OUT/allocations.jsonl"

if [ "${SKIP_LOAD:-0}" != 1 ]; then
    wait_for_idle run.sh "${IDLE_WAIT:-300}" 2 5
    echo "run.sh: load test" >&2
    bash "$ROOT/bench/load.sh" "$OUT"
fi

{
    printf '{'
    field nproc "$(nproc)"; printf ','
    field cpu "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"; printf ','
    field rustc "$(rustc --version)"; printf ','
    field loadavg_before "$LOAD_BEFORE"; printf ','
    field loadavg_after "$(cat /proc/loadavg)"; printf ','
    field date "$DATE"; printf ','
    field commit "$COMMIT"
    printf '}\n'
} >"$OUT/machine.json"

cargo run --release -q -p attractos-bench --bin perf-report -- "$OUT" "$ROOT/docs/performance.md"
