import ky from 'ky';
import { createFetch } from 'ofetch';
import createOpenApiClient from 'openapi-fetch';
import { describe, expect, test } from 'vitest';
import wretch from 'wretch';
import wretch2 from 'wretch2';
import {
  createTokenRefresh as createFetchOnly,
  SessionExpiredError as FetchEntrySessionExpiredError,
} from '../src/fetch.js';
import { createTokenRefresh, SessionExpiredError } from '../src/index.js';
import { type Echo, FOREIGN, ORIGIN, useTestServer } from './support/server.js';

const server = useTestServer();

/** The paths openapi-fetch is typed with: the test server's echo route. */
interface Paths {
  '/echo': {
    post: {
      requestBody: { content: { 'application/json': { n: number } } };
      responses: { 200: { content: { 'application/json': Echo } } };
    };
  };
}

let scope = 0;
const createAuth = () =>
  createTokenRefresh({
    name: `fetch-door-${++scope}`,
    crossTab: false,
    isAuthorizedUrl: (url) => url.origin === ORIGIN,
    refresh: async ({ signal }) =>
      (await ky.post(`${ORIGIN}/auth/refresh`, { signal }).json<{ access_token: string }>()).access_token,
  });

const expectOneRefreshAndReplays = (replays: number) => {
  expect(server.current.refreshCalls).toBe(1);
  const statuses = server.current.apiHits.map((hit) => hit.status);
  expect(statuses.filter((status) => status === 401)).toHaveLength(replays);
  expect(statuses.filter((status) => status === 200)).toHaveLength(replays);
};

describe('auth.fetch called directly', () => {
  test('10 concurrent POSTs at expiry: one refresh, each replayed once with its body and headers', async () => {
    const auth = createAuth();
    await auth.setToken('stale-token');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        auth.fetch(`${ORIGIN}/api/echo`, {
          method: 'POST',
          body: JSON.stringify({ n }),
          headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
        }),
      ),
    );
    const echoes = await Promise.all(responses.map((response) => response.json() as Promise<Echo>));
    expect(echoes.map((echo) => JSON.parse(echo.body).n)).toEqual(Array.from({ length: 10 }, (_, n) => n));
    expect(echoes.every((echo) => echo.custom === 'kept' && echo.contentType === 'application/json')).toBe(
      true,
    );
    expectOneRefreshAndReplays(10);
    expect(auth.stats()).toMatchObject({ refreshes: 1, replays: 10 });
  });

  test('a Request with a streamed body is replayed from its copy', async () => {
    const auth = createAuth();
    await auth.setToken('stale-token');
    const request = new Request(`${ORIGIN}/api/echo`, {
      method: 'PUT',
      body: new Blob(['streamed']).stream(),
      duplex: 'half',
    } as RequestInit);
    const echo = (await (await auth.fetch(request)).json()) as Echo;
    expect(echo).toMatchObject({ method: 'PUT', body: 'streamed' });
    expectOneRefreshAndReplays(1);
  });

  test('a second 401 is returned as the Response it is: no loop', async () => {
    const auth = createAuth();
    server.current.rejectAll = true;
    await auth.setToken('stale-token');
    const response = await auth.fetch(`${ORIGIN}/api/data`);
    expect(response.status).toBe(401);
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.apiHits).toHaveLength(2);
  });

  test('a refused refresh rejects with SessionExpiredError', async () => {
    const auth = createAuth();
    server.current.mode = 'invalid_grant';
    await auth.setToken('stale-token');
    await expect(auth.fetch(`${ORIGIN}/api/data`)).rejects.toBeInstanceOf(SessionExpiredError);
  });

  test('the token never goes to a URL isAuthorizedUrl rejects; its 401 is returned untouched', async () => {
    const auth = createAuth();
    await auth.setToken('stale-token');
    const response = await auth.fetch(`${FOREIGN}/collect`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(401);
    expect(server.current.foreignHits.map((hit) => hit.authorization)).toEqual([null]);
    expect(server.current.refreshCalls).toBe(0);
  });

  test("a caller's AbortSignal ends its wait", async () => {
    const auth = createAuth();
    server.current.refreshLatencyMs = 300;
    await auth.setToken('stale-token');
    const controller = new AbortController();
    const pending = auth.fetch(`${ORIGIN}/api/data`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('auth.fetch in fetch-based clients', () => {
  test("as ky's `fetch` option, without the hooks", async () => {
    const auth = createAuth();
    await auth.setToken('stale-token');
    const api = ky.create({ prefix: `${ORIGIN}/api`, fetch: auth.fetch });
    const echo = await api.post('echo', { json: { n: 1 }, headers: { 'x-custom': 'kept' } }).json<Echo>();
    expect(echo).toMatchObject({ body: '{"n":1}', custom: 'kept' });
    expectOneRefreshAndReplays(1);
  });

  test('as openapi-fetch’s `fetch`', async () => {
    const auth = createAuth();
    await auth.setToken('stale-token');
    const client = createOpenApiClient<Paths>({ baseUrl: `${ORIGIN}/api`, fetch: auth.fetch });
    const { data, response } = await client.POST('/echo', { body: { n: 2 } });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ method: 'POST', body: '{"n":2}' });
    expectOneRefreshAndReplays(1);
  });

  test('with ofetch', async () => {
    const auth = createAuth();
    await auth.setToken('stale-token');
    const $fetch = createFetch({ fetch: auth.fetch });
    const echo = await $fetch<Echo>(`${ORIGIN}/api/echo`, { method: 'POST', body: { n: 3 } });
    expect(echo).toMatchObject({ method: 'POST', body: '{"n":3}' });
    expectOneRefreshAndReplays(1);
  });

  test('with wretch 3 (`.fetchPolyfill`)', async () => {
    const auth = createAuth();
    await auth.setToken('stale-token');
    const echo = await wretch(`${ORIGIN}/api/echo`).fetchPolyfill(auth.fetch).post({ n: 4 }).json<Echo>();
    expect(echo).toMatchObject({ method: 'POST', body: '{"n":4}' });
    expectOneRefreshAndReplays(1);
  });

  test('with wretch 2 (`.polyfills({ fetch })`)', async () => {
    const auth = createAuth();
    await auth.setToken('stale-token');
    const echo = await wretch2(`${ORIGIN}/api/echo`)
      .polyfills({ fetch: auth.fetch })
      .post({ n: 5 })
      .json<Echo>();
    expect(echo).toMatchObject({ method: 'POST', body: '{"n":5}' });
    expectOneRefreshAndReplays(1);
  });
});

describe('the ky-free entry (ky-token-refresh/fetch)', () => {
  test('its createTokenRefresh gives fetch and the controls, no hooks, and refreshes once for a burst', async () => {
    const auth = createFetchOnly({
      name: `fetch-door-${++scope}`,
      crossTab: false,
      isAuthorizedUrl: (url) => url.origin === ORIGIN,
      refresh: async ({ signal }) =>
        (
          (await (await fetch(`${ORIGIN}/auth/refresh`, { method: 'POST', signal })).json()) as {
            access_token: string;
          }
        ).access_token,
    });
    expect('hooks' in auth).toBe(false);
    await auth.setToken('stale-token');
    const responses = await Promise.all(Array.from({ length: 3 }, () => auth.fetch(`${ORIGIN}/api/data`)));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expectOneRefreshAndReplays(3);
    expect(auth.stats()).toMatchObject({ refreshes: 1, replays: 3 });
  });

  test('exports the same error classes as the main entry', () => {
    expect(FetchEntrySessionExpiredError).toBe(SessionExpiredError);
  });
});
