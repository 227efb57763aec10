import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthServer, createMemoryStorage } from '../src/index.ts';
import { createStorageCookieJar } from '../src/msw/cookie-jar.ts';
import { carriesCookies, createMockAuthHandlers } from '../src/msw/handlers.ts';

const ORIGIN = 'http://app.test';
const storage = createMemoryStorage();
const server = createAuthServer({ storage });
const cookieJar = createStorageCookieJar(storage);
const msw = setupServer(...createMockAuthHandlers(server, { cookieJar, baseUrl: ORIGIN }));

beforeAll(() => msw.listen({ onUnhandledFrame: 'error' }));
afterAll(() => msw.close());
beforeEach(async () => {
  await server.reset();
  await cookieJar.clear();
});

const login = () =>
  fetch(`${ORIGIN}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'ann', password: 'pw' }),
  });
const refresh = (init: RequestInit = {}) =>
  fetch(`${ORIGIN}/auth/refresh`, { method: 'POST', headers: { 'X-Requested-With': 'fetch' }, ...init });

describe('MSW handlers with the emulated cookie jar', () => {
  it('keeps the refresh token in the shared jar, not in Set-Cookie, and rotates it there', async () => {
    const response = await login();
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
    const first = (await cookieJar.cookiesFor(new URL(`${ORIGIN}/auth/refresh`))).rt;
    expect(first).toMatch(/^[\w-]{43}$/);
    // Path=/auth: not sent to /api.
    expect(await cookieJar.cookiesFor(new URL(`${ORIGIN}/api/me`))).toEqual({});

    const refreshed = await refresh();
    expect(refreshed.status).toBe(200);
    const second = (await cookieJar.cookiesFor(new URL(`${ORIGIN}/auth/refresh`))).rt;
    expect(second).toMatch(/^[\w-]{43}$/);
    expect(second).not.toBe(first);
    expect(await server.stats()).toMatchObject({ logins: 1, rotations: 1 });

    const { access_token } = (await refreshed.json()) as { access_token: string };
    const api = await fetch(`${ORIGIN}/api/items/1`, {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    expect(await api.json()).toMatchObject({ ok: true, path: '/api/items/1', sub: 'ann' });
  });

  it("a second tab's server instance over the same storage sees the rotated cookie", async () => {
    await login();
    const otherTab = createAuthServer({ storage });
    const otherJar = createStorageCookieJar(storage);
    const token = (await otherJar.cookiesFor(new URL(`${ORIGIN}/auth/refresh`))).rt ?? null;
    expect(await otherTab.refresh({ refreshToken: token, requestedWith: 'x' })).toMatchObject({ ok: true });
    // This tab now presents the same (used) cookie: strict reuse detection.
    expect(await (await refresh()).json()).toEqual({ error: 'invalid_grant', reason: 'reuse_detected' });
  });

  it('sends cookies per the credentials mode', () => {
    // msw/node rebuilds requests as same-origin, so this is checked on the predicate itself.
    const url = new URL(`${ORIGIN}/auth/refresh`);
    const mode = (credentials: RequestCredentials) => carriesCookies(new Request(url, { credentials }), url);
    expect([mode('omit'), mode('same-origin'), mode('include')]).toEqual([false, true, true]);
  });

  it('403 without X-Requested-With, 401 with WWW-Authenticate', async () => {
    await login();
    expect((await refresh({ headers: {} })).status).toBe(403);
    const api = await fetch(`${ORIGIN}/api/me`);
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="/);
  });

  it('logout clears the jar', async () => {
    await login();
    expect((await fetch(`${ORIGIN}/auth/logout`, { method: 'POST' })).status).toBe(204);
    expect(await cookieJar.cookiesFor(new URL(`${ORIGIN}/auth/refresh`))).toEqual({});
    expect(await server.stats()).toMatchObject({ logouts: 1, familyRevocations: 1 });
  });

  it('answers oversized and malformed bodies', async () => {
    const big = await fetch(`${ORIGIN}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(70_000),
    });
    expect(big.status).toBe(413);
    const malformed = await fetch(`${ORIGIN}/__mock/config`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    expect(malformed.status).toBe(400);
  });
});
