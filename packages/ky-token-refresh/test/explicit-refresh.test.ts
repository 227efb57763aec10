import { expect, test } from 'vitest';
import { SessionExpiredError } from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

test('an explicit refresh() after a refused bootstrap asks the server (the page may have logged in since)', async () => {
  server.current.mode = 'invalid_grant';
  const { auth, api } = createClient();
  // A visitor: the bootstrap refresh is refused, the request goes without a token and gets its 401.
  await expect(api.get('data').json()).rejects.toMatchObject({ response: { status: 401 } });
  expect(server.current.refreshCalls).toBe(1);
  // The login form set the cookie only; the app asks the library for the token.
  server.current.mode = 'ok';
  const token = await auth.refresh();
  expect(token).toBe(server.current.validToken);
  expect(server.current.refreshCalls).toBe(2);
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
});

test('an explicit refresh() after logout() asks the server too', async () => {
  const { auth } = createClient();
  await auth.setToken('stale-token');
  await auth.logout();
  const token = await auth.refresh();
  expect(token).toBe(server.current.validToken);
  expect(server.current.refreshCalls).toBe(1);
  expect(auth.getToken()).toBe(server.current.validToken);
});

test('an explicit refresh() that the server refuses rejects with SessionExpiredError, after asking', async () => {
  server.current.mode = 'invalid_grant';
  const { auth, api } = createClient();
  await expect(api.get('data').json()).rejects.toMatchObject({ response: { status: 401 } });
  await expect(auth.refresh()).rejects.toBeInstanceOf(SessionExpiredError);
  expect(server.current.refreshCalls).toBe(2);
});
