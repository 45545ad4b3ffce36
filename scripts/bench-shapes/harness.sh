#!/usr/bin/env bash
# The shape suite's own harness, for the shapes the measurement kit (../shared/bench/run.sh)
# does not have. scripts/bench-shapes.sh calls it; it can also be run alone.
#
#   SUITE_SHAPE=orders   shape 4: POST /v1/orders with a JSON body -> upstream POST /orders
#                        with a JSON body rendered from a `body:` template
#                        (capabilities/orders.yaml), four fields mapped back. Targets:
#                          direct   wrk -> bench-shapes-upstream /orders (flat body)
#                          nginx    wrk -> nginx (nginx/nginx-orders.conf.template: proxy_pass,
#                                   upstream keep-alive; the body passed through) -> upstream
#                          naftiko  wrk -> naftiko (orders.yaml) -> upstream
#   SUITE_SHAPE=mcp      shape 5: the kit's items operation (GET /items/{id}?q=… with
#                        X-Api-Key, nested answer mapped) as an MCP tool. Targets:
#                          direct        wrk -> the kit's bench-upstream /items/ (with the key)
#                          nginx         the kit's nginx-items.conf.template (pass-through)
#                          rest          naftiko, the kit's capabilities/items.yaml (= shape 3)
#                          mcp-2025      naftiko, capabilities/items-mcp.yaml: tools/call in a
#                                        session (initialize first; Mcp-Session-Id,
#                                        MCP-Protocol-Version: 2025-06-18)
#                          mcp-2026      the same file, another process: revision 2026-07-28,
#                                        stateless (no initialize; _meta, Mcp-Method, Mcp-Name)
#                          fastmcp-2025  FastMCP.from_openapi on the same upstream
#                                        (mcp/fastmcp_items.py; its tool is get_item, FastMCP
#                                        allows no '-'), a session as above
#                          fastmcp-2026  the same, stateless_http, revision 2026-07-28
#                        Every target has its own process, so CPU and RSS are its own.
#
# Method: that of the kit's run.sh, whose header documents it (this script keeps its
# settings and output files): loopback only; servers pinned to the first half of the CPUs and
# wrk to the other half (PIN=split; PIN=none floats everything); each target checked for the
# right answer first (a wrong answer aborts the run: nothing is measured), warmed up, loaded
# by wrk for DURATION seconds with CONNS connections, then measured with 1 connection for
# LAT_DURATION seconds; the servers' CPU (utime+stime from /proc/PID/stat over the process
# tree) over the measured window divided by the requests; target order rotates per round.
# Output in OUT_DIR: results.tsv (the kit's columns + post_check), peak_rss.tsv (VmHWM, the
# kit's), idle_rss.tsv (VmRSS after start-up, before the first request), meta.txt,
# checks.txt, logs. Every server is started under setsid and stopped by its PID / process
# group at exit (also on Ctrl-C and errors); never by name.
#
# Settings (environment):
#   SUITE_SHAPE=orders|mcp   (required)
#   NAFTIKO                  naftiko binary (required)
#   KIT_DIR                  a built copy of the kit (target/release/bench-upstream; mcp)
#   SHAPES_UPSTREAM_BIN      bench-shapes-upstream (orders)
#   PY                       python with fastmcp 4 (mcp; default .ci/mcp-tools/venv/bin/python)
#   OUT_DIR                  (required)
#   TARGETS                  a subset of the shape's targets, in this order
#   DURATION=10 CONNS=64 THREADS= WARMUP=2 LAT_DURATION=5 ROUNDS=1 PIN=split NICE=0
#   QUIET_WAIT=120 QUIET_MAX_BUSY=15 NGINX_WORKERS=(server CPUs)   as in the kit's run.sh
#   WRK_TIMEOUT=2s           wrk's --timeout (its default; a request slower than this is an
#                            error, err_timeout; FastMCP at 64 connections comes near it)
#   BENCH_API_KEY=bench-api-key-2f6c1e9a   (mcp) the upstream's key, as the kit's
#   MCP_2025_VERSION=2025-06-18            (mcp) MCP-Protocol-Version of the 2025 sessions
#   SUITE_UPSTREAM_PORT=18181 SUITE_NGINX_PORT=18182 SUITE_PORT_BASE=18190
#                            (targets: base+0 naftiko/rest, +1 mcp-2025, +2 mcp-2026,
#                             +3 fastmcp-2025, +4 fastmcp-2026)

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cpu.sh
. "$HERE/cpu.sh"
REPO=$(cd "$HERE/../.." && pwd)

