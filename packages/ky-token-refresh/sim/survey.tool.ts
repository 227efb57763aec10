/**
Survey (SIM_SURVEY=1 [SIM_DISABLE=…] N=… SEED=… EX=1 pnpm test:sim -- survey): runs N schedules without
stopping at the first violation and counts each kind of violation (EX=1 prints one input per kind).
*/
import fc from 'fast-check';
import { test } from 'vitest';
import { parseDisabled, worldInput } from './arbitraries.js';
import { runSchedule } from './property.js';

test.skipIf(!process.env.SIM_SURVEY)('survey of violations', { timeout: 0 }, async () => {
  const kinds: Record<string, number> = {};
  const examples: Record<string, string> = {};
  let n = 0;
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), worldInput(parseDisabled(process.env.SIM_DISABLE)), async (s, input) => {
      n++;
      const world = await runSchedule(s, input);
      for (const v of world.violations) {
        const kind = v.replace(/\[t=\d+ms\] /, '').replace(/\d+/g, 'N');
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        examples[kind] ??= JSON.stringify(input);
      }
    }),
    { numRuns: Number(process.env.N ?? 500), seed: Number(process.env.SEED ?? 1) },
  );
  console.log(n, 'schedules', ((performance.now() - started) / 1000).toFixed(1), 's');
  for (const [k, c] of Object.entries(kinds).sort((a, b) => b[1] - a[1]))
    console.log(c, k, process.env.EX ? `\n   ${examples[k]}` : '');
});
