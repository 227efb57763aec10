/**
Open findings of the simulation, still failing: an opt-in command, outside the CI run
(`pnpm sim:open`), and listed in sim/README.md until fixed.
- F1 (frozen tabs), one variant left: logins in two frozen tabs one after the other, each store write timing
  out at thaw; each tab numbers its login locally, the last login lands in the store under a generation
  below the tabs', so the tabs ignore it. (The variants with one frozen tab are fixed: see findings.test.ts
  and test/late-writes.test.ts.)
- P1: persistToken false; a tab whose refresh() loses its compare-and-set to a newer withheld generation
  that no peer answers for within the ask wait adopts its own older record and replays with the token that
  just failed (the caller gets the 401), discarding the token its refresh() obtained.
- L1: a logout whose store write is rejected: a tab opened after the logout message left reads the old
  record and keeps the logged-out session's token (logout finality, at idle).
- F4: a login in one tab and a logout in another at the same instant: the plain case is fixed (login and
  logout records carry `decidedAt`), but schedules that add store faults still let the session outlive the
  logout in the client and end later in onSessionExpired ("every fault class" below finds them within a
  few thousand schedules).
*/
import { expect, test } from 'vitest';
import { pins } from './finding-pins.js';
import { readEnv } from './options.js';
import { replayPinned } from './pinned.js';
import { runSim } from './run-sim.js';

test('F1 (three logins in two frozen tabs, every store write timing out): live tabs and the store agree', async () => {
  expect((await replayPinned(pins.frozenLogins!)).violations).toEqual([]);
});

test('P1 (persistToken false, a refresh losing its compare-and-set to a withheld generation): no 401 to the caller', async () => {
  expect((await replayPinned(pins.withheldLostRace!)).violations).toEqual([]);
});

test('L1 (a tab opened after a logout whose store write was rejected): it does not hold the logged-out token', async () => {
  expect((await replayPinned(pins.logoutMissedByNewTab!)).violations).toEqual([]);
});

test('every fault class on: no violation', async () => {
  const env = readEnv(5_000, { ...process.env, SIM_DISABLE: '', SIM_SABOTAGE: '', SIM_PATH: '' });
  env.runs = Number(process.env.SIM_CI_RUNS ?? 5_000);
  const result = await runSim(env);
  expect(result.failed, `${result.violation}\nreplay: ${result.replay}`).toBe(false);
});
