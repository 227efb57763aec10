import ky from 'ky';
import { expect, test } from 'vitest';
import { createMemoryAdapters, RefreshTimeoutError, type Store } from '../src/index.js';
import { createClient, settle } from './support/client.js';
import { ORIGIN, useTestServer } from './support/server.js';
import { sleep, until } from './support/wait.js';

const server = useTestServer();

let scope = 0;

test("a store read that stalls under the lock never lets a second tab refresh while the first tab's refresh runs", async () => {
  server.current.refreshLatencyMs = 250;
  const name = `fencing-${++scope}`;
  const shared = createMemoryAdapters(name);
  let stall = false;
  const stallingReads: Store = {
    get: async () => {
      if (stall) await sleep(450);
      return shared.store.get();
    },
    update: (updater) => shared.store.update(updater),
  };
  let active = 0;
  let overlap = 0;
  const refresh = async ({ signal }: { signal: AbortSignal }) => {
    active++;
    overlap = Math.max(overlap, active);
    try {
      return (await ky.post(`${ORIGIN}/auth/refresh`, { signal }).json<{ access_token: string }>())
        .access_token;
    } finally {
      active--;
    }
  };
  const a = createClient({
    name,
    refresh,
    refreshTimeoutMs: 300,
    crossTab: { ...shared, store: stallingReads },
  });
  const b = createClient({ name, refresh, refreshTimeoutMs: 300, crossTab: true });
  await a.auth.setToken('stale-token');
  expect(await until(() => b.auth.getToken() === 'stale-token')).toBe(true);
  stall = true;

  const first = a.api.get('a').json();
  await sleep(350);
  const second = b.api.get('b').json();
  const { fulfilled } = await settle([first, second]);

  expect(overlap).toBe(1);
  expect(fulfilled).toBe(2);
});

test('a refresh() that ignores its signal keeps the lock a while: its late token serves every tab, no second refresh', async () => {
  const name = `fencing-${++scope}`;
  let active = 0;
  let overlap = 0;
  let calls = 0;
  const refresh = async () => {
    calls++;
    active++;
    overlap = Math.max(overlap, active);
    await sleep(300);
    active--;
    return server.current.issue();
  };
  const a = createClient({ name, refresh, refreshTimeoutMs: 200, crossTab: true });
  const b = createClient({ name, refresh, refreshTimeoutMs: 200, crossTab: true });
  await a.auth.setToken('stale-token');
  expect(await until(() => b.auth.getToken() === 'stale-token')).toBe(true);

  const first = a.api.get('a').json();
  await sleep(250);
  const second = b.api.get('b').json();
  const { fulfilled } = await settle([first, second]);

  expect(fulfilled).toBe(2);
  expect(calls).toBe(1);
  expect(overlap).toBe(1);
});

test('a refresh() that ignores its signal and succeeds after that grace too is committed, not lost', async () => {
  let calls = 0;
  const { auth, api } = createClient({
    refreshTimeoutMs: 150,
    refresh: async () => {
      calls++;
      await sleep(500);
      return server.current.issue();
    },
  });
  await auth.setToken('stale-token');
  await expect(api.get('a').json()).rejects.toBeInstanceOf(RefreshTimeoutError);
  // The server rotated all the same: its token is what this tab (and every other) must use now.
  expect(await until(() => auth.getToken() === server.current.validToken)).toBe(true);
  await expect(api.get('b').json()).resolves.toMatchObject({ path: '/api/b' });
  expect(calls).toBe(1);
});

test('a late refresh result is dropped when a newer token exists by then', async () => {
  const { auth } = createClient({
    refreshTimeoutMs: 100,
    refresh: async () => {
      await sleep(300);
      return 'late-token';
    },
  });
  await auth.setToken('stale-token');
  await expect(auth.refresh()).rejects.toBeInstanceOf(RefreshTimeoutError);
  await auth.setToken('login-token');
  await sleep(200);
  expect(auth.getToken()).toBe('login-token');
});
