import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createIdbStorage } from '../src/index.ts';
import { login, refresh, testServer } from './helpers.ts';

describe('IndexedDB storage', () => {
  it('update is atomic across connections (two "tabs" incrementing concurrently)', async () => {
    const tabA = createIdbStorage('atomic-test');
    const tabB = createIdbStorage('atomic-test');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? tabA : tabB).update<number>('n', (old) => (old ?? 0) + 1),
      ),
    );
    expect(await tabA.get('n')).toBe(50);
    expect(await tabB.update<number>('n', (old) => (old ?? 0) * 2)).toBe(100);
    await tabA.delete('n');
    expect(await tabB.get('n')).toBeUndefined();
  });

  it('two servers over one database behave as one server: a concurrent strict race has one winner', async () => {
    const tabA = testServer({ latencyMs: 20 }, createIdbStorage('race-test'));
    const tabB = testServer({ latencyMs: 20 }, createIdbStorage('race-test'));
    const token = await login(tabA.server);
    const results = await Promise.all([refresh(tabA.server, token), refresh(tabB.server, token)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await tabB.server.stats()).toMatchObject({
      rotations: 1,
      reuseDetections: 1,
      familyRevocations: 1,
      maxInFlightRefreshPerFamily: 2,
    });
  });
});
