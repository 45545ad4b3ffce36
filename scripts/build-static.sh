#!/usr/bin/env bash
# Builds the release binary statically linked (glibc with +crt-static: no libc, libm or
# libgcc_s at run time) for x86_64 Linux, and checks that `ldd` finds no dynamic
# dependency. Names are resolved by naftiko's own resolver (crates/naftiko-engine/src/dns.rs),
# which reads /etc/resolv.conf and /etc/hosts itself, so no glibc NSS module is needed.
#
# Usage: scripts/build-static.sh        prints the binary's path on the last line
#   (target/x86_64-unknown-linux-gnu/release/naftiko, under $CARGO_TARGET_DIR if set).
#   NAFTIKO_PGO_PROFILE=PATH  a profile made by scripts/build-pgo.sh: the profile-guided
#   build that ships (.ci/run; docs/performance.md, "Profile-guided build").
# The explicit --target keeps +crt-static off build scripts and proc macros, which must stay
# dynamic; it also gives the static build a directory of its own beside target/release.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
flags="${RUSTFLAGS:-} -C target-feature=+crt-static"
if [[ -n ${NAFTIKO_PGO_PROFILE:-} ]]; then
  [[ -s $NAFTIKO_PGO_PROFILE ]] || { echo "error: no profile at NAFTIKO_PGO_PROFILE=$NAFTIKO_PGO_PROFILE" >&2; exit 1; }
  flags="$flags -C profile-use=$(cd "$(dirname "$NAFTIKO_PGO_PROFILE")" && pwd)/$(basename "$NAFTIKO_PGO_PROFILE")"
fi
RUSTFLAGS=$flags cargo build --release --locked --target "$target" >&2
dir=${CARGO_TARGET_DIR:-target}
bin=$dir/$target/release/naftiko
# ldd says "statically linked" (static-pie) or "not a dynamic executable"; a shared
# library would be a "name => path" line.
deps=$(ldd "$bin" 2>&1 || true)
if grep -q "=>" <<<"$deps" || ! grep -qE "statically linked|not a dynamic executable" <<<"$deps"; then
  echo "error: $bin is dynamically linked:" >&2
  echo "$deps" >&2
  exit 1
fi
echo "static: $(head -1 <<<"$deps" | sed 's/^[[:space:]]*//'); $(stat -c %s "$bin") bytes" >&2
echo "$bin"
