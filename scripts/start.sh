#!/usr/bin/env bash
# Starts the orchestrator with all set-up on a fresh Debian 12 machine with Node 20 (README "Quick start").
#   bash scripts/start.sh [serve options]     e.g. --port 8787
# Installs npm dependencies and builds on first run; makes the Docker engine and worker image
# available when it can (root or passwordless sudo), otherwise tells you how. Data: $PUSHPALS_HOME (~/.pushpals).
set -euo pipefail
cd "$(dirname "$0")/.."
# better-sqlite3 builds its native module with node-gyp, which would download Node's headers
# (unreachable offline): use the installed ones when present.
[ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ] && export npm_config_nodedir=/usr
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
[ -f orchestrator/dist/src/cli.js ] && [ -z "$(find protocol/src orchestrator/src -newer orchestrator/dist/src/cli.js -print -quit)" ] || npm run build --silent
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
    { [ "$(id -u)" -eq 0 ] && env CI=true bash scripts/setup-docker.sh; } || sudo -n env CI=true bash scripts/setup-docker.sh
  else
    echo "[start] Docker is not reachable: tasks will fail until it is. Run: sudo bash scripts/setup-docker.sh" >&2
  fi
fi
exec node orchestrator/dist/src/cli.js serve "$@"
