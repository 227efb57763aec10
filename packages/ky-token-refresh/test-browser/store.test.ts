import { describe, expect, it } from 'vitest';
import type { TokenRecord } from '../src/core/types.js';
import { storeTransports, uniqueName } from './support.js';

describe.each(storeTransports)('Store contract: $label', ({ create }) => {
  it('starts empty, and update() returns and persists the new record', async () => {
    const name = uniqueName('store');
    const store = create(name);
    expect(await store.get()).toBeUndefined();
    const record: TokenRecord = { generation: 1, token: 'a', expiresAt: 10, issuedAt: 5 };
    let seen: TokenRecord | undefined | null = null;
    await expect(
      store.update((current) => {
        seen = current;
        return record;
      }),
    ).resolves.toEqual(record);
    expect(seen).toBeUndefined();
    expect(await store.get()).toEqual(record);
    // Another instance (another tab) sees it.
    expect(await create(name).get()).toEqual(record);
  });

  it('update() is atomic under concurrent writers: 5 instances × 20 increments = 100', async () => {
    const name = uniqueName('store');
    const stores = Array.from({ length: 5 }, () => create(name));
    const results = await Promise.all(
      stores.flatMap((store) =>
        Array.from({ length: 20 }, () =>
          store.update((current) => ({ generation: (current?.generation ?? 0) + 1, token: 'x' })),
        ),
      ),
    );
    expect((await create(name).get())?.generation).toBe(100);
    // Every writer saw a distinct value: no two read-modify-writes interleaved.
    expect(new Set(results.map((record) => record.generation)).size).toBe(100);
  });

  it('a throwing updater rejects and leaves the record unchanged', async () => {
    const name = uniqueName('store');
    const store = create(name);
    await store.update(() => ({ generation: 3, token: 'keep' }));
    const boom = new Error('updater bug');
    await expect(
      store.update(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await store.get()).toEqual({ generation: 3, token: 'keep' });
  });
});

// Only stores backed by real storage can hold a malformed value written by something else.
describe.each(
  storeTransports.flatMap(({ label, create, writeRaw }) => (writeRaw ? [{ label, create, writeRaw }] : [])),
)('Store with raw storage: $label', ({ create, writeRaw }) => {
  it('ignores a malformed stored value (reads it as empty)', async () => {
    const name = uniqueName('store');
    await writeRaw(name, { generation: 'seven', token: 42 });
    const store = create(name);
    expect(await store.get()).toBeUndefined();
    await expect(
      store.update((current) => ({ generation: (current?.generation ?? 0) + 1, token: 't' })),
    ).resolves.toEqual({
      generation: 1,
      token: 't',
    });
  });
});
