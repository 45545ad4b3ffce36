#!/usr/bin/env bash
# The most that two cores can show on this machine for shape 6 of the suite (issue 16: "two
# cores give >= 1.8x one core's throughput"), measured rather than argued.
#
# Shape 6 runs the server, its upstream and the load generator (wrk) on the same two cores.
# This script runs the one-core setting of shapes 1 and 3 (the server pinned to CPU0, wrk and
# the upstream to CPU1), reads the whole machine's busy CPU time from /proc/stat (every
# process, the kernel, interrupts; not the hypervisor's steal), and each process's own from
# /proc/PID/stat, per request, read as the suite reads them (scripts/bench-shapes/cpu.sh).
# If every request costs T microseconds of CPU in all, two cores cannot do more than
# 2,000,000 / T requests a second, whoever serves them; divided by the one-core throughput,
# that is the largest "two cores / one core" ratio this machine can show. (Requests cost a
# little more when their parts run on different cores, so the real ceiling is lower.)
#
# Usage:  scripts/bench-two-core-bound.sh                 (SHAPE=token, naftiko)
#         SHAPE=items SERVER=nginx DURATION=8 ROUNDS=3 scripts/bench-two-core-bound.sh
# Settings: SHAPE=token|items  SERVER=naftiko|nginx  NAFTIKO (default target/release/naftiko)
#           DURATION=8 (s per round)  ROUNDS=3  CONNS=64  UPSTREAM_PORT=18081  PORT=18290
#           BENCH_KIT=../shared/bench (its bench-upstream is built into target/bench-shapes/kit
#           by scripts/bench-shapes.sh, or taken from the kit when it has one)
# Output: one line per round (the rest is wrk and kernel work charged to neither server nor
# upstream) and the medians. Everything started is stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SHAPE=${SHAPE:-token}
SERVER=${SERVER:-naftiko}
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
UPSTREAM_PORT=${UPSTREAM_PORT:-18081}
PORT=${PORT:-18290}
KIT=${BENCH_KIT:-$REPO/../shared/bench}
NAFTIKO=${NAFTIKO:-${CARGO_TARGET_DIR:-$REPO/target}/release/naftiko}
die() { echo "bench-two-core-bound.sh: $*" >&2; exit 1; }
case $SHAPE in token | items) ;; *) die "SHAPE must be token or items";; esac
case $SERVER in naftiko | nginx) ;; *) die "SERVER must be naftiko or nginx";; esac
[[ $(nproc) -ge 2 ]] || die "needs two CPUs"
for c in wrk taskset curl; do command -v "$c" >/dev/null || die "$c missing"; done
upstream_bin=""
for c in "$KIT/target/release/bench-upstream" "${CARGO_TARGET_DIR:-$REPO/target}/bench-shapes/kit/target/release/bench-upstream"; do
  if [[ -x $c ]]; then upstream_bin=$c; break; fi
done
[[ -n $upstream_bin ]] || die "no bench-upstream: run scripts/bench-shapes.sh once (it builds the kit), or build $KIT"
[[ $SERVER == nginx || -x $NAFTIKO ]] || die "no naftiko at $NAFTIKO (cargo build --release, or set NAFTIKO)"

work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

key=bench-api-key-2f6c1e9a
if [[ $SHAPE == items ]]; then
  taskset -c 1 "$upstream_bin" "$UPSTREAM_PORT" --api-key "$key" >"$work/upstream.log" 2>&1 &
else
  taskset -c 1 "$upstream_bin" "$UPSTREAM_PORT" >"$work/upstream.log" 2>&1 &
fi
upstream=$!
pids+=("$upstream")
if [[ $SERVER == nginx ]]; then
  mkdir -p "$work/nginx/tmp"
  template=$KIT/nginx/nginx.conf.template
  [[ $SHAPE == items ]] && template=$KIT/nginx/nginx-items.conf.template
  sed -e "s#@UPSTREAM_PORT@#$UPSTREAM_PORT#g" -e "s#@NGINX_PORT@#$PORT#g" -e "s#@API_KEY@#$key#g" \
    -e "s#@WORKERS@#1#g" -e "s#@RUNDIR@#$work#g" "$template" >"$work/nginx.conf"
  taskset -c 0 nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' >"$work/server.log" 2>&1 &
