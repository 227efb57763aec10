import { defineConfig } from 'vitest/config';

// `pnpm sim`: the long run, one file, no time limit, the runner's own output only.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['sim/runner.sim.ts'],
    environment: 'node',
    setupFiles: ['sim/setup.ts'],
    testTimeout: 0,
    reporters: ['default'],
    printConsoleTrace: false,
  },
});
