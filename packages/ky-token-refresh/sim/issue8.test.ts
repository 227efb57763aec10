/**
Pinned schedules that failed on main at fdf6127 because of the defects of issue 8, and replay clean
since its fixes: they guard them. Each was found by `pnpm sim`, shrunk, and pinned with `fc.schedulerFor`
(see pinned.ts for what happens when the library's steps change).
*/
import { describe, expect, test } from 'vitest';
import { type Pinned, replayPinned } from './pinned.js';

const pins: Record<string, Pinned> = {
  expiredTwice: {
    input: {
      tabs: 6,
      preset: 'strict',
      atomic: false,
      accessTtlMs: 10000,
      refreshTimeoutMs: 1000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [],
      refreshFaults: ['refuse'],
      channelDelayMs: 1,
      latencySeed: 0,
      ops: [
        { gapMs: 10000, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'login', tab: 1 } },
        { gapMs: 0, op: { kind: 'expire' } },
        { gapMs: 0, op: { kind: 'expire' } },
        { gapMs: 0, op: { kind: 'burst', tab: 4, count: 1, post: false, foreign: false } },
      ],
    },
    order: [
      5, 1, 7, 4, 6, 2, 3, 12, 9, 8, 11, 10, 18, 14, 16, 19, 13, 17, 15, 20, 22, 23, 24, 25, 21, 26, 28, 27,
      29, 30, 31, 32, 33, 34, 35, 45, 41, 49, 40, 42, 38, 44, 43, 50, 46, 36, 48, 47, 37, 39,
    ],
  },
  'store-reject': {
    input: {
      tabs: 2,
      preset: 'strict',
      atomic: false,
      accessTtlMs: 10000,
      refreshTimeoutMs: 3000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [{ call: 3, fault: 'reject' }],
      refreshFaults: [],
      channelDelayMs: 0,
      latencySeed: 0,
      ops: [{ gapMs: 10000, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } }],
    },
    order: [2, 1, 3, 4, 5, 6, 7],
  },
  overlap: {
    input: {
      tabs: 5,
      preset: 'strict',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 1000,
      refreshBeforeExpiryMs: 30000,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [{ call: 10, fault: { slowMs: 1001 } }],
      refreshFaults: ['ok', 'ok', 'hang'],
      channelDelayMs: 0,
      latencySeed: 0,
      ops: [
        { gapMs: 5000, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 5000, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 5000, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'expire' } },
      ],
    },
    order: [
      5, 2, 3, 4, 1, 6, 7, 9, 10, 8, 11, 12, 13, 14, 15, 16, 21, 18, 17, 20, 19, 22, 23, 24, 25, 26, 27, 31,
      29, 32, 28, 30, 33, 35, 34, 36, 37, 38, 39, 40, 41, 42, 46, 43, 44, 47, 45, 48,
    ],
  },
  item5: {
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
      channelDelayMs: 1,
      latencySeed: 0,
      ops: [
        { gapMs: 0, op: { kind: 'logout', tab: 0 } },
        { gapMs: 1, op: { kind: 'open' } },
        { gapMs: 2000, op: { kind: 'burst', tab: 5, count: 1, post: false, foreign: false } },
        { gapMs: 1, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
      ],
    },
    order: [1, 2, 3, 4, 5, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 20],
  },
  again: {
    input: {
      tabs: 3,
      preset: 'strict',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 1000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [],
      refreshFaults: ['late'],
      channelDelayMs: 0,
      latencySeed: 0,
      ops: [
        { gapMs: 0, op: { kind: 'burst', tab: 0, count: 3, post: false, foreign: false } },
        { gapMs: 1, op: { kind: 'expire' } },
        { gapMs: 0, op: { kind: 'burst', tab: 0, count: 4, post: false, foreign: false } },
        { gapMs: 2000, op: { kind: 'burst', tab: 0, count: 3, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'abort', tab: 0 } },
        { gapMs: 1, op: { kind: 'burst', tab: 3, count: 1, post: false, foreign: false } },
        { gapMs: 0, op: { kind: 'open' } },
        { gapMs: 1, op: { kind: 'login', tab: 0 } },
      ],
    },
    order: [
      2, 3, 1, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 14, 11, 16, 17, 18, 19, 20, 21, 22, 26, 23, 24, 27, 28, 25,
      29, 30, 31, 32, 33, 34, 36, 37, 35, 38, 39, 40, 41, 42, 43, 44, 45, 47, 46, 48, 49, 51, 50, 52,
    ],
  },
  dispose: {
    input: {
      tabs: 2,
      preset: 'strict',
      atomic: true,
      accessTtlMs: 10000,
      refreshTimeoutMs: 3000,
      refreshBeforeExpiryMs: 0,
      maxLatencyMs: 0,
      retry: 0,
      ignoresSignal: [],
      storeFaults: [],
      refreshFaults: ['hang'],
      channelDelayMs: 0,
      latencySeed: 0,
      ops: [
        { gapMs: 2000, op: { kind: 'expire' } },
        { gapMs: 1, op: { kind: 'burst', tab: 7, count: 1, post: false, foreign: false } },
        { gapMs: 1, op: { kind: 'burst', tab: 0, count: 1, post: false, foreign: false } },
        { gapMs: 1, op: { kind: 'dispose', tab: 0 } },
      ],
    },
    order: [2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
  },
};

describe('issue 8 (failed before its fixes)', () => {
  test('defect 1: a store get that rejects under the lock reaches the caller as a raw Error (no refresh)', async () => {
    expect((await replayPinned(pins['store-reject']!)).violations).toEqual([]);
  });
  test('defect 2: a slow double-check read; the 2x refreshTimeoutMs guard frees the lock while refresh() runs, and a second refresh() starts', async () => {
    expect((await replayPinned(pins.overlap!)).violations).toEqual([]);
  });
  test('item 5: onSessionExpired after logout (a tab opened after logout makes its refused refresh)', async () => {
    expect((await replayPinned(pins.item5!)).violations).toEqual([]);
  });
  test("item 5: onSessionExpired a second time in one session (a new tab's refused refresh)", async () => {
    expect((await replayPinned(pins.again!)).violations).toEqual([]);
  });
  test('item 7: a tab disposed during its refresh stores the new token but never broadcasts it', async () => {
    expect((await replayPinned(pins.dispose!)).violations).toEqual([]);
  });
  test('item 5: a tab that already expired calls onSessionExpired again when a later refusal is broadcast (login racing a refusal; found at schedule 45,362 of a 100,000 run)', async () => {
    expect((await replayPinned(pins.expiredTwice!)).violations).toEqual([]);
  });
});
