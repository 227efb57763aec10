import ky from 'ky';
import { afterEach, expect, test, vi } from 'vitest';
import { createTokenRefresh } from '../src/index.js';
import { isSameOrigin, sameOrigin } from '../src/options.js';
import { createClient } from './support/client.js';
import { FOREIGN, ORIGIN, useTestServer } from './support/server.js';

const server = useTestServer();

afterEach(() => {
  vi.unstubAllGlobals();
});

const refresh = async ({ signal }: { signal: AbortSignal }) =>
  (await ky.post(`${ORIGIN}/auth/refresh`, { signal }).json<{ access_token: string }>()).access_token;

test('by default the token goes to the page origin only; a foreign 401 triggers no refresh', async () => {
  vi.stubGlobal('location', new URL(`${ORIGIN}/app/`));
  const auth = createTokenRefresh({ name: 'foreign-default', crossTab: false, refresh });
  const client = ky.create({ hooks: auth.hooks });
  const token = server.current.issue();
  await auth.setToken(token);

  await client.get(`${ORIGIN}/api/mine`).json();
  const foreign = await client.get(`${FOREIGN}/steal`, { throwHttpErrors: false });

  expect(server.current.apiHits[0]?.authorization).toBe(`Bearer ${token}`);
  expect(foreign.status).toBe(401);
  expect(server.current.foreignHits).toHaveLength(1);
  expect(server.current.foreignHits[0]?.authorization).toBeNull();
  expect(server.current.refreshCalls).toBe(0);
});

test('without a location (Node, SSR) no URL is authorized unless isAuthorizedUrl says so', async () => {
  const auth = createTokenRefresh({ name: 'foreign-ssr', crossTab: false, refresh });
  const client = ky.create({ hooks: auth.hooks });
  await auth.setToken(server.current.issue());
  await client.get(`${ORIGIN}/api/mine`, { throwHttpErrors: false });
  expect(server.current.apiHits[0]?.authorization).toBeNull();
  expect(server.current.refreshCalls).toBe(0);
});

test('a custom isAuthorizedUrl is honoured, and replays never go to a foreign origin', async () => {
  const { auth, api } = createClient({ isAuthorizedUrl: (url) => url.origin === ORIGIN });
  await auth.setToken('stale-token');
  await api.get('x').json();
  await ky.create({ hooks: auth.hooks }).get(`${FOREIGN}/y`, { throwHttpErrors: false });
  expect(server.current.foreignHits.map((hit) => hit.authorization)).toEqual([null]);
});

test('the default check (no URL built per request) matches the page origin exactly', () => {
  vi.stubGlobal('location', new URL('https://app.example/app/'));
  const cases: [string, boolean][] = [
    ['https://app.example/api/x?q=1', true],
    ['https://APP.example:443/api', true],
    ['https://app.example', true],
    ['https://app.example.evil.test/api', false],
    ['https://app.example:8443/api', false],
    ['http://app.example/api', false],
    ['https://evil.test/https://app.example/', false],
  ];
  for (const [url, expected] of cases) {
    const sent = new Request(url).url;
    expect([url, isSameOrigin(sent)]).toEqual([url, expected]);
    expect([url, sameOrigin(new URL(sent))]).toEqual([url, expected]);
  }
});
