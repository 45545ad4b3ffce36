#!/usr/bin/env bash
# Install the loopback OAuth 2.0 test server's dependencies (oidc-provider)
# from package-lock.json. Idempotent: skips npm when node_modules already
# matches the lockfile.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# npm writes node_modules/.package-lock.json on install; if it is identical to
# the committed lockfile's package set, there is nothing to do.
if [[ -f node_modules/.package-lock.json ]] \
  && node -e '
    const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
    const strip = (p) => JSON.stringify(Object.fromEntries(Object.entries(p).filter(([k]) => k !== "").map(([k, v]) => [k, v.version + v.integrity])));
    process.exit(strip(a) === strip(b) ? 0 : 1);' 2>/dev/null; then
  echo "oauth2-server: node_modules up to date"
  exit 0
fi

npm ci --no-audit --no-fund
