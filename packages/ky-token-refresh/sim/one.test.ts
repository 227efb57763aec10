import fc from 'fast-check';
import { test } from 'vitest';
import type { WorldInput } from './model.js';
import { runSchedule } from './property.js';

test('one', async () => {
  const input: WorldInput = {
    tabs: 2,
    preset: 'strict',
    atomic: true,
    accessTtlMs: 30000,
    refreshTimeoutMs: 1000,
    refreshBeforeExpiryMs: 0,
    maxLatencyMs: 0,
    retry: 0,
    ignoresSignal: [],
    storeFaults: Array.from({ length: 40 }, (_, call) => ({ call: call + 3, fault: 'reject' as const })),
    refreshFaults: [],
    channelDelayMs: 0,
    latencySeed: 1,
    ops: [
      { gapMs: 10, op: { kind: 'expire' } },
      { gapMs: 0, op: { kind: 'burst', tab: 0, count: 2, post: false, foreign: false } },
    ],
  };
  const s = fc.sample(fc.scheduler(), { seed: 1, numRuns: 1 })[0]!;
  const world = await runSchedule(s, input);
  console.log(
    world.violations,
    world.counts,
    world.requests.map((r) => [r.ok, String(r.error), [...r.excuses]]),
  );
  console.log(String(s));
});
