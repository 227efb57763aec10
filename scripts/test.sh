#!/usr/bin/env bash
# The README's test command: installs what it needs (Node 24, pnpm, dependencies, Debian chromium for the
# browser tests; Debian's redis-server for the Redis tests), then runs typecheck, lint, every test suite (the
# simulation included), and the package checks, and closes with one line that counts every test that ran: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap.sh --browser --oldest-node

reports=(
  packages/ky-token-refresh/test-results/unit.json
  packages/mock-auth-server/test-results/unit.json
  packages/refresh-proxy/test-results/unit.json
  packages/ky-token-refresh/test-results/browser.json
  packages/ky-token-refresh/test-results/sim-contract.json
  packages/ky-token-refresh/test-results/sim.json
  packages/ky-token-refresh/test-results/node-contract.json
  packages/ky-token-refresh/test-results/redis-contract.json
  packages/ky-token-refresh/test-results/node.json
  e2e/results/report.json
  e2e/results/kit-report.json
)
rm -f "${reports[@]}"

step() { printf '\n==> %s\n' "$*"; }
# mock-auth-server is built before use: e2e, the demo and the bench import its dist/, as a user would.
step "build (mock-auth-server)"; pnpm --filter mock-auth-server run build
step "typecheck";       pnpm -r --workspace-concurrency=1 run typecheck
step "lint (biome, the files git tracks)"; pnpm run lint
step "unit tests (Node) and e2e (Playwright, chromium)"; pnpm -r --workspace-concurrency=1 run test
step "Node door (file and Redis adapters: contract suites, real files, real redis-servers and a Redis Cluster, real processes against the Node mock)"
pnpm --filter ky-token-refresh run test:node
step "simulation (fast-check scheduler: adapter contract, negative controls, pinned schedules, >= 5,000 schedules)"
SIM_CI_RUNS=5000 pnpm --filter ky-token-refresh run test:sim
step "browser tests (vitest browser mode, chromium)"; pnpm --filter ky-token-refresh run test:browser
step "package checks (build, publint, size-limit)"; pnpm --filter ky-token-refresh run check:package
pnpm --filter mock-auth-server exec publint --strict
step "ky-token-refresh from its tarball (pnpm pack builds it; installed with ky outside the repo and used, on Node 24 and on Node 22)"; node packages/ky-token-refresh/scripts/pack-test.ts
step "mock-auth-server from its tarball (the README's race test, installed outside the repo)"; node e2e/kit/pack-test.ts
step "refresh-proxy from its tarball (installed outside the repo, started with its bin, and on Node 22)"
pnpm --filter refresh-proxy run build
pnpm --filter mock-auth-server exec publint --strict ../refresh-proxy
node packages/refresh-proxy/scripts/pack-test.ts
step "summary";         node scripts/summarize-tests.mjs "${reports[@]}"
