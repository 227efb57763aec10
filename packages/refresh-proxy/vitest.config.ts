import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Files share 2 CPU cores with the rest of CI and each starts redis-server and proxies: one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // The JSON report feeds the one-line summary printed by scripts/test.sh.
    reporters: ['default', ['json', { outputFile: 'test-results/unit.json' }]],
  },
});
