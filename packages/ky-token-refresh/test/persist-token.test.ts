import { expect, test } from 'vitest';
import { createMemoryAdapters } from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

let scope = 0;
const tab = (name: string) => createClient({ name, crossTab: true, persistToken: false });
const until = async (check: () => boolean, timeoutMs = 1_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return check();
};

test('persistToken: false keeps the token out of the store; only the generation is stored', async () => {
  const name = `persist-${++scope}`;
  const a = tab(name);
  const b = tab(name);
  await a.auth.setToken('token-one');
  expect(await until(() => b.auth.getToken() === 'token-one')).toBe(true);
  const stored = await createMemoryAdapters(name).store.get();
  expect(stored).toEqual({ generation: 1, epoch: expect.any(Number), token: null, withheld: true });
  expect(JSON.stringify(stored)).not.toContain('token-one');
});

test('a new tab asks its live peers for the token instead of refreshing', async () => {
  const name = `persist-${++scope}`;
  const a = tab(name);
  const token = server.current.issue();
  await a.auth.setToken(token);
  const late = tab(name);
  expect(await until(() => late.auth.getToken() === token)).toBe(true);
  await late.api.get('data').json();
  expect(server.current.refreshCalls).toBe(0);
});

test('a new tab whose 401 finds no live peer with the token refreshes once', async () => {
  const name = `persist-${++scope}`;
  const a = tab(name);
  await a.auth.setToken('token-from-a-closed-tab');
  a.auth.dispose();
  const late = tab(name);
  await expect(late.api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(1);
  expect(late.auth.getToken()).toBe(server.current.validToken);
  expect((await createMemoryAdapters(name).store.get())?.token).toBeNull();
});

test('after a refresh in one tab, a burst in another adopts the token over the channel', async () => {
  const name = `persist-${++scope}`;
  const a = tab(name);
  const b = tab(name);
  await a.auth.setToken('stale-token');
  const results = await Promise.all([
    ...Array.from({ length: 5 }, () => a.api.get('a').json()),
    ...Array.from({ length: 5 }, () => b.api.get('b').json()),
  ]);
  expect(results).toHaveLength(10);
  expect(server.current.refreshCalls).toBe(1);
});

test("persistToken: false: a new tab's first request waits for a peer's answer and goes out with the token", async () => {
  const name = `persist-${++scope}`;
  const a = tab(name);
  const token = server.current.issue();
  await a.auth.setToken(token);
  const late = tab(name);
  await expect(late.api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.api401s).toBe(0);
  expect(server.current.refreshCalls).toBe(0);
});

test('a logout written after a later login (withheld) does not overwrite it: the later login stands everywhere', async () => {
  const name = `persist-${++scope}`;
  const shared = createMemoryAdapters(name);
  let delayMs = 0;
  // A's writes wait before they run (within their 100 ms bound).
  const a = createClient({
    name,
    persistToken: false,
    refreshTimeoutMs: 400,
    crossTab: {
      ...createMemoryAdapters(name),
      store: {
        get: () => shared.store.get(),
        update: async (updater) => {
          if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
          return shared.store.update(updater);
        },
      },
    },
  });
  const b = tab(name);
  await a.auth.setToken('token-one');
  expect(await until(() => b.auth.getToken() === 'token-one')).toBe(true);
  delayMs = 50;
  const loggingOut = a.auth.logout();
  await new Promise((resolve) => setTimeout(resolve, 10));
  // B logs in after A's logout was called; A's store write runs after B's.
  await b.auth.setToken('token-two');
  await loggingOut;
  expect(await until(() => a.auth.getToken() === 'token-two')).toBe(true);
  expect(b.auth.getToken()).toBe('token-two');
  expect(await shared.store.get()).toMatchObject({ generation: expect.any(Number), withheld: true });
});