else
  if [[ $SHAPE == items ]]; then
    BENCH_API_KEY=$key taskset -c 0 "$NAFTIKO" run "$KIT/capabilities/items.yaml" \
      --base-uri "items=http://127.0.0.1:$UPSTREAM_PORT" --listen "items-rest=127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
  else
    taskset -c 0 "$NAFTIKO" run capabilities/oauth2-tokens.yaml \
      --base-uri "oauth2-tokens=http://127.0.0.1:$UPSTREAM_PORT" --listen "oauth2-tokens-rest=127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
  fi
fi
server=$!
pids+=("$server")

if [[ $SHAPE == items ]]; then
  url=http://127.0.0.1:$PORT/v1/items/ script=$KIT/wrk/get_items.lua probe=(-o /dev/null)
else
  url=http://127.0.0.1:$PORT/v1/oauth2/token script=$KIT/wrk/post_form.lua
  probe=(-o /dev/null -X POST -H 'Content-Type: application/x-www-form-urlencoded' -d 'grant_type=client_credentials&client_id=demo&client_secret=s3cret')
fi
ok=""
for _ in $(seq 50); do
  probe_url=$url
  [[ $SHAPE == items ]] && probe_url=${url}abc123?q=x
  code=$(curl -s -w '%{http_code}' "${probe[@]}" "$probe_url" 2>/dev/null || true)
  if [[ $code == 200 ]]; then ok=1; break; fi
  sleep 0.2
done
[[ -n $ok ]] || die "the $SERVER server did not answer 200 (logs: $work)"

# the machine's busy ticks, and a process's (scripts/bench-shapes/cpu.sh: the suite's rules)
# shellcheck source=bench-shapes/cpu.sh
. scripts/bench-shapes/cpu.sh
machine_busy() { read -r busy _ <<<"$(machine_ticks)"; echo "$busy"; }
# the server and, for nginx, the workers below its master
server_pids() { echo "$server" $(cat /proc/"$server"/task/*/children 2>/dev/null || true); }
hz=$(getconf CLK_TCK)

taskset -c 1 wrk -t1 -c"$CONNS" -d2s -s "$script" "$url" >/dev/null 2>&1 || true
printf '%-5s %-8s %10s %10s %10s %10s %10s %10s %8s\n' round server "req/s" "total µs" "server µs" "upstr. µs" "rest µs" "2-core max" "× 1 core"
results=()
for r in $(seq "$ROUNDS"); do
  m0=$(machine_busy); s0=$(pid_ticks $(server_pids)); u0=$(pid_ticks "$upstream")
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION"s -s "$script" "$url" 2>&1 || true)
  m1=$(machine_busy); s1=$(pid_ticks $(server_pids)); u1=$(pid_ticks "$upstream")
  n=$(sed -n 's/.*BENCH_RESULT requests=\([0-9]*\).*/\1/p' <<<"$out")
  [[ -n $n && $n -gt 0 ]] || die "wrk gave no result: $out"
  # The rest: what the machine spent beyond the server and the upstream, mostly wrk's (and
  # the kernel's work charged to no process of theirs).
  line=$(python3 - "$n" "$DURATION" "$hz" "$m0" "$m1" "$s0" "$s1" "$u0" "$u1" <<'PY'
import sys
n, dur, hz, m0, m1, s0, s1, u0, u1 = (float(x) for x in sys.argv[1:])
us = 1e6 / hz
total, server, upstream = (m1 - m0) * us / n, (s1 - s0) * us / n, (u1 - u0) * us / n
rate = n / dur
bound = 2e6 / total
print(f"{rate:.0f} {total:.2f} {server:.2f} {upstream:.2f} {total - server - upstream:.2f} {bound:.0f} {bound / rate:.2f}")
PY
)
  read -r rate total sv up rest bound ratio <<<"$line"
  printf '%-5s %-8s %10s %10s %10s %10s %10s %10s %8s\n' "$r" "$SERVER" "$rate" "$total" "$sv" "$up" "$rest" "$bound" "$ratio"
  results+=("$line")
done
printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
med = [statistics.median(c) for c in zip(*rows)]
print(f"median {sys.argv[1]:<8} {med[0]:>10.0f} {med[1]:>10.2f} {med[2]:>10.2f} {med[3]:>10.2f} {med[4]:>10.2f} {med[5]:>10.0f} {med[6]:>8.2f}")
print(f"two cores can give at most {med[6]:.2f}x this one-core throughput here (target 1.8x): "
      f"each request costs {med[1]:.1f} us of CPU in all, {med[2]:.1f} of them in the server")
' "$SERVER"
