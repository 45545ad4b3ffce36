#!/usr/bin/env bash
# The profile of the profile-guided (PGO) release build that ships: builds the static
# binary instrumented (scripts/build-static.sh with -Cprofile-generate, under
# $CARGO_TARGET_DIR/pgo-gen), trains it on the benchmark shapes (scripts/pgo-train.sh) and
# merges what it wrote with llvm-profdata into one profile. Prints the profile's absolute path
# on the last line; then
#   NAFTIKO_PGO_PROFILE=PATH scripts/build-static.sh
# builds the binary that uses it (.ci/run does both). docs/performance.md, "Profile-guided
# build", says what it gives and why.
#
# Needs llvm-profdata of the LLVM that rustc uses (`rustc -vV`: LLVM version; Debian's
# llvm-NN package; LLVM_PROFDATA names another), and what scripts/pgo-train.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."
llvm_major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
profdata=${LLVM_PROFDATA:-}
if [[ -z $profdata ]]; then
  for candidate in "llvm-profdata-$llvm_major" llvm-profdata; do
    if command -v "$candidate" >/dev/null \
      && "$candidate" --version 2>/dev/null | grep -q "LLVM version $llvm_major\."; then
      profdata=$candidate
      break
    fi
  done
fi
[[ -n $profdata ]] || { echo "build-pgo.sh: no llvm-profdata of LLVM $llvm_major (apt install llvm-$llvm_major)" >&2; exit 1; }
dir=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
profiles=$dir/pgo-profiles
rm -rf "$profiles"
mkdir -p "$profiles"
echo "build-pgo.sh: instrumented build (scripts/build-static.sh with -Cprofile-generate)" >&2
# The same build as the one that uses the profile (target, flags, symbol order) but for the
# instrumentation, so that every function's name and shape match between the two.
instrumented=$(CARGO_TARGET_DIR=$dir/pgo-gen RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$profiles" \
  scripts/build-static.sh | tail -1)
echo "build-pgo.sh: training" >&2
LLVM_PROFILE_FILE="$profiles/naftiko-%p-%m.profraw" scripts/pgo-train.sh "$instrumented"
count=$(find "$profiles" -name '*.profraw' -size +0 | wc -l)
[[ $count -gt 0 ]] || { echo "build-pgo.sh: the training wrote no profile" >&2; exit 1; }
"$profdata" merge -o "$dir/pgo.profdata" "$profiles"
echo "build-pgo.sh: $count profiles merged into $dir/pgo.profdata" >&2
echo "$dir/pgo.profdata"
