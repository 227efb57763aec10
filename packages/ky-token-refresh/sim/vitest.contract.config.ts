import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser adapters' contract suites, unchanged, run in Node against the simulation's adapters: their
// `./support.js` is swapped for sim/contract-support.ts, and only the contract tests run (the files also
// hold specifics of the browser adapters, which need a browser).
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
    testNamePattern: /(Lock|Channel|Store) contract/,
    environment: 'node',
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'test-results/sim-contract.json' }]],
  },
});
