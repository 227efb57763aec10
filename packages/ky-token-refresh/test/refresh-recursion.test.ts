import ky, { type KyInstance } from 'ky';
import { expect, test } from 'vitest';
import { createTokenRefresh, SessionExpiredError } from '../src/index.js';
import { settle } from './support/client.js';
import { makeJwt, ORIGIN, useTestServer } from './support/server.js';

const server = useTestServer();

/** The refresh call is built from the very instance that carries the hooks. */
const createSelfReferentialClient = (options: { refreshTimeoutMs?: number } = {}) => {
  let api!: KyInstance;
  const auth = createTokenRefresh({
    name: 'recursion',
    crossTab: false,
    isAuthorizedUrl: (url) => url.origin === ORIGIN,
    refreshTimeoutMs: options.refreshTimeoutMs ?? 2_000,
    refresh: async ({ signal }) =>
      (await api.post('auth/refresh', { signal }).json<{ access_token: string }>()).access_token,
  });
  api = ky.create({ prefix: ORIGIN, hooks: auth.hooks });
  return { auth, api };
};

test('a refresh sent through the same ky instance skips the hooks: no recursion, no deadlock', async () => {
  const { auth, api } = createSelfReferentialClient();
  await auth.setToken('stale-token');
  const { fulfilled } = await settle(Array.from({ length: 10 }, () => api.get('api/data').json()));
  expect(fulfilled).toBe(10);
  expect(server.current.refreshCalls).toBe(1);
});

test('a refresh through the same instance that answers 401 ends the session at once (no self-wait)', async () => {
  server.current.mode = 'unauthorized';
  const { auth, api } = createSelfReferentialClient({ refreshTimeoutMs: 5_000 });
  await auth.setToken('stale-token');
  const started = Date.now();
  await expect(api.get('api/data').json()).rejects.toBeInstanceOf(SessionExpiredError);
  expect(Date.now() - started).toBeLessThan(2_000);
  expect(server.current.refreshCalls).toBe(1);
});

test('a refresh through the same instance is not refreshed proactively itself', async () => {
  const { auth, api } = createSelfReferentialClient();
  const now = Math.floor(Date.now() / 1000);
  await auth.setToken(makeJwt({ iat: now - 290, exp: now + 10 }));
  await api.get('api/data').json();
  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.api401s).toBe(0);
});
