/**
The simulation as a CI check: SIM_CI_RUNS schedules (default 2,000; scripts/test.sh runs 5,000) from a fixed
seed (SIM_SEED to change it; printed, with the command that replays a failure), so that CI is deterministic
(`pnpm sim`, from a random seed, is where findings are hunted). Every class of operation and fault is on:
every door, option and adapter set, with no known defect counted instead of reported.
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
    SIM_KNOWN_DEFECTS: undefined,
  });
  env.runs = Number(process.env.SIM_CI_RUNS ?? 2_000);
  const result = await runSim(env);
  expect(result.failed, `${result.violation}\nreplay: ${result.replay}`).toBe(false);
});
