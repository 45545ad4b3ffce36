#!/usr/bin/env bash
# Regenerates link/symbol-order.txt: the functions `naftiko run` executes from start-up to
# its first answered request (and then `naftiko validate`'s), in the order rust-lld should
# lay them out at the front of the release binary's code (build.rs passes the file to the
# linker as --symbol-ordering-file).
#
# Why: the kernel maps a binary's code in blocks around every page touched. Spread over an
# 11 MB .text, the ~1.5 MB of code a running naftiko uses kept 5.5 MB of it resident; packed
# together, 1.6 MB (docs/performance.md, "Idle RSS").
#
# How: valgrind's callgrind records every function executed (mangled names, as the linker
# knows them) while a loopback token endpoint answers one request through the seed
# capability. Names stay valid across edits elsewhere (a Rust symbol's hash comes from its
# crate's metadata, not its code); functions added later are laid out after the listed ones,
# so a stale file costs memory, never correctness. Regenerate after larger changes, after
# a crate gains or loses a dependency (its metadata, and so every hash, changes), or after a
# toolchain upgrade; CI fails once fewer than 90 % of the listed names are left in
# the release binary (scripts/symbol-order-check.sh, which bench-startup.sh runs too).
#
# The list is recorded on the static release binary (scripts/build-static.sh): the one the
# image ships and CI checks, which is profile-guided (PGO inlines by measured counts, so the
# names differ from a build without the profile): the profile NAFTIKO_PGO_PROFILE names, else
# one made here by scripts/build-pgo.sh (about eight minutes more).
#
# Usage: scripts/symbol-order.sh        (needs valgrind and python3, and what
#        scripts/build-pgo.sh needs; about a minute after the builds)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 1; }
# The static binary that ships (and that CI checks the list against).
if [[ -z ${NAFTIKO_PGO_PROFILE:-} ]]; then
  NAFTIKO_PGO_PROFILE=$(scripts/build-pgo.sh | tail -1)
  export NAFTIKO_PGO_PROFILE
fi
bin=$(scripts/build-static.sh | tail -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$bin" "$work" <<'PY'
import signal, subprocess, sys, time

binary, work = sys.argv[1], sys.argv[2]

sys.path.insert(0, "scripts")
import token_upstream
up_url = token_upstream.start()
port = token_upstream.free_port()

grind = ["valgrind", "--tool=callgrind", "--demangle=no"]
proc = subprocess.Popen(grind + [f"--callgrind-out-file={work}/run.out", binary, "run",
                        "capabilities/oauth2-tokens.yaml",
                        "--base-uri", f"oauth2-tokens={up_url}",
                        "--listen", f"oauth2-tokens-rest=127.0.0.1:{port}"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
answered = False
deadline = time.time() + 60
while time.time() < deadline and not answered:
    try:
        answered = token_upstream.exchange(port, token_upstream.TOKEN_REQUEST, 5).startswith(
            b"HTTP/1.1 200")
    except OSError:
        time.sleep(0.1)
# Answers that are not the happy path: an unknown route, a body of the wrong type.
for head in (b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
             b"POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"):
    try:
        token_upstream.exchange(port, head, 5)
    except OSError:
        pass
proc.send_signal(signal.SIGTERM)
proc.wait(120)
if not answered:
    sys.exit("naftiko did not answer under callgrind")
subprocess.run(grind + [f"--callgrind-out-file={work}/validate.out", binary, "validate",
                        "capabilities"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
PY

python3 - "$work/run.out" "$work/validate.out" > link/symbol-order.txt <<'PY'
import re, sys
# callgrind's format names each object (ob=) and function (fn=, cfn=) once, then refers to
# them by number; a function's own cost block (fn=) sits under the object it belongs to.
seen, order = set(), []
for path in sys.argv[1:]:
    objects, names, current = {}, {}, None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^(c?)ob=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3):
                objects[m.group(2)] = m.group(3)
            if not m.group(1):
                current = objects.get(m.group(2), "")
            continue
        m = re.match(r"^(c?)fn=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3):
                names[m.group(2)] = re.sub(r"'\d+$", "", m.group(3))
            name = names.get(m.group(2))
            # Valgrind's own pseudo-names, such as "(below main)", are no symbols, nor are
            # the addresses ("0x00000000004ddb00") it names code without a symbol by.
            if not m.group(1) and current and current.endswith("/naftiko") and name \
                    and not any(c.isspace() or c in "()" for c in name) \
                    and not re.fullmatch(r"0x[0-9a-fA-F]+", name) and name not in seen:
                seen.add(name)
                order.append(name)
print("\n".join(order))
PY
echo "link/symbol-order.txt: $(wc -l < link/symbol-order.txt) functions"
