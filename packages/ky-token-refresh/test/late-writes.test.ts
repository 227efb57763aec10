import { expect, test, vi } from 'vitest';
import { type Channel, createMemoryAdapters, SessionExpiredError, type Store } from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';
import { sleep, until } from './support/wait.js';

const server = useTestServer();

let scope = 0;
/** The shared store of `name`, seen through a delay before each update while `slow.ms` is set. */
const slowWrites = (name: string) => {
  const { store } = createMemoryAdapters(name);
  const slow = { ms: 0 };
  const wrapped: Store = {
    get: () => store.get(),
    update: async (updater) => {
      if (slow.ms > 0) await sleep(slow.ms);
      return store.update(updater);
    },
  };
  return { store, wrapped, slow };
};

/**
Tab `a`, whose store calls are bounded at 100 ms (refreshTimeoutMs 400) and whose writes to the shared store
of `name` take `slow.ms` first, logged in with `token-1`; `open()` opens another tab of `name`.
*/
const slowTab = async () => {
  const name = `late-writes-${++scope}`;
  const { store, wrapped, slow } = slowWrites(name);
  const a = createClient({
    name,
    refreshTimeoutMs: 400,
    crossTab: { ...createMemoryAdapters(name), store: wrapped },
  });
  await a.auth.setToken('token-1');
  const open = () => createClient({ name, refreshTimeoutMs: 400, crossTab: true });
  return { a, store, slow, open };
};

test('a setToken() write that outlives its bound never lands over a newer record stored meanwhile', async () => {
  const name = `late-writes-${++scope}`;
  const { store, wrapped, slow } = slowWrites(name);
  // refreshTimeoutMs 400: store calls are bounded at 100 ms.
  const a = createClient({
    name,
    refreshTimeoutMs: 400,
    crossTab: { ...createMemoryAdapters(name), store: wrapped },
  });
  const b = createClient({ name, refreshTimeoutMs: 400, crossTab: true });
  await a.auth.setToken('token-1');
  slow.ms = 300;
  const login = a.auth.setToken('login-token');
  await sleep(150);
  await b.auth.setToken('newer-token');
  await login;
  await sleep(250);
  expect(await store.get()).toMatchObject({ token: 'newer-token' });
  expect(b.auth.getToken()).toBe('newer-token');
  expect(a.auth.getToken()).toBe('newer-token');
});

test('dispose() while setToken() is in flight: what it stored is still broadcast', async () => {
  const name = `late-writes-${++scope}`;
  const { wrapped, slow } = slowWrites(name);
  const a = createClient({
    name,
    refreshTimeoutMs: 400,
    crossTab: { ...createMemoryAdapters(name), store: wrapped },
  });
  const b = createClient({ name, refreshTimeoutMs: 400, crossTab: true });
  await a.auth.setToken('token-1');
  expect(await until(() => b.auth.getToken() === 'token-1')).toBe(true);
  slow.ms = 50;
  const login = a.auth.setToken('token-2');
  a.auth.dispose();
  await login;
  expect(await until(() => b.auth.getToken() === 'token-2')).toBe(true);
});

test('a refusal heard while this tab is logging out does not call its onSessionExpired', async () => {
  const name = `late-writes-${++scope}`;
  const { wrapped, slow } = slowWrites(name);
  const onSessionExpired = vi.fn();
  const a = createClient({
    name,
    onSessionExpired,
    crossTab: { ...createMemoryAdapters(name), store: wrapped },
  });
  const b = createClient({ name, crossTab: true });
  await a.auth.setToken('stale-token');
  expect(await until(() => b.auth.getToken() === 'stale-token')).toBe(true);
  server.current.mode = 'invalid_grant';
  // B's refresh is in flight when A starts logging out; its refusal lands while A's logout is being written.
  const request = b.api.get('b').json();
  await until(() => b.auth.stats().refreshes === 1);
  slow.ms = 200;
  const loggingOut = a.auth.logout();
  await expect(request).rejects.toBeInstanceOf(SessionExpiredError);
  await loggingOut;
  await sleep(20);
  expect(onSessionExpired).not.toHaveBeenCalled();
});

