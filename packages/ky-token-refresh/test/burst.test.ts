import { describe, expect, test } from 'vitest';
import { createClient, settle } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

describe('a burst of concurrent 401s', () => {
  test.each([
    ['default retry', {}],
    ['retry: 0', { retry: 0 }],
  ])('50 concurrent 401s cause exactly one refresh and 50 successes (%s)', async (_, kyOptions) => {
    const { auth, api } = createClient({}, kyOptions);
    await auth.setToken('stale-token');

    const { fulfilled, rejected } = await settle(
      Array.from({ length: 50 }, (_, index) => api.get(`item/${index}`).json<{ path: string }>()),
    );

    expect({ fulfilled, rejected }).toEqual({ fulfilled: 50, rejected: 0 });
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.api401s).toBe(50);
    expect(auth.getToken()).toBe(server.current.validToken);
    expect(auth.stats()).toMatchObject({
      refreshes: 1,
      adopted: 0,
      replays: 50,
      failures: 0,
      conflicts: 0,
      maxAttempts: 1,
    });
  });

  test('replayed requests carry the new token and reach the right path', async () => {
    const { auth, api } = createClient();
    await auth.setToken('stale-token');
    const bodies = await Promise.all([
      api.get('a').json<{ path: string }>(),
      api.get('b').json<{ path: string }>(),
    ]);
    expect(bodies.map((body) => body.path)).toEqual(['/api/a', '/api/b']);
    const replays = server.current.apiHits.filter((hit) => hit.status === 200);
    expect(replays.every((hit) => hit.authorization === `Bearer ${server.current.validToken}`)).toBe(true);
  });

  test('a request sent with no token at all (page reload) refreshes once and replays', async () => {
    const { auth, api } = createClient();
    const results = await Promise.all([api.get('x').json(), api.get('y').json()]);
    expect(results).toHaveLength(2);
    expect(server.current.refreshCalls).toBe(1);
    expect(auth.getToken()).toBe(server.current.validToken);
  });

  test('a second burst after the first uses the refreshed token without refreshing again', async () => {
    const { auth, api } = createClient();
    await auth.setToken('stale-token');
    await Promise.all(Array.from({ length: 5 }, () => api.get('one').json()));
    await Promise.all(Array.from({ length: 5 }, () => api.get('two').json()));
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.api401s).toBe(5);
  });
});
