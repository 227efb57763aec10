/**
The simulation as a CI check: SIM_CI_RUNS schedules (default 2,000; scripts/test.sh runs 5,000) from a fixed
seed (SIM_SEED to change it; printed, with the command that replays a failure), so that CI is deterministic:
the open findings of issue 16 (see sim/README.md) are met about once in 50,000 schedules with every class
on, and `pnpm sim` (random seed) is where they are hunted.
Every class of operation and fault is on: every door, option and adapter set. One open finding is counted
instead of reported (`known-defect:hold-store-*` in the tally; see sim/README.md, "Open findings"): with
`holdRefreshToken`, a store fault lets a rotated refresh token out. Remove `hold-store` below once it is fixed.
*/
import { expect, test } from 'vitest';
import { readEnv } from './options.js';
import { runSim } from './run-sim.js';

test('schedules with every class on: no violation', async () => {
  const env = readEnv(2_000, {
    ...process.env,
    SIM_DISABLE: '',
    SIM_SEED: process.env.SIM_SEED ?? '2026120416',
    SIM_SABOTAGE: '',
    SIM_PATH: '',
    SIM_KNOWN_DEFECTS: 'hold-store',
  });
  env.runs = Number(process.env.SIM_CI_RUNS ?? 2_000);
  const result = await runSim(env);
  expect(result.failed, `${result.violation}\nreplay: ${result.replay}`).toBe(false);
});