die() { echo "harness.sh: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

SUITE_SHAPE=${SUITE_SHAPE:-}
case $SUITE_SHAPE in orders|mcp) ;; *) die "SUITE_SHAPE must be orders or mcp";; esac
NAFTIKO=${NAFTIKO:-}
[[ -n $NAFTIKO && -x $NAFTIKO ]] || die "NAFTIKO must name the naftiko binary"
OUT_DIR=${OUT_DIR:-}
[[ -n $OUT_DIR ]] || die "OUT_DIR is required"
KIT_DIR=${KIT_DIR:-}
SHAPES_UPSTREAM_BIN=${SHAPES_UPSTREAM_BIN:-}
PY=${PY:-$REPO/.ci/mcp-tools/venv/bin/python}

DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
WARMUP=${WARMUP:-2}
LAT_DURATION=${LAT_DURATION:-5}
ROUNDS=${ROUNDS:-1}
PIN=${PIN:-split}
NICE=${NICE:-0}
QUIET_WAIT=${QUIET_WAIT:-120}
QUIET_MAX_BUSY=${QUIET_MAX_BUSY:-15}
UPSTREAM_PORT=${SUITE_UPSTREAM_PORT:-18181}
NGINX_PORT=${SUITE_NGINX_PORT:-18182}
PORT_BASE=${SUITE_PORT_BASE:-18190}
MCP_2025_VERSION=${MCP_2025_VERSION:-2025-06-18}
WRK_TIMEOUT=${WRK_TIMEOUT:-2s}
[[ $WRK_TIMEOUT =~ ^[0-9]+(ms|s|m)?$ ]] || die "WRK_TIMEOUT: a wrk duration, e.g. 2s"
export BENCH_API_KEY=${BENCH_API_KEY:-bench-api-key-2f6c1e9a}
[[ $BENCH_API_KEY =~ ^[A-Za-z0-9._~=-]+$ ]] || die "BENCH_API_KEY: letters, digits, . _ ~ = - only"

[[ $ROUNDS =~ ^[0-9]+$ ]] && ((ROUNDS >= 1 && ROUNDS <= 20)) || die "ROUNDS must be 1..20"
[[ $DURATION =~ ^[0-9]+$ ]] && ((DURATION >= 1 && DURATION <= 300)) || die "DURATION must be 1..300"
[[ $WARMUP =~ ^[0-9]+$ && $LAT_DURATION =~ ^[0-9]+$ && $CONNS =~ ^[0-9]+$ ]] || die "WARMUP/LAT_DURATION/CONNS must be integers"
[[ $NICE =~ ^-?[0-9]+$ ]] && ((NICE >= -20 && NICE <= 19)) || die "NICE must be -20..19"
[[ $QUIET_WAIT =~ ^[0-9]+$ && $QUIET_MAX_BUSY =~ ^[0-9]+$ ]] && ((QUIET_WAIT <= 3600)) || die "QUIET_WAIT (0..3600) / QUIET_MAX_BUSY must be integers"

if [[ $SUITE_SHAPE == orders ]]; then
  ALL_TARGETS="direct nginx naftiko"
else
  ALL_TARGETS="direct nginx rest mcp-2025 mcp-2026 fastmcp-2025 fastmcp-2026"
fi
TARGETS=${TARGETS:-$ALL_TARGETS}
for t in $TARGETS; do
  [[ " $ALL_TARGETS " == *" $t "* ]] || die "SUITE_SHAPE=$SUITE_SHAPE has no target $t (it has: $ALL_TARGETS)"
