#!/usr/bin/env bash
# The benchmark shape suite of issue 16: naftiko against nginx (and, over MCP, against its own
# REST route and FastMCP) on several shapes of gateway job, measured the way the measurement
# kit (../shared/bench, its run.sh) measures: loopback only, servers pinned to CPU0 and wrk to
# CPU1 (PIN=split) unless a shape says otherwise, checked answers, warm-up, rounds, the hop's
# CPU per request from /proc, peak (VmHWM) and idle (VmRSS) memory.
#
# Usage:  scripts/bench-shapes.sh                          (every shape, the kit's defaults)
#         SHAPES="1 4 5" ROUNDS=3 scripts/bench-shapes.sh
#         NAFTIKO=/path/to/naftiko SHAPES=5 DURATION=5 ROUNDS=1 scripts/bench-shapes.sh
#
# Shapes (docs/performance.md, "Shape suite (issue 16): how to run it"):
#   1  the seed: POST /v1/oauth2/token (form) -> upstream POST /oauth2/token, JSON mapped
#      (capabilities/oauth2-tokens.yaml)            kit SHAPE=token
#   2  the same against an HTTPS upstream (naftiko --ca-bundle with the run's certificate)
#                                                   kit SHAPE=token-tls
#   3  GET /v1/items/{id}?q=… -> upstream with X-Api-Key, nested/array answer mapped
#      (the kit's capabilities/items.yaml)          kit SHAPE=items
#   4  POST /v1/orders with a JSON body -> upstream POST /orders with a JSON body rendered
#      from a `body:` template (scripts/bench-shapes/capabilities/orders.yaml)
#                                                   suite harness, SUITE_SHAPE=orders
#   5  shape 3's operation as the MCP tool get-item (tools/call over Streamable HTTP),
#      revision 2025-06-18 in a session and 2026-07-28 stateless, beside naftiko's REST
#      route of shape 3 and FastMCP.from_openapi on the same upstream
#                                                   suite harness, SUITE_SHAPE=mcp
#   6  shapes 1, 3 and 5 unpinned (PIN=none: servers and wrk float over both cores), nginx
#      with 2 workers
# Shapes 1-3 and 6's first two parts run the kit's own run.sh (a writable copy of it, built
# once: the kit directory is read-only) with naftiko as its extra target (EXTRA_CMD);
# shapes 4, 5 and 6's MCP part run scripts/bench-shapes/harness.sh, which follows the kit's
# method and writes the kit's result files. Each target is checked for the right answer
# before it is loaded: the kit records a wrong answer as FAILED and does not measure it, the
# suite's harness aborts the shape; either way the shape is reported as failed and this
# script exits 1 after the others ran.
#
# Output: scripts/bench-shapes/out/<UTC timestamp>/ (git-ignored): one directory per shape
# run (the kit's files: results.tsv, peak_rss.tsv, meta.txt, checks.txt, logs; plus
# idle_rss.tsv and suite.txt), and summary.md: a Markdown table per shape (req/s, p50, p99,
# 1-connection p50, hop CPU µs/request, peak and idle RSS, same-round ratios against nginx,
# and for shape 5 against naftiko's REST route and FastMCP of the same protocol era), also
# printed at the end.
#
# Settings (environment; all optional):
#   SHAPES="1 2 3 4 5 6"   the shapes to run, in this order
#   NAFTIKO                the naftiko binary (default: $CARGO_TARGET_DIR/release/naftiko,
#                          else target/release/naftiko; build it with cargo build --release)
#   ROUNDS DURATION WARMUP LAT_DURATION CONNS THREADS NICE QUIET_WAIT QUIET_MAX_BUSY
#                          passed to the kit and the harness (the kit's run.sh documents
#                          them; defaults 1 round, 10 s, 2 s, 5 s, 64, CPUs of wrk, 0, 120 s, 15 %)
#   PIN=split              pinning of shapes 1-5 (shape 6 is PIN=none by definition)
#   NGINX_WORKERS          nginx workers of shapes 1-5 (default: the server CPUs, 1 pinned)
#   SHAPE6_NGINX_WORKERS=2 nginx workers of shape 6
#   KIT_TARGETS="direct nginx extra"   the kit's targets for shapes 1-3 and 6 (extra = naftiko;
#                          the token shape also has miniproxy mapproxy miniproxy-ct mapproxy-ct)
#   SHAPE4_TARGETS="direct nginx naftiko"
#   SHAPE5_TARGETS="direct nginx rest mcp-2025 mcp-2026 fastmcp-2025 fastmcp-2026"
#   EXTRA_PORT=18290       naftiko's port in the kit's runs (the kit's other ports: its
#                          UPSTREAM_PORT=18081, NGINX_PORT=18082, ...; the suite's harness:
#                          SUITE_UPSTREAM_PORT=18181 SUITE_NGINX_PORT=18182 SUITE_PORT_BASE=18190)
#   NAFTIKO_LOG            naftiko's log filter; default `info` writes an access line per
#                          request (the kit's nginx has access_log off): set
#                          NAFTIKO_LOG=info,naftiko::access=off to compare like with like
#   BENCH_KIT=../shared/bench   the measurement kit (read-only is fine)
#   BENCH_SHAPES_WORK=$CARGO_TARGET_DIR/bench-shapes (else target/bench-shapes)
#                          where the kit's copy and the suite's mock upstream are built
#   PY=.ci/mcp-tools/venv/bin/python   python with fastmcp 4 and httpx2 (shape 5, 6)
#   OUT_ROOT               the output directory (default scripts/bench-shapes/out/<UTC timestamp>)
#
# Everything this script starts is stopped by PID (the kit and the harness stop their
# servers by PID/process group at exit); Ctrl-C or TERM stops the running shape and exits.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SUITE=$HERE/bench-shapes

