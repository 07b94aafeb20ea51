#!/usr/bin/env python3
"""Mutation testing of the Redis store's script (crates/attractos-limits/src/redis.lua), which
cargo-mutants cannot reach: each mutant below is one small edit of the script, and the limits
crate's suite (the property test against the in-memory store among it) runs against it. A
mutant the suite does not notice fails this script.

    python3 scripts/lua-mutants.py        # needs redis-server, as the suite does

Equivalent edits are not listed: a look at an address's failures with a window (a look passes
none), the remaining units capped at the burst, and the wait for the next unit stated on a full
burst (after a decision the stored time is never before now, so fewer than the burst are left);
and two that only cost time: each ARGV string converted anew, and a key parsed again before a
decision first writes it (its stored string is the same until then).
"""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "crates/attractos-limits/src/redis.lua"

# (what the edit breaks, the text, its replacement)
MUTANTS = [
    ("a key expires before its state stops mattering",
     "lifetime[key] = math.ceil(max(matters_us, 0) / 1000) + MARGIN_MS", "lifetime[key] = MARGIN_MS"),
    ("a rate's key expires before its burst refills",
     "store(rate, tat, nil, tat - now)", "store(rate, tat, nil, 0)"),
    ("a window counts at its end", "now < e) then", "now <= e) then"),
    ("a failure counts twice", "failures = failures + 1\n", "failures = failures + 2\n"),
    ("an address is blocked at its allowance", "if failures > auth_limit then",
     "if failures >= auth_limit then"),
    ("another cycle's count is kept", "if counted_start == cycle_start then used = max(counted, qfloor) end",
     "used = counted or qfloor"),
    ("a count under the floor is read as it is", "used = max(counted, qfloor) end", "used = counted end"),
    ("an event past the quota is accepted", "if used >= limit then", "if used > limit then"),
    ("an event is stored uncounted", "store(key, cycle_start, used,", "store(key, cycle_start, used - 1,"),
    ("a key's rate is forgotten", "local tat = single(rate) or now", "local tat = now"),
    ("a rate's time in the past is kept", "  if tat < now then tat = now end\n", ""),
    ("a request is admitted a moment late", "if now >= new_tat - burst * emission then",
     "if now > new_tat - burst * emission then"),
    ("a pair that is no state is read as none", "  if not (a and b) then unreadable(key) end\n", ""),
    ("a rate that is no number is read as none", "tonumber(value) or unreadable(key)", "tonumber(value)"),
    ("nothing is written back", "  redis.call('SET', key, value, 'PX', lifetime[key])\n", ""),
    ("a pair is written as its first number", "  if second[key] then\n", "  if false then\n"),
    ("the stored state is ignored", "stored[distinct[i]] = values[i]", "stored[distinct[i]] = false"),
    ("a decision's change is lost to the decisions after it and to the write",
     "  parsed[key], first[key], second[key] = true, a, b\n", ""),
    ("an answer's cycle is told in the wrong order", "{cycle_stop - now, cycle_stop - cycle_start, cycle_start}",
     "{cycle_stop - cycle_start, cycle_stop - now, cycle_start}"),
]


def main() -> int:
    original = SCRIPT.read_text()
    env = {**os.environ, "CARGO_TARGET_DIR": os.environ.get("MUTANTS_TARGET_DIR", str(ROOT / "target/mutants"))}
    missed = []
    try:
        for name, text, replacement in MUTANTS:
            if original.count(text) != 1:
                print(f"the script changed: update the mutant '{name}' in {__file__}", file=sys.stderr)
                return 1
            SCRIPT.write_text(original.replace(text, replacement))
            run = subprocess.run(["cargo", "test", "-q", "-p", "attractos-limits", "--test", "suite"],
                                 cwd=ROOT, env=env, capture_output=True, text=True)
            caught = "test result: FAILED" in run.stdout + run.stderr
            if not caught and run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                return 1
            print(("caught  " if caught else "MISSED  ") + name, flush=True)
            if not caught:
                missed.append(name)
    finally:
        SCRIPT.write_text(original)
    print(f"{len(MUTANTS) - len(missed)} of {len(MUTANTS)} caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
