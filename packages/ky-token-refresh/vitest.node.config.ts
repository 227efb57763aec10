import { defineConfig } from 'vitest/config';

// The Node adapters' specifics (src/node): real files in a fresh temporary directory per test, real child
// processes (test-node/fixtures, run with Node's type stripping).
export default defineConfig({
  test: {
    include: ['test-node/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'test-results/node.json' }]],
  },
});
