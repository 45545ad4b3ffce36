#!/usr/bin/env bash
# Checks that link/symbol-order.txt still fits the release binary: counts how many of the
# names it lists the binary still has, and fails when fewer than 90 % are left.
#
# Why: build.rs hands the list to rust-lld with --no-warn-symbol-ordering, so names the code
# no longer has (a function renamed, moved, inlined away, a toolchain upgrade) are skipped in
# silence; the functions start-up and requests run then spread over .text again and idle
# RSS creeps back up (docs/performance.md, "Idle RSS"). .ci/run runs this after
# `cargo build --release`; when it fails, regenerate the list with scripts/symbol-order.sh
# (valgrind, about a minute) and commit link/symbol-order.txt.
#
# How: the list holds symbol names as the linker matches them (mangled, one a line; lld
# skips blank lines and lines starting with '#'), and the release binary keeps its symbol
# table (Cargo.toml's [profile.release] sets no `strip`; Cargo's default strips only debug
# info), so `nm --defined-only` lists the same names. Names are compared as whole lines
# (sort and comm, in the C locale), never as patterns: mangled names hold '$' and '.'.
#
# Usage: scripts/symbol-order-check.sh [BINARY]   (default target/release/naftiko, or
#        under $CARGO_TARGET_DIR; needs nm from binutils, or llvm-nm; well under a second)
#        SYMBOL_ORDER_MIN_PERCENT=N  overrides the threshold of 90
set -euo pipefail
export LC_ALL=C
here=$PWD
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
  case $1 in /*) bin=$1 ;; *) bin=$here/$1 ;; esac
else
  target=${CARGO_TARGET_DIR:-target}
  case $target in /*) ;; *) [ -n "${CARGO_TARGET_DIR:-}" ] && target=$here/$target ;; esac
  bin=$target/release/naftiko
fi
list=link/symbol-order.txt
min=${SYMBOL_ORDER_MIN_PERCENT:-90}
case $min in
  '' | *[!0-9]*) echo "error: SYMBOL_ORDER_MIN_PERCENT must be a whole number, not '$min'" >&2; exit 2 ;;
esac
[ -f "$bin" ] || { echo "error: no binary at $bin (cargo build --release first)" >&2; exit 2; }
[ -f "$list" ] || { echo "error: $list is missing (scripts/symbol-order.sh writes it)" >&2; exit 2; }
nm=${NM:-}
if [ -z "$nm" ]; then
  if command -v nm >/dev/null; then nm=nm
  elif command -v llvm-nm >/dev/null; then nm=llvm-nm
  else echo "error: nm (binutils) or llvm-nm is needed" >&2; exit 2
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The listed names as lld reads them: each line trimmed, blank lines and '#' lines skipped.
awk '{ sub(/^[ \t\r]+/, ""); sub(/[ \t\r]+$/, "") } $0 != "" && substr($0, 1, 1) != "#"' \
  "$list" | sort -u > "$work/listed"
# Defined symbols: "ADDRESS TYPE NAME"; names hold no spaces.
"$nm" --defined-only "$bin" | awk 'NF >= 3 { print $NF }' | sort -u > "$work/defined"
if [ ! -s "$work/defined" ]; then
  echo "error: $bin has no symbol table (stripped?); the check needs one" >&2
  exit 2
fi
listed=$(wc -l < "$work/listed")
[ "$listed" -gt 0 ] || { echo "error: $list lists no names" >&2; exit 2; }
comm -12 "$work/listed" "$work/defined" > "$work/present"
comm -23 "$work/listed" "$work/defined" > "$work/missing"
present=$(wc -l < "$work/present")
percent=$(awk -v p="$present" -v l="$listed" 'BEGIN { printf "%.1f", 100 * p / l }')
echo "symbol order: $present of $listed listed names present ($percent %)"
if [ $((present * 100)) -lt $((min * listed)) ]; then
  echo "error: fewer than $min % of the names in $list are still in $bin:" \
    "the list is stale and the release binary no longer packs the code start-up and" \
    "requests run (idle RSS grows). Regenerate it with scripts/symbol-order.sh and commit" \
    "$list. Some of the missing names:" >&2
  head -n 10 "$work/missing" | sed 's/^/  /' >&2
  exit 1
fi
