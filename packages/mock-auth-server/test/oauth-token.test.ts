import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningMockAuthServer, startMockAuthServer } from '../src/node/index.ts';

let running: RunningMockAuthServer;

beforeAll(async () => {
  running = await startMockAuthServer();
});
afterAll(async () => {
  await running.close();
});
beforeEach(async () => {
  await running.authServer.reset();
});

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const token = (body: string, headers: Record<string, string> = FORM) =>
  fetch(`${running.url}/oauth/token`, { method: 'POST', headers, body });

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
}

async function passwordLogin(): Promise<TokenBody> {
  const response = await token('grant_type=password&username=ann&password=pw');
  expect(response.status).toBe(200);
  return (await response.json()) as TokenBody;
}

const refreshGrant = (refreshToken: string) =>
  token(new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString());

describe('POST /oauth/token (RFC 6749 form grants, CLI-style)', () => {
  it('the password grant logs in: tokens in the body, no cookie, no-store', async () => {
    const response = await token('grant_type=password&username=ann&password=pw');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.getSetCookie()).toEqual([]);
    const body = (await response.json()) as TokenBody;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    expect(body.access_token).toMatch(/^eyJ/);
    expect(body.refresh_token).toMatch(/^[\w-]{43}$/);
    const api = await fetch(`${running.url}/api/me`, {
      headers: { Authorization: `Bearer ${body.access_token}` },
    });
    expect(api.status).toBe(200);
  });

  it('the refresh_token grant rotates without CSRF header; the old token is then reuse and revokes the family', async () => {
    const login = await passwordLogin();
    const first = await refreshGrant(login.refresh_token!);
    expect(first.status).toBe(200);
    const rotated = (await first.json()) as TokenBody;
    expect(rotated.refresh_token).toMatch(/^[\w-]{43}$/);
    expect(rotated.refresh_token).not.toBe(login.refresh_token);

    const reused = await refreshGrant(login.refresh_token!);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
    const child = await refreshGrant(rotated.refresh_token!);
    expect(await child.json()).toMatchObject({ error: 'invalid_grant', reason: 'family_revoked' });
    expect(await running.authServer.stats()).toMatchObject({
      refreshRequests: 3,
      rotations: 1,
      reuseDetections: 1,
      familyRevocations: 1,
    });
  });

  it('shares one family with the cookie endpoint: a token refreshed by form is reuse by cookie', async () => {
    const login = await passwordLogin();
    expect((await refreshGrant(login.refresh_token!)).status).toBe(200);
    const byCookie = await fetch(`${running.url}/auth/refresh`, {
      method: 'POST',
      headers: { Cookie: `rt=${login.refresh_token}`, 'X-Requested-With': 'cli' },
    });
    expect(await byCookie.json()).toEqual({ error: 'invalid_grant', reason: 'reuse_detected' });
  });

  it('follows the presets: okta grace hands out siblings to three concurrent form refreshes', async () => {
    await running.authServer.reset({ preset: 'okta', latencyMs: 50 });
    const login = await passwordLogin();
    const answers = await Promise.all([1, 2, 3].map(() => refreshGrant(login.refresh_token!)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const children = await Promise.all(
      answers.map(async (r) => ((await r.json()) as TokenBody).refresh_token),
    );
    expect(new Set(children).size).toBe(3);
    expect(await running.authServer.stats()).toMatchObject({ rotations: 1, graceHits: 2 });
  });

  it('with rotation off the answer carries no refresh_token and the same token keeps working', async () => {
    await running.authServer.reset({ rotation: false });
    const login = await passwordLogin();
    const first = await refreshGrant(login.refresh_token!);
    expect(await first.json()).not.toHaveProperty('refresh_token');
    expect((await refreshGrant(login.refresh_token!)).status).toBe(200);
  });

  it('refuses bad input with RFC 6749 errors', async () => {
    const cases: Array<[string, Record<string, string>, number, Record<string, unknown>]> = [
      ['grant_type=refresh_token', FORM, 400, { error: 'invalid_request' }],
      ['grant_type=refresh_token&refresh_token=', FORM, 400, { error: 'invalid_request' }],
      [
        'grant_type=refresh_token&refresh_token=nope',
        FORM,
        400,
        { error: 'invalid_grant', reason: 'unknown_token' },
      ],
      ['grant_type=client_credentials', FORM, 400, { error: 'unsupported_grant_type' }],
      ['refresh_token=abc', FORM, 400, { error: 'invalid_request' }],
      ['grant_type=refresh_token&refresh_token=%E0%A4%A', FORM, 400, { error: 'invalid_request' }],
      [
        'grant_type=refresh_token&grant_type=refresh_token&refresh_token=a',
        FORM,
        400,
        { error: 'invalid_request' },
      ],
      ['grant_type=password&username=&password=pw', FORM, 400, { error: 'invalid_grant' }],
      [
        '{"grant_type":"refresh_token"}',
        { 'Content-Type': 'application/json' },
        415,
        { error: 'unsupported_media_type' },
      ],
      [
        `grant_type=refresh_token&refresh_token=${'a'.repeat(70_000)}`,
        FORM,
        413,
        { error: 'payload_too_large' },
      ],
    ];
    for (const [body, headers, status, expected] of cases) {
      const response = await token(body, headers);
      expect([body.slice(0, 60), response.status]).toEqual([body.slice(0, 60), status]);
      expect(await response.json()).toMatchObject(expected);
    }
    const get = await fetch(`${running.url}/oauth/token`);
    expect(get.status).toBe(405);
    expect((await fetch(`${running.url}/oauth/other`, { method: 'POST' })).status).toBe(404);
  });
});
