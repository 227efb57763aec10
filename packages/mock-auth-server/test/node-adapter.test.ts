import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningMockAuthServer, startMockAuthServer } from '../src/node/index.ts';

let running: RunningMockAuthServer;
let staticDir: string;

beforeAll(async () => {
  staticDir = await mkdtemp(join(tmpdir(), 'mock-auth-static-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>demo</title>');
  await writeFile(join(staticDir, 'app.js'), 'export {};');
  running = await startMockAuthServer({ staticDir });
});

afterAll(async () => {
  await running.close();
  await rm(staticDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await running.authServer.reset();
});

const post = (path: string, init: RequestInit = {}) =>
  fetch(`${running.url}${path}`, { method: 'POST', ...init });
const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  post(path, { headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** The single Set-Cookie of a response, split into value and attributes. */
function setCookie(response: Response) {
  const all = response.headers.getSetCookie();
  expect(all).toHaveLength(1);
  const [pair = '', ...attributes] = all[0]!.split('; ');
  const [name, value] = pair.split('=');
  return { name, value, attributes };
}

async function loginCookie(): Promise<{ cookie: string; accessToken: string }> {
  const response = await postJson('/auth/login', { username: 'ann', password: 'pw' });
  expect(response.status).toBe(200);
  const { name, value } = setCookie(response);
  const body = (await response.json()) as { access_token: string };
  return { cookie: `${name}=${value}`, accessToken: body.access_token };
}

const refreshWith = (cookie: string | null, csrf = true) =>
  post('/auth/refresh', {
    headers: { ...(cookie && { Cookie: cookie }), ...(csrf && { 'X-Requested-With': 'fetch' }) },
  });

describe('Node HTTP adapter (real HTTP, real cookies)', () => {
  it('login sets an HttpOnly, SameSite=Strict, Path=/auth cookie named rt on plain http', async () => {
    const response = await postJson('/auth/login', { username: 'ann', password: 'pw' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    expect(body.access_token).toMatch(/^eyJ/);
    const cookie = setCookie(response);
    expect(cookie.name).toBe('rt');
    expect(cookie.value).toMatch(/^[\w-]{43}$/);
    expect(cookie.attributes).toEqual(['Path=/auth', 'Max-Age=86400', 'HttpOnly', 'SameSite=Strict']);
  });

  it('refresh reads the cookie, rotates it, and the old cookie is then reuse', async () => {
    const { cookie } = await loginCookie();
    const first = await refreshWith(cookie);
    expect(first.status).toBe(200);
    const rotated = setCookie(first);
    expect(`${rotated.name}=${rotated.value}`).not.toBe(cookie);
    expect(((await first.json()) as { access_token: string }).access_token).toMatch(/^eyJ/);

    const reused = await refreshWith(cookie);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({ error: 'invalid_grant', reason: 'reuse_detected' });
    expect(reused.headers.getSetCookie()).toEqual([]);
    expect(await running.authServer.stats()).toMatchObject({ rotations: 1, reuseDetections: 1 });
  });

  it('refresh without X-Requested-With is 403, without cookie 400 missing_token, garbage 400 unknown_token', async () => {
    const { cookie } = await loginCookie();
    const csrf = await refreshWith(cookie, false);
    expect(csrf.status).toBe(403);
    expect(await csrf.json()).toMatchObject({ error: 'forbidden', reason: 'csrf' });
    const missing = await refreshWith(null);
    expect([missing.status, await missing.json()]).toEqual([
      400,
      { error: 'invalid_grant', reason: 'missing_token' },
    ]);
    const garbage = await refreshWith('rt=%%%garbage;;');
    expect([garbage.status, await garbage.json()]).toEqual([
      400,
      { error: 'invalid_grant', reason: 'unknown_token' },
    ]);
    // The 403 did not consume the token.
    expect((await refreshWith(cookie)).status).toBe(200);
  });

  it('/api/* needs a valid bearer token and answers 401 with WWW-Authenticate', async () => {
    const { accessToken } = await loginCookie();
    const ok = await fetch(`${running.url}/api/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, path: '/api/me', sub: 'ann' });

    const missing = await fetch(`${running.url}/api/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="No bearer token in the request"',
    );
    const garbage = await fetch(`${running.url}/api/me`, { headers: { Authorization: 'Bearer x.y.z' } });
    expect(garbage.status).toBe(401);
    expect(garbage.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="The access token is invalid"',
    );
    await post('/__mock/expire');
    const expired = await fetch(`${running.url}/api/me`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ reason: 'expired' });
    expect((await running.authServer.stats()).api401s).toEqual({
      missing_token: 1,
      invalid_token: 1,
      expired: 1,
    });
  });

  it('/api/echo echoes method, content type and body so clients can test replays', async () => {
    const { accessToken } = await loginCookie();
    const response = await fetch(`${running.url}/api/echo`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'text/plain' },
      body: 'hello body',
    });
    expect(await response.json()).toEqual({
      ok: true,
      path: '/api/echo',
      sub: 'ann',
      method: 'PUT',
      contentType: 'text/plain',
      body: 'hello body',
    });
    const del = await fetch(`${running.url}/api/echo`, { method: 'DELETE' });
    expect([del.status, del.headers.get('allow')]).toEqual([405, 'GET, POST, PUT']);
  });

  it('answers bad input without crashing: 415, 400 malformed JSON, 413 (declared and streamed)', async () => {
    const wrongType = await post('/auth/login', { headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    const malformed = await post('/auth/login', {
      headers: { 'Content-Type': 'application/json' },
      body: '{"user',
    });
    expect([malformed.status, await malformed.json()]).toEqual([
      400,
      { error: 'invalid_request', error_description: 'Malformed JSON' },
    ]);
    const notObject = await postJson('/auth/login', ['ann', 'pw']);
    expect(notObject.status).toBe(400);
    const badCreds = await postJson('/auth/login', { username: '', password: 'pw' });
    expect(badCreds.status).toBe(401);

    const big = JSON.stringify({ username: 'ann', password: 'x'.repeat(70 * 1024) });
    const declared = await post('/auth/login', {
      headers: { 'Content-Type': 'application/json' },
      body: big,
    });
    expect([declared.status, await declared.json()]).toEqual([
      413,
      { error: 'payload_too_large', limit: 65_536 },
    ]);

    const bytes = new TextEncoder().encode(big);
    const streamed = await post('/auth/login', {
      headers: { 'Content-Type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);

    const { accessToken } = await loginCookie();
    const echo = await fetch(`${running.url}/api/echo`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'text/plain' },
      body: 'y'.repeat(65 * 1024),
    });
    expect(echo.status).toBe(413);
    // Still alive.
    expect((await fetch(`${running.url}/__mock/stats`)).status).toBe(200);
  });

  it('/__mock/config names unknown keys and bad knobs, applies presets; /__mock/reset clears', async () => {
    const unknown = await postJson('/__mock/config', { graceMS: 1 });
    expect([unknown.status, await unknown.json()]).toEqual([
      400,
      { error: 'invalid_config', key: 'graceMS', error_description: 'Unknown config key "graceMS"' },
    ]);
    const bad = await postJson('/__mock/config', { graceMode: 'twin' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_config', knob: 'graceMode' });
    const notObject = await postJson('/__mock/config', 42);
    expect(notObject.status).toBe(400);
    const wrongType = await post('/__mock/config', { body: 'preset=okta' });
    expect(wrongType.status).toBe(415);

    const ok = await postJson('/__mock/config', { preset: 'okta', accessTtlMs: 5000 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ graceMode: 'sibling', graceMs: 30_000, accessTtlMs: 5000 });
    expect(await (await fetch(`${running.url}/__mock/config`)).json()).toMatchObject({
      graceMode: 'sibling',
    });

    await loginCookie();
    expect(await (await fetch(`${running.url}/__mock/stats`)).json()).toMatchObject({ logins: 1 });
    const reset = await post('/__mock/reset');
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ graceMs: 0, accessTtlMs: 60_000 });
    expect(await (await fetch(`${running.url}/__mock/stats`)).json()).toMatchObject({ logins: 0 });
  });

  it('logout revokes the family and clears the cookie', async () => {
    const { cookie } = await loginCookie();
    const response = await post('/auth/logout', { headers: { Cookie: cookie } });
    expect(response.status).toBe(204);
    const cleared = setCookie(response);
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toContain('Max-Age=0');
    expect(await (await refreshWith(cookie)).json()).toEqual({
      error: 'invalid_grant',
      reason: 'family_revoked',
    });
  });

  it('serves static files from the given directory, and nothing outside it', async () => {
    const index = await fetch(`${running.url}/`);
    expect([index.status, index.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await index.text()).toContain('<title>demo</title>');
    const js = await fetch(`${running.url}/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${running.url}/missing.js`)).status).toBe(404);
    const statuses = await Promise.all(['/..%2f..%2fetc%2fpasswd', '/%E0%A4%A'].map(rawGet));
    expect(statuses).toEqual([404, 400]);
    expect((await fetch(`${running.url}/auth/unknown`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${running.url}/auth/login`)).status).toBe(405);
  });
});

/** GET with a path fetch would normalise away. */
function rawGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${running.url}${path}`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
