import { expect, test } from 'vitest';
import { createClient } from './support/client.js';
import { makeJwt, useTestServer } from './support/server.js';

const server = useTestServer();

const jwtExpiringIn = (seconds: number, lifetime = 300) => {
  const now = Math.floor(Date.now() / 1000);
  return makeJwt({ sub: 'user', iat: now - (lifetime - seconds), exp: now + seconds });
};

test('a JWT about to expire is refreshed before the request is sent: no 401 at all', async () => {
  server.current.ttlSeconds = 300;
  const { auth, api } = createClient({ refreshBeforeExpiryMs: 30_000 });
  await auth.setToken(jwtExpiringIn(10));

  await Promise.all(Array.from({ length: 10 }, () => api.get('data').json()));

  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.api401s).toBe(0);
  expect(auth.getToken()).toBe(server.current.validToken);
});

test('a JWT far from expiry is sent as it is', async () => {
  const { auth, api } = createClient({ refreshBeforeExpiryMs: 30_000 });
  const token = jwtExpiringIn(200);
  server.current.validToken = token;
  await auth.setToken(token);
  await api.get('data').json();
  expect(server.current.refreshCalls).toBe(0);
});

test('the window is capped at half the lifetime: a short-lived token is not refreshed on every request', async () => {
  const { auth, api } = createClient({ refreshBeforeExpiryMs: 60_000 });
  // 20 s token, 15 s left: inside the 60 s window, outside half its lifetime (10 s).
  const token = jwtExpiringIn(15, 20);
  server.current.validToken = token;
  await auth.setToken(token);
  await api.get('data').json();
  expect(server.current.refreshCalls).toBe(0);
});

test('refreshBeforeExpiryMs: 0 turns proactive refresh off', async () => {
  const { auth, api } = createClient({ refreshBeforeExpiryMs: 0 });
  const token = jwtExpiringIn(5);
  server.current.validToken = token;
  await auth.setToken(token);
  await api.get('data').json();
  expect(server.current.refreshCalls).toBe(0);
});

test('refreshBeforeExpiryMs: 0 refreshes only on a 401, even when the local clock is past exp (a clock ahead)', async () => {
  const { auth, api } = createClient({ refreshBeforeExpiryMs: 0 });
  // The server still accepts the token: by its clock it has not expired.
  const token = jwtExpiringIn(-60);
  server.current.validToken = token;
  await auth.setToken(token);
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(0);
  expect(server.current.api401s).toBe(0);
});

test('a fresh JWT without iat, from a server whose clock is behind the client past exp: no refresh per request', async () => {
  server.current.ttlSeconds = 300;
  server.current.omitIat = true;
  server.current.clockSkewSeconds = -600;
  const { auth, api } = createClient({ refreshBeforeExpiryMs: 30_000 });
  await auth.setToken('stale-token');
  for (const path of ['first', 'second', 'third', 'fourth']) await api.get(path).json();
  expect(server.current.refreshCalls).toBe(1);
});

test('a fresh JWT without iat whose exp is inside the window on the local clock is not due at once', async () => {
  server.current.ttlSeconds = 300;
  server.current.omitIat = true;
  // 20 s of validity left on the client's clock, inside the 30 s window.
  server.current.clockSkewSeconds = -280;
  const { auth, api } = createClient({ refreshBeforeExpiryMs: 30_000 });
  await auth.setToken('stale-token');
  for (const path of ['first', 'second', 'third']) await api.get(path).json();
  expect(server.current.refreshCalls).toBe(1);
});

test.each([
  ['an opaque token', 'opaque-token-value'],
  ['a malformed JWT', 'aaa.bbb.ccc'],
  ['a JWT without exp', makeJwt({ sub: 'user' })],
])('%s falls back to reactive refresh without throwing', async (_, token) => {
  const { auth, api } = createClient();
  await auth.setToken(token);
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.api401s).toBe(1);
});

test('an expired JWT whose proactive refresh fails transiently is not sent: the caller gets the error', async () => {
  server.current.mode = 'unavailable';
  const { auth, api } = createClient();
  await auth.setToken(jwtExpiringIn(-5));
  await expect(api.get('data').json()).rejects.toMatchObject({ code: 'ERR_REFRESH_FAILED' });
  expect(server.current.apiHits).toHaveLength(0);
});

test('a still-valid JWT whose proactive refresh fails transiently is sent anyway', async () => {
  const { auth, api } = createClient();
  const token = jwtExpiringIn(10);
  server.current.validToken = token;
  server.current.mode = 'unavailable';
  await auth.setToken(token);
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(1);
});

test('a fresh token from a server whose clock is 10 minutes behind is not refreshed on every request', async () => {
  server.current.ttlSeconds = 300;
  server.current.clockSkewSeconds = -600;
  const { auth, api } = createClient({ refreshBeforeExpiryMs: 30_000 });
  await auth.setToken('stale-token');
  await api.get('first').json();
  await api.get('second').json();
  await api.get('third').json();
  expect(server.current.refreshCalls).toBe(1);
});
