/**
`auth.fetch` behaves like `fetch`: it always returns a promise, and its fast path (the token on the caller's
init), its general path (a Request built and sent) and plain `fetch` send the same thing for the same call.
*/
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createTokenRefresh, DisposedError } from '../src/index.js';

const ORIGIN = 'http://contract.test';

/** What one request looked like on the wire (headers without Authorization). */
interface Seen {
  method: string;
  url: string;
  headers: [string, string][];
  body: string;
  authorization: string | null;
}

let seen: Seen[] = [];
let slowMs = 0;
const server = setupServer(
  http.post(`${ORIGIN}/auth/refresh`, () => HttpResponse.json({ access_token: 'good' })),
  http.all(`${ORIGIN}/capture/*`, async ({ request }) => {
    const authorization = request.headers.get('authorization');
    seen.push({
      method: request.method,
      url: request.url,
      headers: [...request.headers].filter(([name]) => name !== 'authorization').sort(),
      body: request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text(),
      authorization,
    });
    if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
    if (authorization !== 'Bearer good')
      return HttpResponse.json({ error: 'invalid_token' }, { status: 401 });
    return HttpResponse.json({ ok: true });
  }),
);
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  seen = [];
  slowMs = 0;
});
afterAll(() => server.close());

let scope = 0;
/** `general`: a shouldRefresh that is not the default, so every call takes the general path. */
const createAuth = (general: boolean) =>
  createTokenRefresh({
    name: `contract-${++scope}`,
    crossTab: false,
    isAuthorizedUrl: (url) => url.origin === ORIGIN,
    refresh: async ({ signal }) =>
      (
        (await (await fetch(`${ORIGIN}/auth/refresh`, { method: 'POST', signal })).json()) as {
          access_token: string;
        }
      ).access_token,
    ...(general ? { shouldRefresh: (response: Response) => response.status === 401 } : {}),
  });