test('setToken() then logout() in one tab end logged out, whatever order the store runs their writes in', async () => {
  const name = `late-writes-${++scope}`;
  const { store } = createMemoryAdapters(name);
  // The first write waits 100 ms, later ones do not: a store left alone would run them in reverse.
  let writes = 0;
  const reordering: Store = {
    get: () => store.get(),
    update: async (updater) => {
      if (writes++ === 0) await sleep(100);
      return store.update(updater);
    },
  };
  const a = createClient({ name, crossTab: { ...createMemoryAdapters(name), store: reordering } });
  await Promise.all([a.auth.setToken('login-token'), a.auth.logout()]);
  expect(a.auth.getToken()).toBeUndefined();
  expect(await store.get()).toMatchObject({ token: null, reason: 'logout' });
});

test('a login and a later logout in two tabs end logged out, even when the login is written last', async () => {
  const name = `late-writes-${++scope}`;
  const { store, wrapped, slow } = slowWrites(name);
  const a = createClient({ name, crossTab: { ...createMemoryAdapters(name), store: wrapped } });
  const b = createClient({ name, crossTab: true });
  await a.auth.setToken('token-1');
  expect(await until(() => b.auth.getToken() === 'token-1')).toBe(true);
  slow.ms = 150;
  const login = a.auth.setToken('login-token');
  await sleep(20);
  await b.auth.logout();
  await login;
  await sleep(20);
  expect(await store.get()).toMatchObject({ token: null, reason: 'logout' });
  expect(a.auth.getToken()).toBeUndefined();
  expect(b.auth.getToken()).toBeUndefined();
});

