#!/usr/bin/env bash
# The README's main command. Installs what it needs (Node 24, pnpm, dependencies), then runs the main job.
#   bash scripts/start.sh            the demo SPA on http://127.0.0.1:5173/ (MSW mock server in the page)
#   PORT=5180 bash scripts/start.sh  the demo on another port
#   bash scripts/start.sh example    the library example (20 requests at expiry, one refresh)
#   bash scripts/start.sh --help     this usage
# Anything else is refused with the usage (exit 2), before anything is installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
  cat <<'USAGE'
Usage: bash scripts/start.sh [demo | example | --help]
  demo (default)   the demo SPA on http://127.0.0.1:${PORT:-5173}/ (open it in two tabs; Ctrl-C stops it)
  example          the library example in Node (20 requests at expiry, one refresh)
Environment:
  PORT             the demo's port (default 5173), e.g. PORT=5180 bash scripts/start.sh
USAGE
}

if [ "$#" -gt 1 ]; then
  echo "start.sh: one job at most, got $# arguments: $*" >&2
  usage >&2
  exit 2
fi
job="${1:-demo}"
case "$job" in
  demo | example) ;;
  -h | --help | help)
    usage
    exit 0
    ;;
  *)
    echo "start.sh: unknown job '$job'" >&2
    usage >&2
    exit 2
    ;;
esac

port="${PORT:-5173}"
if [ "$job" = "demo" ]; then
  if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    echo "start.sh: PORT must be a port number (1-65535), got '$port'" >&2
    exit 2
  fi
fi

. scripts/bootstrap.sh

if [ "$job" = "demo" ]; then
  # Vite would print a stack trace for a taken port: check first, and say how to choose another.
  if ! node -e '
    const server = require("node:net").createServer();
    server.once("error", () => process.exit(1));
    server.listen(Number(process.argv[1]), "127.0.0.1", () => server.close(() => process.exit(0)));
  ' "$port"; then
    echo "start.sh: port $port on 127.0.0.1 is in use; choose another with PORT=<port> bash scripts/start.sh" >&2
    exit 1
  fi
  echo "Starting the demo on http://127.0.0.1:$port/ (open it in two tabs; Ctrl-C stops it)"
  exec pnpm --filter demo exec vite --port "$port" --strictPort
fi
pnpm --filter ky-token-refresh run build >/dev/null
exec node packages/ky-token-refresh/examples/burst.mjs
