/**
Negative controls: the simulation must catch each deliberately broken world within 2,000 schedules, with
the classes with known open defects off (so the catch is the sabotage's, not a known defect's), on
three seeds.
*/
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseDisabled, worldInput } from './arbitraries.js';
import { KNOWN_OPEN_CLASSES, SABOTAGES } from './options.js';
import { runSchedule } from './property.js';

const controls: { sabotage: string; signature: RegExp }[] = [
  // Every tab alone: two tabs refresh at once (and on a strict server the second one is refused).
  { sabotage: 'no-cross-tab', signature: /refresh\(\) while tab|refresh refused|redundant refresh/ },
  // Two holders: two refresh() calls at once.
  { sabotage: 'double-lock', signature: /refresh\(\) while tab|refresh refused/ },
  // The double check reads an old record: a second refresh for one expiry.
  // (or tabs adopting an old record and diverging from the store).
  { sabotage: 'stale-store', signature: /redundant refresh|refresh\(\) while tab|refresh refused|idle:/ },
];

describe.each(controls)('negative control $sabotage', ({ sabotage, signature }) => {
  test.each([1, 2, 3])('caught within 2,000 schedules (seed %i)', async (seed) => {
    const property = fc.asyncProperty(
      fc.scheduler(),
      worldInput(parseDisabled(KNOWN_OPEN_CLASSES)),
      async (s, input) => {
        const world = await runSchedule(s, input, {
          ...SABOTAGES[sabotage],
          knownDefects: new Set(['item5', 'F3']),
        });
        if (world.violations.length > 0) throw new Error(world.violations.join('\n'));
      },
    );
    const result = await fc.check(property, { numRuns: 2_000, seed, endOnFailure: true });
    expect(result.failed).toBe(true);
    expect(result.numRuns).toBeLessThanOrEqual(2_000);
    expect((result.errorInstance as Error).message).toMatch(signature);
  });
});
