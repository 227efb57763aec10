import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseDisabled, worldInput } from './arbitraries.js';
import { runSchedule } from './property.js';

test('smoke', async () => {
  const filter = new RegExp(process.env.FILTER ?? '.');
  const started = performance.now();
  const result = await fc.check(
    fc.asyncProperty(fc.scheduler(), worldInput(parseDisabled(process.env.SIM_DISABLE)), async (s, input) => {
      const world = await runSchedule(s, input);
      const hits = world.violations.filter((v) => filter.test(v));
      if (hits.length > 0) throw new Error(world.violations.join('\n'));
    }),
    { numRuns: Number(process.env.N ?? 50), seed: Number(process.env.SEED ?? 1) },
  );
  console.log(((performance.now() - started) / 1000).toFixed(1), 's');
  console.log(
    result.failed ? `${fc.defaultReportMessage(result)}\n${(result.errorInstance as Error).message}` : 'ok',
  );
  expect(true).toBe(true);
});
