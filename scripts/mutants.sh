#!/usr/bin/env bash
# Mutation testing of the code that decides: cargo-mutants changes the logic one small edit
# at a time (an operator flipped, a body replaced by a default, a match arm deleted) and runs
# the package's own tests against each change. A change no test notices ("missed") means the
# tests would not notice that bug either, so any missed mutant fails this script.
#
#   scripts/mutants.sh                      # every package below that exists
#   scripts/mutants.sh attractos-errors     # the named packages only
#
# Too slow for every CI run (the core alone is ~290 mutants, most of an hour on 2 shared
# cores); docs/reliability.md records the last run's figures. Equivalent mutants (no program
# can tell them apart) are excluded in .cargo/mutants.toml, each with its reason.
# Results: mutants.out/<package>/mutants.out/{caught,missed,unviable,timeout}.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

# What is mutated: "package" for all of a package's source, or "package:file file ..." for
# its framework-free decision modules only (the rest talks to a network or Redis, and is
# tested by the behaviour suites rather than mutated here). A package whose directory does not
# exist yet is skipped.
TARGETS=(
  "attractos-errors"
  "attractos-limits:src/algorithm.rs src/policy.rs src/fields.rs src/client.rs"
  "attractos-errors-client:src/decision.rs src/budget.rs"
)

# Parallel builds; 1 keeps a shared machine usable. CARGO_MUTANTS_JOBS=2 for more.
JOBS="${CARGO_MUTANTS_JOBS:-1}"

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "installing cargo-mutants" >&2
  cargo install cargo-mutants --locked
fi

# Build in this tree's target directory, so each run reuses the compiled dependencies instead
# of building them again in cargo-mutants' scratch copy of the source.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

wanted=("$@")
failed=()
for target in "${TARGETS[@]}"; do
  package="${target%%:*}"
  files=""
  [[ "$target" == *:* ]] && files="${target#*:}"
  if ((${#wanted[@]})) && [[ " ${wanted[*]} " != *" $package "* ]]; then
    continue
  fi
  dir="crates/$package"
  if [[ ! -d "$dir" ]]; then
    echo "== $package: not in this tree, skipped"
    continue
  fi
  args=(-p "$package" --jobs "$JOBS" --output "mutants.out/$package")
  for file in $files; do
    if [[ ! -f "$dir/$file" ]]; then
      echo "== $package: $dir/$file is gone; update TARGETS in $0" >&2
      exit 1
    fi
    args+=(--file "$dir/$file")
  done
  echo "== $package${files:+ ($files)}"
  # Exit status 2 is "some mutants were missed", 3 "some timed out": both fail the run.
  if ! cargo mutants "${args[@]}"; then
    failed+=("$package")
  fi
done

if ((${#failed[@]})); then
  echo "surviving or timed-out mutants in: ${failed[*]} (see mutants.out/<package>/mutants.out/)" >&2
  exit 1
fi
echo "no surviving mutant"
