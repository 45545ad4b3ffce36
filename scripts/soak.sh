#!/usr/bin/env bash
# Bounded soak test of `naftiko run` on loopback: the seed capability in front of a token
# endpoint (scripts/soak-upstream.py) that answers a fixed cycle of 12 good and 9 faulty
# answers (5xx with HTML, invalid JSON, a non-integer output, closed, reset and truncated
# connections, bytes that are not HTTP, no answer at all), loaded by wrk with 64 connections.
#
# Prints the requests served, naftiko's answers by status class, its errors by kind and its
# upstream calls by status (from the control port's /metrics), what the upstream answered,
# and naftiko's RSS before and after the load. Fails (exit 1) when naftiko dies, panics,
# served nothing, or does not answer a good request after the load.
#
# Usage: scripts/soak.sh
#   DURATION=60      seconds of load
#   CONNECTIONS=64   wrk connections (THREADS=2 wrk threads)
#   NAFTIKO_BIN=...  use this binary instead of building target/release/naftiko
#   PROXY_AWARE=1    make naftiko use its proxy-aware client (HTTP_PROXY set to a dead
#                    loopback address, NO_PROXY=127.0.0.1) instead of the h1 one
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-60}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
upstream_timeout="250ms"

if ! command -v wrk >/dev/null; then
  echo "wrk is not installed; install it with: apt-get install wrk" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is required (apt-get install curl)" >&2; exit 2; }

bin="${NAFTIKO_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin naftiko
  bin=target/release/naftiko
fi

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until FILE has a line matching REGEX (10 s at most) or PID exits.
wait_for() {
  local file=$1 regex=$2 pid=$3
  for _ in $(seq 100); do
    grep -qE "$regex" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "process $pid exited; its output:" >&2; cat "$file" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for /$regex/ in $file" >&2
  return 1
}

rss() { awk -v k="$2:" '$1 == k {print $2 " " $3}' "/proc/$1/status"; }

# The upstream.
python3 scripts/soak-upstream.py >"$work/upstream.out" 2>"$work/upstream.err" &
up_pid=$!
pids+=("$up_pid")
wait_for "$work/upstream.out" '^[0-9]+$' "$up_pid"
up_port=$(head -n1 "$work/upstream.out")

# naftiko, with no proxy variables from the caller's environment (loopback only).
proxy_env=(-u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy -u ALL_PROXY -u all_proxy -u NO_PROXY -u no_proxy)
if [ "${PROXY_AWARE:-0}" = 1 ]; then
  dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  proxy_env+=(HTTP_PROXY="http://127.0.0.1:$dead_port" NO_PROXY=127.0.0.1,localhost)
fi
env "${proxy_env[@]}" NAFTIKO_LOG='info,naftiko::access=off,naftiko::error=off' NO_COLOR=1 \
  "$bin" run capabilities/oauth2-tokens.yaml \
  --base-uri "oauth2-tokens=http://127.0.0.1:$up_port" \
  --listen oauth2-tokens-rest=127.0.0.1:0 \
  --control 127.0.0.1:0 \
  --upstream-timeout "$upstream_timeout" \
  2>"$work/naftiko.log" &
naftiko_pid=$!
pids+=("$naftiko_pid")
wait_for "$work/naftiko.log" 'listening on http://[^ ]+ \(control\)' "$naftiko_pid"
wait_for "$work/naftiko.log" 'listening on http://[^ ]+ \(oauth2-tokens-rest\)' "$naftiko_pid"
rest=$(sed -nE 's/.*listening on (http:\/\/[^ ]+) \(oauth2-tokens-rest\).*/\1/p' "$work/naftiko.log" | head -n1)
control=$(sed -nE 's/.*listening on (http:\/\/[^ ]+) \(control\).*/\1/p' "$work/naftiko.log" | head -n1)
url="$rest/v1/oauth2/token"

probe() {
  curl -sS --max-time 10 -o "$work/probe.json" -w '%{http_code}' \
    -d grant_type=client_credentials -d client_id=probe -d client_secret=s "$url" || true
}

