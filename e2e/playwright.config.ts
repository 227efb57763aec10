import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from '../chromium.mjs';

/** The demo (Vite build of apps/demo, MSW in the page) is served here by `vite preview` for tests/demo. */
const DEMO_PORT = Number(process.env.DEMO_PORT ?? 4317);
const demoDist = 'results/demo-dist';

export default defineConfig({
  testDir: './tests',
  // Every test drives one shared mock server and one browser context of several tabs: one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  // The JSON report feeds the one-line summary printed by scripts/test.sh.
  reporter: [['list'], ['json', { outputFile: 'results/report.json' }]],
  outputDir: 'results/artifacts',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: chromiumLaunchOptions,
  },
  projects: [
    // The harness page and the Node adapter (real HttpOnly cookies), started by the `server` fixture.
    { name: 'node', testIgnore: ['demo/**'] },
    // The demo SPA on the MSW mock (server state in IndexedDB, emulated cookie jar).
    { name: 'demo', testMatch: ['demo/**/*.spec.ts'], use: { baseURL: `http://127.0.0.1:${DEMO_PORT}` } },
  ],
  webServer: {
    // Built into e2e/results (not apps/demo/dist), skipping the demo's own type-check; served on 127.0.0.1.
    command: `pnpm exec vite build --logLevel warn --outDir ../../e2e/${demoDist} --emptyOutDir && pnpm exec vite preview --outDir ../../e2e/${demoDist} --host 127.0.0.1 --port ${DEMO_PORT} --strictPort`,
    cwd: '../apps/demo',
    url: `http://127.0.0.1:${DEMO_PORT}/`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
