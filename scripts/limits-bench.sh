#!/usr/bin/env bash
# Regenerates the figures of docs/limits.md: one limit decision (criterion), the in-memory
# store as the limiter uses it against governor called directly. Results go between the
# FIGURES markers of the page; the rest of the page is written by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench -p attractos-limits --bench decision -- --noplot
commit=$(git rev-parse --short HEAD)
load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$commit" "$load" <<'PY'
import json, pathlib, re, sys
commit, load = sys.argv[1], sys.argv[2]
root = pathlib.Path("target/criterion/one decision")
rows = []
for bench in sorted(root.iterdir()):
    estimates = bench / "new" / "estimates.json"
    if not estimates.exists():
        continue
    data = json.loads(estimates.read_text())
    title = json.loads((bench / "new" / "benchmark.json").read_text())["function_id"]
    rows.append((title, data["median"]["point_estimate"]))
base = dict(rows).get("governor keyed check_key")
lines = [
    f"Measured at commit `{commit}` with `bash scripts/limits-bench.sh` (criterion, median of",
    f"its samples). Load average at the end: {load}. Ratios are against governor measured in",
    "the same run.",
    "",
    "| one decision | median | vs governor |",
    "| --- | --- | --- |",
]
for title, ns in rows:
    ratio = f"{ns / base:.2f}x" if base else "-"
    lines.append(f"| {title} | {ns:.0f} ns | {ratio} |")
page = pathlib.Path("docs/limits.md")
text = page.read_text()
text = re.sub(r"(<!-- FIGURES -->\n).*?(<!-- /FIGURES -->)",
              lambda m: m.group(1) + "\n".join(lines) + "\n" + m.group(2), text, flags=re.S)
page.write_text(text)
PY
echo "docs/limits.md updated"
