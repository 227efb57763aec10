import { expect, test, vi } from 'vitest';
import { createMemoryAdapters, SessionExpiredError } from '../src/index.js';
import { createClient, settle } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

let scope = 0;
/** Two instances with the same name and the default (shared) adapters coordinate like two tabs. */
const twoTabs = (options: Parameters<typeof createClient>[0] = {}) => {
  const name = `shared-${++scope}`;
  return [
    createClient({ name, crossTab: true, ...options }),
    createClient({ name, crossTab: true, ...options }),
  ] as const;
};

test('two instances with the same name refresh once for both bursts; the other adopts', async () => {
  const [a, b] = twoTabs();
  await a.auth.setToken('stale-token');
  await Promise.resolve();
  expect(b.auth.getToken()).toBe('stale-token');

  const { fulfilled } = await settle([
    ...Array.from({ length: 10 }, () => a.api.get('a').json()),
    ...Array.from({ length: 10 }, () => b.api.get('b').json()),
  ]);

  expect(fulfilled).toBe(20);
  expect(server.current.refreshCalls).toBe(1);
  expect(a.auth.stats().refreshes + b.auth.stats().refreshes).toBe(1);
  expect(a.auth.stats().adopted + b.auth.stats().adopted).toBe(1);
  expect(a.auth.getToken()).toBe(server.current.validToken);
  expect(b.auth.getToken()).toBe(server.current.validToken);
});

test('logout in one instance reaches the other, without onSessionExpired', async () => {
  const onSessionExpired = vi.fn();
  const [a, b] = twoTabs({ onSessionExpired });
  await a.auth.setToken('token-1');
  await a.auth.logout();
  await Promise.resolve();
  expect(a.auth.getToken()).toBeUndefined();
  expect(b.auth.getToken()).toBeUndefined();
  expect(onSessionExpired).not.toHaveBeenCalled();
});

test('a definitive failure in one instance logs out both, each calling onSessionExpired once', async () => {
  server.current.mode = 'invalid_grant';
  const expiredA = vi.fn();
  const expiredB = vi.fn();
  const name = `shared-${++scope}`;
  const a = createClient({ name, crossTab: true, onSessionExpired: expiredA });
  const b = createClient({ name, crossTab: true, onSessionExpired: expiredB });
  await a.auth.setToken('stale-token');
  const results = await settle([a.api.get('a').json(), b.api.get('b').json()]);
  expect(results.fulfilled).toBe(0);
  expect(results.reasons.every((reason) => reason instanceof SessionExpiredError)).toBe(true);
  expect(expiredA).toHaveBeenCalledTimes(1);
  expect(expiredB).toHaveBeenCalledTimes(1);
  expect(server.current.refreshCalls).toBe(1);
});

test('logout while requests wait rejects them with SessionExpiredError', async () => {
  server.current.refreshLatencyMs = 200;
  const { auth, api } = createClient();
  await auth.setToken('stale-token');
  const pending = api.get('a').json();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await auth.logout();
  await expect(pending).rejects.toBeInstanceOf(SessionExpiredError);
});

test('dispose() makes the hooks pass requests through and stops sharing', async () => {
  const [a, b] = twoTabs();
  await a.auth.setToken('token-1');
  b.auth.dispose();
  await a.auth.setToken('token-2');
  await Promise.resolve();
  expect(b.auth.getToken()).toBe('token-1');
  const response = await b.api.get('data', { throwHttpErrors: false });
  expect(response.status).toBe(401);
  expect(server.current.apiHits[0]?.authorization).toBeNull();
  expect(server.current.refreshCalls).toBe(0);
  await expect(b.auth.refresh()).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
});

test('refresh() refreshes on demand and joins a refresh already in flight', async () => {
  const { auth } = createClient();
  await auth.setToken('token-1');
  const [first, second] = await Promise.all([auth.refresh(), auth.refresh()]);
  expect(first).toBe(server.current.validToken);
  expect(second).toBe(first);
  expect(server.current.refreshCalls).toBe(1);
});

test('setToken and logout never hang on a store that does not answer', async () => {
  const stuck = { get: () => new Promise<never>(() => {}), update: () => new Promise<never>(() => {}) };
  const { auth } = createClient({ refreshTimeoutMs: 100, crossTab: { store: stuck } });
  await auth.setToken('token-1');
  expect(auth.getToken()).toBe('token-1');
  await auth.logout();
  expect(auth.getToken()).toBeUndefined();
});

test('a page loaded after the session ended still refreshes once from the cookie on its first 401', async () => {
  const name = `shared-${++scope}`;
  const { store } = createMemoryAdapters(name);
  await store.update(() => ({ generation: 7, token: null, reason: 'expired' }));
  const { auth, api } = createClient({ name, crossTab: true });
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(1);
  expect(auth.getToken()).toBe(server.current.validToken);
});
