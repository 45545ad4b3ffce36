#!/usr/bin/env bash
# The training run of a profile-guided build (scripts/build-pgo.sh): drives an instrumented
# naftiko (built with -Cprofile-generate) through the jobs it is tuned for, each a few seconds
# of wrk load on loopback against the benchmark kit's upstreams, and stops it with SIGTERM so
# that it writes its profile (the instrumentation writes at a clean exit only).
#
# The jobs are those of the shape suite (docs/performance.md): the seed's form POST (also
# against an HTTPS upstream, and on the general path), the items GET with mapped outputs, as
# a pass-through and as a whole answer (also on the general path), the JSON-body POST, the
# items operation as an MCP tools/call in both protocol eras, and `naftiko validate` over
# the project's capabilities and the shared corpus. What no job runs is laid out as cold code
# (smaller, a little slower): add a job here for any path that must stay fast.
#
# Usage: scripts/pgo-train.sh BIN    (BIN: the instrumented naftiko)
# Needs wrk, curl, openssl and the kit (../shared/bench, BENCH_KIT); the kit's upstream and
# the suite's are built under the target directory when missing.
# Ports: PGO_UPSTREAM_PORT (18481), PGO_PORT (18490). PGO_SECONDS: load per job (3).
# LLVM_PROFILE_FILE decides where the profiles go (set by scripts/build-pgo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: scripts/pgo-train.sh BIN}
kit=${BENCH_KIT:-../shared/bench}
up_port=${PGO_UPSTREAM_PORT:-18481}
port=${PGO_PORT:-18490}
seconds=${PGO_SECONDS:-3}
api_key=bench-api-key-2f6c1e9a
work=$(mktemp -d)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop_all EXIT

for tool in wrk curl openssl; do
  command -v "$tool" >/dev/null || { echo "pgo-train.sh: $tool is missing" >&2; exit 1; }
done
# The kit may be read-only: its upstream is built under this project's target directory.
kit_target=${CARGO_TARGET_DIR:-target}/bench-kit
kit_upstream=$kit_target/release/bench-upstream
[[ -x $kit_upstream ]] || CARGO_TARGET_DIR=$kit_target \
  cargo build --release --quiet --locked --manifest-path "$kit/Cargo.toml" -p bench-upstream
shapes_target=${CARGO_TARGET_DIR:-target}/bench-shapes/target
shapes_upstream=$shapes_target/release/bench-shapes-upstream
[[ -x $shapes_upstream ]] || CARGO_TARGET_DIR=$shapes_target \
  cargo build --release --quiet --locked --manifest-path scripts/bench-shapes/upstream/Cargo.toml

# Waits until something answers on port $1 (HTTP, or HTTPS with $2 = https).
wait_port() {
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null "${2:-http}://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "pgo-train.sh: nothing answers on port $1" >&2
  exit 1
}

# Starts an upstream: the command line in "$@".
upstream() {
  "$@" >"$work/upstream.log" 2>&1 &
  up=$!
  pids+=("$up")
}

# One job: naftiko run with the arguments in "$@" (after `run`), checked with one request,
# then loaded for $seconds with the wrk script $script against $url; stopped with SIGTERM
# and awaited so that its profile is written.
job() {
  BENCH_API_KEY=$api_key "$bin" run "$@" >"$work/naftiko.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_port "$port"
  wrk -t1 -c8 -d"${seconds}s" -s "$script" "$url" >"$work/wrk.log" 2>&1 \
    || { cat "$work/wrk.log" "$work/naftiko.log" >&2; exit 1; }
  grep -q "err_status=0" "$work/wrk.log" \
    || { echo "pgo-train.sh: wrong answers in job $*" >&2; cat "$work/wrk.log" >&2; exit 1; }
  kill -TERM "$pid"
  wait "$pid" || { echo "pgo-train.sh: naftiko did not stop cleanly" >&2; cat "$work/naftiko.log" >&2; exit 1; }
  echo "pgo-train.sh: trained on $(grep -o 'requests=[0-9]*' "$work/wrk.log") ($*)" >&2
}

stop_upstream() {
  kill "$up" 2>/dev/null || true
  wait "$up" 2>/dev/null || true
}

listen_seed=(--listen "oauth2-tokens-rest=127.0.0.1:$port")
listen_items=(--listen "items-rest=127.0.0.1:$port")

# The seed, on the direct path and on the general path.
upstream "$kit_upstream" "$up_port"
wait_port "$up_port"
script=$kit/wrk/post_form.lua url=http://127.0.0.1:$port/v1/oauth2/token
job capabilities/oauth2-tokens.yaml --base-uri "oauth2-tokens=http://127.0.0.1:$up_port" "${listen_seed[@]}"
job capabilities/oauth2-tokens.yaml --base-uri "oauth2-tokens=http://127.0.0.1:$up_port" "${listen_seed[@]}" --general-path
stop_upstream

# The seed against an HTTPS upstream (a certificate made for this run).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=bench-upstream -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$work/key.pem" -out "$work/cert.pem" >"$work/openssl.log" 2>&1
upstream "$kit_upstream" "$up_port" --tls "$work/cert.pem" "$work/key.pem"
wait_port "$up_port" https
job capabilities/oauth2-tokens.yaml --ca-bundle "$work/cert.pem" \
  --base-uri "oauth2-tokens=https://127.0.0.1:$up_port" "${listen_seed[@]}"
stop_upstream

# The items GET: mapped, passed through, whole; mapped on the general path; over MCP.
upstream "$kit_upstream" "$up_port" --api-key "$api_key"
wait_port "$up_port"
script=$kit/wrk/get_items.lua url=http://127.0.0.1:$port/v1/items/
items=(--base-uri "items=http://127.0.0.1:$up_port" "${listen_items[@]}")
job "$kit/capabilities/items.yaml" "${items[@]}"
job "$kit/capabilities/items.yaml" "${items[@]}" --general-path
job "$kit/capabilities/items-passthrough.yaml" "${items[@]}"
job scripts/bench-shapes/capabilities/items-whole.yaml "${items[@]}"
script=scripts/bench-shapes/wrk/mcp_call.lua url=http://127.0.0.1:$port/mcp
for era in 2025 2026; do
  export BENCH_MCP_ERA=$era
  job scripts/bench-shapes/capabilities/items-mcp.yaml \
    --base-uri "items=http://127.0.0.1:$up_port" --listen "items-mcp=127.0.0.1:$port"
done
stop_upstream

# The JSON-body POST.
upstream "$shapes_upstream" "$up_port"
wait_port "$up_port"
script=scripts/bench-shapes/wrk/post_json.lua url=http://127.0.0.1:$port/v1/orders
job scripts/bench-shapes/capabilities/orders.yaml --base-uri "orders=http://127.0.0.1:$up_port" \
  --listen "orders-rest=127.0.0.1:$port"
stop_upstream

# Validation of many files (exit 0 or 1 both train it).
"$bin" validate capabilities >/dev/null 2>&1 || true
[[ -d $kit/../corpus ]] && { "$bin" validate "$kit/../corpus" >/dev/null 2>&1 || true; }
echo "pgo-train.sh: done" >&2
