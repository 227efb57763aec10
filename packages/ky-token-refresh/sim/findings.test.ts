/**
Open findings of the simulation against the library with the issue-8 fixes: EXPECTED TO FAIL until they
are fixed (see the note of issue 9). Kept apart so the rest of the simulation stays green meanwhile.
Replay one with its events: write its pin to a file and run `SIM_TRACE=file pnpm test:sim -- trace`.
*/
import { describe, expect, test } from 'vitest';
import { type Pinned, replayPinned } from './pinned.js';

const pins: Record<string, Pinned> = {
  logoutRacingRefusal: {
    input: {
      tabs: 3,
      preset: 'strict',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 3000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [],
      refreshFaults: ['refuse'],
      channelDelayMs: 0,
      latencySeed: 0,
      ops: [
        { gapMs: 10000, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'logout', tab: 0 } },
        { gapMs: 0, op: { kind: 'logout', tab: 0 } },
        { gapMs: 1, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
      ],
    },
    order: [3, 1, 2, 4, 6, 5, 7, 10, 8, 11, 13, 14, 15, 16, 12, 18, 19, 17, 9, 20, 21, 23, 24, 22, 25, 26],
  },
  slowSetToken: {
    input: {
      tabs: 3,
      preset: 'strict',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 3000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [{ call: 3, fault: { slowMs: 3000 } }],
      refreshFaults: [],
      channelDelayMs: 1,
      latencySeed: 0,
      ops: [
        { gapMs: 0, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 1, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'expire' } },
        { gapMs: 2000, op: { kind: 'expire' } },
        { gapMs: 999, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'expire' } },
      ],
    },
    order: [
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 12, 16, 14, 17, 18, 19, 20, 21, 22, 23, 24, 25, 28, 27, 26,
      29, 30, 31, 32, 34, 33,
    ],
  },
  frozenSetToken: {
    input: {
      tabs: 2,
      preset: 'okta',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 1000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [],
      refreshFaults: [],
      channelDelayMs: 0,
      latencySeed: 0,
      ops: [
        { gapMs: 10000, op: { kind: 'burst', tab: 1, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'freeze', tab: 0, forMs: 1001 } },
        { gapMs: 0, op: { kind: 'login', tab: 0 } },
      ],
    },
    order: [1, 2, 3, 4, 5, 6, 8, 7, 10, 9, 11, 12, 13, 15, 14, 16],
  },
  frozenLogin: {
    input: {
      tabs: 2,
      preset: 'strict',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 1000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [],
      refreshFaults: [],
      channelDelayMs: 0,
      latencySeed: 0,
      ops: [
        { gapMs: 1, op: { kind: 'expire' } },
        { gapMs: 1, op: { kind: 'freeze', tab: 0, forMs: 251 } },
        { gapMs: 1, op: { kind: 'login', tab: 0 } },
        { gapMs: 0, op: { kind: 'burst', tab: 1, count: 1, post: false, foreign: false } },
        { gapMs: 1, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
      ],
    },
    order: [1, 2, 3, 4, 5, 6, 8, 7, 9, 11, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21],
  },
  disposeDuringSetToken: {
    input: {
      tabs: 4,
      preset: 'strict',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 1000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [],
      refreshFaults: [],
      channelDelayMs: 1,
      latencySeed: 0,
      ops: [
        { gapMs: 1, op: { kind: 'dispose', tab: 0 } },
        { gapMs: 0, op: { kind: 'login', tab: 0 } },
        { gapMs: 0, op: { kind: 'open' } },
        { gapMs: 1, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
      ],
    },
    order: [2, 1, 5, 4, 3, 10, 9, 7, 11, 8, 6, 13, 12, 14, 15],
  },
  refusalWhileLoggingOut: {
    input: {
      tabs: 4,
      preset: 'strict',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 1000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [{ call: 5, fault: 'hang' }],
      refreshFaults: ['refuse'],
      channelDelayMs: 0,
      latencySeed: 0,
      ops: [
        { gapMs: 1, op: { kind: 'expire' } },
        { gapMs: 1, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'logout', tab: 0 } },
        { gapMs: 0, op: { kind: 'open' } },
      ],
    },
    order: [
      3, 2, 1, 4, 5, 8, 6, 7, 9, 11, 12, 10, 14, 13, 15, 16, 17, 18, 19, 22, 20, 21, 23, 24, 26, 28, 25, 27,
    ],
  },
};

// Skipped unless SIM_OPEN=1 until fixed (then drop the skip): CI stays green meanwhile.
describe.skipIf(!process.env.SIM_OPEN)('open findings (expected to fail until fixed)', () => {
  test('F1: a setToken() store write slower than its bound lands later, unfenced, re-stamping the login token over a newer refresh (slow store)', async () => {
    expect((await replayPinned(pins.slowSetToken!)).violations).toEqual([]);
  });
  test('F1: the same with a frozen tab: its setToken() write lands at thaw over a newer record; live tabs diverge from the store', async () => {
    expect((await replayPinned(pins.frozenSetToken!)).violations).toEqual([]);
  });
  test('F1: login in a frozen tab while another tab refreshes: the store ends on the older token at a newer generation', async () => {
    expect((await replayPinned(pins.frozenLogin!)).violations).toEqual([]);
  });
  test('F2: dispose() while setToken() is in flight: the record is stored but never broadcast; the other tabs stay on the old token', async () => {
    expect((await replayPinned(pins.disposeDuringSetToken!)).violations).toEqual([]);
  });
  test('F3: a refusal that lands while logout() is pending (its store write hanging) calls onSessionExpired in the tab that called logout()', async () => {
    expect((await replayPinned(pins.refusalWhileLoggingOut!)).violations).toEqual([]);
  });
  test('F3: the same without any store fault: logout() in the tab whose refresh is being refused (found at schedule 79,313 of seed 20261130)', async () => {
    expect((await replayPinned(pins.logoutRacingRefusal!)).violations).toEqual([]);
  });
});
