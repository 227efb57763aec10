/**
The simulation as a CI check: SIM_CI_RUNS schedules (default 2,000; scripts/test.sh runs 5,000) from a
random seed (printed, with the command that replays a failure).
Every class of operation and fault is on (there is no open finding): every door, option and adapter set.
*/
import { expect, test } from 'vitest';
import { readEnv } from './options.js';
import { runSim } from './run-sim.js';

test('schedules with every class on: no violation', async () => {
  const env = readEnv(2_000, {
    ...process.env,
    SIM_DISABLE: '',
    SIM_SABOTAGE: '',
    SIM_PATH: '',
    SIM_KNOWN_DEFECTS: undefined,
  });
  env.runs = Number(process.env.SIM_CI_RUNS ?? 2_000);
  const result = await runSim(env);
  expect(result.failed, `${result.violation}\nreplay: ${result.replay}`).toBe(false);
});
