#!/usr/bin/env bash
# User-space instructions per request of `naftiko run capabilities/oauth2-tokens.yaml`
# (release build), counted by callgrind: the most repeatable cost figure on a shared VM.
# naftiko runs under valgrind on CPU0, the bench kit's upstream and wrk on CPU1; 3 s of
# warm-up, then the counters are zeroed and 6 s of load (8 connections) are counted.
# Prints requests, instructions and instructions per request; leaves the callgrind file
# in OUT (default target/callgrind.out) for `callgrind_annotate --inclusive=yes`.
# Needs valgrind, wrk and the kit (`../shared/bench`, built by its run.sh).
# Usage: scripts/bench-instructions.sh [OUT] [extra naftiko run flags…]
# NAFTIKO_BIN=path measures that binary instead of building target/release/naftiko (to
# compare two builds in one sitting). SHAPE=items measures the kit's items shape instead
# (`GET /v1/items/{id}?q=`, an API key upstream, nested and array outputs:
# ../shared/bench/capabilities/items.yaml); SHAPE=items-mcp and SHAPE=items-mcp-2026 the same
# operation as an MCP tools/call (scripts/bench-shapes' items-mcp.yaml and mcp_call.lua, MCP
# 2025-06-18 without a session, or 2026-07-28); SHAPE=orders the suite's shape 4 (a JSON body
# rendered from a `body` template; scripts/bench-shapes' orders.yaml, post_json.lua and its
# upstream, built into target/bench-shapes when missing); SHAPE=items-passthrough the items route
# without outputs (the kit's items-passthrough.yaml: the answer passes through) and
# SHAPE=items-whole with the whole answer as the one unnamed output `$.`
# (scripts/bench-shapes/capabilities/items-whole.yaml).
# SERVER=nginx measures nginx instead, for scale (SHAPE=token or items only): the kit's
# nginx configuration for the shape, with master_process off so that its one worker runs
# under valgrind, the same upstream and load.
# Ports: UPSTREAM_PORT (18081) and PORT (18290).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/callgrind.out}"
shift || true
kit=../shared/bench
upstream_port=${UPSTREAM_PORT:-18081}
port=${PORT:-18290}
for tool in valgrind callgrind_control wrk; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed" >&2; exit 0; }
done
[[ -x $kit/target/release/bench-upstream ]] || (cd "$kit" && cargo build --release --quiet -p bench-upstream)
api_key=bench-api-key-2f6c1e9a
upstream=("$kit/target/release/bench-upstream" "$upstream_port" --api-key "$api_key")
bin="${NAFTIKO_BIN:-target/release/naftiko}"
[[ -n ${NAFTIKO_BIN:-} || ${SERVER:-naftiko} == nginx ]] || cargo build --release --quiet
shape="${SHAPE:-token}"
case $shape in
  token)
    file=capabilities/oauth2-tokens.yaml ns=oauth2-tokens path=/v1/oauth2/token
    script=$kit/wrk/post_form.lua probe=(-X POST -d x=1) listener=oauth2-tokens-rest ;;
  items)
    file=$kit/capabilities/items.yaml ns=items path=/v1/items/
    script=$kit/wrk/get_items.lua probe=() listener=items-rest ;;
  items-passthrough|items-whole)
    file=$kit/capabilities/items-passthrough.yaml ns=items path=/v1/items/
    [[ $shape == items-whole ]] && file=scripts/bench-shapes/capabilities/items-whole.yaml
    script=$kit/wrk/get_items.lua probe=() listener=items-rest ;;
  items-mcp|items-mcp-2026)
    file=scripts/bench-shapes/capabilities/items-mcp.yaml ns=items path=/mcp
    script=scripts/bench-shapes/wrk/mcp_call.lua probe=() listener=items-mcp
    export BENCH_MCP_ERA=2025
    [[ $shape == items-mcp-2026 ]] && BENCH_MCP_ERA=2026 ;;
  orders)
    file=scripts/bench-shapes/capabilities/orders.yaml ns=orders path=/v1/orders
    script=scripts/bench-shapes/wrk/post_json.lua probe=() listener=orders-rest
    shapes_upstream=target/bench-shapes/target/release/bench-shapes-upstream
    [[ -x $shapes_upstream ]] || CARGO_TARGET_DIR=target/bench-shapes/target cargo build --release \
      --quiet --locked --manifest-path scripts/bench-shapes/upstream/Cargo.toml
    upstream=("$shapes_upstream" "$upstream_port") ;;
  *) echo "SHAPE must be token, items, items-passthrough, items-whole, items-mcp, items-mcp-2026 or orders" >&2; exit 2 ;;
esac
taskset -c 1 "${upstream[@]}" >/dev/null 2>&1 &
up=$!
if [[ ${SERVER:-naftiko} == nginx ]]; then
  case $shape in
    token) template=$kit/nginx/nginx.conf.template ;;
    items) template=$kit/nginx/nginx-items.conf.template ;;
    *) echo "SERVER=nginx measures SHAPE=token or items only" >&2; exit 2 ;;
  esac
  run_dir=$(mktemp -d)
  mkdir -p "$run_dir/nginx/tmp"
  sed -e "s#@RUNDIR@#$run_dir#g" -e "s#@NGINX_PORT@#$port#g" -e "s#@UPSTREAM_PORT@#$upstream_port#g" \
    -e "s#@WORKERS@#1#g" -e "s#@API_KEY@#$api_key#g" "$template" >"$run_dir/nginx.conf"
  taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$out" nginx -p "$run_dir" \
    -e "$run_dir/error.log" -c "$run_dir/nginx.conf" -g 'daemon off; master_process off;' \
    >/dev/null 2>&1 &
else
  BENCH_API_KEY=$api_key taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" run \
    "$file" --base-uri "$ns=http://127.0.0.1:$upstream_port" \
    --listen "$listener=127.0.0.1:$port" "$@" >/dev/null 2>&1 &
fi
vg=$!
trap 'kill $vg $up 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "${probe[@]}" "127.0.0.1:$port${path}x" && break
  sleep 0.2
done
load() {
  taskset -c 1 wrk -t1 -c8 -d"$1" -s "$script" "http://127.0.0.1:$port$path"
}
load 3s >/dev/null
callgrind_control -z "$vg" >/dev/null 2>&1
requests=$(load 6s | sed -n 's/.*BENCH_RESULT requests=\([0-9]*\).*/\1/p')
callgrind_control -d "$vg" >/dev/null 2>&1
sleep 1
kill "$vg" "$up" 2>/dev/null || true
wait "$vg" 2>/dev/null || true
total=$(callgrind_annotate "$out".1 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "requests=$requests instructions=$total per_request=$((total / requests))"
[[ -z ${run_dir:-} ]] || rm -rf "$run_dir"
