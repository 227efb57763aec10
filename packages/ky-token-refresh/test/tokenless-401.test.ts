import { HTTPError } from 'ky';
import { expect, test, vi } from 'vitest';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

let scope = 0;

test("a login form's 401 on a fresh page goes back to the caller untouched: no refresh for it, no session end", async () => {
  // No cookie yet: the bootstrap refresh is refused, as for any visitor.
  server.current.mode = 'invalid_grant';
  const onSessionExpired = vi.fn();
  const { auth, api } = createClient({ onSessionExpired });
  const error = await api
    .post('login', { json: { user: 'ann', password: 'wrong' } })
    .json()
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(HTTPError);
  expect((error as HTTPError).response.status).toBe(401);
  expect(onSessionExpired).not.toHaveBeenCalled();
  expect(server.current.apiHits).toHaveLength(1);
  expect(server.current.apiHits[0]?.authorization).toBeNull();
  expect(auth.stats().replays).toBe(0);

  // The next attempt does not refresh again: the visitor is known to have no session.
  await api.post('login', { json: { user: 'ann', password: 'again' }, throwHttpErrors: false });
  expect(server.current.refreshCalls).toBe(1);
});

test('a 401 on a tokenless request after logout() is returned as it is, without calling refresh()', async () => {
  const onSessionExpired = vi.fn();
  const { auth, api } = createClient({ onSessionExpired });
  await auth.setToken('token-1');
  await auth.logout();
  const response = await api.get('data', { throwHttpErrors: false });
  expect(response.status).toBe(401);
  expect(server.current.refreshCalls).toBe(0);
  expect(onSessionExpired).not.toHaveBeenCalled();
});

test('context: { tokenRefresh: false } sends the request without a token and returns its 401 untouched', async () => {
  const { auth, api } = createClient();
  await auth.setToken('stale-token');
  const response = await api.post('login', {
    json: { user: 'ann' },
    context: { tokenRefresh: false },
    throwHttpErrors: false,
  });
  expect(response.status).toBe(401);
  expect(server.current.apiHits[0]?.authorization).toBeNull();
  expect(server.current.refreshCalls).toBe(0);
  expect(auth.getToken()).toBe('stale-token');
});

test('a reloaded tab with no token gets one from the cookie before its first request: the app sees no 401', async () => {
  const { auth, api } = createClient();
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.api401s).toBe(0);
  expect(auth.getToken()).toBe(server.current.validToken);
});

test('the bootstrap refresh is one refresh for a burst in several tabs', async () => {
  const name = `bootstrap-${++scope}`;
  const tabs = Array.from({ length: 3 }, () => createClient({ name, crossTab: true }));
  const results = await Promise.all(
    tabs.flatMap(({ api }) => Array.from({ length: 5 }, () => api.get('data').json())),
  );
  expect(results).toHaveLength(15);
  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.api401s).toBe(0);
});

test('a visitor who never logged in is not an expired session: the request goes on without a token', async () => {
  server.current.mode = 'unauthorized';
  const onSessionExpired = vi.fn();
  const { auth, api } = createClient({ onSessionExpired });
  const response = await api.get('public', { throwHttpErrors: false });
  expect(response.status).toBe(401);
  expect(server.current.apiHits[0]?.authorization).toBeNull();
  expect(onSessionExpired).not.toHaveBeenCalled();
  expect(auth.stats().failures).toBe(1);
});
