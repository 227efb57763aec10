import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { login, refresh, rotate, stats, testServer } from './helpers.ts';

describe('login', () => {
  it('accepts any non-empty credentials and issues an ES256 at+jwt with the required claims', async () => {
    const { server, clock } = testServer({ accessTtlMs: 30_000 });
    const result = await server.login('ann', 'pw');
    if (!result.ok) throw new Error('login failed');
    expect(decodeProtectedHeader(result.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const claims = decodeJwt(result.accessToken);
    const iat = Math.floor(clock.now() / 1000);
    expect(claims).toMatchObject({
      iss: 'mock-auth-server',
      aud: 'mock-api',
      sub: 'ann',
      sid: result.sid,
      iat,
    });
    expect(claims.exp).toBe(iat + 30);
    expect(typeof claims.jti).toBe('string');
    expect(result.expiresIn).toBe(30);
    expect(result.refreshToken).toMatch(/^[\w-]{43}$/);
    expect(result.refreshMaxAge).toBe(86_400);
  });

  it.each([
    ['', 'pw'],
    ['ann', ''],
    [undefined, 'pw'],
    [42, 'pw'],
  ])('refuses username %j / password %j', async (username, password) => {
    const { server } = testServer();
    expect(await server.login(username, password)).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect((await server.stats()).logins).toBe(0);
  });

  it('stores refresh tokens only hashed', async () => {
    const { server, storage } = testServer();
    const token = await login(server);
    expect(JSON.stringify(await storage.get('server-state'))).not.toContain(token);
  });
});

describe('refresh (strict)', () => {
  it('rotates: the child works once, the parent is one-time use', async () => {
    const { server } = testServer();
    const parent = await login(server);
    const first = await refresh(server, parent);
    expect(first).toMatchObject({ ok: true, kind: 'rotated' });
    if (!first.ok) return;
    expect(first.refreshToken).not.toBe(parent);
    expect(decodeJwt(first.accessToken).sid).toBe(first.sid);
    const grandchild = await rotate(server, first.refreshToken!);
    expect(grandchild).not.toBe(first.refreshToken);
    expect(await server.stats()).toEqual(
      stats({ refreshRequests: 2, rotations: 2, logins: 1, maxInFlightRefreshPerFamily: 1 }),
    );
  });

  it('reuse of a rotated token revokes the whole family, including the newest child', async () => {
    const { server } = testServer();
    const parent = await login(server);
    const child = await rotate(server, parent);
    expect(await refresh(server, parent)).toEqual({ ok: false, reason: 'reuse_detected' });
    expect(await refresh(server, child)).toEqual({ ok: false, reason: 'family_revoked' });
    expect(await server.stats()).toEqual(
      stats({
        refreshRequests: 3,
        rotations: 1,
        reuseDetections: 1,
        familyRevocations: 1,
        refreshFailures: { reuse_detected: 1, family_revoked: 1 },
        maxInFlightRefreshPerFamily: 1,
        logins: 1,
      }),
    );
  });

  it('does not touch other families', async () => {
    const { server } = testServer();
    const ann = await login(server, 'ann');
    const bob = await login(server, 'bob');
    await rotate(server, ann);
    await refresh(server, ann);
    expect(await refresh(server, bob)).toMatchObject({ ok: true, sub: 'bob' });
  });

  it('without reuse detection a reused token is refused but the family survives', async () => {
    const { server } = testServer({ reuseDetection: false });
    const parent = await login(server);
    const child = await rotate(server, parent);
    expect(await refresh(server, parent)).toEqual({ ok: false, reason: 'reused' });
    expect(await refresh(server, child)).toMatchObject({ ok: true, kind: 'rotated' });
    const s = await server.stats();
    expect([s.reuseDetections, s.familyRevocations, s.refreshFailures]).toEqual([0, 0, { reused: 1 }]);
  });

  it('answers missing, unknown and garbage tokens, and the CSRF guard comes first', async () => {
    const { server } = testServer();
    expect(await refresh(server, null)).toEqual({ ok: false, reason: 'missing_token' });
    expect(await refresh(server, '')).toEqual({ ok: false, reason: 'missing_token' });
    expect(await refresh(server, 'garbage')).toEqual({ ok: false, reason: 'unknown_token' });
    expect(await refresh(server, '\u0000'.repeat(5000))).toEqual({ ok: false, reason: 'unknown_token' });
    const token = await login(server);
    expect(await server.refresh({ refreshToken: token, requestedWith: null })).toEqual({
      ok: false,
      reason: 'csrf',
    });
    expect(await refresh(server, token)).toMatchObject({ ok: true });
    expect((await server.stats()).refreshFailures).toEqual({ missing_token: 2, unknown_token: 2, csrf: 1 });
    expect((await server.stats()).refreshRequests).toBe(6);
  });

  it('refuses an expired refresh token', async () => {
    const { server, clock } = testServer({ refreshTtlMs: 1000 });
    const token = await login(server);
    clock.advance(1000);
    expect(await refresh(server, token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('with rotation off the same token keeps working and no cookie is set', async () => {
    const { server } = testServer({ rotation: false });
    const token = await login(server);
    for (let i = 0; i < 3; i++) {
      expect(await refresh(server, token)).toMatchObject({ ok: true, kind: 'kept', refreshToken: null });
    }
    expect((await server.stats()).rotations).toBe(0);
  });
});

describe('grace window', () => {
  it('same-child returns the same child again within grace, not after', async () => {
    const { server, clock } = testServer({ preset: 'supabase' });
    const parent = await login(server);
    const child = await rotate(server, parent);
    clock.advance(9_999);
    expect(await refresh(server, parent)).toMatchObject({ ok: true, kind: 'grace', refreshToken: child });
    clock.advance(1);
    expect(await refresh(server, parent)).toEqual({ ok: false, reason: 'reuse_detected' });
    const s = await server.stats();
    expect([s.rotations, s.graceHits, s.reuseDetections, s.familyRevocations]).toEqual([1, 1, 1, 1]);
  });

  it('sibling mints a new child each time, and every sibling stays valid', async () => {
    const { server } = testServer({ preset: 'okta' });
    const parent = await login(server);
    const a = await rotate(server, parent);
    const b = await rotate(server, parent);
    expect(b).not.toBe(a);
    expect(await refresh(server, a)).toMatchObject({ ok: true, kind: 'rotated' });
    expect((await server.stats()).graceHits).toBe(1);
  });

  it('displace mints a new child and invalidates the previous one', async () => {
    const { server } = testServer({ preset: 'supertokens' });
    const parent = await login(server);
    const a = await rotate(server, parent);
    const b = await rotate(server, parent);
    expect(await refresh(server, a)).toEqual({ ok: false, reason: 'displaced' });
    expect(await refresh(server, b)).toMatchObject({ ok: true, kind: 'rotated' });
    const s = await server.stats();
    expect([s.rotations, s.graceHits, s.familyRevocations, s.refreshFailures]).toEqual([
      2,
      1,
      0,
      { displaced: 1 },
    ]);
  });

  it.each(['same-child', 'sibling', 'displace'] as const)(
    '%s reaches one token back only: once the child rotated, the parent is reuse',
    async (graceMode) => {
      const { server } = testServer({ graceMs: 30_000, graceMode });
      const parent = await login(server);
      const child = await rotate(server, parent);
      await rotate(server, child);
      expect(await refresh(server, parent)).toEqual({ ok: false, reason: 'reuse_detected' });
    },
  );

  it('grace 0 means no grace even within the same millisecond', async () => {
    const { server } = testServer({ graceMs: 0, graceMode: 'sibling' });
    const parent = await login(server);
    await rotate(server, parent);
    expect(await refresh(server, parent)).toEqual({ ok: false, reason: 'reuse_detected' });
  });
});

describe('logout', () => {
  it('revokes the family', async () => {
    const { server } = testServer();
    const token = await login(server);
    await server.logout(token);
    await server.logout(null);
    expect(await refresh(server, token)).toEqual({ ok: false, reason: 'family_revoked' });
    const s = await server.stats();
    expect([s.logouts, s.familyRevocations]).toEqual([2, 1]);
  });
});

describe('authorize (/api/*)', () => {
  it('accepts a fresh token and refuses missing, garbage, foreign and expired ones', async () => {
    const { server, clock } = testServer({ accessTtlMs: 2000 });
    const other = testServer();
    const result = await server.login('ann', 'pw');
    const foreign = await other.server.login('ann', 'pw');
    if (!result.ok || !foreign.ok) throw new Error('login failed');
    const bearer = `Bearer ${result.accessToken}`;
    expect(await server.authorize(bearer)).toEqual({ ok: true, sub: 'ann', sid: result.sid });
    expect(await server.authorize(`bearer   ${result.accessToken}`)).toMatchObject({ ok: true });
    expect(await server.authorize(null)).toMatchObject({ ok: false, reason: 'missing_token' });
    expect(await server.authorize(`Basic ${result.accessToken}`)).toMatchObject({ reason: 'missing_token' });
    expect(await server.authorize('Bearer not.a.jwt')).toMatchObject({ ok: false, reason: 'invalid_token' });
    expect(await server.authorize(`Bearer ${foreign.accessToken}`)).toMatchObject({
      reason: 'invalid_token',
    });
    clock.advance(2000);
    expect(await server.authorize(bearer)).toMatchObject({ ok: false, reason: 'expired' });
    expect(await server.stats()).toMatchObject({
      api200s: 2,
      api401s: { missing_token: 2, invalid_token: 2, expired: 1 },
    });
  });

  it('expireAccessTokens expires every token issued so far, not later ones', async () => {
    const { server } = testServer();
    const before = await server.login('ann', 'pw');
    await server.expireAccessTokens();
    const after = await server.login('ann', 'pw');
    if (!before.ok || !after.ok) throw new Error('login failed');
    expect(await server.authorize(`Bearer ${before.accessToken}`)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect(await server.authorize(`Bearer ${after.accessToken}`)).toMatchObject({ ok: true });
  });

  it('two servers over one storage are one server (shared keys and state)', async () => {
    const first = testServer();
    const second = testServer({}, first.storage);
    const result = await first.server.login('ann', 'pw');
    if (!result.ok || result.refreshToken === null) throw new Error('login failed');
    expect(await second.server.authorize(`Bearer ${result.accessToken}`)).toMatchObject({ ok: true });
    await rotate(second.server, result.refreshToken);
    expect(await refresh(first.server, result.refreshToken)).toEqual({ ok: false, reason: 'reuse_detected' });
  });
});
