import { createStore, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { LeaseLock } from '../src/adapters/lease-lock.js';
import { sleep, uniqueName } from './support.js';

describe('LeaseLock specifics', () => {
  it('a lease left by a dead holder expires, and the next request gets the lock', async () => {
    const name = uniqueName('lease');
    // A tab that died while holding the lock: its lease is never renewed nor released.
    await set(
      'lease',
      { owner: 'dead-tab', expires: Date.now() + 400 },
      createStore(`${name}-lock-db`, 'lease'),
    );
    const lock = new LeaseLock(name);
    const started = performance.now();
    await expect(lock.request(async () => 'mine', { signal: AbortSignal.timeout(5000) })).resolves.toBe(
      'mine',
    );
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(2000);
  });

  it('renews the lease while a long task runs, so a waiter never gets in', async () => {
    const name = uniqueName('lease');
    const holder = new LeaseLock(name, { leaseMs: 150 });
    const waiter = new LeaseLock(name, { leaseMs: 150 });
    let holding = true;
    const long = holder.request(
      async () => {
        await sleep(600);
        holding = false;
      },
      { signal: new AbortController().signal },
    );
    await sleep(20);
    let overlapped = false;
    await waiter.request(
      async () => {
        overlapped = holding;
      },
      { signal: AbortSignal.timeout(5000) },
    );
    await long;
    expect(overlapped).toBe(false);
  });

  it('tells the task it took over from a holder whose lease ran out (tookOver), once; a released lease is no takeover', async () => {
    const name = uniqueName('lease');
    const lock = new LeaseLock(name, { leaseMs: 300 });
    const took = () => lock.request(async ({ tookOver }) => tookOver, { signal: AbortSignal.timeout(5000) });
    expect(await took()).toBe(false);
    await set(
      'lease',
      { owner: 'dead-tab', expires: Date.now() - 1 },
      createStore(`${name}-lock-db`, 'lease'),
    );
    expect(await took()).toBe(true);
    expect(await took()).toBe(false);
  });

  it('a holder whose main thread was blocked past its lease: held() answers false at once and lost aborts, before any renewal', async () => {
    const name = uniqueName('lease');
    const lock = new LeaseLock(name, { leaseMs: 200, renewMs: 50 });
    const seen = await lock.request(
      async ({ held, lost }) => {
        const before = held();
        const blockedUntil = Date.now() + 300;
        while (Date.now() < blockedUntil) {
          // A frozen tab (bounded busy loop).
        }
        return { before, after: held(), lost: lost.aborted };
      },
      { signal: AbortSignal.timeout(5000) },
    );
    expect(seen).toEqual({ before: true, after: false, lost: true });
  });

  it('a renewal that finds another owner aborts lost with a reason', async () => {
    const name = uniqueName('lease');
    const lock = new LeaseLock(name, { leaseMs: 3000, renewMs: 50 });
    const reason = await lock.request(
      async ({ lost }) => {
        await set(
          'lease',
          { owner: 'thief', expires: Date.now() + 60_000 },
          createStore(`${name}-lock-db`, 'lease'),
        );
        await new Promise((resolve) => lost.addEventListener('abort', resolve, { once: true }));
        return String(lost.reason);
      },
      { signal: AbortSignal.timeout(5000) },
    );
    expect(reason).toMatch(/another owner holds it/);
  });

  it('is bounded: gives up after maxWaitMs even without an abort', async () => {
    const name = uniqueName('lease');
    await set(
      'lease',
      { owner: 'forever', expires: Date.now() + 60_000 },
      createStore(`${name}-lock-db`, 'lease'),
    );
    const lock = new LeaseLock(name, { maxWaitMs: 300 });
    await expect(lock.request(async () => 'never', { signal: new AbortController().signal })).rejects.toThrow(
      /Timed out after 300 ms/,
    );
  });
});
