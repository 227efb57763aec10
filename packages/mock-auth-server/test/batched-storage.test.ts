import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { AuthStorage } from '../src/index.ts';
import { createIdbStorage, createMemoryStorage } from '../src/index.ts';
import { createBatchedStorage } from '../src/msw/index.ts';
import { login, refresh, testServer } from './helpers.ts';

/** Counts the `get` and `update` calls (transactions) that reach the wrapped storage. */
const counting = (inner: AuthStorage) => {
  const counter = { updates: 0, gets: 0 };
  const storage: AuthStorage = {
    get: (key) => {
      counter.gets++;
      return inner.get(key);
    },
    update: (key, updater) => {
      counter.updates++;
      return inner.update(key, updater);
    },
    delete: (key) => inner.delete(key),
  };
  return { storage, counter };
};

describe('batched storage', () => {
  it('concurrent updates of one tab share transactions, each resolves to its own value, in call order', async () => {
    const { storage, counter } = counting(createIdbStorage('batched-order'));
    const batched = createBatchedStorage(storage);
    const values = await Promise.all(
      Array.from({ length: 20 }, () => batched.update<number>('n', (old) => (old ?? 0) + 1)),
    );
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await batched.get('n')).toBe(20);
    expect(counter.updates).toBeLessThanOrEqual(2); // the first alone, the 19 others together
  });

  it('reads are folded into the batches: 20 requests that each read then write cost a few transactions', async () => {
    const { storage, counter } = counting(createIdbStorage('batched-fold'));
    const batched = createBatchedStorage(storage);
    await batched.update<{ config: number; count: number }>('s', () => ({ config: 7, count: 0 }));
    await new Promise((resolve) => setTimeout(resolve, 0)); // the burst comes to an idle storage
    counter.updates = 0;
    counter.gets = 0;
    // What the mock does per API request: read the state (its configuration), then write it (its counters).
    const seen = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const { config } = (await batched.get<{ config: number; count: number }>('s'))!;
        await batched.update<{ config: number; count: number }>('s', (old) => ({
          ...old!,
          count: old!.count + 1,
        }));
        return config;
      }),
    );
    expect(seen).toEqual(Array(20).fill(7));
    expect(await batched.get('s')).toEqual({ config: 7, count: 20 });
    // Unfolded, each read was its own transaction: 20 gets, then 1-2 updates.
    expect(counter.gets + counter.updates).toBeLessThanOrEqual(4);
  });

  it('a batch of reads only reads (no write); each reader gets its own copy', async () => {
    const { storage, counter } = counting(createIdbStorage('batched-reads'));
    const batched = createBatchedStorage(storage);
    await batched.update<{ n: number }>('s', () => ({ n: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    counter.updates = 0;
    counter.gets = 0;
    const reads = await Promise.all(Array.from({ length: 10 }, () => batched.get<{ n: number }>('s')));
    expect(counter.updates).toBe(0);
    expect(counter.gets).toBeLessThanOrEqual(2);
    reads[0]!.n = 99;
    expect(reads.slice(1)).toEqual(Array(9).fill({ n: 1 }));
    expect(await batched.get('s')).toEqual({ n: 1 });
  });

  it('stays atomic across tabs: two batched "tabs" incrementing concurrently lose nothing', async () => {
    const tabA = createBatchedStorage(createIdbStorage('batched-atomic'));
    const tabB = createBatchedStorage(createIdbStorage('batched-atomic'));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? tabA : tabB).update<{ n: number }>('s', (old) => ({ n: (old?.n ?? 0) + 1 })),
      ),
    );
    expect(await tabA.get('s')).toEqual({ n: 60 });
  });

  it('a get behind pending writes reads them; the value it returns is not changed by later writes', async () => {
    const batched = createBatchedStorage(createMemoryStorage());
    await batched.update<{ n: number }>('s', () => ({ n: 0 }));
    const first = batched.update<{ n: number }>('s', (old) => ({ n: (old?.n ?? 0) + 1 }));
    const read = batched.get<{ n: number }>('s');
    const later = batched.update<{ n: number }>('s', (old) => {
      if (old) old.n += 10; // mutates its own copy, in place
      return old ?? { n: -1 };
    });
    await Promise.all([first, later]);
    expect(await read).toEqual({ n: 1 });
    expect(await batched.get('s')).toEqual({ n: 11 });
  });

  it('an updater that throws rejects alone; the rest of its batch is applied', async () => {
    const batched = createBatchedStorage(createIdbStorage('batched-throw'));
    await batched.update<number>('n', () => 0);
    const outcomes = await Promise.allSettled([
      batched.update<number>('n', (old) => (old ?? 0) + 1),
      batched.update<number>('n', (old) => (old ?? 0) + 1),
      batched.update<number>('n', () => {
        throw new Error('boom');
      }),
      batched.update<number>('n', (old) => (old ?? 0) + 1),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await batched.get('n')).toBe(3);
    await batched.delete('n');
    expect(await batched.get('n')).toBeUndefined();
  });

  it('two servers over one database, each batched: a concurrent strict race still has one winner', async () => {
    const tabA = testServer({ latencyMs: 20 }, createBatchedStorage(createIdbStorage('batched-race')));
    const tabB = testServer({ latencyMs: 20 }, createBatchedStorage(createIdbStorage('batched-race')));
    const token = await login(tabA.server);
    const results = await Promise.all([
      refresh(tabA.server, token),
      refresh(tabB.server, token),
      refresh(tabA.server, token),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await tabB.server.stats()).toMatchObject({
      rotations: 1,
      reuseDetections: 1,
      familyRevocations: 1,
    });
  });
});
