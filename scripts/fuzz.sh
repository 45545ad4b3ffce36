#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 20) and fails on any crash.
#
#   scripts/fuzz.sh            # 20 s per target (a smoke run)
#   scripts/fuzz.sh 3600       # an hour per target
#   FUZZ_TARGETS="template jsonpath" scripts/fuzz.sh 600
#   FUZZ_SANITIZER=none scripts/fuzz.sh    # no AddressSanitizer: ~30% less build CPU
#
# cargo-fuzz needs nightly-only rustc flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them. cargo-fuzz itself is installed from crates.io when missing. Each target's
# corpus grows in fuzz/corpus/<target>/ (only the seed-* files are versioned); a crashing
# input is written to fuzz/artifacts/<target>/ and its path printed. Logs go to
# fuzz/target/fuzz-logs/<target>.log. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-20}"
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
  echo "usage: $0 [SECONDS per target, default 20]" >&2
  exit 2
fi
targets="${FUZZ_TARGETS:-yaml_loader template jsonpath inbound_body http1_head http1_answer_head chunked_body format_xml format_yaml format_delimited format_html format_markdown format_avro format_protobuf}"
sanitizer="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked
fi

# Build every target once (one cargo invocation shares the dependency builds), so the
# per-target time below is spent fuzzing.
echo "== building fuzz targets"
build_start=$(date +%s)
(cd fuzz && cargo fuzz build --sanitizer "$sanitizer")
echo "built in $(($(date +%s) - build_start)) s"

log_dir=fuzz/target/fuzz-logs
mkdir -p "$log_dir"
failed=()
summary=()
for target in $targets; do
  echo "== fuzzing $target for ${secs} s"
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  before=$(ls -1 "fuzz/artifacts/$target")
  log="$log_dir/$target.log"
  status=0
  (cd fuzz && cargo fuzz run --sanitizer "$sanitizer" "$target" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1) \
    >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  corpus=$(grep -Eo 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1 || true)
  line="$target: ${runs:-?} execs, ${rate:-?} execs/s, ${corpus:-corp: ?}"
  if [ "$status" -ne 0 ]; then
    new=$(comm -13 <(echo "$before") <(ls -1 "fuzz/artifacts/$target") || true)
    echo "!! $target failed (exit $status); from $log:" >&2
    # The panic (or sanitizer/libFuzzer error) and the input that caused it.
    first=$(grep -n -m 1 -E "panicked at|ERROR: (AddressSanitizer|libFuzzer)|^==[0-9]+==" \
      "$log" | cut -d: -f1 || true)
    if [ -n "$first" ]; then
      sed -n "${first},$((first + 12))p" "$log" >&2
      grep -A 4 -E "^Output of .std::fmt::Debug.:" "$log" >&2 || true
    else
      tail -n 40 "$log" >&2
    fi
    # libFuzzer names the input it saved; fall back to what appeared in the artifacts dir.
    written=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
    if [ -n "$written" ]; then
      while read -r artifact; do
        echo "!! crashing input: $artifact" >&2
      done <<<"$written"
    elif [ -n "$new" ]; then
      while read -r artifact; do
        echo "!! crashing input: fuzz/artifacts/$target/$artifact" >&2
      done <<<"$new"
    fi
    failed+=("$target")
    line="$line  FAILED (exit $status)"
  fi
  echo "$line"
  summary+=("$line")
done

echo "== fuzz summary (${secs} s per target)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]} (inputs under fuzz/artifacts/; reproduce with" \
    "RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <input> from fuzz/)" >&2
  exit 1
fi
