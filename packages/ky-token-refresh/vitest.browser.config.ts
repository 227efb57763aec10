import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumLaunchOptions } from '../../chromium.mjs';

export default defineConfig({
  // Every dependency the tests load, pre-bundled up front: a re-optimisation mid-run reloads the page and
  // stalls the other test files.
  optimizeDeps: { include: ['idb-keyval', 'broadcast-channel', 'axios'] },
  test: {
    include: ['test-browser/**/*.test.ts'],
    testTimeout: 30_000,
    // The JSON report feeds the one-line summary printed by scripts/test.sh.
    reporters: ['default', ['json', { outputFile: 'test-results/browser.json' }]],
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: chromiumLaunchOptions,
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
