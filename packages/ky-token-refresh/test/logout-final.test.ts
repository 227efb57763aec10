/**
A logout is final: it wins over any refresh answer or refusal that lands after it was called, in every
tab, whatever the store does (a write that outlives its bound, a store that never answers).
*/
import { expect, test, vi } from 'vitest';
import { type Channel, createMemoryAdapters, type Store } from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';
import { sleep, until } from './support/wait.js';

const server = useTestServer();

let scope = 0;
/** Tab A, whose store writes take `slow.ms` (bounded at 100 ms), and tab B, on the same shared adapters. */
const twoTabs = async () => {
  const name = `logout-final-${++scope}`;
  const shared = createMemoryAdapters(name);
  const slow = { ms: 0 };
  const slowStore: Store = {
    get: () => shared.store.get(),
    update: async (updater) => {
      if (slow.ms > 0) await sleep(slow.ms);
      return shared.store.update(updater);
    },
  };
  const expiredA = vi.fn();
  const expiredB = vi.fn();
  let answer = (_token: string) => {};
  const a = createClient({
    name,
    refreshTimeoutMs: 400,
    onSessionExpired: expiredA,
    crossTab: { ...createMemoryAdapters(name), store: slowStore },
  });
  const b = createClient({
    name,
    refreshTimeoutMs: 400,
    onSessionExpired: expiredB,
    crossTab: true,
    // B's refresh answers when the test says so.
    refresh: () => new Promise<string>((resolve) => (answer = resolve)),
  });
  await a.auth.setToken('token-1');
  expect(await until(() => b.auth.getToken() === 'token-1')).toBe(true);
  return { a, b, store: shared.store, slow, expiredA, expiredB, answer: (token: string) => answer(token) };
};

test('a logout whose store write outlives its bound wins over a refresh answer that lands after it', async () => {
  const { a, b, store, slow, expiredA, expiredB, answer } = await twoTabs();
  const request = b.api.get('data').json();
  // Settled before the test awaits it: handled from the start.
  request.catch(() => undefined);
  await until(() => b.auth.stats().refreshes === 1);
  // A logs out while B's refresh is in flight; A's store write is slow (given up, lands later).
  slow.ms = 250;
  const loggingOut = a.auth.logout();
  await sleep(10);
  server.current.validToken = 'refreshed-after-logout';
  answer('refreshed-after-logout');
  await loggingOut;
  await expect(request).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
  await sleep(300);
  expect(a.auth.getToken()).toBeUndefined();
  expect(b.auth.getToken()).toBeUndefined();
  expect(await store.get()).toMatchObject({ token: null, reason: 'logout' });
  expect(expiredA).not.toHaveBeenCalled();
  expect(expiredB).not.toHaveBeenCalled();
});

test('a logout that never reaches the store still wins in every tab that hears it, over a refresh stored after it', async () => {
  const { a, b, store, slow, expiredA, expiredB, answer } = await twoTabs();
  const request = b.api.get('data').json();
  // Settled before the test awaits it: handled from the start.
  request.catch(() => undefined);
  await until(() => b.auth.stats().refreshes === 1);
  // A's store never answers its write.
  slow.ms = 60_000;
  await a.auth.logout();
  answer('refreshed-after-logout');
  await expect(request).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
  await sleep(20);
  expect(a.auth.getToken()).toBeUndefined();
  expect(b.auth.getToken()).toBeUndefined();
  // B stored nothing over the logout it had heard of.
  expect((await store.get())?.token).toBe('token-1');
  expect(expiredA).not.toHaveBeenCalled();
  expect(expiredB).not.toHaveBeenCalled();
});

test('a logout wins over a refusal that lands after it: no onSessionExpired in any tab', async () => {
  const { a, b, slow, expiredA, expiredB } = await twoTabs();
  server.current.mode = 'invalid_grant';
  const c = createClient({ name: `logout-final-${scope}`, refreshTimeoutMs: 400, crossTab: true });
  await until(() => c.auth.getToken() === 'token-1');
  const request = c.api.get('data').json();
  request.catch(() => undefined);
  await until(() => c.auth.stats().refreshes === 1);
  slow.ms = 250;
  await a.auth.logout();
  await expect(request).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
  await sleep(300);
  expect([a, b, c].map((tab) => tab.auth.getToken())).toEqual([undefined, undefined, undefined]);
  expect(expiredA).not.toHaveBeenCalled();
  expect(expiredB).not.toHaveBeenCalled();
});

test('a page opened after a logout does not refresh from the cookie; an explicit refresh() refused there is told as that logout', async () => {
  const name = `logout-final-${++scope}`;
  const shared = createMemoryAdapters(name);
  // B misses A's logout messages (still in flight, or lost) while `dropping` is set.
  let dropping = true;
  const lossy: Channel = {
    post: (message) => shared.channel.post(message),
    subscribe: (listener) =>
      shared.channel.subscribe((message) => {
        if (!(dropping && message.type === 'logout')) listener(message);
      }),
    close: () => shared.channel.close(),
  };
  const a = createClient({ name, crossTab: true });
  const expiredB = vi.fn();
  const b = createClient({ name, onSessionExpired: expiredB, crossTab: { ...shared, channel: lossy } });
  await a.auth.setToken('token-1');
  expect(await until(() => b.auth.getToken() === 'token-1')).toBe(true);
  await a.auth.logout();
  await sleep(10);
  dropping = false;
  expect(b.auth.getToken()).toBe('token-1');
  // A page opened now starts logged out: no refresh from the cookie (the server may not have heard of the
  // logout yet, and a token it answered would undo the logout in every tab).
  const c = createClient({ name, crossTab: true });
  await expect(c.api.get('data').json()).rejects.toMatchObject({ response: { status: 401 } });
  expect(server.current.refreshCalls).toBe(0);
  // The app asks explicitly; the server has ended the session and refuses. B takes it as the logout.
  server.current.mode = 'invalid_grant';
  await expect(c.auth.refresh()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
  expect(server.current.refreshCalls).toBe(1);
  expect(await until(() => b.auth.getToken() === undefined)).toBe(true);
  await sleep(20);
  expect(expiredB).not.toHaveBeenCalled();
});

test('a logout whose store write is rejected, its page closed at once: a page opened later starts logged out', async () => {
  const name = `logout-final-${++scope}`;
  const shared = createMemoryAdapters(name);
  // A's next store write is rejected once (an aborted IndexedDB transaction), then the store works again.
  let rejectNext = false;
  const flaky: Store = {
    get: () => shared.store.get(),
    update: (updater) => {
      if (rejectNext) {
        rejectNext = false;
        return Promise.reject(new DOMException('The transaction was aborted.', 'AbortError'));
      }
      return shared.store.update(updater);
    },
  };
  const a = createClient({ name, crossTab: { ...createMemoryAdapters(name), store: flaky } });
  await a.auth.setToken('token-1');
  rejectNext = true;
  await a.auth.logout();
  // The page closes before any other page heard the logout: nobody is left to tell a page opened later.
  a.auth.dispose();
  // The rejected write is tried again in the background (the page's dispose() lets it finish).
  let stored = await shared.store.get();
  for (let tries = 0; tries < 100 && stored?.reason !== 'logout'; tries++) {
    await sleep(20);
    stored = await shared.store.get();
  }
  expect(stored).toMatchObject({ token: null, reason: 'logout' });
  const c = createClient({ name, crossTab: true });
  await expect(c.api.get('data').json()).rejects.toMatchObject({ response: { status: 401 } });
  expect(c.auth.getToken()).toBeUndefined();
  expect(server.current.refreshCalls).toBe(0);
});
