import { expect, test } from 'vitest';
import { readEnv } from './options.js';
import { runSim } from './run-sim.js';

// `pnpm sim` (see run-sim.ts). A vitest file so the library's TypeScript sources load as they are.
test('simulation', async () => {
  const result = await runSim(readEnv(100_000));
  expect(result.failed, result.replay).toBe(false);
});
