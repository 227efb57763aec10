/**
The refresh request is never held behind the refresh it belongs to, whichever door it goes through and
whatever a client in between does to the signal handed to `refresh()` (passes it on, wraps it in a
Request, derives its own with `AbortSignal.any`).
*/
import ky from 'ky';
import { createFetch } from 'ofetch';
import createOpenApiClient from 'openapi-fetch';
import { describe, expect, test } from 'vitest';
import {
  createTokenRefresh,
  RefreshTimeoutError,
  SessionExpiredError,
  type TokenRefresh,
} from '../src/index.js';
import { makeJwt, ORIGIN, useTestServer } from './support/server.js';

const server = useTestServer();
const REFRESH_URL = `${ORIGIN}/auth/refresh`;

interface Paths {
  '/auth/refresh': {
    post: { responses: { 200: { content: { 'application/json': { access_token: string } } } } };
  };
}

/** The token of a refresh answer, or an error with its `status` (400 and 401 end the session). */
const tokenOf = async (response: Response): Promise<string> => {
  if (!response.ok)
    throw Object.assign(new Error(`refresh answered ${response.status}`), { status: response.status });
  return ((await response.json()) as { access_token: string }).access_token;
};

type Send = (auth: TokenRefresh, signal: AbortSignal) => Promise<string>;
const senders: [string, Send][] = [
  [
    'auth.fetch called directly with the signal',
    (auth, signal) => auth.fetch(REFRESH_URL, { method: 'POST', signal }).then(tokenOf),
  ],
  [
    'auth.fetch with a Request built on the signal',
    (auth, signal) => auth.fetch(new Request(REFRESH_URL, { method: 'POST', signal })).then(tokenOf),
  ],
  [
    'auth.fetch with AbortSignal.any([signal])',
    (auth, signal) =>
      auth.fetch(REFRESH_URL, { method: 'POST', signal: AbortSignal.any([signal]) }).then(tokenOf),
  ],
  [
    'openapi-fetch over auth.fetch',
    async (auth, signal) => {
      const client = createOpenApiClient<Paths>({ baseUrl: ORIGIN, fetch: auth.fetch });
      const { data, response } = await client.POST('/auth/refresh', { signal });
      if (!data) throw Object.assign(new Error('refused'), { status: response.status });
      return data.access_token;
    },
  ],
  [
    'ofetch over auth.fetch',
    async (auth, signal) =>
      (
        await createFetch({ fetch: auth.fetch })<{ access_token: string }>(REFRESH_URL, {
          method: 'POST',
          signal,
        })
      ).access_token,
  ],
  [
    'ky with `fetch: auth.fetch`',
    async (auth, signal) =>
      (await ky.post(REFRESH_URL, { signal, fetch: auth.fetch }).json<{ access_token: string }>())
        .access_token,
  ],
  [
    'ky with the hooks, the signal as given',
    async (auth, signal) =>
      (await ky.post(REFRESH_URL, { signal, hooks: auth.hooks }).json<{ access_token: string }>())
        .access_token,
  ],
  [
    'ky with the hooks and AbortSignal.any([signal])',
    async (auth, signal) =>
      (
        await ky
          .post(REFRESH_URL, { signal: AbortSignal.any([signal]), hooks: auth.hooks })
          .json<{ access_token: string }>()
      ).access_token,
  ],
];

let scope = 0;
const createAuth = (send: Send): TokenRefresh => {
  const auth: TokenRefresh = createTokenRefresh({
    name: `refresh-request-${++scope}`,
    crossTab: false,
    // The refresh endpoint is on the authorized origin: its request meets the whole cycle.
    isAuthorizedUrl: (url) => url.origin === ORIGIN,
    refreshTimeoutMs: 2_500,
    refresh: ({ signal }) => send(auth, signal),
  });
  return auth;
};

describe.each(senders)('the refresh request, sent by %s', (_, send) => {
  test('is not held behind a bootstrap: a page without a token sends its first request with one', async () => {
    const auth = createAuth(send);
    const response = await auth.fetch(`${ORIGIN}/api/data`);
    expect(response.status).toBe(200);
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.apiHits.map((hit) => hit.authorization)).toEqual([
      `Bearer ${server.current.validToken}`,
    ]);
  });

  test.each([
    ['400 invalid_grant', 'invalid_grant'],
    ['401', 'unauthorized'],
  ] as const)('refused with %s: SessionExpiredError at once, not RefreshTimeoutError', async (_, mode) => {
    server.current.mode = mode;
    const auth = createAuth(send);
    await auth.setToken('stale-token');
    const error = await auth.fetch(`${ORIGIN}/api/data`).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(error).not.toBeInstanceOf(RefreshTimeoutError);
    expect(server.current.refreshCalls).toBe(1);
  });

  test('a proactive refresh reaches the server: the request goes with the new token, no 401', async () => {
    const auth = createAuth(send);
    const now = Math.floor(Date.now() / 1000);
    await auth.setToken(makeJwt({ iat: now - 290, exp: now + 10 }));
    const response = await auth.fetch(`${ORIGIN}/api/data`);
    expect(response.status).toBe(200);
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.api401s).toBe(0);
  });
});

describe('requests of the app while refresh() runs', () => {
  /**
  An instance whose refresh() sends through auth.fetch with a derived signal (so only timing recognises it),
  then waits for the test to release it: the window in which the app's own requests start.
  */
  const gatedAuth = () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const auth: TokenRefresh = createTokenRefresh({
      name: `refresh-request-${++scope}`,
      crossTab: false,
      isAuthorizedUrl: (url) => url.origin === ORIGIN,
      refresh: async ({ signal }) => {
        const token = await auth
          .fetch(new Request(REFRESH_URL, { method: 'POST', signal: AbortSignal.any([signal]) }))
          .then(tokenOf);
        await gate;
        return token;
      },
    });
    return { auth, release: () => release() };
  };

  test('a 401 that comes after the refresh call returned is replayed with the new token', async () => {
    const { auth, release } = gatedAuth();
    await auth.setToken('stale-token');
    const first = auth.fetch(`${ORIGIN}/api/data`);
    // While refresh() runs (its request answered, the call not returned yet), the app sends another request
    // with the old token; its 401 comes back after the call returned.
    await new Promise((resolve) => setTimeout(resolve, 60));
    const during = auth.fetch(`${ORIGIN}/api/data?delay=40`);
    setTimeout(release, 10);
    expect((await first).status).toBe(200);
    expect((await during).status).toBe(200);
    expect(server.current.refreshCalls).toBe(1);
  });

  test('a 401 that says invalid_token (RFC 6750), coming while refresh() runs, is replayed once the call returns', async () => {
    const { auth, release } = gatedAuth();
    await auth.setToken('stale-token');
    const first = auth.fetch(`${ORIGIN}/api/data`);
    await new Promise((resolve) => setTimeout(resolve, 60));
    // Its 401 (with `WWW-Authenticate: Bearer error="invalid_token"`) comes while the call still runs.
    const during = auth.fetch(`${ORIGIN}/api/data`);
    setTimeout(release, 100);
    expect((await first).status).toBe(200);
    expect((await during).status).toBe(200);
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.api401s).toBe(2);
  });
});
