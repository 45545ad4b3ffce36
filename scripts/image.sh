#!/usr/bin/env bash
# Builds the container image from the static release binary: prepares the build context
# (target/image/: the binary, this host's CA bundle, the seed capability) and runs `podman build`
# (or docker, when there is no podman) with the Containerfile. On machines where podman can
# build but not run containers, BUILDAH_ISOLATION=chroot makes `RUN`-free builds like this
# one work as well.
#
# Usage: scripts/image.sh [TAG]    (default naftiko:latest; prints the tag on the last line)
#   NAFTIKO_BINARY=path            use this binary instead of building it
#   CA_BUNDLE=path                 the CA bundle to ship (default /etc/ssl/certs/ca-certificates.crt)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-naftiko:latest}
bin=${NAFTIKO_BINARY:-$(scripts/build-static.sh | tail -1)}
ca=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
ctx=${CARGO_TARGET_DIR:-target}/image
rm -rf "$ctx"
mkdir -p "$ctx"
cp "$bin" "$ctx/naftiko"
cp "$ca" "$ctx/ca-certificates.crt"
# The seed only: the examples need secrets the default command cannot have.
mkdir -p "$ctx/capabilities"
cp capabilities/oauth2-tokens.yaml "$ctx/capabilities/"
engine=$(command -v podman || command -v docker || true)
if [ -z "$engine" ]; then
  echo "error: podman or docker is needed to build the image" >&2
  exit 1
fi
BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot} "$engine" build --format docker \
  -f Containerfile -t "$tag" "$ctx" >&2
echo "$tag"
