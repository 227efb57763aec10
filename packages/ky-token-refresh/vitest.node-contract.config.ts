import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser adapters' contract suites, unchanged, run in Node against the file adapters (src/node): their
// `./support.js` is swapped for test-node/contract-support.ts.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^\.\/support\.js$/,
        replacement: fileURLToPath(new URL('./test-node/contract-support.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['test-browser/lock.test.ts', 'test-browser/channel.test.ts', 'test-browser/store.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'test-results/node-contract.json' }]],
  },
});
