#!/usr/bin/env bash
# Regenerates the figures of docs/limits.md: one limit decision (criterion), the in-memory
# store as the limiter uses it against governor called directly; and the 200 route of
# `limits-load` called in process in each mode but Redis (`limits-load --in-process`), the
# modes taking turns slice by slice (on a shared machine, benchmarks run one after another see
# different neighbours; a ratio taken within a slice does not); and the instructions a
# request of each mode takes (callgrind counts them, the same from run to run whatever the
# machine's neighbours do: a change's cost shows to the instruction). Results go between the
# FIGURES markers of the page; the rest of the page is written by hand.
#
# Environment: BENCH_SLICES (default 400).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench -p attractos-limits --bench decision -- --noplot
cargo build --release -q -p attractos-bench --bin limits-load
SLICES="${BENCH_SLICES:-400}"
OUT="$(mktemp)"
trap 'rm -f "$OUT" "$OUT.instructions"' EXIT
PIN=()
if [ "$(nproc)" -ge 2 ]; then PIN=(taskset -c 0); fi
BIN="${CARGO_TARGET_DIR:-target}/release/limits-load"
"${PIN[@]}" "$BIN" --in-process "$SLICES" >"$OUT"
if ! command -v valgrind >/dev/null; then
    echo "limits-bench.sh: installing valgrind (Debian package)" >&2
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi
# A request's instructions: counted only inside the loop of requests (`call_in_process`:
# starting up varies from run to run, `governor`'s by millions of instructions), the difference
# between runs of 1500 and 500 requests over 1000. The same within a few instructions from
# run to run, so counted once. The modes are those the slices above ran (`limits_route::MODES` but
# Redis), as `--in-process` printed them.
for mode in $(awk '!seen[$2]++ { print $2 }' "$OUT"); do
    for requests in 500 1500; do
        valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            --toggle-collect='*call_in_process*' "$BIN" --mode "$mode" --requests "$requests" 2>&1 |
            sed -n "s/.*Collected : \([0-9]*\)/$mode $requests \1/p"
    done
done >"$OUT.instructions"
commit=$(git rev-parse --short HEAD)
load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$commit" "$load" "$OUT" <<'PY'
import collections, json, pathlib, re, statistics, sys
commit, load, out = sys.argv[1], sys.argv[2], sys.argv[3]


def medians(group):
    """(function id, median ns) of each benchmark of a criterion group, as named."""
    rows = []
    for bench in sorted(pathlib.Path("target/criterion", group).iterdir()):
        estimates = bench / "new" / "estimates.json"
        if estimates.exists():
            title = json.loads((bench / "new" / "benchmark.json").read_text())["function_id"]
            rows.append((title, json.loads(estimates.read_text())["median"]["point_estimate"]))
    return rows


def ratio(value, base):
    return f"{value / base:.2f}x" if base else "-"


decisions = medians("one decision")
base = dict(decisions).get("governor keyed check_key")
lines = [
    f"Measured at commit `{commit}` with `bash scripts/limits-bench.sh` (criterion, median of",
    f"its samples). Load average at the end: {load}. Ratios are against governor measured in",
    "the same run.",
    "",
    "| one decision | median | vs governor |",
    "| --- | --- | --- |",
]
lines += [f"| {title} | {ns:.0f} ns | {ratio(ns, base)} |" for title, ns in decisions]


slices = collections.defaultdict(dict)
for line in open(out):
    index, mode, nanos = line.split()
    slices[index][mode] = float(nanos)
modes = list(next(iter(slices.values())))


def against(base, mode):
    """The median and the 10th to 90th percentile of `base`'s time over `mode`'s, by slice."""
    ratios = sorted(slice_[base] / slice_[mode] for slice_ in slices.values())
    at = lambda share: ratios[round(share * (len(ratios) - 1))]
    return f"{statistics.median(ratios):.2f}x", f"{at(0.1):.2f}x to {at(0.9):.2f}x"


lines += [
    "",
    "The route of the load figures below (every mode under the contract, as an AttractOS service",
    "serves it), called in process: a request through the router,",
    f"its body collected, no socket (`limits-load --in-process`). {len(slices)} slices of 2000",
    "requests a mode, the modes taking turns; the time is the median over the slices, a ratio",
    "(of requests per second) the median of the slices' ratios, with their 10th to 90th percentile.",
    "",
    "| `GET /api/v1/sites` in process | a request | vs `none` | slices | vs `governor` | slices |",
    "| --- | --- | --- | --- | --- | --- |",
]
for mode in sorted(modes, key=lambda mode: statistics.median(s[mode] for s in slices.values())):
    time = statistics.median(slice_[mode] for slice_ in slices.values())
    cells = [*against("none", mode), *against("governor", mode)]
    lines.append(f"| {mode} | {time:.0f} ns | " + " | ".join(cells) + " |")
counts = collections.defaultdict(dict)
for line in open(out + ".instructions"):
    mode, requests, collected = line.split()
    if int(collected) == 0:
        sys.exit("limits-bench.sh: callgrind counted nothing in call_in_process (renamed? inlined?)")
    counts[mode][int(requests)] = int(collected)
instructions = {mode: (runs[1500] - runs[500]) / 1000 for mode, runs in counts.items()}
lines += [
    "",
    "The same route's instructions a request (valgrind's callgrind, counting only the loop of",
    "requests: the difference between runs of 1500 and 500 requests, over 1000; the same within",
    "a few instructions from run to run, whatever else the machine runs). A ratio is `none`'s or",
    "`governor`'s count over the mode's:",
    "",
    "| `GET /api/v1/sites` in process | instructions a request | vs `none` | vs `governor` |",
    "| --- | --- | --- | --- |",
]
lines += [f"| {mode} | {count:.0f} | {instructions['none'] / count:.3f}x |"
          f" {instructions['governor'] / count:.3f}x |"
          for mode, count in sorted(instructions.items(), key=lambda item: item[1])]
page = pathlib.Path("docs/limits.md")
text = page.read_text()
text = re.sub(r"(<!-- FIGURES -->\n).*?(<!-- /FIGURES -->)",
              lambda m: m.group(1) + "\n".join(lines) + "\n" + m.group(2), text, flags=re.S)
page.write_text(text)
PY
echo "docs/limits.md updated"
