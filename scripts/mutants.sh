#!/usr/bin/env bash
# Mutation testing of the code that decides: cargo-mutants changes the logic one small edit
# at a time (an operator flipped, a body replaced by a default, a match arm deleted) and runs
# the package's own tests against each change. A change no test notices ("missed") means the
# tests would not notice that bug either, so any missed mutant fails this script.
#
#   scripts/mutants.sh                      # every package below that exists
#   scripts/mutants.sh attractos-errors     # the named packages only
#
# Too slow for every CI run (the core alone is 300 mutants, over an hour on the shared 2-core
# machine); docs/reliability.md records the last run's figures. Equivalent mutants (no program
# can tell them apart) are excluded in .cargo/mutants.toml, each with its reason.
# Results: mutants.out/<package>/mutants.out/{caught,missed,unviable,timeout}.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

# What is mutated: "package" for all of a package's source, or "package:file file ..." for
# the files listed: the limits crate without its test support (`testing.rs`: the suite and the
# redis-server it starts), the client without its reqwest middleware (its HTTP tests are the
# behaviour suites'). A package whose directory does not exist yet is skipped.
TARGETS=(
  "attractos-errors"
  "attractos-limits:src/algorithm.rs src/client.rs src/context.rs src/fields.rs src/keys.rs src/lib.rs src/limiter.rs src/memory.rs src/policy.rs src/redis_memory.rs src/redis_batch.rs src/redis_sentinel.rs src/redis_server.rs src/redis_store.rs src/redis_tls.rs src/store.rs"
  "attractos-errors-client:src/budget.rs src/decision.rs src/error.rs src/pacing.rs src/retrier.rs"
)

# Extra cargo-mutants options of a package.
declare -A OPTIONS=(
  # The reqwest middleware is not mutated; without the feature each mutant skips building and
  # running the HTTP tests against the reference server.
  [attractos-errors-client]="--no-default-features"
)

# A program a package's tests start for real (they never skip): its Redis store's suite.
declare -A NEEDS=(
  [attractos-limits]="redis-server"
)

# Parallel builds; 1 keeps a shared machine usable. CARGO_MUTANTS_JOBS=2 for more.
JOBS="${CARGO_MUTANTS_JOBS:-1}"

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "installing cargo-mutants" >&2
  cargo install cargo-mutants --locked
fi

# A target directory of its own, kept between runs: each run reuses the compiled dependencies
# instead of building them again in cargo-mutants' scratch copy of the source. Not the tree's own
# target/: cargo names a workspace crate's artifacts by its path inside the workspace, so a
# mutant built in the copy would replace the tree's build of the same crate (and `cargo test`
# would then run the mutant, from a copy that is gone).
export CARGO_TARGET_DIR="${MUTANTS_TARGET_DIR:-$PWD/target/mutants}"

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
  needs="${NEEDS[$package]:-}"
  if [[ -n "$needs" ]] && ! command -v "$needs" >/dev/null 2>&1; then
    echo "== $package: its tests need $needs; scripts/test.sh installs it" >&2
    exit 1
  fi
  # shellcheck disable=SC2206 # options are words
  args=(-p "$package" --jobs "$JOBS" --output "mutants.out/$package" ${OPTIONS[$package]:-})
  for file in $files; do
    if [[ ! -f "$dir/$file" ]]; then
      echo "== $package: $dir/$file is gone; update TARGETS in $0" >&2
      exit 1
    fi
    args+=(--file "$dir/$file")
  done
  echo "== $package${files:+ ($files)}"
  mkdir -p "mutants.out/$package"
  status=0
  cargo mutants "${args[@]}" || status=$?
  # 2 means missed mutants, 3 timed-out ones (and wins over 2), so the lists are read too.
  out="mutants.out/$package/mutants.out"
  missed=$(cat "$out/missed.txt" 2>/dev/null | wc -l)
  timeouts=$(cat "$out/timeout.txt" 2>/dev/null | wc -l)
  if [[ "$status" != [023] ]]; then
    failed+=("$package: cargo-mutants failed with exit status $status (4: the tests fail unmutated)")
  fi
  ((missed == 0)) || failed+=("$package: $missed missed, listed in $out/missed.txt")
  ((timeouts == 0)) || failed+=("$package: $timeouts timed out, listed in $out/timeout.txt")
done

if ((${#failed[@]})); then
  printf '%s\n' "${failed[@]}" >&2
  exit 1
fi
echo "no surviving mutant"
