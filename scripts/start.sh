#!/usr/bin/env bash
# The README's main command. Installs what it needs (Node 24, pnpm, dependencies), then runs the main job.
#   bash scripts/start.sh            the demo SPA on http://127.0.0.1:5173/ (MSW mock server in the page)
#   bash scripts/start.sh example    the library example (20 requests at expiry, one refresh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap.sh
job="${1:-demo}"
if [ "$job" = "demo" ]; then
  echo "Starting the demo on http://127.0.0.1:5173/ (open it in two tabs; Ctrl-C stops it)"
  exec pnpm --filter demo run dev
fi
pnpm --filter ky-token-refresh run build >/dev/null
exec node packages/ky-token-refresh/examples/burst.mjs