done
has() { [[ " $TARGETS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- CPUs / pinning (the kit's)
NCPU=$(nproc)
if [[ $PIN == split && $NCPU -ge 2 ]]; then
  half=$((NCPU / 2))
  SERVER_CPUS="0-$((half - 1))"; LOADGEN_CPUS="$half-$((NCPU - 1))"
  N_SERVER_CPUS=$half; N_LOADGEN_CPUS=$((NCPU - half))
elif [[ $PIN == none || $PIN == split ]]; then
  PIN=none; SERVER_CPUS=""; LOADGEN_CPUS=""; N_SERVER_CPUS=$NCPU; N_LOADGEN_CPUS=$NCPU
else
  die "PIN must be split or none"
fi
THREADS=${THREADS:-$N_LOADGEN_CPUS}
NGINX_WORKERS=${NGINX_WORKERS:-$N_SERVER_CPUS}
SRV_PREFIX=()
if ((NICE != 0)); then SRV_PREFIX=(nice -n "$NICE"); fi
if [[ -n $SERVER_CPUS ]]; then SRV_PREFIX+=(taskset -c "$SERVER_CPUS"); fi

# ---------------------------------------------------------------- tools and inputs
for c in curl python3 wrk ss setsid taskset; do command -v "$c" >/dev/null || die "$c missing"; done
if has nginx; then
  NGINX_BIN=$(command -v nginx || true)
  [[ -n $NGINX_BIN ]] || NGINX_BIN=/usr/sbin/nginx
  [[ -x $NGINX_BIN ]] || die "nginx missing: apt-get install -y nginx"
fi
if [[ $SUITE_SHAPE == orders ]]; then
  [[ -n $SHAPES_UPSTREAM_BIN && -x $SHAPES_UPSTREAM_BIN ]] || die "SHAPES_UPSTREAM_BIN must name bench-shapes-upstream"
  UPSTREAM_CMD=("$SHAPES_UPSTREAM_BIN" "$UPSTREAM_PORT")
else
  [[ -n $KIT_DIR && -x $KIT_DIR/target/release/bench-upstream ]] || die "KIT_DIR must be a built copy of the kit (target/release/bench-upstream)"
  UPSTREAM_CMD=("$KIT_DIR/target/release/bench-upstream" "$UPSTREAM_PORT" --api-key "$BENCH_API_KEY")
  if has fastmcp-2025 || has fastmcp-2026; then
    [[ -x $PY ]] || die "PY ($PY) missing: .ci/mcp-tools/install.sh makes the venv with fastmcp"
    "$PY" -c 'import fastmcp, httpx2' 2>/dev/null || die "$PY cannot import fastmcp and httpx2"
  fi
fi

declare -A PORT=() URL=() HOP=() SCRIPT=() CHECK=() ERA=() TOOL=()
UP_URL="http://127.0.0.1:$UPSTREAM_PORT"
if [[ $SUITE_SHAPE == orders ]]; then
  PORT[naftiko]=$PORT_BASE
  URL[direct]="$UP_URL/orders"; CHECK[direct]=orders-flat
  URL[nginx]="http://127.0.0.1:$NGINX_PORT/v1/orders"; CHECK[nginx]=orders-flat
  URL[naftiko]="http://127.0.0.1:${PORT[naftiko]}/v1/orders"; CHECK[naftiko]=orders-mapped
  for t in direct nginx naftiko; do SCRIPT[$t]=$HERE/wrk/post_json.lua; done
else
  PORT[rest]=$PORT_BASE; PORT[mcp-2025]=$((PORT_BASE + 1)); PORT[mcp-2026]=$((PORT_BASE + 2))
  PORT[fastmcp-2025]=$((PORT_BASE + 3)); PORT[fastmcp-2026]=$((PORT_BASE + 4))
  # the kit's get_items.lua appends "<id>?q=<q>" to these prefixes
  URL[direct]="$UP_URL/items/"; CHECK[direct]=items-doc
  URL[nginx]="http://127.0.0.1:$NGINX_PORT/v1/items/"; CHECK[nginx]=items-doc
  URL[rest]="http://127.0.0.1:${PORT[rest]}/v1/items/"; CHECK[rest]=items-mapped
  for t in direct nginx rest; do SCRIPT[$t]=$KIT_DIR/wrk/get_items.lua; done
  for t in mcp-2025 mcp-2026 fastmcp-2025 fastmcp-2026; do
    URL[$t]="http://127.0.0.1:${PORT[$t]}/mcp"; SCRIPT[$t]=$HERE/wrk/mcp_call.lua; ERA[$t]=${t##*-}
  done
  # FastMCP names the tool from the operationId with [A-Za-z0-9_] only
  TOOL[mcp-2025]=get-item; TOOL[mcp-2026]=get-item; TOOL[fastmcp-2025]=get_item; TOOL[fastmcp-2026]=get_item
  CHECK[mcp-2025]=mcp-naftiko; CHECK[mcp-2026]=mcp-naftiko-2026
  CHECK[fastmcp-2025]=mcp-fastmcp; CHECK[fastmcp-2026]=mcp-fastmcp-2026
fi
for t in $TARGETS; do if [[ $t == direct ]]; then HOP[$t]=upstream; else HOP[$t]=$t; fi; done

for p in "$UPSTREAM_PORT" "$NGINX_PORT" "${PORT[@]}"; do
  if [[ -n $(ss -ltnH "sport = :$p" 2>/dev/null) ]]; then die "port $p already in use"; fi
done

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
RESULTS=$OUT_DIR/results.tsv
META=$OUT_DIR/meta.txt
CHECKS=$OUT_DIR/checks.txt
: >"$CHECKS"

# ---------------------------------------------------------------- process control (the kit's)
declare -A SRV_PID=()
SRV_ORDER=()

stop_all() {
  local name pid i
  for name in "${SRV_ORDER[@]}"; do
    pid=${SRV_PID[$name]}
    kill -0 "$pid" 2>/dev/null || continue
    kill_server TERM "$pid"
  done
  for name in "${SRV_ORDER[@]}"; do
    pid=${SRV_PID[$name]}
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) did not stop on TERM; sending KILL"
      kill_server KILL "$pid"
    fi
    wait "$pid" 2>/dev/null || true
  done
  SRV_ORDER=()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# start_server NAME CMD... : pinned to the server CPUs, own session/process group (pgid == pid).
start_server() {
  local name=$1; shift
  "${SRV_PREFIX[@]}" setsid "$@" >"$OUT_DIR/$name.log" 2>&1 </dev/null &
  SRV_PID[$name]=$!
  SRV_ORDER+=("$name")
  log "started $name pid ${SRV_PID[$name]}: $*"
}

kill_server() {
  local sig=$1 pid=$2 pgid
  pgid=$(awk '{s=$0; sub(/.*\) /, "", s); split(s, f, " "); print f[3]}' /proc/"$pid"/stat 2>/dev/null || true)
  if [[ $pgid == "$pid" ]]; then kill "-$sig" -- "-$pid" 2>/dev/null || true
  else kill "-$sig" "$pid" 2>/dev/null || true; fi
}

wait_port() {
  local name=$1 port=$2 timeout=$3 i
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "${SRV_PID[$name]}" 2>/dev/null || { tail -20 "$OUT_DIR/$name.log" >&2; die "$name exited during start-up"; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  tail -20 "$OUT_DIR/$name.log" >&2
  die "$name not listening on $port after ${timeout}s"
}

tree_pids() {
  local all=("$1") frontier=("$1") next depth c p
  for ((depth = 0; depth < 6 && ${#frontier[@]} > 0; depth++)); do
    next=()
    for p in "${frontier[@]}"; do
      for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do next+=("$c"); done
    done
    all+=("${next[@]}")
    frontier=("${next[@]}")
  done
  echo "${all[@]}"
}

# cpu_ticks NAME... : utime + stime of the servers' process trees (scripts/bench-shapes/cpu.sh).
cpu_ticks() {
  local name tree pids=()
  for name in "$@"; do
    read -ra tree <<<"$(tree_pids "${SRV_PID[$name]}")"
    pids+=("${tree[@]}")
  done
  pid_ticks "${pids[@]}"
}

# status_kb NAME FIELD : sum of FIELD (VmHWM, VmRSS) over the server's process tree.
status_kb() {
  local total=0 p v
  for p in $(tree_pids "${SRV_PID[$1]}"); do
    v=$(awk -v k="$2:" '$1 == k {print $2}' /proc/"$p"/status 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

stat_snap() { awk '/^cpu[0-9]/ {b=$2+$3+$4+$7+$8; print $1, b, b+$5+$6+$9, $9, $2+$3+$4}' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)

machine_busy_pct() {
  local a b
  a=$(machine_ticks)
  sleep "$1"
  b=$(machine_ticks)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0)}'
}

PRE_BUSY=0
wait_quiet() {
  local waited=0 busy
  busy=$(machine_busy_pct 1)
  if ((busy > QUIET_MAX_BUSY && QUIET_WAIT > 0)); then
    log "machine busy (${busy}% of all CPUs) with the servers idle; waiting up to ${QUIET_WAIT}s"
  fi
  while ((busy > QUIET_MAX_BUSY && waited < QUIET_WAIT)); do
    sleep 4
    waited=$((waited + 5))
    busy=$(machine_busy_pct 1)
  done
  if ((busy > QUIET_MAX_BUSY)); then
    log "machine still busy (${busy}%) after ${waited}s; measuring anyway (see other_cpu_pct)"
  fi
  PRE_BUSY=$busy
}

# ---------------------------------------------------------------- meta
version_of() { "$@" 2>&1 | head -1 || echo unknown; }
{
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host=$(hostname)"
  echo "kernel=$(uname -r)"
  echo "cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "ncpu=$NCPU"
  echo "mem_total_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
  echo "pin=$PIN server_cpus=${SERVER_CPUS:-all} loadgen_cpus=${LOADGEN_CPUS:-all}"
  echo "loadgen=wrk threads=$THREADS conns=$CONNS duration_s=$DURATION warmup_s=$WARMUP lat_duration_s=$LAT_DURATION rounds=$ROUNDS wrk_timeout=$WRK_TIMEOUT"
  echo "nginx_workers=$NGINX_WORKERS nice=$NICE quiet_wait_s=$QUIET_WAIT quiet_max_busy=$QUIET_MAX_BUSY"
  echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $1, $2}' || true)"
  echo "nginx=$("${NGINX_BIN:-nginx}" -v 2>&1 | sed 's/^nginx version: //' || echo absent)"
  echo "rustc=$(rustc --version 2>/dev/null || echo unknown)"
  echo "naftiko=$NAFTIKO ($(version_of "$NAFTIKO" --version))"
  echo "naftiko_log=${NAFTIKO_LOG:-default}"
  echo "targets=$TARGETS"
  echo "shape=suite-$SUITE_SHAPE"
  if [[ $SUITE_SHAPE == orders ]]; then
    echo "request=POST /v1/orders JSON (wrk/post_json.lua) upstream=bench-shapes-upstream capability=capabilities/orders.yaml"
  else
    echo "request=GET <prefix><id>?q=<q> (kit wrk/get_items.lua) | MCP tools/call get-item (wrk/mcp_call.lua) mcp_2025_version=$MCP_2025_VERSION"
    echo "fastmcp=$("$PY" -c 'import fastmcp, mcp, uvicorn; print("fastmcp", fastmcp.__version__, "uvicorn", uvicorn.__version__)' 2>/dev/null || echo absent)"
  fi
} >"$META"
cat "$META" >&2

# ---------------------------------------------------------------- start servers
start_server upstream "${UPSTREAM_CMD[@]}"
wait_port upstream "$UPSTREAM_PORT" 10
if [[ $SUITE_SHAPE == mcp ]]; then
  code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$UP_URL/items/abc123?q=x" 2>&1) || true
  echo "check upstream without X-Api-Key: HTTP $code (want 401)" >>"$CHECKS"
  [[ $code == 401 ]] || die "the upstream answered $code, not 401, to a request without X-Api-Key"
fi

if has nginx; then
  mkdir -p "$OUT_DIR/nginx/tmp"
  if [[ $SUITE_SHAPE == orders ]]; then tmpl=$HERE/nginx/nginx-orders.conf.template; else tmpl=$KIT_DIR/nginx/nginx-items.conf.template; fi
  sed -e "s#@RUNDIR@#$OUT_DIR#g" -e "s#@NGINX_PORT@#$NGINX_PORT#g" \
      -e "s#@UPSTREAM_PORT@#$UPSTREAM_PORT#g" -e "s#@WORKERS@#$NGINX_WORKERS#g" \
      -e "s#@API_KEY@#$BENCH_API_KEY#g" "$tmpl" >"$OUT_DIR/nginx/nginx.conf"
  "$NGINX_BIN" -t -q -p "$OUT_DIR/nginx" -e "$OUT_DIR/nginx/error.log" -c "$OUT_DIR/nginx/nginx.conf" \
    || die "nginx config test failed"
  start_server nginx "$NGINX_BIN" -p "$OUT_DIR/nginx" -e "$OUT_DIR/nginx/error.log" \
    -c "$OUT_DIR/nginx/nginx.conf" -g "daemon off;"
  wait_port nginx "$NGINX_PORT" 10
fi

for t in $TARGETS; do
  case $t in
    naftiko)
      start_server "$t" "$NAFTIKO" run "$HERE/capabilities/orders.yaml" --base-uri "orders=$UP_URL" \
        --listen "orders-rest=127.0.0.1:${PORT[$t]}";;
    rest)
      start_server "$t" "$NAFTIKO" run "$KIT_DIR/capabilities/items.yaml" --base-uri "items=$UP_URL" \
        --listen "items-rest=127.0.0.1:${PORT[$t]}";;
    mcp-2025|mcp-2026)
      start_server "$t" "$NAFTIKO" run "$HERE/capabilities/items-mcp.yaml" --base-uri "items=$UP_URL" \
        --listen "items-mcp=127.0.0.1:${PORT[$t]}";;
    fastmcp-2025)
      start_server "$t" "$PY" "$HERE/mcp/fastmcp_items.py" "${PORT[$t]}" "$UP_URL";;
    fastmcp-2026)
      start_server "$t" "$PY" "$HERE/mcp/fastmcp_items.py" "${PORT[$t]}" "$UP_URL" --stateless;;
    *) continue;;
  esac
  wait_port "$t" "${PORT[$t]}" 60
done

# Idle RSS: after start-up, before the first request.
sleep 1
IDLE=$OUT_DIR/idle_rss.tsv
printf 'server\tidle_rss_kb\n' >"$IDLE"
for name in "${SRV_ORDER[@]}"; do printf '%s\t%s\n' "$name" "$(status_kb "$name" VmRSS)" >>"$IDLE"; done

# ---------------------------------------------------------------- MCP requests
# mcp_body ERA TOOL : the tools/call body of the check (the first of mcp_call.lua's cycle).
mcp_body() {
  local meta=""
  if [[ $1 == 2026 ]]; then
    meta=',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench-shapes-check","version":"1"}}'
  fi
  printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":{"id":"abc123","q":"x"}%s}}' "$2" "$meta"
}

# mcp_headers ERA SESSION TOOL -> MCP_H (curl arguments)
MCP_H=()
mcp_headers() {
  MCP_H=(-H "Content-Type: application/json" -H "Accept: application/json, text/event-stream")
  if [[ $1 == 2026 ]]; then
    MCP_H+=(-H "MCP-Protocol-Version: 2026-07-28" -H "Mcp-Method: tools/call" -H "Mcp-Name: ${3:-}")
  else
    MCP_H+=(-H "MCP-Protocol-Version: $MCP_2025_VERSION")
    if [[ -n $2 ]]; then MCP_H+=(-H "Mcp-Session-Id: $2"); fi
  fi
}

# mcp_session TARGET -> SESSION: initialize (2025 revision), then notifications/initialized.
SESSION=""
mcp_session() {
  local t=$1 hdr body code
  hdr=$(mktemp); body=$(mktemp)
  code=$(curl -sS --max-time 10 -D "$hdr" -o "$body" -w '%{http_code}' -X POST \
    -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \
    --data-binary "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"$MCP_2025_VERSION\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench-shapes\",\"version\":\"1\"}}}" \
    "${URL[$t]}" 2>&1) || true
  SESSION=$(awk -F': *' 'tolower($1) == "mcp-session-id" {gsub(/\r/, "", $2); print $2}' "$hdr")
  echo "initialize $t: HTTP $code session=${SESSION:-none} $(head -c 300 "$body")" >>"$CHECKS"
  rm -f "$hdr" "$body"
  [[ $code == 200 && -n $SESSION ]] || return 1
  mcp_headers 2025 "$SESSION"
  code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST "${MCP_H[@]}" \
    --data-binary '{"jsonrpc":"2.0","method":"notifications/initialized"}' "${URL[$t]}" 2>&1) || true
  echo "notifications/initialized $t: HTTP $code (want 202)" >>"$CHECKS"
  [[ $code == 202 ]]
}

