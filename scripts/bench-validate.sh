#!/usr/bin/env bash
# Measures `naftiko validate` on the whole shared corpus (168 files) with a release build.
# Prints wall-clock figures over repeated runs, and the instruction count of one run
# (valgrind/callgrind, stable on a shared machine) when valgrind is installed.
# Usage: scripts/bench-validate.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
corpus="../shared/corpus"
[ -d "$corpus" ] || { echo "SKIPPED: no corpus at $corpus"; exit 0; }
cargo build --release --quiet
bin=target/release/naftiko
files=$(find "$corpus" -name '*.yaml' | wc -l)
# Warm the page cache once.
"$bin" validate "$corpus" --format json >/dev/null || true
python3 - "$bin" "$corpus" "$runs" "$files" <<'PY'
import subprocess, sys, time, statistics
binary, corpus, runs, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run([binary, "validate", corpus, "--format", "json"], stdout=subprocess.DEVNULL, check=False)
    times.append(time.perf_counter() - t)
times.sort()
print(f"validate {files} corpus files, {runs} runs: median {statistics.median(times)*1000:.1f} ms, "
      f"min {times[0]*1000:.1f} ms, max {times[-1]*1000:.1f} ms, "
      f"{statistics.median(times)*1e6/files:.0f} us/file")
PY
if command -v valgrind >/dev/null; then
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" validate "$corpus" --format json 2>&1 >/dev/null | grep -E 'Collected' || true)
  echo "callgrind: ${out:-unavailable}"
fi
# Baseline beside it: schema-only validation of the same files with Python's jsonschema
# (what the reference CLI's `naftiko validate` does: JSON Schema, no semantic rules).
if python3 -c "import jsonschema, yaml" 2>/dev/null; then
  python3 - "$corpus" <<'PY'
import glob, json, sys, time
import yaml
from jsonschema import Draft202012Validator
corpus = sys.argv[1]
t = time.perf_counter()
schema = json.load(open(f"{corpus}/../reference/naftiko-alpha2-schema.json"))
v = Draft202012Validator(schema)
files = sorted(glob.glob(f"{corpus}/**/*.yaml", recursive=True))
for f in files:
    list(v.iter_errors(yaml.safe_load(open(f))))
print(f"baseline (python jsonschema, schema only, one process): {(time.perf_counter()-t)*1000:.1f} ms for {len(files)} files")
PY
else
  echo "baseline: SKIPPED (python3 with jsonschema and yaml not installed)"
fi
