import { describe, expect, it } from 'vitest';
import type { RefreshResult } from '../src/index.ts';
import { login, refresh, stats, testServer } from './helpers.ts';

/** Three tabs refresh with the same cookie at once; each refresh takes 20 ms on the server. */
const TABS = 3;
const LATENCY = { latencyMs: 20 };

async function race(config: Parameters<typeof testServer>[0]) {
  const { server } = testServer({ ...LATENCY, ...config });
  const parent = await login(server);
  const results = await Promise.all(Array.from({ length: TABS }, () => refresh(server, parent)));
  return { server, parent, results };
}

const successes = (results: RefreshResult[]) => results.filter((r) => r.ok);
const childTokens = (results: RefreshResult[]) =>
  successes(results).map((r) => (r.ok ? r.refreshToken : null));

describe('concurrent refreshes with the same token', () => {
  it('strict: exactly one succeeds, reuse detection revokes the family, the winner is logged out too', async () => {
    const { server, results } = await race({ preset: 'strict' });
    // Which tab wins depends on scheduling; the multiset of outcomes does not.
    expect(results.map((r) => (r.ok ? 'ok' : r.reason)).sort()).toEqual([
      'family_revoked',
      'ok',
      'reuse_detected',
    ]);
    const [winner] = childTokens(results);
    expect(await refresh(server, winner!)).toEqual({ ok: false, reason: 'family_revoked' });
    expect(await server.stats()).toEqual(
      stats({
        logins: 1,
        refreshRequests: TABS + 1,
        rotations: 1,
        reuseDetections: 1,
        familyRevocations: 1,
        refreshFailures: { reuse_detected: 1, family_revoked: 2 },
        maxInFlightRefreshPerFamily: TABS,
      }),
    );
  });

  it('okta: all succeed with distinct sibling children, all of them usable', async () => {
    const { server, results } = await race({ preset: 'okta' });
    const children = childTokens(results);
    expect(children).toHaveLength(TABS);
    expect(new Set(children).size).toBe(TABS);
    expect(results.map((r) => r.ok && r.kind).sort()).toEqual(['grace', 'grace', 'rotated']);
    expect(await server.stats()).toEqual(
      stats({
        logins: 1,
        refreshRequests: TABS,
        rotations: 1,
        graceHits: TABS - 1,
        maxInFlightRefreshPerFamily: TABS,
      }),
    );
    for (const child of children)
      expect(await refresh(server, child!)).toMatchObject({ ok: true, kind: 'rotated' });
  });

  it('supabase: all succeed with the same child', async () => {
    const { server, results } = await race({ preset: 'supabase' });
    const children = childTokens(results);
    expect(children).toHaveLength(TABS);
    expect(new Set(children).size).toBe(1);
    expect(await server.stats()).toEqual(
      stats({
        logins: 1,
        refreshRequests: TABS,
        rotations: 1,
        graceHits: TABS - 1,
        maxInFlightRefreshPerFamily: TABS,
      }),
    );
    expect(await refresh(server, children[0]!)).toMatchObject({ ok: true, kind: 'rotated' });
  });

  it('supertokens: all succeed, each new child displaces the previous ones, one stays valid', async () => {
    const { server, results } = await race({ preset: 'supertokens' });
    const children = childTokens(results);
    expect(new Set(children).size).toBe(TABS);
    expect(await server.stats()).toEqual(
      stats({
        logins: 1,
        refreshRequests: TABS,
        rotations: 1,
        graceHits: TABS - 1,
        maxInFlightRefreshPerFamily: TABS,
      }),
    );
    const outcomes = [];
    for (const child of children) outcomes.push((await refresh(server, child!)).ok);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect((await server.stats()).refreshFailures).toEqual({ displaced: 2 });
  });

  it('atomic:false (strict otherwise): both concurrent refreshes pass the check and mint two children', async () => {
    const { server } = testServer({ preset: 'strict', atomic: false, ...LATENCY });
    const parent = await login(server);
    const results = await Promise.all([refresh(server, parent), refresh(server, parent)]);
    const children = childTokens(results);
    expect(results.map((r) => r.ok && r.kind)).toEqual(['rotated', 'rotated']);
    expect(new Set(children).size).toBe(2);
    expect(await server.stats()).toEqual(
      stats({ logins: 1, refreshRequests: 2, rotations: 2, maxInFlightRefreshPerFamily: 2 }),
    );
    // Both children are live members of the family; a later reuse of the parent is still caught.
    expect(await refresh(server, children[0]!)).toMatchObject({ ok: true });
    expect(await refresh(server, children[1]!)).toMatchObject({ ok: true });
    expect(await refresh(server, parent)).toEqual({ ok: false, reason: 'reuse_detected' });
  });

  it('atomic:true is the control: the same race under strict mints one child', async () => {
    const { server } = testServer({ preset: 'strict', atomic: true, ...LATENCY });
    const parent = await login(server);
    const results = await Promise.all([refresh(server, parent), refresh(server, parent)]);
    expect(successes(results)).toHaveLength(1);
    expect((await server.stats()).rotations).toBe(1);
  });

  it('sequential refreshes never overlap: maxInFlightRefreshPerFamily stays 1', async () => {
    const { server } = testServer({ preset: 'okta', ...LATENCY });
    let token = await login(server);
    for (let i = 0; i < 3; i++) {
      const result = await refresh(server, token);
      if (!result.ok || result.refreshToken === null) throw new Error('refresh failed');
      token = result.refreshToken;
    }
    expect(await server.stats()).toMatchObject({ rotations: 3, maxInFlightRefreshPerFamily: 1 });
  });

  it('latency and jitter delay the refresh', async () => {
    const { server } = testServer({ latencyMs: 30, jitterMs: 40 });
    const token = await login(server);
    const started = performance.now();
    await refresh(server, token);
    // random() is 0.5 in tests: 30 + 20 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(48);
  });
});
