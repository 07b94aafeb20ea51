#!/usr/bin/env bash
# wrk on loopback against the 200 route of `limits-load` (crates/attractos-bench) served six
# ways in the same run, each under the contract as an AttractOS service serves it: no limiter,
# the in-memory Limiter with its RateLimit fields, tower_governor at the same limit (without
# and with its headers), the Limiter on a real redis-server (no persistence), and a control:
# no limiter, the same fields sent as static headers. The limit (LOAD_RATE per second and
# burst, default 1000000) admits the whole load: what is measured is the cost of deciding.
# Rounds interleave the modes, each round starting one mode further on (so that no mode always
# follows the same one); a ratio is taken in each round (modes run seconds apart) and the page
# gets the medians, how far each median could move (a bootstrap over the rounds) and the
# rounds' range, between the LOAD markers of docs/limits.md. The in-memory and Redis modes run
# a second time with more connections: on Redis a request waits a round trip, so 32
# connections leave the server's core idle part of the time, and its capacity shows only with
# more. Redis against in-memory is judged on each one's better figure of the two in a round.
#
#   bash scripts/limits-load.sh
#
# Environment: LOAD_ROUNDS (default 15), LOAD_DURATION (default 1s), LOAD_CONNECTIONS (32),
# LOAD_MORE_CONNECTIONS (128).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ROUNDS="${LOAD_ROUNDS:-15}" DURATION="${LOAD_DURATION:-1s}" CONNECTIONS="${LOAD_CONNECTIONS:-32}"
MORE="${LOAD_MORE_CONNECTIONS:-128}"
RATE="${LOAD_RATE:-1000000}"
OUT="$(mktemp -d)"
for tool in wrk:wrk redis-server:redis-server redis-cli:redis-tools; do
    if ! command -v "${tool%%:*}" >/dev/null; then
        echo "limits-load.sh: installing ${tool#*:} (Debian package)" >&2
        apt-get update -qq && apt-get install -y -qq "${tool#*:}" >/dev/null
    fi
done
cargo build --release -q -p attractos-bench --bin limits-load
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/limits-load"

# Server on CPU 0, wrk and redis-server on CPU 1: in every mode the server's core is its own
# (in production Redis does not run on the service's cores).
SERVER_CPU=() WRK_CPU=()
if [ "$(nproc)" -ge 2 ]; then SERVER_CPU=(taskset -c 0) WRK_CPU=(taskset -c 1); fi
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "limits-load.sh: nothing listens on port $1" >&2
    exit 1
}
PIDS=()
trap 'for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$OUT"' EXIT

REDIS_PORT="$(free_port)"
"${WRK_CPU[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --logfile "$OUT/redis.log" &
PIDS+=($!)
wait_port "$REDIS_PORT"

MODES=(none fields memory governor governor-headers redis)
declare -A PORT SERVER
for mode in "${MODES[@]}"; do
    PORT[$mode]="$(free_port)"
    "${SERVER_CPU[@]}" "$BIN" --mode "$mode" --addr "127.0.0.1:${PORT[$mode]}" --rate "$RATE" \
        --redis "redis://127.0.0.1:$REDIS_PORT/" 2>>"$OUT/server.log" &
    PIDS+=($!) SERVER[$mode]=$!
    wait_port "${PORT[$mode]}"
