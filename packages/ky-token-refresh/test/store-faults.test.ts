import { expect, test, vi } from 'vitest';
import {
  createMemoryAdapters,
  isTokenRefreshError,
  SessionExpiredError,
  type Store,
  type TokenRecord,
} from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';
import { until } from './support/wait.js';

const server = useTestServer();

let scope = 0;
const quota = () => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
const cannotOpen = () =>
  Promise.reject(new DOMException('Internal error opening backing store.', 'UnknownError'));
const never = () => new Promise<never>(() => {});

test('a store whose get() rejects does not stop the refresh: the request succeeds after one refresh', async () => {
  const store: Store = { get: cannotOpen, update: async (updater) => updater(undefined) };
  const { auth, api } = createClient({ crossTab: { store } });
  await auth.setToken('stale-token');
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(1);
  expect(auth.getToken()).toBe(server.current.validToken);
});

test('a store whose get() never answers: refresh() is still called and the request succeeds', async () => {
  const store: Store = { get: never, update: async (updater) => updater(undefined) };
  const { auth, api } = createClient({ crossTab: { store }, refreshTimeoutMs: 2_000 });
  await auth.setToken('stale-token');
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(1);
});

test('a store whose update() rejects after a successful refresh: the new token is kept here and shared', async () => {
  const name = `store-faults-${++scope}`;
  const shared = createMemoryAdapters(name);
  const failingWrites: Store = { get: () => shared.store.get(), update: quota };
  const a = createClient({ name, crossTab: { ...shared, store: failingWrites } });
  const b = createClient({ name, crossTab: true });
  await a.auth.setToken('stale-token');
  expect(await until(() => b.auth.getToken() === 'stale-token')).toBe(true);

  await expect(a.api.get('a').json()).resolves.toMatchObject({ path: '/api/a' });
  expect(server.current.refreshCalls).toBe(1);
  expect(a.auth.getToken()).toBe(server.current.validToken);
  // The server has rotated: the other tab hears the new token and uses it without refreshing.
  expect(await until(() => b.auth.getToken() === server.current.validToken)).toBe(true);
  await expect(b.api.get('b').json()).resolves.toMatchObject({ path: '/api/b' });
  expect(server.current.refreshCalls).toBe(1);
});

test('a refused refresh with a store whose update() rejects ends the session as with a healthy store', async () => {
  server.current.mode = 'invalid_grant';
  const onSessionExpired = vi.fn();
  const store: Store = { get: async () => undefined as TokenRecord | undefined, update: quota };
  const { auth, api } = createClient({ crossTab: { store }, onSessionExpired });
  await auth.setToken('stale-token');
  const error = await api
    .get('data')
    .json()
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(SessionExpiredError);
  expect(isTokenRefreshError(error)).toBe(true);
  expect(onSessionExpired).toHaveBeenCalledTimes(1);
  expect(auth.getToken()).toBeUndefined();
});

test('store methods that throw synchronously are caught like rejections', async () => {
  const store: Store = {
    get: () => {
      throw new Error('sync get');
    },
    update: () => {
      throw new Error('sync update');
    },
  };
  const { auth, api } = createClient({ crossTab: { store } });
  await auth.setToken('stale-token');
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(auth.getToken()).toBe(server.current.validToken);
});

test('a refresh that finds a newer record at its compare-and-set adopts that record, even when the next store read fails', async () => {
  const name = `store-faults-newer-${Date.now()}`;
  const { store } = createMemoryAdapters(name);
  let failReads = false;
  const flaky: Store = {
    get: () => (failReads ? Promise.reject(new Error('read failed')) : store.get()),
    update: (updater) => store.update(updater),
  };
  const a = createClient({
    name,
    crossTab: { ...createMemoryAdapters(name), store: flaky },
    // A token the server never accepts: only the stored record's token can succeed.
    refresh: async () => 'refreshed-but-not-stored',
  });
  await a.auth.setToken('stale-token');
  // Another tab refreshed and stored generation 2 of this session (its message lost); this tab's reads now
  // fail, so it refreshes.
  const stored = server.current.issue();
  await store.update((session) => ({ generation: 2, epoch: session?.epoch, token: stored }));
  failReads = true;
  await expect(a.api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(a.auth.getToken()).toBe(stored);
});

test('a refresh whose store write is rejected once is written again: a page opened later starts on the new token', async () => {
  const name = `store-faults-${++scope}`;
  const shared = createMemoryAdapters(name);
  let rejectNext = false;
  const flaky: Store = {
    get: () => shared.store.get(),
    update: (updater) => {
      if (!rejectNext) return shared.store.update(updater);
      rejectNext = false;
      return quota();
    },
  };
  const a = createClient({ name, crossTab: { ...createMemoryAdapters(name), store: flaky } });
  await a.auth.setToken('stale-token');
  rejectNext = true;
  await expect(a.api.get('a').json()).resolves.toMatchObject({ path: '/api/a' });
  const rotated = server.current.validToken;
  expect(a.auth.getToken()).toBe(rotated);
  // The page closes; the write it made again in the background lands all the same.
  a.auth.dispose();
  let stored = await shared.store.get();
  for (let tries = 0; tries < 100 && stored?.token !== rotated; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stored = await shared.store.get();
  }
  expect(stored?.token).toBe(rotated);
  // A page opened later uses it: no second refresh (which would present the rotated refresh token).
  const c = createClient({ name, crossTab: true });
  await expect(c.api.get('c').json()).resolves.toMatchObject({ path: '/api/c' });
  expect(server.current.refreshCalls).toBe(1);
});
