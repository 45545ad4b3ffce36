#!/usr/bin/env bash
# Start-up and idle memory of `naftiko run capabilities/oauth2-tokens.yaml` (release build):
# time from process start to the first answered request (a real POST through to a loopback
# upstream), and idle RSS once it is serving. Prints the median of RUNS starts.
# Usage: scripts/bench-startup.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
cargo build --release --quiet
python3 - target/release/naftiko "$runs" <<'PY'
import statistics, subprocess, sys, time

binary, runs = sys.argv[1], int(sys.argv[2])

sys.path.insert(0, "scripts")
import token_upstream
up_url = token_upstream.start()

firsts, idle_rss, idle_hwm = [], [], []
for _ in range(runs):
    port = token_upstream.free_port()
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "run", "capabilities/oauth2-tokens.yaml",
                             "--base-uri", f"oauth2-tokens={up_url}",
                             "--listen", f"oauth2-tokens-rest=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    answered = None
    while time.perf_counter() - start < 5:
        try:
            if token_upstream.exchange(port, token_upstream.TOKEN_REQUEST, 1).startswith(b"HTTP/1.1 200"):
                answered = time.perf_counter() - start
                break
        except OSError:
            time.sleep(0.0005)
    time.sleep(1.0)
    status = open(f"/proc/{proc.pid}/status").read()
    field = lambda name: int(next(l for l in status.splitlines() if l.startswith(name)).split()[1])
    idle_rss.append(field("VmRSS:") / 1024)
    idle_hwm.append(field("VmHWM:") / 1024)
    proc.terminate(); proc.wait(5)
    if answered is None:
        print("no answer within 5 s"); sys.exit(1)
    firsts.append(answered * 1000)
firsts.sort()
print(f"start to first answered request, {runs} runs: median {statistics.median(firsts):.1f} ms, "
      f"min {firsts[0]:.1f} ms, max {firsts[-1]:.1f} ms")
print(f"idle RSS after the first request: median {statistics.median(idle_rss):.1f} MiB "
      f"(peak so far {statistics.median(idle_hwm):.1f} MiB)")
PY
# How many names of link/symbol-order.txt the binary still has; a stale list is reported
# (and fails CI), it does not stop the benchmark.
scripts/symbol-order-check.sh target/release/naftiko || true
