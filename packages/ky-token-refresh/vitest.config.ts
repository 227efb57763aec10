import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 15_000,
    // The JSON report feeds the one-line summary printed by scripts/test.sh.
    reporters: ['default', ['json', { outputFile: 'test-results/unit.json' }]],
  },
});