# ---------------------------------------------------------------- functional check
# check_target TARGET WHEN : the answer to the first request of the load's cycle.
check_target() {
  local t=$1 when=$2 body code out verdict
  out=$(mktemp)
  case ${CHECK[$t]} in
    orders-*)
      code=$(curl -sS --max-time 10 -o "$out" -w '%{http_code}' -X POST -H "Content-Type: application/json" \
        -H "Accept: application/json" --data-binary '{"customer":"c-42","sku":"A-1","quantity":3,"note":"rush"}' \
        "${URL[$t]}" 2>&1) || true;;
    items-*)
      local key=()
      if [[ $t == direct ]]; then key=(-H "X-Api-Key: $BENCH_API_KEY"); fi
      code=$(curl -sS --max-time 10 -o "$out" -w '%{http_code}' -H "Accept: application/json" "${key[@]}" \
        "${URL[$t]}abc123?q=x" 2>&1) || true;;
    mcp-*)
      mcp_headers "${ERA[$t]}" "$SESSION" "${TOOL[$t]}"
      code=$(curl -sS --max-time 10 -o "$out" -w '%{http_code}' -X POST "${MCP_H[@]}" \
        --data-binary "$(mcp_body "${ERA[$t]}" "${TOOL[$t]}")" "${URL[$t]}" 2>&1) || true;;
  esac
  body=$(head -c 600 "$out")
  verdict=$(python3 "$HERE/check_answer.py" "${CHECK[$t]}" "$out" 2>&1) || true
  rm -f "$out"
  echo "check $when $t: HTTP $code $verdict | $body" >>"$CHECKS"
  [[ $code == 200 && $verdict == ok ]]
}

