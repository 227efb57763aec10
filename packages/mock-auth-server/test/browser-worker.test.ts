import 'fake-indexeddb/auto';
import type { RequestHandler } from 'msw';
import { setupServer } from 'msw/node';
import { afterEach, describe, expect, it, vi } from 'vitest';

// No service worker in Node: `setupWorker` hands its handlers to the test, which runs them with msw/node.
const workers = vi.hoisted(() => [] as { handlers: unknown[] }[]);
vi.mock('msw/browser', () => ({
  setupWorker: (...handlers: unknown[]) => {
    const worker = { handlers, start: async () => undefined, stop: () => undefined };
    workers.push(worker);
    return worker;
  },
}));
const { startMockAuthWorker } = await import('../src/msw/browser.ts');

const ORIGIN = 'http://app.test';

/** Counts the IndexedDB transactions opened on `dbName` while `counting` is on. */
const transactions = (dbName: string) => {
  const count = { readwrite: 0, readonly: 0, on: false };
  const original = IDBDatabase.prototype.transaction;
  const spy = vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (
    this: IDBDatabase,
    ...args: Parameters<IDBDatabase['transaction']>
  ) {
    const tx = original.apply(this, args);
    if (count.on && this.name === dbName) count[tx.mode === 'readwrite' ? 'readwrite' : 'readonly'] += 1;
    return tx;
  });
  return { count, restore: () => spy.mockRestore() };
};

let close: (() => void) | undefined;
afterEach(() => {
  close?.();
  close = undefined;
  vi.restoreAllMocks();
});

/** One tab's mock (startMockAuthWorker), its handlers served by msw/node, a login, then a burst of GETs. */
async function burst(dbName: string, options: { batched?: boolean }, requests: number) {
  const mock = await startMockAuthWorker({ dbName, baseUrl: ORIGIN, ...options });
  const msw = setupServer(...((workers.at(-1)?.handlers ?? []) as RequestHandler[]));
  msw.listen({ onUnhandledFrame: 'error' });
  close = () => msw.close();
  const login = await fetch(`${ORIGIN}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'ann', password: 'pw' }),
  });
  const { access_token } = (await login.json()) as { access_token: string };
  const counter = transactions(dbName);
  counter.count.on = true;
  const statuses = await Promise.all(
    Array.from({ length: requests }, (_, i) =>
      fetch(`${ORIGIN}/api/items/${i}`, { headers: { Authorization: `Bearer ${access_token}` } }).then(
        (response) => response.status,
      ),
    ),
  );
  counter.count.on = false;
  counter.restore();
  return { mock, statuses, transactions: counter.count };
}

describe('startMockAuthWorker', () => {
  it('batches by default: a burst of 20 API requests costs a handful of IndexedDB transactions, not 2-3 each', async () => {
    const { statuses, transactions, mock } = await burst('worker-batched', {}, 20);
    expect(statuses).toEqual(Array(20).fill(200));
    // Each request reads the state (its configuration) and writes it (the counters): the reads are folded
    // into the batches of the writes, and an API request does not read the cookie jar (Path=/auth).
    expect(transactions.readwrite + transactions.readonly).toBeLessThanOrEqual(6);
    expect(await mock.server.stats()).toMatchObject({ logins: 1, api200s: 20 });
  });

  it('`batched: false`: every read and write is its own transaction (what the default saves)', async () => {
    const { statuses, transactions } = await burst('worker-unbatched', { batched: false }, 20);
    expect(statuses).toEqual(Array(20).fill(200));
    expect(transactions.readwrite).toBeGreaterThanOrEqual(20);
    expect(transactions.readonly).toBeGreaterThanOrEqual(20);
  });

  it('two tabs, each batched, over one database: a concurrent strict race still has one winner', async () => {
    const tabA = await startMockAuthWorker({ dbName: 'worker-race', config: { latencyMs: 20 } });
    const tabB = await startMockAuthWorker({ dbName: 'worker-race', config: { latencyMs: 20 } });
    const login = await tabA.server.login('ann', 'pw');
    if (!login.ok) throw new Error('login failed');
    const refresh = (tab: typeof tabA) =>
      tab.server.refresh({ refreshToken: login.refreshToken, requestedWith: 'XMLHttpRequest' });
    const results = await Promise.all([refresh(tabA), refresh(tabB), refresh(tabA), refresh(tabB)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await tabB.server.stats()).toMatchObject({
      rotations: 1,
      reuseDetections: 1,
      familyRevocations: 1,
    });
  });

  it('the jar is still read under /auth: login, then refresh with the cookie it set', async () => {
    await burst('worker-cookie', {}, 1);
    const response = await fetch(`${ORIGIN}/auth/refresh`, {
      method: 'POST',
      headers: { 'X-Requested-With': 'fetch' },
    });
    expect(response.status).toBe(200);
  });
});
