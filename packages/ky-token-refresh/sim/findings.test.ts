/**
Findings of the simulation, all fixed: F1-F3 (on the issue-8 fixes) and F1's last variant, F4, P1 and L1 (on
issue 16's extended simulation). Each pin failed on the library before its fix and must replay clean. Replay
one with its events: write its pin to a file and run `SIM_TRACE=file pnpm sim:tool trace`.
*/
import { describe, expect, test } from 'vitest';
import { pins } from './finding-pins.js';
import { replayPinned } from './pinned.js';

// Found by the simulation on the issue-8 fixes, fixed since (each also has a unit test in
// test/late-writes.test.ts): these pins must replay clean.
describe('findings F1-F3, fixed', () => {
  test('F1: a setToken() store write slower than its bound never lands over a newer refresh (slow store)', async () => {
    expect((await replayPinned(pins.slowSetToken!)).violations).toEqual([]);
  });
  test('F1: login in a frozen tab while another tab refreshes: the store does not end on the older token at a newer generation', async () => {
    expect((await replayPinned(pins.frozenLogin!)).violations).toEqual([]);
  });
  test('F1: a setToken() write of a frozen tab lands at thaw; live tabs and the store agree', async () => {
    expect((await replayPinned(pins.frozenSetToken!)).violations).toEqual([]);
  });
  test('F2: dispose() while setToken() is in flight: the record is stored and broadcast', async () => {
    expect((await replayPinned(pins.disposeDuringSetToken!)).violations).toEqual([]);
  });
  test('F3: a refusal that lands while logout() is pending (its store write hanging) does not call onSessionExpired in the tab that called logout()', async () => {
    expect((await replayPinned(pins.refusalWhileLoggingOut!)).violations).toEqual([]);
  });
  test('F3: the same without any store fault: logout() in the tab whose refresh is being refused', async () => {
    expect((await replayPinned(pins.logoutRacingRefusal!)).violations).toEqual([]);
  });
});

// Found by the simulation of issue 16 (every door, option and adapter set), fixed since.
describe('findings of issue 16, fixed', () => {
  test('F1: three logins in two frozen tabs, every store write timing out: live tabs and the store agree (the later login wins)', async () => {
    expect((await replayPinned(pins.frozenLogins!)).violations).toEqual([]);
  });
  test('F4: a frozen tab’s logout and another tab’s refresh at one generation: the logout is not undone', async () => {
    expect((await replayPinned(pins.logoutUndoneByConflict!)).violations).toEqual([]);
  });
  test('P1: persistToken false, a refresh losing its compare-and-set to a withheld generation: no 401 to the caller', async () => {
    expect((await replayPinned(pins.withheldLostRace!)).violations).toEqual([]);
  });
  test('L1: a tab opened after a logout whose store write was rejected does not keep the logged-out token', async () => {
    expect((await replayPinned(pins.logoutMissedByNewTab!)).violations).toEqual([]);
  });
  test('L2: a logout whose store write was rejected, its tab closed before a new tab opens: the new tab is logged out too', async () => {
    expect((await replayPinned(pins.logoutLostWithItsTab!)).violations).toEqual([]);
  });
  test('L3: a tab opened while a logout’s messages are on their way (its store write hanging): the tabs its hello reached first tell it', async () => {
    expect((await replayPinned(pins.logoutOvertakenByHello!)).violations).toEqual([]);
  });
  test('L4: a logout whose store write hangs, its tab disposed at once: a tab opened later is told by the disposed one', async () => {
    expect((await replayPinned(pins.logoutOfADisposedTab!)).violations).toEqual([]);
  });
  test('W1: a login and a logout in two tabs in one millisecond: either may win, every tab ends on one record', async () => {
    expect((await replayPinned(pins.loginAtTheInstantOfALogout!)).violations).toEqual([]);
  });
  test('W2: a logout in a tab that has not heard of an earlier login in another tab ends that login too', async () => {
    expect((await replayPinned(pins.logoutAfterAnUnheardLogin!)).violations).toEqual([]);
  });
  test('H1: holdRefreshToken, a refresh whose store write outlives its bound: no other tab presents the rotated refresh token', async () => {
    expect((await replayPinned(pins.holdWriteGivenUp!)).violations).toEqual([]);
  });
  test('H2: holdRefreshToken, a store read given up under the lock: no refresh with a refresh token that rotated', async () => {
    expect((await replayPinned(pins.holdReadGivenUp!)).violations).toEqual([]);
  });
  test('L5: persistToken false, a tab opened while a login’s messages are on their way, its hello answered with the older record: it is told the login', async () => {
    expect((await replayPinned(pins.loginOvertakesAnAnsweredHello!)).violations).toEqual([]);
  });
  test('L6: persistToken false, a late refresh that lost its compare-and-set to a withheld login does not put the older session over it', async () => {
    expect((await replayPinned(pins.lateRefreshOverAWithheldLogin!)).violations).toEqual([]);
  });
});