die() { echo "bench-shapes.sh: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] bench-shapes: $*" >&2; }

SHAPES=${SHAPES:-"1 2 3 4 5 6"}
for s in $SHAPES; do [[ $s =~ ^[1-6]$ ]] || die "SHAPES: numbers 1 to 6 (got '$s')"; done
BENCH_KIT=${BENCH_KIT:-$REPO/../shared/bench}
[[ -f $BENCH_KIT/run.sh ]] || die "the measurement kit is not at $BENCH_KIT (set BENCH_KIT)"
BENCH_KIT=$(cd "$BENCH_KIT" && pwd)
TARGET_ROOT=${CARGO_TARGET_DIR:-$REPO/target}
WORK=${BENCH_SHAPES_WORK:-$TARGET_ROOT/bench-shapes}
if [[ -z ${NAFTIKO:-} ]]; then
  for c in "$TARGET_ROOT/release/naftiko" "$REPO/target/release/naftiko"; do
    if [[ -x $c ]]; then NAFTIKO=$c; break; fi
  done
fi
[[ -n ${NAFTIKO:-} && -x $NAFTIKO ]] || die "no naftiko binary: cargo build --release, or set NAFTIKO"
NAFTIKO=$(cd "$(dirname "$NAFTIKO")" && pwd)/$(basename "$NAFTIKO")
PY=${PY:-$REPO/.ci/mcp-tools/venv/bin/python}
PIN=${PIN:-split}
SHAPE6_NGINX_WORKERS=${SHAPE6_NGINX_WORKERS:-2}
KIT_TARGETS=${KIT_TARGETS:-"direct nginx extra"}
SHAPE4_TARGETS=${SHAPE4_TARGETS:-"direct nginx naftiko"}
SHAPE5_TARGETS=${SHAPE5_TARGETS:-"direct nginx rest mcp-2025 mcp-2026 fastmcp-2025 fastmcp-2026"}
EXTRA_PORT=${EXTRA_PORT:-18290}
OUT_ROOT=${OUT_ROOT:-$SUITE/out/$(date -u +%Y%m%dT%H%M%SZ)}
# Per-run settings of the kit and the harness are set below for each run, not inherited.
unset TARGETS SHAPE OUT_DIR EXTRA_CMD EXTRA_NAME EXTRA_PATH SUITE_SHAPE

for c in cargo curl python3 wrk nginx ss tar; do
  command -v "$c" >/dev/null || [[ $c == nginx && -x /usr/sbin/nginx ]] || die "$c missing"