done
# A server's CPU time so far (user and system, every thread), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT >/dev/null
# `mode@n`: the server of `mode`, n connections.
RUNS=("${MODES[@]}" "memory@$MORE" "redis@$MORE")
for round in $(seq "$ROUNDS"); do
    start=$(((round - 1) % ${#RUNS[@]}))
    for run in "${RUNS[@]:start}" "${RUNS[@]:0:start}"; do
        mode="${run%@*}" connections="$CONNECTIONS"
        [ "$run" = "$mode" ] || connections="${run#*@}"
        before="$(cpu_ticks "${SERVER[$mode]}")"
        timeout 60 "${WRK_CPU[@]}" wrk --threads 1 --connections "$connections" --duration "$DURATION" \
            -H 'Authorization: Bearer ak_demo_free' "http://127.0.0.1:${PORT[$mode]}/api/v1/sites" \
            >"$OUT/$run-r$round.txt"
        echo $(($(cpu_ticks "${SERVER[$mode]}") - before)) >"$OUT/$run-r$round.cpu"
    done
done
EVALSHA="$(redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' |
    sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p')"
OTHER="$(redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' |
    grep '^cmdstat_' | grep -v -e '^cmdstat_evalsha:' -e '^cmdstat_info:' -e '^cmdstat_config' | tr '\n' ' ')"

python3 - "$OUT" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$MORE" "$RATE" "${EVALSHA:-0}" "$OTHER" "$(getconf CLK_TCK)" \
    "$(git rev-parse --short HEAD)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import pathlib, random, re, statistics, sys
out, rounds, duration, conns, more, rate, evalsha, other, ticks_per_s, commit, load = sys.argv[1:]
modes = {"none": "(a) no limiter", "fields": "(a') no limiter, the fields of (b) as static headers",
         "memory": "(b) in-memory Limiter + RateLimit fields",
         "governor": "(c) tower_governor 0.8, same limit",
         "governor-headers": "(c') tower_governor 0.8 with its headers (`use_headers`)",
         "redis": "(d) Limiter on Redis (`RedisStore::on_runtime`: the server's)",
         f"memory@{more}": f"(b) with {more} connections", f"redis@{more}": f"(d) with {more} connections"}
rps, requests, refused, cpu = {}, {}, {}, {}
def best(*runs):
    return [max(each) for each in zip(*(rps[run] for run in runs))]
for mode in modes:
    runs = [pathlib.Path(out, f"{mode}-r{r}.txt").read_text() for r in range(1, int(rounds) + 1)]
    rps[mode] = [float(re.search(r"Requests/sec:\s+([\d.]+)", t)[1]) for t in runs]
    # The server's CPU time per answered request in each round, in µs.
    cpu[mode] = [int(pathlib.Path(out, f"{mode}-r{r + 1}.cpu").read_text()) / int(ticks_per_s) * 1e6
                 / int(re.search(r"(\d+) requests in", t)[1]) for r, t in enumerate(runs)]
    requests[mode] = sum(int(re.search(r"(\d+) requests in", t)[1]) for t in runs)
    refused[mode] = sum(int(m[1]) for t in runs for m in [re.search(r"Non-2xx or 3xx responses: (\d+)", t)] if m)
if any(refused.values()):
    # A refused request is cheaper than a served one: the ratios would mean nothing.
    sys.exit(f"limits-load.sh: non-2xx answers under load, the page is left as it was: {refused}")
def ratio(name, top, bottom, floor=None):
    # A mode's name, or figures per round.
    top, bottom = (rps[x] if isinstance(x, str) else x for x in (top, bottom))
    each = [t / b for t, b in zip(top, bottom)]
    # How far the median could move by which rounds happened to run: the middle 95% of the
    # medians of rounds drawn again at random (a bootstrap, seeded so a page can be redone).
    draw = random.Random(0)
    medians = sorted(statistics.median(draw.choices(each, k=len(each))) for _ in range(2000))
    low, high = medians[50], medians[1949]
    # A verdict only where the interval is on one side of the target.
    verdict = ("" if floor is None else "met" if low >= floor else "MISSED" if high < floor
               else "unsettled: the interval spans it")
    wanted = "" if floor is None else f">= {floor}x"
    return (f"| {name} | {statistics.median(each):.2f}x | {low:.2f}x to {high:.2f}x"
            f" | {min(each):.2f}x to {max(each):.2f}x | {wanted} | {verdict} |")
per_request = int(evalsha) / (requests["redis"] + requests[f"redis@{more}"])
lines = [
    f"Measured at commit `{commit}` with `bash scripts/limits-load.sh`: wrk, 1 thread, {conns}",
    f"connections ({more} in the last two rows), {rounds} rounds of {duration} per mode, the modes",
    "interleaved in each round (each round starting one mode further on); every mode under the",
    "contract (`with_contract`), as an AttractOS service serves its routes. Server on CPU 0, wrk",
    "and redis-server on CPU 1. The limit is",
    f"{rate} requests/s with a burst of {rate}, so the load is admitted: this measures deciding,",
    f"not refusing. Load average at the end (the run itself keeps both cores busy): {load}.",
    "The server's CPU is its process's user and system time during a run (every thread, the",
    "Redis store's included) over the requests answered.",
    "",
    "| `GET /api/v1/sites` | requests/s (median) | the server's CPU a request (median) | requests (all rounds) | non-2xx |",
    "| --- | --- | --- | --- | --- |",
]
lines += [f"| {title} | {statistics.median(rps[m]):.0f} | {statistics.median(cpu[m]):.1f} µs |"
          f" {requests[m]} | {refused[m]} |" for m, title in modes.items()]
lines += ["", "Ratios are taken in each round, between runs seconds apart; the median over the rounds,",
          "the middle 95% of the medians of the rounds drawn again at random 2000 times (a",
          "bootstrap: how far the median moves with which rounds happened to run) and the range:", "",
          "| ratio | median | the median's 95% interval | rounds | wanted | |",
          "| --- | --- | --- | --- | --- | --- |",
          ratio("(b) / (a): the limiter and its fields", "memory", "none", 0.95),
          ratio("(b) / (c): against tower_governor", "memory", "governor", 1.0),
          ratio(f"(d) / (b), each with the better of {conns} and {more} connections: Redis against"
                " in-memory", best("redis", f"redis@{more}"), best("memory", f"memory@{more}"), 0.5),
          ratio(f"(d) / (b) with {conns} connections", "redis", "memory"),
          ratio(f"(d) / (b) with {more} connections", f"redis@{more}", f"memory@{more}"),
          ratio("(a') / (a): the fields' bytes alone", "fields", "none"),
          ratio("(b) / (a'): deciding alone", "memory", "fields"),
          ratio("(b) / (c'): against tower_governor with headers", "memory", "governor-headers"),
          # Concurrent decisions share one `evalsha` (a batch), so there are fewer than requests;
          # wrk counts answered requests, and the last in flight of each run reach Redis
          # unanswered, hence the 1% allowance.
          f"| Redis `evalsha` calls per request on Redis | {per_request:.3f} | | | <= 1 |"
          f" {'met' if per_request <= 1.01 else 'MISSED'} |",
          "", "Other Redis command counts in the rounds (`INFO commandstats` also counts the commands the",
          "script runs inside each `evalsha`; those are not round trips):",
          ", ".join(f"`{c.split(':')[0][8:]}` {c.split('calls=')[1].split(',')[0]}" for c in other.split()) + "."]
page = pathlib.Path("docs/limits.md")
text = page.read_text()
if "<!-- LOAD -->" not in text:
    sys.exit("docs/limits.md has no <!-- LOAD --> ... <!-- /LOAD --> markers")
text = re.sub(r"(<!-- LOAD -->\n).*?(<!-- /LOAD -->)",
              lambda m: m.group(1) + "\n".join(lines) + "\n" + m.group(2), text, flags=re.S)
page.write_text(text)
print("\n".join(lines))
PY
