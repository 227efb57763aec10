import ky, { isNetworkError, type Options } from 'ky';
import { describe, expect, test } from 'vitest';
import { createTokenRefresh } from '../src/index.js';
import { createClient } from './support/client.js';
import { type Echo, ORIGIN, SECOND, useTestServer } from './support/server.js';

const server = useTestServer();

const retries: [string, Options][] = [
  ['retry: 0', { retry: 0 }],
  ['default retry', {}],
];

describe.each(retries)("the app's own hooks after ours (%s)", (_, kyOptions) => {
  test('the replay of a POST keeps the header an app beforeRequest hook added, and its body', async () => {
    const { auth, api } = createClient({}, kyOptions);
    const app = api.extend({
      hooks: { beforeRequest: [({ request }) => void request.headers.set('x-custom', 'csrf-1')] },
    });
    await auth.setToken('stale-token');
    const echo = await app.post('echo', { json: { order: 7 } }).json<Echo>();
    expect(echo).toMatchObject({ method: 'POST', custom: 'csrf-1', body: '{"order":7}' });
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.apiHits.map((hit) => hit.status)).toEqual([401, 200]);
  });

  test('the replay goes to the URL an app beforeRequest hook rewrote the request to', async () => {
    const { auth, api } = createClient({}, kyOptions);
    const app = api.extend({
      hooks: {
        beforeRequest: [({ request }) => new Request(request.url.replace('/api/v1/', '/api/v2/'), request)],
      },
    });
    await auth.setToken('stale-token');
    const echo = await app.put('v1/items', { body: 'payload' }).json<Echo>();
    expect(echo).toMatchObject({ method: 'PUT', path: '/api/v2/items', body: 'payload' });
    expect(server.current.apiHits.map((hit) => hit.path)).toEqual(['/api/v2/items', '/api/v2/items']);
  });
});

test('an app init hook that replaces options.context does not turn the library off', async () => {
  const { auth, api } = createClient();
  const app = api.extend({
    hooks: {
      init: [
        (options) => {
          options.context = { ...options.context, traceId: 'trace-1' };
        },
      ],
    },
  });
  await auth.setToken('stale-token');
  await expect(app.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.apiHits.at(-1)?.authorization).toBe(`Bearer ${server.current.validToken}`);
});

test('two instances on one ky instance each authorize their own URLs and handle their own 401s', async () => {
  const instance = (origin: string) =>
    createTokenRefresh({
      name: `two-apis-${origin}`,
      crossTab: false,
      isAuthorizedUrl: (url) => url.origin === origin,
      refresh: async ({ signal }) =>
        (await ky.post(`${origin}/auth/refresh`, { signal }).json<{ access_token: string }>()).access_token,
    });
  const first = instance(ORIGIN);
  const second = instance(SECOND);
  const api = ky.create({ hooks: first.hooks }).extend({ hooks: second.hooks });
  await first.setToken('stale-first');
  await second.setToken('stale-second');

  await expect(api.get(`${ORIGIN}/api/one`).json()).resolves.toMatchObject({ path: '/api/one' });
  await expect(api.get(`${SECOND}/api/two`).json()).resolves.toMatchObject({ path: '/api/two' });

  expect(server.current.refreshCalls).toBe(1);
  expect(server.second.refreshCalls).toBe(1);
  expect(first.getToken()).toBe(server.current.validToken);
  expect(second.getToken()).toBe(server.second.validToken);
  // Each API got its own tokens only: the stale one, then the refreshed one.
  expect(server.current.apiHits.map((hit) => hit.authorization)).toEqual([
    'Bearer stale-first',
    `Bearer ${server.current.validToken}`,
  ]);
  expect(server.second.apiHits.map((hit) => hit.authorization)).toEqual([
    'Bearer stale-second',
    `Bearer ${server.second.validToken}`,
  ]);
});

describe('a network error on the replay', () => {
  test("is ky's NetworkError, as on any attempt", async () => {
    const { auth, api } = createClient({}, { retry: 0 });
    await auth.setToken('stale-token');
    server.current.networkErrorsOnValid = 1;
    const error = await api
      .get('data')
      .json()
      .catch((caught: unknown) => caught);
    expect(isNetworkError(error)).toBe(true);
  });

  test("is retried by ky's retry, as on any attempt", async () => {
    const { auth, api } = createClient({}, { retry: { limit: 2, delay: () => 0 } });
    await auth.setToken('stale-token');
    server.current.networkErrorsOnValid = 1;
    await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
    expect(server.current.refreshCalls).toBe(1);
  });
});
