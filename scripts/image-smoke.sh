#!/usr/bin/env bash
# Proves what ships: takes the image built by scripts/image.sh apart (`podman image mount`,
# or `podman save` when mounting is not allowed), checks its contents (the static binary, a
# CA bundle, the capabilities; no shell; user 65532; the control port exposed), then runs
# the binary taken from the image on the seed against a loopback upstream named `localhost`
# (resolved by naftiko's own resolver from /etc/hosts: a static binary has no glibc NSS)
# and checks the answer. (Containers cannot be started on every machine that can build images, so the
# binary runs as a process; it is the same file the container runs.)
#
# Usage: scripts/image-smoke.sh [TAG]   (default naftiko:latest)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-naftiko:latest}
engine=$(command -v podman || command -v docker)
work=$(mktemp -d)
cleanup() {
  [ -n "${naftiko_pid:-}" ] && kill "$naftiko_pid" 2>/dev/null || true
  [ -n "${upstream_pid:-}" ] && kill "$upstream_pid" 2>/dev/null || true
  [ -n "${mounted:-}" ] && "$engine" image unmount "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- the image's contents ---------------------------------------------------------------
if root=$("$engine" image mount "$tag" 2>/dev/null); then
  mounted=1
  cp -a "$root/." "$work/rootfs"
else
  "$engine" save --format docker-archive -o "$work/image.tar" "$tag"
  mkdir -p "$work/archive" "$work/rootfs"
  tar -xf "$work/image.tar" -C "$work/archive"
  for layer in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$work/archive/manifest.json"); do
    tar -xf "$work/archive/$layer" -C "$work/rootfs"
  done
fi
files=$(cd "$work/rootfs" && find . -type f | sort | tr '\n' ' ')
echo "image files: $files"
for f in ./naftiko ./etc/ssl/certs/ca-certificates.crt ./capabilities/oauth2-tokens.yaml; do
  [ -f "$work/rootfs/$f" ] || { echo "error: $f missing from the image" >&2; exit 1; }
done
for f in ./bin/sh ./usr/bin/sh ./lib ./usr/lib; do
  [ ! -e "$work/rootfs/$f" ] || { echo "error: $f is in the image" >&2; exit 1; }
done
user=$("$engine" image inspect --format '{{.Config.User}}' "$tag")
ports=$("$engine" image inspect --format '{{json .Config.ExposedPorts}}' "$tag")
[ "$user" = "65532:65532" ] || { echo "error: the image runs as '$user'" >&2; exit 1; }
case $ports in *9100*) ;; *) echo "error: the control port is not exposed: $ports" >&2; exit 1 ;; esac
bin=$work/rootfs/naftiko
deps=$(ldd "$bin" 2>&1 || true)
if grep -q "=>" <<<"$deps" || ! grep -qE "statically linked|not a dynamic executable" <<<"$deps"; then
  echo "error: the image's binary is dynamically linked: $deps" >&2
  exit 1
fi
echo "image: user $user, ports $ports, binary $(stat -c %s "$bin") bytes, static"

# --- the binary from the image, on the seed ---------------------------------------------
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up=$(port); rest=$(port); control=$(port)
python3 - "$up" <<'PY' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps({"access_token": "eyJ.image", "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
upstream_pid=$!
python3 - "$up" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        break
    except OSError:
        time.sleep(0.1)
PY
"$bin" run "$work/rootfs/capabilities" \
  --base-uri "oauth2-tokens=http://localhost:$up" \
  --listen "oauth2-tokens-rest=127.0.0.1:$rest" --control "127.0.0.1:$control" \
  >"$work/naftiko.log" 2>&1 &
naftiko_pid=$!
for _ in $(seq 100); do
  "$bin" health --ready --control "127.0.0.1:$control" >/dev/null 2>&1 && break
  sleep 0.1
done
"$bin" health --ready --control "127.0.0.1:$control"
answer=$(curl -sS -X POST "http://127.0.0.1:$rest/v1/oauth2/token" \
  --data 'grant_type=client_credentials&client_id=id&client_secret=s')
echo "answer: $answer"
[ "$answer" = '{"access_token":"eyJ.image","expires_in":3600}' ] \
  || { echo "error: unexpected answer"; cat "$work/naftiko.log"; exit 1; } >&2
echo "== image smoke ok"
