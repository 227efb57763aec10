import { expect, test } from 'vitest';
import type { TokenRefreshEvent } from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';
import { until } from './support/wait.js';

const server = useTestServer();

test('a refresh emits lock:wait, lock:acquired, refresh:start, refresh:success and one replay per request', async () => {
  const { auth, api } = createClient();
  const events: TokenRefreshEvent[] = [];
  auth.subscribe((event) => events.push(event));
  await auth.setToken('stale-token');
  await Promise.all([api.get('a').json(), api.get('b').json()]);

  expect(events.map((event) => event.type)).toEqual([
    'token:received',
    'lock:wait',
    'lock:acquired',
    'refresh:start',
    'refresh:success',
    'request:replayed',
    'request:replayed',
  ]);
  expect(events.every((event) => typeof event.at === 'number' && event.tabId === events[0]?.tabId)).toBe(
    true,
  );
  expect(events.find((event) => event.type === 'refresh:success')?.generation).toBe(2);
  expect(events.filter((event) => event.type === 'request:replayed').map((event) => event.request)).toEqual(
    expect.arrayContaining(['GET http://app.test/api/a', 'GET http://app.test/api/b']),
  );
});

test('no event and no error message ever carries a token', async () => {
  server.current.mode = 'invalid_grant';
  const { auth, api } = createClient();
  const seen: string[] = [];
  auth.subscribe((event) => seen.push(JSON.stringify(event)));
  await auth.setToken('secret-stale-token');
  const error = await api
    .get('data')
    .json()
    .catch((caught: unknown) => caught);
  seen.push(String(error), JSON.stringify(error));
  expect(seen.join('\n')).not.toContain('secret-stale-token');
});

test('unsubscribe stops the events; stats() counts refreshes and replays', async () => {
  const { auth, api } = createClient();
  const events: string[] = [];
  const off = auth.subscribe((event) => events.push(event.type));
  off();
  await auth.setToken('stale-token');
  await api.get('a').json();
  expect(events).toEqual([]);
  expect(auth.stats()).toEqual({
    refreshes: 1,
    adopted: 0,
    replays: 1,
    failures: 0,
    conflicts: 0,
    maxAttempts: 1,
    refreshTokenLifetimeMs: undefined,
    lostRotations: 0,
  });
});

test('a throwing listener does not break the refresh', async () => {
  const { auth, api } = createClient();
  auth.subscribe(() => {
    throw new Error('listener bug');
  });
  await auth.setToken('stale-token');
  await expect(api.get('a').json()).resolves.toMatchObject({ path: '/api/a' });
});

test("this tab's own setToken() during its refresh is not counted or reported as an adoption", async () => {
  let answer = (_token: string) => {};
  const { auth, api } = createClient({
    refresh: () => new Promise<string>((resolve) => (answer = resolve)),
  });
  const events: string[] = [];
  auth.subscribe((event) => events.push(event.type));
  await auth.setToken('stale-token');
  const pending = api.get('data').json();
  // The refresh is in flight: the user logs in again in this tab meanwhile, then the refresh answers.
  await until(() => events.includes('refresh:start'));
  server.current.validToken = 'login-token';
  await auth.setToken('login-token');
  answer('refreshed-token');
  await expect(pending).resolves.toMatchObject({ path: '/api/data' });
  expect(auth.getToken()).toBe('login-token');
  expect(auth.stats()).toMatchObject({ refreshes: 1, adopted: 0, replays: 1 });
  expect(events).not.toContain('refresh:adopted');
});
