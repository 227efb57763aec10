import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './chromium.mjs';
import { ensureBuilt } from './packages/mock-auth-server/scripts/ensure-built.mjs';

// The suite imports mock-auth-server's dist/ (its Playwright fixtures, its Node server): (re)build it when
// a source is newer. Once, in the runner process, before any test file is loaded.
if (process.env.TEST_WORKER_INDEX === undefined) ensureBuilt();

/**
The one Playwright config: the e2e suite (e2e/tests) in real Chromium. `pnpm exec playwright test` from the
repository root runs it; `pnpm --filter e2e test` does the same. See e2e/README.md.
*/

/** The demo (Vite build of apps/demo, MSW in the page) is served here by `vite preview` for e2e/tests/demo. */
const DEMO_PORT = Number(process.env.DEMO_PORT ?? 4317);
const demoDist = 'e2e/results/demo-dist';

export default defineConfig({
  testDir: './e2e/tests',
  // Every test starts its own mock server, but drives a browser context of several tabs on few shared cores
  // (and the demo's fixed port): one test at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  // The JSON report feeds the one-line summary printed by scripts/test.sh.
  reporter: [['list'], ['json', { outputFile: 'e2e/results/report.json' }]],
  outputDir: 'e2e/results/artifacts',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: chromiumLaunchOptions,
  },
  projects: [
    // The harness page and the Node adapter (real HttpOnly cookies), started per test by the `mockServer`
    // fixture of mock-auth-server/playwright.
    { name: 'node', testIgnore: ['demo/**'] },
    // The demo SPA on the MSW mock (server state in IndexedDB, emulated cookie jar).
    { name: 'demo', testMatch: ['demo/**/*.spec.ts'], use: { baseURL: `http://127.0.0.1:${DEMO_PORT}` } },
  ],
  webServer: {
    // Built into e2e/results (not apps/demo/dist), skipping the demo's own type-check; served on 127.0.0.1.
    command: `pnpm exec vite build --logLevel warn --outDir ../../${demoDist} --emptyOutDir && pnpm exec vite preview --outDir ../../${demoDist} --host 127.0.0.1 --port ${DEMO_PORT} --strictPort`,
    cwd: 'apps/demo',
    url: `http://127.0.0.1:${DEMO_PORT}/`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
