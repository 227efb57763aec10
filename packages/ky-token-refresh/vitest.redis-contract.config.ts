import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser adapters' contract suites, unchanged, run in Node against the Redis adapters (src/node/redis) on a real redis-server: their
// `./support.js` is swapped for test-node/redis-contract-support.ts.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^\.\/support\.js$/,
        replacement: fileURLToPath(new URL('./test-node/redis-contract-support.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['test-browser/lock.test.ts', 'test-browser/channel.test.ts', 'test-browser/store.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'test-results/redis-contract.json' }]],
  },
});
