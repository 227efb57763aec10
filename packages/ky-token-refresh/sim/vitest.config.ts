import { defineConfig } from 'vitest/config';

// The simulation (issue 9): kept out of the unit tests' include; run with `pnpm test:sim` / `pnpm sim`.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['sim/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['sim/setup.ts'],
    testTimeout: 300_000,
    reporters: ['default', ['json', { outputFile: 'test-results/sim.json' }]],
  },
});
