#!/usr/bin/env bash
# The README's test command: installs what it needs (Node 24, pnpm, dependencies, Debian chromium for the
# browser tests), then runs typecheck, lint, every package's tests, and the package checks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap.sh --browser

step() { printf '\n==> %s\n' "$*"; }
step "typecheck";       pnpm -r --workspace-concurrency=1 run typecheck
step "lint (biome)";    pnpm exec biome ci .
step "tests";           pnpm -r --workspace-concurrency=1 run test
step "package checks (build, publint, size-limit)"; pnpm --filter ky-token-refresh run check:package