status=$(probe)
if [ "$status" != 200 ]; then
  echo "naftiko does not answer a good request before the load: $status $(cat "$work/probe.json" 2>/dev/null)" >&2
  exit 1
fi
rss_start=$(rss "$naftiko_pid" VmRSS)

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&client_id=soak&client_secret=s3cr3t"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

echo "soak: ${duration}s, $connections connections, $threads wrk threads, upstream timeout $upstream_timeout" \
  "($([ "${PROXY_AWARE:-0}" = 1 ] && echo proxy-aware || echo h1) client)"
echo "naftiko $url (pid $naftiko_pid), control $control, upstream http://127.0.0.1:$up_port"
echo
# In the background, so that INT/TERM reach the traps (and the cleanup) without waiting for it.
wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s -s "$work/post.lua" "$url" >"$work/wrk.out" 2>&1 &
wrk_pid=$!
pids+=("$wrk_pid")
wait "$wrk_pid" || { cat "$work/wrk.out"; echo "FAIL: wrk failed" >&2; exit 1; }
cat "$work/wrk.out"
echo

if ! kill -0 "$naftiko_pid" 2>/dev/null; then
  echo "FAIL: naftiko died during the load" >&2
  tail -n 50 "$work/naftiko.log" >&2
  exit 1
fi
status=$(probe)
rss_end=$(rss "$naftiko_pid" VmRSS)
rss_peak=$(rss "$naftiko_pid" VmHWM)
curl -sS --max-time 10 "$control/metrics" >"$work/metrics.txt"

python3 - "$work/metrics.txt" <<'PY'
import re, sys
from collections import Counter
line = re.compile(r'^(\w+)\{(.*)\}\s+([0-9.e+]+)$')
label = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
answers, errors, upstream = Counter(), Counter(), Counter()
for text in open(sys.argv[1]):
    m = line.match(text.strip())
    if not m:
        continue
    name, labels, value = m.group(1), dict(label.findall(m.group(2))), float(m.group(3))
    if name == "naftiko_requests_total" and labels.get("adapter") == "rest":
        answers[labels.get("status", "?")] += value
    elif name == "naftiko_request_errors_total":
        errors[labels.get("kind", "?")] += value
    elif name == "naftiko_upstream_requests_total":
        upstream[labels.get("status", "?")] += value
total = sum(answers.values())
print(f"naftiko answered {int(total)} REST requests (metrics, the two probes included)")
classes = Counter()
for status, n in answers.items():
    classes[status[:1] + "xx"] += n
print("  by status class: " + ", ".join(f"{c} {int(n)} ({100*n/max(total,1):.1f}%)" for c, n in sorted(classes.items())))
print("  by status:       " + ", ".join(f"{s} {int(n)}" for s, n in sorted(answers.items())))
print("  errors by kind:  " + (", ".join(f"{k} {int(n)}" for k, n in sorted(errors.items())) or "none"))
print("  upstream calls by status (0 = no answer): " + ", ".join(f"{s} {int(n)}" for s, n in sorted(upstream.items())))
PY

kill -TERM "$up_pid" 2>/dev/null || true
wait "$up_pid" 2>/dev/null || true
echo "upstream answered, by kind: $(tail -n1 "$work/upstream.out")"
echo "naftiko RSS: start $rss_start, end $rss_end (peak $rss_peak)"

failed=0
if [ "$status" != 200 ]; then
  echo "FAIL: after the load a good request got $status: $(cat "$work/probe.json" 2>/dev/null)" >&2
  failed=1
fi
if grep -q "panicked" "$work/naftiko.log"; then
  echo "FAIL: naftiko panicked:" >&2
  grep -A5 "panicked" "$work/naftiko.log" >&2
  failed=1
fi
if ! grep -qE '^ +[0-9]+ requests in' "$work/wrk.out" || grep -qE '^ +0 requests in' "$work/wrk.out"; then
  echo "FAIL: no request was served" >&2
  failed=1
fi
[ "$failed" = 0 ] && echo "OK: naftiko survived the soak and still answers good requests"
exit "$failed"
