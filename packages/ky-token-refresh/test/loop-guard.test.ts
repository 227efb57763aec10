import { HTTPError, isHTTPError } from 'ky';
import { expect, test } from 'vitest';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

test.each([
  ['default retry', {}],
  ['retry: 0', { retry: 0 }],
])('a second 401 after the replay goes back to the caller as HTTPError (%s)', async (_, kyOptions) => {
  const { auth, api } = createClient({}, kyOptions);
  server.current.rejectAll = true;
  await auth.setToken('stale-token');

  const error = await api
    .get('guarded')
    .json()
    .catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(HTTPError);
  expect(isHTTPError(error) && error.response.status).toBe(401);
  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.apiHits).toHaveLength(2);
});

test('every request of a burst is replayed at most once when the server keeps refusing', async () => {
  const { auth, api } = createClient();
  server.current.rejectAll = true;
  await auth.setToken('stale-token');
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => api.get('guarded').json()));
  expect(results.every((result) => result.status === 'rejected')).toBe(true);
  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.apiHits).toHaveLength(20);
});