# ---------------------------------------------------------------- load generator
pin_lg_cmd() {
  if ((NICE != 0)); then printf 'nice -n %s ' "$NICE"; fi
  if [[ -n $LOADGEN_CPUS ]]; then echo "taskset -c $LOADGEN_CPUS"; fi
}

LOAD_ENV=()
run_load() {
  local t=$1 dur=$2 conns=$3 threads=$4 out=$5 tf line
  tf=$(mktemp)
  # shellcheck disable=SC2046  # pin_lg_cmd is words on purpose (the kit's run.sh does the same)
  { TIMEFORMAT='%U %S'; time timeout -k 5 $((dur + 30)) \
      $(pin_lg_cmd) env "${LOAD_ENV[@]}" wrk -t"$threads" -c"$conns" -d"${dur}s" --timeout "$WRK_TIMEOUT" --latency \
      -s "${SCRIPT[$t]}" "${URL[$t]}" >"$out" 2>&1; } 2>"$tf" || true
  line=$(grep '^BENCH_RESULT' "$out" | tail -1 || true)
  if [[ -z $line ]]; then rm -f "$tf"; echo FAILED; return; fi
  echo "${line#BENCH_RESULT } lg_cpu_s=$(awk '{print $1 + $2}' "$tf")"
  rm -f "$tf"
}

