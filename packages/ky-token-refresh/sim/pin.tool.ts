/**
Print the pin of a failure (SIM_PIN=1 SIM_SEED=… SIM_PATH=… [SIM_DISABLE=…] [SIM_SABOTAGE=…] pnpm test:sim -- pin),
to paste into regressions.test.ts or issue8.test.ts.
*/
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { worldInput } from './arbitraries.js';
import type { WorldInput } from './model.js';
import { readEnv } from './options.js';
import { pinOf } from './pinned.js';
import { runSchedule } from './property.js';

test.skipIf(!process.env.SIM_PIN)('pin a failure', async () => {
  const env = readEnv(1);
  const filter = new RegExp(process.env.SIM_PIN_FILTER ?? '.');
  const result = await fc.check(
    fc.asyncProperty(fc.scheduler(), worldInput(env.disabled), async (s, input) => {
      const world = await runSchedule(s, input, env.sabotage);
      if (world.violations.some((violation) => filter.test(violation)))
        throw new Error(world.violations.join('\n'));
    }),
    { seed: env.seed, ...(env.path ? { path: env.path } : {}), numRuns: env.runs },
  );
  expect(result.failed).toBe(true);
  const [s, input] = result.counterexample as [fc.Scheduler, WorldInput];
  console.log(JSON.stringify(pinOf(s, input)));
  console.log((result.errorInstance as Error).message);
});
