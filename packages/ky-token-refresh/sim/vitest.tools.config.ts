import { defineConfig } from 'vitest/config';

// The simulation's opt-in tools, never part of the CI run: `pnpm sim:tool <survey|measure|pin|trace>` (each
// asks for its own env, see sim/README.md).
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['sim/*.tool.ts'],
    environment: 'node',
    setupFiles: ['sim/setup.ts'],
    testTimeout: 0,
    reporters: ['default'],
  },
});