printf 'round\ttarget\trps\tp50_us\tp90_us\tp99_us\tp999_us\terrors\tsrv_cpu_us_req\thop_cpu_us_req\tlg_cpu_pct\tcpu_busy_pct\tsteal_pct\tlat1_rps\tlat1_p50_us\tlat1_p99_us\tother_cpu_pct\tpre_busy_pct\tpost_check\n' >"$RESULTS"

# fail ROUND TARGET WHY : records the target as FAILED (not measured) and aborts the run.
fail() {
  printf '%s\t%s\tFAILED\n' "$1" "$2" >>"$RESULTS"
  die "round $1 $2: $3"
}

measure() {
  local round=$1 t=$2
  local hop=${HOP[$t]} pre="$OUT_DIR/r${round}_$t"
  local names=("$hop")
  if [[ $hop != upstream ]]; then names+=(upstream); fi
  LOAD_ENV=()
  SESSION=""
  case $t in
    direct) if [[ $SUITE_SHAPE == mcp ]]; then LOAD_ENV=("BENCH_WRK_API_KEY=$BENCH_API_KEY"); fi;;
    mcp-2025|fastmcp-2025)
      # a fresh session for each measurement (a server may end idle sessions between rounds)
      mcp_session "$t" || fail "$round" "$t" "initialize failed: $(tail -2 "$CHECKS" | tr '\n' ' ')"
      LOAD_ENV=("BENCH_MCP_ERA=2025" "BENCH_MCP_SESSION=$SESSION" "BENCH_MCP_VERSION=$MCP_2025_VERSION" "BENCH_MCP_TOOL=${TOOL[$t]}");;
    mcp-2026|fastmcp-2026) LOAD_ENV=("BENCH_MCP_ERA=2026" "BENCH_MCP_TOOL=${TOOL[$t]}");;
  esac
  # A wrong answer aborts the run: nothing is measured against a target that answers wrongly.
  check_target "$t" before || fail "$round" "$t" "functional check FAILED: $(tail -1 "$CHECKS")"
  wait_quiet
  if ((WARMUP > 0)); then run_load "$t" "$WARMUP" "$CONNS" "$THREADS" "$pre.warmup.txt" >/dev/null; fi

  local s0 c0 h0 s1 c1 h1 res lat="" post=ok
  s0=$(stat_snap); c0=$(cpu_ticks "${names[@]}"); h0=$(cpu_ticks "$hop")
  res=$(run_load "$t" "$DURATION" "$CONNS" "$THREADS" "$pre.load.txt")
  s1=$(stat_snap); c1=$(cpu_ticks "${names[@]}"); h1=$(cpu_ticks "$hop")
  [[ $res != FAILED ]] || fail "$round" "$t" "wrk produced no result (see $pre.load.txt)"
  if ((LAT_DURATION > 0)); then lat=$(run_load "$t" "$LAT_DURATION" 1 1 "$pre.lat1.txt"); fi
  # The same answer after the load (a target that broke under load is flagged in the table).
  if ! check_target "$t" after; then post=FAILED; log "round $round $t: check after the load FAILED: $(tail -1 "$CHECKS")"; fi

  python3 - "$round" "$t" "$res" "$lat" "$((c1 - c0))" "$((h1 - h0))" "$CLK_TCK" "$s0" "$s1" "$PRE_BUSY" "$post" >>"$RESULTS" <<'PY'