done
case " $SHAPES " in *" 5 "*|*" 6 "*)
  [[ -x $PY ]] || die "PY ($PY) missing: .ci/mcp-tools/install.sh makes the venv with fastmcp (shapes 5, 6)";;
esac

mkdir -p "$OUT_ROOT"
OUT_ROOT=$(cd "$OUT_ROOT" && pwd)

# ---------------------------------------------------------------- child processes
CHILD=""     # the running kit run.sh / harness.sh
WATCHER=""   # the idle-RSS watcher of a kit run
# descendants PID : the PIDs below PID (children, theirs, ...; depth-bounded).
descendants() {
  local frontier=("$1") next p c depth
  for ((depth = 0; depth < 8 && ${#frontier[@]} > 0; depth++)); do
    next=()
    for p in "${frontier[@]}"; do
      for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do next+=("$c"); echo "$c"; done
    done
    frontier=("${next[@]}")
  done
}

cleanup() {
  local p i d c
  for p in "$CHILD" "$WATCHER"; do
    [[ -n $p ]] || continue
    # Everything below it too, by PID: the kit's run.sh and the harness handle TERM only
    # after their foreground command (wrk, in a command substitution) ends, so wrk is ended
    # here; the servers get TERM from here and from their own script's stop (by PID/process
    # group, then KILL after 5 s).
    d=$(descendants "$p")
    kill -TERM "$p" 2>/dev/null || true
    for c in $d; do kill -TERM "$c" 2>/dev/null || true; done
    for ((i = 0; i < 600; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  CHILD=""; WATCHER=""
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# run_child CMD... : in the background (so that a signal here reaches it through cleanup),
# waited for; returns its exit status.
run_child() {
  "$@" &
  CHILD=$!
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

# ---------------------------------------------------------------- builds
KIT=$WORK/kit
prepare_kit() {
  mkdir -p "$KIT"
  # a writable copy of the kit's sources (run.sh builds into the directory it sits in)
  (cd "$BENCH_KIT" && tar --exclude=./target --exclude=./out -cf - .) | tar -C "$KIT" -xf -
  chmod -R u+w "$KIT"
  local b ok=1
  for b in bench-upstream bench-miniproxy; do
    if [[ ! -x $BENCH_KIT/target/release/$b || $BENCH_KIT/target/release/$b -ot $BENCH_KIT/upstream/src/main.rs ]]; then ok=0; fi
  done
  mkdir -p "$KIT/target/release"
  if ((ok)); then
    log "using the kit's prebuilt binaries"
    cp -p "$BENCH_KIT/target/release/bench-upstream" "$BENCH_KIT/target/release/bench-miniproxy" "$KIT/target/release/"
  else
    log "building the kit's bench-upstream and bench-miniproxy in $KIT (a few minutes the first time)"
    (cd "$KIT" && CARGO_TARGET_DIR="$KIT/target" cargo build --release --quiet -p bench-upstream -p bench-miniproxy) \
      || die "building the kit failed"
  fi
}
SHAPES_UPSTREAM_BIN=$WORK/target/release/bench-shapes-upstream
prepare_upstream() {
  log "building bench-shapes-upstream"
  CARGO_TARGET_DIR="$WORK/target" cargo build --release --quiet --locked \
    --manifest-path "$SUITE/upstream/Cargo.toml" || die "building bench-shapes-upstream failed"
}

case " $SHAPES " in *" 1 "*|*" 2 "*|*" 3 "*|*" 5 "*|*" 6 "*) prepare_kit;; esac
case " $SHAPES " in *" 4 "*) prepare_upstream;; esac

{
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "shapes=$SHAPES"
  echo "naftiko=$NAFTIKO ($("$NAFTIKO" --version 2>&1 | head -1))"
  echo "naftiko_mtime=$(date -u -r "$NAFTIKO" +%Y-%m-%dT%H:%M:%SZ)"
  echo "repo_commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (dirty)')"
  echo "kit=$BENCH_KIT (copy: $KIT)"
  echo "settings=ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2} LAT_DURATION=${LAT_DURATION:-5} CONNS=${CONNS:-64} PIN=$PIN NICE=${NICE:-0} QUIET_WAIT=${QUIET_WAIT:-120} NAFTIKO_LOG=${NAFTIKO_LOG:-default}"
} >"$OUT_ROOT/suite-meta.txt"

# What the kit's EXTRA_CMD sees (it expands these itself: single quotes below).
export BENCH_SHAPES_NAFTIKO=$NAFTIKO BENCH_SHAPES_REPO=$REPO BENCH_SHAPES_KIT=$KIT

# ---------------------------------------------------------------- idle RSS of the kit's servers
# idle_watch OUTFILE NAME:PORT... : for each port, once something listens on it, the summed
# VmRSS of the processes holding the listening socket (nginx: master and workers), written
# as "NAME<TAB>kB". The kit starts every server before loading the first target, so this is
# read before any load. Bounded: gives up after 10 minutes.
idle_watch() {
  local out=$1 spec name port pids p v total deadline=$((SECONDS + 600))
  shift
  local pending=("$@") next
  printf 'server\tidle_rss_kb\n' >"$out"
  while ((${#pending[@]} > 0 && SECONDS < deadline)); do
    next=()
    for spec in "${pending[@]}"; do
      name=${spec%%:*}; port=${spec##*:}
      pids=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true)
      if [[ -z $pids ]]; then next+=("$spec"); continue; fi
      sleep 0.3
      total=0
      for p in $pids; do
        v=$(awk '$1 == "VmRSS:" {print $2}' /proc/"$p"/status 2>/dev/null || true)
        total=$((total + ${v:-0}))
      done
      printf '%s\t%s\n' "$name" "$total" >>"$out"
    done
    pending=("${next[@]}")
    sleep 0.1
  done
}

# ---------------------------------------------------------------- shape runs
FAILED=()

# suite_txt DIR SEQ SHAPE TITLE BASELINES NOTE
suite_txt() {
  mkdir -p "$1"
  printf 'seq=%s\nshape=%s\ntitle=%s\nbaselines=%s\nnote=%s\nstatus=running\n' "$2" "$3" "$4" "$5" "$6" >"$1/suite.txt"
}
set_status() { sed -i "s/^status=.*/status=$2/" "$1/suite.txt"; }

# run_kit SEQ SHAPE-NUMBER DIRNAME KIT-SHAPE PIN TITLE
run_kit() {
  local seq=$1 num=$2 dir=$OUT_ROOT/$3 kshape=$4 pin=$5 title=$6 cmd rc=0 workers
  case $kshape in
    token) cmd='exec "$BENCH_SHAPES_NAFTIKO" run "$BENCH_SHAPES_REPO/capabilities/oauth2-tokens.yaml" --base-uri "oauth2-tokens=$BENCH_UPSTREAM_URL" --listen "oauth2-tokens-rest=127.0.0.1:$BENCH_LISTEN_PORT"';;
    token-tls) cmd='exec "$BENCH_SHAPES_NAFTIKO" run "$BENCH_SHAPES_REPO/capabilities/oauth2-tokens.yaml" --ca-bundle "$BENCH_UPSTREAM_CA" --base-uri "oauth2-tokens=$BENCH_UPSTREAM_URL" --listen "oauth2-tokens-rest=127.0.0.1:$BENCH_LISTEN_PORT"';;
    items) cmd='exec "$BENCH_SHAPES_NAFTIKO" run "$BENCH_SHAPES_KIT/capabilities/items.yaml" --base-uri "items=$BENCH_UPSTREAM_URL" --listen "items-rest=127.0.0.1:$BENCH_LISTEN_PORT"';;
  esac
  if [[ $pin == none ]]; then workers=$SHAPE6_NGINX_WORKERS; else workers=${NGINX_WORKERS:-}; fi
  suite_txt "$dir" "$seq" "$num" "$title" nginx "kit run.sh SHAPE=$kshape"
  log "shape $num ($kshape, PIN=$pin): the kit's run.sh -> $dir"
  local watch=("upstream:${UPSTREAM_PORT:-18081}")
  [[ " $KIT_TARGETS " != *" nginx "* ]] || watch+=("nginx:${NGINX_PORT:-18082}")
  [[ " $KIT_TARGETS " != *" extra "* ]] || watch+=("extra:$EXTRA_PORT")
  idle_watch "$dir/idle_rss.tsv" "${watch[@]}" &
  WATCHER=$!
  run_child env SHAPE="$kshape" PIN="$pin" ${workers:+NGINX_WORKERS="$workers"} TARGETS="$KIT_TARGETS" \
    OUT_DIR="$dir" EXTRA_CMD="$cmd" EXTRA_PORT="$EXTRA_PORT" EXTRA_NAME=naftiko \
    "$KIT/run.sh" || rc=$?
  kill "$WATCHER" 2>/dev/null || true
  wait "$WATCHER" 2>/dev/null || true
  WATCHER=""
  if ((rc != 0)); then
    set_status "$dir" "exit $rc"; FAILED+=("$num:$kshape")
  elif awk -F'\t' '$3 == "FAILED" {f = 1} END {exit !f}' "$dir/results.tsv" 2>/dev/null; then
    set_status "$dir" "a target failed its check or its load"; FAILED+=("$num:$kshape")
  else
    set_status "$dir" ok
  fi
}

# run_harness SEQ SHAPE-NUMBER DIRNAME SUITE-SHAPE PIN TITLE BASELINES TARGETS
run_harness() {
  local seq=$1 num=$2 dir=$OUT_ROOT/$3 sshape=$4 pin=$5 title=$6 baselines=$7 targets=$8 rc=0 workers
  if [[ $pin == none ]]; then workers=$SHAPE6_NGINX_WORKERS; else workers=${NGINX_WORKERS:-}; fi
  suite_txt "$dir" "$seq" "$num" "$title" "$baselines" "scripts/bench-shapes/harness.sh SUITE_SHAPE=$sshape"
  log "shape $num ($sshape, PIN=$pin): the suite's harness -> $dir"
  run_child env SUITE_SHAPE="$sshape" PIN="$pin" ${workers:+NGINX_WORKERS="$workers"} TARGETS="$targets" \
    OUT_DIR="$dir" NAFTIKO="$NAFTIKO" KIT_DIR="$KIT" SHAPES_UPSTREAM_BIN="$SHAPES_UPSTREAM_BIN" PY="$PY" \
    "$SUITE/harness.sh" || rc=$?
  if ((rc != 0)); then set_status "$dir" "exit $rc"; FAILED+=("$num:$sshape"); else set_status "$dir" ok; fi
}

T1="the seed, POST form -> upstream token endpoint, JSON mapped"
T2="the seed against an HTTPS upstream"
T3="GET /v1/items/{id}?q=… with an API key upstream, nested/array answer mapped"
T4="JSON POST with a body template"
T5="MCP tools/call of shape 3's operation, both protocol eras"
for s in $SHAPES; do
  case $s in
    1) run_kit 1 1 shape1-token token "$PIN" "$T1";;
    2) run_kit 2 2 shape2-token-tls token-tls "$PIN" "$T2";;
    3) run_kit 3 3 shape3-items items "$PIN" "$T3";;
    4) run_harness 4 4 shape4-orders orders "$PIN" "$T4" nginx "$SHAPE4_TARGETS";;
    5) run_harness 5 5 shape5-mcp mcp "$PIN" "$T5" "nginx rest fastmcp-era" "$SHAPE5_TARGETS";;
    6) run_kit 61 6a shape6-token token none "shape 1 unpinned, nginx $SHAPE6_NGINX_WORKERS workers"
       run_kit 62 6b shape6-items items none "shape 3 unpinned, nginx $SHAPE6_NGINX_WORKERS workers"
       run_harness 63 6c shape6-mcp mcp none "shape 5 unpinned, nginx $SHAPE6_NGINX_WORKERS workers" \
         "nginx rest fastmcp-era" "$SHAPE5_TARGETS";;
  esac
done

python3 "$SUITE/summarize.py" "$OUT_ROOT" | tee "$OUT_ROOT/summary.md"
log "results in $OUT_ROOT (summary.md)"
if ((${#FAILED[@]} > 0)); then
  log "FAILED: ${FAILED[*]} (see their checks.txt and logs)"
  exit 1
fi
