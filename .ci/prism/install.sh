#!/usr/bin/env bash
# Install Stoplight Prism (@stoplight/prism-cli, pinned in package-lock.json) into
# .ci/prism/node_modules: the tutorial tests (tests/it/run_tutorial.rs) start
# `node_modules/.bin/prism mock` on the Ikanos tutorial's OpenAPI documents
# (../shared/reference/ikanos-beta5/openapi) as upstream mocks on loopback.
# Idempotent: skips npm when node_modules already matches the lockfile.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -f node_modules/.package-lock.json && -x node_modules/.bin/prism ]] \
  && node -e '
    const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
    const strip = (p) => JSON.stringify(Object.fromEntries(Object.entries(p).filter(([k]) => k !== "").map(([k, v]) => [k, v.version + v.integrity])));
    process.exit(strip(a) === strip(b) ? 0 : 1);' 2>/dev/null; then
  echo "prism: node_modules up to date ($(node_modules/.bin/prism --version))"
  exit 0
fi

npm ci --no-audit --no-fund --loglevel=error
echo "prism: $(node_modules/.bin/prism --version)"
