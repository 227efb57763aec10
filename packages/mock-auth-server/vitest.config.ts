import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The JSON report feeds the one-line summary printed by scripts/test.sh.
    reporters: ['default', ['json', { outputFile: 'test-results/unit.json' }]],
  },
});
