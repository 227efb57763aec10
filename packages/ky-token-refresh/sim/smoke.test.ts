import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseDisabled } from './arbitraries.js';
import { simProperty } from './property.js';

test('smoke', async () => {
  const tally: Record<string, number> = {};
  const started = performance.now();
  const result = await fc.check(simProperty({ tally, disabled: parseDisabled(process.env.SIM_DISABLE) }), {
    numRuns: Number(process.env.N ?? 50),
    seed: Number(process.env.SEED ?? 1),
  });
  console.log(((performance.now() - started) / 1000).toFixed(1), 's');
  console.log(
    result.failed ? `${fc.defaultReportMessage(result)}\n${(result.errorInstance as Error).message}` : 'ok',
  );
  expect(true).toBe(true);
});
