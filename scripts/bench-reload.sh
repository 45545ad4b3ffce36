#!/usr/bin/env bash
# Reloads under full load: `naftiko run` (release build) serves the seed capability in front
# of the bench kit's token endpoint while wrk loads it, first for DURATION seconds without
# reloads, then for DURATION seconds while the file is rewritten and SIGHUP sent RELOADS
# times, cycling through a second valid set (its exposed block changed, the consumed API not),
# a set with an error (refused, the running set kept) and the first set again.
# Prints, for both phases: requests per second, failed requests (socket errors and non-2xx
# answers, which must be 0), p50/p99 latency; the p99 ratio during/without reloads; and the
# reload outcomes counted by naftiko's /metrics. Exit 1 when a request failed or a reload
# that should have succeeded did not.
# naftiko and the upstream share CPU0, wrk runs on CPU1 (as ../shared/bench does).
# Needs wrk, curl and the kit (`../shared/bench`; its upstream is built when missing).
# Usage: scripts/bench-reload.sh      DURATION=20 RELOADS=20 CONNECTIONS=32
#        NAFTIKO_BIN=path             measure that binary instead of target/release/naftiko
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-20}"
reloads="${RELOADS:-20}"
connections="${CONNECTIONS:-32}"
kit=../shared/bench
upstream_port=18081
port=18290
control=18291
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
[[ -x $kit/target/release/bench-upstream ]] || (cd "$kit" && cargo build --release --quiet -p bench-upstream)
bin="${NAFTIKO_BIN:-target/release/naftiko}"
[[ -n ${NAFTIKO_BIN:-} ]] || cargo build --release --quiet --bin naftiko

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

seed=capabilities/oauth2-tokens.yaml
cp "$seed" "$work/valid-a.yaml"
# The second valid set: the exposed block's description changed (the consumed API is not).
sed 's#REST adapter for Vectara OAuth.#REST adapter for Vectara OAuth, reloaded.#' "$seed" > "$work/valid-b.yaml"
sed 's#method: POST#method: FETCH#' "$seed" > "$work/invalid.yaml"
cmp -s "$seed" "$work/valid-b.yaml" && { echo "the second valid set is the same as the first" >&2; exit 2; }
cmp -s "$seed" "$work/invalid.yaml" && { echo "the invalid set is the same as the first" >&2; exit 2; }
mkdir "$work/served"
cp "$work/valid-a.yaml" "$work/served/capability.yaml"

taskset -c 0 "$kit/target/release/bench-upstream" "$upstream_port" >/dev/null 2>&1 &
pids+=($!)
taskset -c 0 "$bin" run "$work/served/capability.yaml" \
  --base-uri "oauth2-tokens=http://127.0.0.1:$upstream_port" \
  --listen "oauth2-tokens-rest=127.0.0.1:$port" --control "127.0.0.1:$control" \
  >"$work/naftiko.log" 2>&1 &
naftiko=$!
pids+=("$naftiko")
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$control/health/ready" && break
  sleep 0.1
done

load() {
  taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" -s "$kit/wrk/post_form.lua" \
    "http://127.0.0.1:$port/v1/oauth2/token" | grep BENCH_RESULT
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
failed() {
  local r=$1
  echo $(( $(field err_connect "$r") + $(field err_read "$r") + $(field err_write "$r") + $(field err_status "$r") + $(field err_timeout "$r") ))
}

taskset -c 1 wrk -t1 -c"$connections" -d3s -s "$kit/wrk/post_form.lua" "http://127.0.0.1:$port/v1/oauth2/token" >/dev/null
quiet=$(load)

storm() {
  local sets=(valid-b invalid valid-a)
  local gap
  gap=$(python3 -c "print(max(0.05, ($duration - 2) / $reloads))")
  sleep 1
  for i in $(seq 0 $((reloads - 1))); do
    cp "$work/${sets[$((i % 3))]}.yaml" "$work/served/capability.yaml"
    kill -HUP "$naftiko"
    sleep "$gap"
  done
}
storm &
storm_pid=$!
during=$(load)
wait "$storm_pid"
# The last reload: give it a moment to be counted.
sleep 1
metrics=$(curl -s "http://127.0.0.1:$control/metrics")
ok=$(sed -n 's/^naftiko_reloads_total{outcome="ok"} \([0-9]*\).*/\1/p' <<<"$metrics")
bad=$(sed -n 's/^naftiko_reloads_total{outcome="failed"} \([0-9]*\).*/\1/p' <<<"$metrics")
ok=${ok:-0}; bad=${bad:-0}
expected_bad=$(( (reloads + 1) / 3 ))
expected_ok=$(( reloads - expected_bad ))

report() {
  local name=$1 r=$2
  local req dur
  req=$(field requests "$r"); dur=$(field duration_us "$r")
  printf '%-16s %9.0f req/s  failed %d  p50 %6.2f ms  p99 %6.2f ms\n' "$name" \
    "$(python3 -c "print($req / ($dur / 1e6))")" "$(failed "$r")" \
    "$(python3 -c "print($(field p50_us "$r") / 1000)")" "$(python3 -c "print($(field p99_us "$r") / 1000)")"
}
echo "naftiko: $bin; $connections connections, ${duration}s per phase, $reloads reloads"
report "without reloads" "$quiet"
report "during reloads" "$during"
printf 'p99 during/without: %.2f; throughput during/without: %.2f\n' \
  "$(python3 -c "print($(field p99_us "$during") / $(field p99_us "$quiet"))")" \
  "$(python3 -c "print($(field requests "$during") / $(field requests "$quiet"))")"
echo "reloads: $ok ok (expected $expected_ok), $bad failed (expected $expected_bad, the invalid set)"
status=0
[[ $(failed "$quiet") -eq 0 && $(failed "$during") -eq 0 ]] || { echo "FAIL: failed requests" >&2; status=1; }
[[ $ok -eq $expected_ok && $bad -eq $expected_bad ]] || { echo "FAIL: reload outcomes" >&2; tail -20 "$work/naftiko.log" >&2; status=1; }
grep -q panicked "$work/naftiko.log" && { echo "FAIL: naftiko panicked" >&2; status=1; }
exit $status