test('a refreshed token whose store write lands late is stored at the generation this tab took, not above it', async () => {
  // token-1 is stale: the server answers 401 to it.
  const { a, store, slow } = await slowTab();
  slow.ms = 150;
  await a.api.get('data').json();
  const took = a.auth.getToken();
  await sleep(200);
  // The late write stored the same token at the same generation: a later 401 with that token refreshes
  // instead of "adopting" the stored copy numbered one above it.
  expect(await store.get()).toMatchObject({ token: took, generation: 2 });
  slow.ms = 0;
  server.current.validToken = undefined;
  await expect(a.api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(2);
});

test('a login whose store write lands late reaches a tab opened between its time-out and its landing', async () => {
  const { a, store, slow, open } = await slowTab();
  slow.ms = 250;
  const login = a.auth.setToken('login-2');
  await sleep(150);
  // Opened after the login timed out (and was broadcast) but before the store ran it: reads token-1.
  const late = open();
  await login;
  expect(await until(() => late.auth.getToken() === 'login-2')).toBe(true);
  // The store runs the write at 250 ms.
  await sleep(150);
  expect(await store.get()).toMatchObject({ token: 'login-2' });
  expect(late.auth.getToken()).toBe('login-2');
});

test('a logout whose store write is rejected reaches a tab opened after it: the live tabs answer its hello', async () => {
  const name = `late-writes-${++scope}`;
  const shared = createMemoryAdapters(name);
  let reject = false;
  const rejecting: Store = {
    get: () => shared.store.get(),
    update: (updater) => (reject ? Promise.reject(new Error('quota')) : shared.store.update(updater)),
  };
  const a = createClient({ name, crossTab: { ...createMemoryAdapters(name), store: rejecting } });
  await a.auth.setToken('token-1');
  reject = true;
  await a.auth.logout();
  expect((await shared.store.get())?.token).toBe('token-1');
  // A tab opened now reads token-1 from the store; the logout is told to it.
  const late = createClient({ name, crossTab: true });
  const heard: string[] = [];
  late.auth.subscribe((event) => heard.push(event.type));
  expect(await until(() => heard.includes('logout'))).toBe(true);
  await sleep(20);
  expect(late.auth.getToken()).toBeUndefined();
});

test('a frozen tab’s late login and another tab’s refresh of the session before it: every tab and the store end on the login', async () => {
  const name = `late-writes-${++scope}`;
  const { store, wrapped, slow } = slowWrites(name);
  // Tab A's channel, frozen: what it sends and what it would receive is held until it thaws.
  const shared = createMemoryAdapters(name);
  const held: (() => void)[] = [];
  let frozen = false;
  const frozenChannel: Channel = {
    post: (message) =>
      frozen ? held.push(() => shared.channel.post(message)) : shared.channel.post(message),
    subscribe: (listener) =>
      shared.channel.subscribe((message) =>
        frozen ? held.push(() => listener(message)) : listener(message),
      ),
    close: () => shared.channel.close(),
  };
  // refreshTimeoutMs 400: store calls are bounded at 100 ms.
  const a = createClient({
    name,
    refreshTimeoutMs: 400,
    crossTab: { lock: shared.lock, channel: frozenChannel, store: wrapped },
  });
  const b = createClient({ name, refreshTimeoutMs: 400, crossTab: true });
  await a.auth.setToken('token-1');
  expect(await until(() => b.auth.getToken() === 'token-1')).toBe(true);
  frozen = true;
  slow.ms = 250;
  const login = a.auth.setToken('login-2');
  await sleep(10);
  // Meanwhile B refreshes the session of token-1 and stores generation 2; A's login times out and takes
  // generation 2 as well. The login was called later: it wins, wherever it lands.
  const refreshed = await b.auth.refresh();
  expect(b.auth.getToken()).toBe(refreshed);
  await login;
  expect(a.auth.getToken()).toBe('login-2');
  await sleep(300);
  expect(await store.get()).toMatchObject({ generation: 2, token: 'login-2' });
  frozen = false;
  for (const deliver of held.splice(0)) deliver();
  expect(await until(() => b.auth.getToken() === 'login-2')).toBe(true);
  expect(a.auth.getToken()).toBe('login-2');
});

test('a login written late finds a login called after it in the store, at its generation: the tab takes the stored one', async () => {
  const { a, store, slow } = await slowTab();
  slow.ms = 250;
  const login = a.auth.setToken('login-2');
  await sleep(10);
  // Another tab's login, called later, stored generation 2 meanwhile; its message never came (this tab
  // was frozen).
  await store.update(() => ({ generation: 2, token: 'other-2', epoch: 2 * Date.now() }));
  await login;
  expect(a.auth.getToken()).toBe('login-2');
  expect(await until(() => a.auth.getToken() === 'other-2')).toBe(true);
  expect(await store.get()).toMatchObject({ generation: 2, token: 'other-2' });
});

test('a login written late finds a refresh of the session before it in the store: the login lands over it', async () => {
  const { a, store, slow } = await slowTab();
  slow.ms = 250;
  const login = a.auth.setToken('login-2');
  await sleep(10);
  // Another tab refreshed the previous session meanwhile (its record keeps that session's epoch).
  const before = await store.get();
  await store.update(() => ({ generation: 2, token: 'refreshed-2', epoch: before?.epoch }));
  await login;
  expect(a.auth.getToken()).toBe('login-2');
  await sleep(300);
  expect(await store.get()).toMatchObject({ generation: 2, token: 'login-2' });
  expect(a.auth.getToken()).toBe('login-2');
});

test('dispose() right after a login timed out: its late write still reaches a tab opened meanwhile', async () => {
  const { a, slow, open } = await slowTab();
  slow.ms = 250;
  const login = a.auth.setToken('login-2');
  await sleep(150);
  const late = open();
  await login;
  a.auth.dispose();
  expect(await until(() => late.auth.getToken() === 'login-2')).toBe(true);
});