import sys
rnd, name, res, lat, srv_t, hop_t, hz, s0, s1, pre_busy, post = sys.argv[1:12]
kv = lambda line: dict(x.split("=", 1) for x in line.split()) if line and line != "FAILED" else {}
r, l = kv(res), kv(lat)
n = int(r["requests"]); dur = int(r["duration_us"]) / 1e6
errs = sum(int(r[k]) for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))
hz = int(hz)
srv_us = int(srv_t) / hz * 1e6 / max(n, 1)
hop_us = int(hop_t) / hz * 1e6 / max(n, 1)
lg_pct = float(r["lg_cpu_s"]) / dur * 100
snap = lambda s: {a[0]: list(map(int, a[1:])) for a in (x.split() for x in s.splitlines())}
a, b = snap(s0), snap(s1)
busy = []; steal_num = 0; tot = 0; task_sum = 0
for cpu in sorted(a):
    db, dt, ds, dk = (b[cpu][i] - a[cpu][i] for i in range(4))
    busy.append(f"{cpu}:{100 * db / max(dt, 1):.0f}")
    steal_num += ds; tot += dt; task_sum += dk
steal = 100 * steal_num / max(tot, 1)
own = int(srv_t) + float(r["lg_cpu_s"]) * hz
other = max(0.0, 100 * (task_sum - own) / max(tot, 1))
lrps = int(l["requests"]) / (int(l["duration_us"]) / 1e6) if l else 0
print("\t".join([rnd, name, f"{n / dur:.0f}", r["p50_us"], r["p90_us"], r["p99_us"], r["p999_us"], str(errs),
                 f"{srv_us:.1f}", f"{hop_us:.1f}", f"{lg_pct:.0f}", ",".join(busy), f"{steal:.1f}",
                 f"{lrps:.0f}", l.get("p50_us", "0"), l.get("p99_us", "0"), f"{other:.1f}", pre_busy, post]))
PY
  log "round $round $t: $(tail -1 "$RESULTS" | cut -f3-8)"
}

# ---------------------------------------------------------------- rounds
read -ra TLIST <<<"$TARGETS"
NT=${#TLIST[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  for ((k = 0; k < NT; k++)); do
    measure "$r" "${TLIST[$(((k + r - 1) % NT))]}"
  done
done

RSS=$OUT_DIR/peak_rss.tsv
printf 'server\tpeak_rss_kb\n' >"$RSS"
for name in "${SRV_ORDER[@]}"; do printf '%s\t%s\n' "$name" "$(status_kb "$name" VmHWM)" >>"$RSS"; done
stop_all
log "results in $OUT_DIR"