type Call = () => [input: RequestInfo | URL, init?: RequestInit];
const calls: [string, Call][] = [
  ['a GET by URL string', () => [`${ORIGIN}/capture/a?q=1`]],
  ['a GET by URL object', () => [new URL(`${ORIGIN}/capture/b`)]],
  [
    'a POST with a string body and a headers object',
    () => [
      `${ORIGIN}/capture/c`,
      { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json', 'x-a': '1' } },
    ],
  ],
  [
    'a PUT with Headers holding a repeated header',
    () => {
      const headers = new Headers({ 'x-b': '1' });
      headers.append('x-b', '2');
      return [`${ORIGIN}/capture/d`, { method: 'PUT', body: 'text', headers }];
    },
  ],
  [
    'a POST of URLSearchParams',
    () => [`${ORIGIN}/capture/e`, { method: 'POST', body: new URLSearchParams({ a: '1' }) }],
  ],
  [
    'a POST of a typed Blob',
    () => [`${ORIGIN}/capture/f`, { method: 'POST', body: new Blob(['blob'], { type: 'text/x-blob' }) }],
  ],
  [
    'a POST of an ArrayBuffer',
    () => [`${ORIGIN}/capture/g`, { method: 'POST', body: new TextEncoder().encode('buf').buffer }],
  ],
  [
    'a POST of a Uint8Array',
    () => [`${ORIGIN}/capture/h`, { method: 'POST', body: new TextEncoder().encode('u8') }],
  ],
  [
    'an init whose members are inherited (Object.create(defaults))',
    () => [
      `${ORIGIN}/capture/i`,
      Object.create({ method: 'PATCH', body: 'inherited', headers: { 'x-inherited': 'yes' } }) as RequestInit,
    ],
  ],
  [
    'a Request used as init',
    () => [
      `${ORIGIN}/capture/j`,
      new Request(`${ORIGIN}/elsewhere`, { method: 'DELETE', headers: { 'x-req': 'r' } }),
    ],
  ],
  [
    'a Request as input',
    () => [new Request(`${ORIGIN}/capture/k`, { method: 'POST', body: 'req', headers: { 'x-k': 'k' } })],
  ],
];

const withoutAuthorization = ({ authorization: _, ...rest }: Seen) => rest;

describe('the fast path, the general path and plain fetch send the same request', () => {
  test.each(calls)('%s', async (_, call) => {
    await fetch(...call());
    const plain = seen.splice(0);
    expect(plain).toHaveLength(1);
    for (const general of [false, true]) {
      const auth = createAuth(general);
      await auth.setToken('good');
      expect((await auth.fetch(...call())).status).toBe(200);
      // And through a 401 and its replay: the replay sends the same again, with the new token.
      await auth.setToken('stale');
      expect((await auth.fetch(...call())).status).toBe(200);
      const hits = seen.splice(0);
      expect(hits.map((hit) => hit.authorization)).toEqual(['Bearer good', 'Bearer stale', 'Bearer good']);
      expect(hits.map(withoutAuthorization), general ? 'general path' : 'fast path').toEqual(
        Array(3).fill(withoutAuthorization(plain[0] as Seen)),
      );
      auth.dispose();
    }
  });
});

describe('auth.fetch always returns a promise, like fetch', () => {
  const bad: [string, () => Promise<Response>][] = [
    ['a URL that does not parse', () => createAuth(false).fetch('http://[not-a-host')],
    ['a GET with a body', () => createAuth(false).fetch(`${ORIGIN}/capture/x`, { method: 'GET', body: 'x' })],
    [
      'an isAuthorizedUrl that throws',
      () =>
        createTokenRefresh({
          name: `contract-${++scope}`,
          crossTab: false,
          refresh: async () => 'token',
          isAuthorizedUrl: () => {
            throw new Error('app bug');
          },
        }).fetch(`${ORIGIN}/capture/y`),
    ],
  ];
  test.each(bad)('%s: a rejected promise, never a synchronous throw', async (_, call) => {
    let result: Promise<Response> | undefined;
    expect(() => {
      result = call();
    }).not.toThrow();
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toThrow();
  });

  test('with a token held (the fast path), the same bad calls reject too', async () => {
    const auth = createAuth(false);
    await auth.setToken('good');
    const bodyOnGet = auth.fetch(`${ORIGIN}/capture/x`, { method: 'GET', body: 'x' });
    expect(bodyOnGet).toBeInstanceOf(Promise);
    await expect(bodyOnGet).rejects.toBeInstanceOf(TypeError);
    const failure = new Error('app bug');
    const throwing = createTokenRefresh({
      name: `contract-${++scope}`,
      crossTab: false,
      refresh: async () => 'token',
      isAuthorizedUrl: () => {
        throw failure;
      },
    });
    await throwing.setToken('good');
    let result: Promise<Response> | undefined;
    expect(() => {
      result = throwing.fetch(`${ORIGIN}/capture/y`);
    }).not.toThrow();
    await expect(result).rejects.toBe(failure);
  });
});

describe('a request in flight when dispose() is called gets what fetch would give it', () => {
  test.each([
    ['the fast path', false],
    ['the general path', true],
  ])('%s: its 401 is returned as it is (no DisposedError, no refresh)', async (_, general) => {
    const auth = createAuth(general);
    await auth.setToken('stale');
    slowMs = 50;
    const pending = auth.fetch(`${ORIGIN}/capture/z`);
    await new Promise((resolve) => setTimeout(resolve, 10));
    auth.dispose();
    const response = await pending;
    expect(response.status).toBe(401);
    expect(auth.stats().refreshes).toBe(0);
  });

  test('after dispose(), refresh() rejects with DisposedError (unchanged)', async () => {
    const auth = createAuth(false);
    auth.dispose();
    await expect(auth.refresh()).rejects.toBeInstanceOf(DisposedError);
  });
});
