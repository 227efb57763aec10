import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser adapters' contract suites, unchanged, run in Node against the simulation's adapters: their
// `./support.js` is swapped for sim/contract-support.ts. (The browser adapters' specifics, which need a
// browser, are in their own files: *-specifics.test.ts.)
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^\.\/support\.js$/,
        replacement: fileURLToPath(new URL('./contract-support.ts', import.meta.url)),
      },
    ],
  },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test-browser/lock.test.ts', 'test-browser/channel.test.ts', 'test-browser/store.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'test-results/sim-contract.json' }]],
  },
});
