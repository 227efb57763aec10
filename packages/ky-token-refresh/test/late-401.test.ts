import { expect, test } from 'vitest';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

test('a 401 for a request sent with an older token replays at once, without a second refresh', async () => {
  const { auth, api } = createClient();
  await auth.setToken('stale-token');

  // The slow request leaves with the stale token and its 401 arrives after the fast one's refresh is done.
  const slow = api.get('slow', { searchParams: { delay: 150 } }).json<{ path: string }>();
  await api.get('fast').json();
  expect(server.current.refreshCalls).toBe(1);

  await expect(slow).resolves.toMatchObject({ path: '/api/slow' });
  expect(server.current.refreshCalls).toBe(1);
  expect(auth.stats()).toMatchObject({ refreshes: 1, replays: 2 });
});

test('requests sent after the refresh go out with the new token and get no 401', async () => {
  const { auth, api } = createClient();
  await auth.setToken('stale-token');
  await api.get('first').json();
  const before = server.current.api401s;
  await api.get('second').json();
  expect(server.current.api401s).toBe(before);
});
