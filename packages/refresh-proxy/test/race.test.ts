/**
 * The cross-client race, reproduced against the strict mock and fixed by 3 proxy instances on one Redis;
 * the same 3 instances on in-memory stores fail (negative control); then the load figure.
 */
import type { RunningMockAuthServer } from 'mock-auth-server/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  capturedLogs,
  childToken,
  cliLogin,
  cookieRefresh,
  formRefresh,
  issuedTokens,
  metric,
  type RunningProxy,
  raceAtExpiry,
  startMock,
  startProxy,
  TestRedis,
  type TokenAnswer,
  tokenLeaks,
} from './helpers.ts';

let redis: TestRedis;
let mock: RunningMockAuthServer;
const metricTexts: string[] = [];

beforeAll(async () => {
  redis = await new TestRedis().start();
  mock = await startMock();
});
afterAll(async () => {
  await mock?.close();
  await redis?.stop();
});
beforeEach(async () => {
  await mock.authServer.reset({ preset: 'strict', latencyMs: 100 });
  await redis.flush();
});

async function startThree(redisUrl?: string): Promise<RunningProxy[]> {
  return Promise.all(
    [0, 1, 2].map(() => startProxy({ upstream: mock.url, ...(redisUrl !== undefined && { redisUrl }) })),
  );
}

async function closeAll(proxies: RunningProxy[]): Promise<void> {
  for (const { url } of proxies) metricTexts.push(await (await fetch(`${url}/metrics`)).text());
  await Promise.all(proxies.map((p) => p.close()));
}

describe('the cross-client race (2 CLI + 1 cookie client, one refresh token, strict rotation)', () => {
  it('direct to the auth server: invalid_grant and the family revoked', async () => {
    const tokens = await cliLogin(mock.url);
    const runs = await raceAtExpiry(mock.url, [mock.url, mock.url, mock.url], tokens);
    const ok = runs.filter((r) => r.apiStatus === 200);
    expect(ok).toHaveLength(1);
    expect(runs.filter((r) => r.refresh?.body.error === 'invalid_grant')).toHaveLength(2);
    expect(await mock.authServer.stats()).toMatchObject({
      refreshRequests: 3,
      rotations: 1,
      reuseDetections: 1,
      familyRevocations: 1,
    });
    // The one that "won" is logged out too: its child belongs to the revoked family.
    const winner = childToken(ok[0]!.refresh!)!;
    expect((await formRefresh(mock.url, winner)).body).toMatchObject({
      error: 'invalid_grant',
      reason: 'family_revoked',
    });
  });

  it('through 3 proxy instances on one Redis: 1 upstream rotation, every client succeeds, twice in a row', async () => {
    const proxies = await startThree(redis.url);
    try {
      let tokens = await cliLogin(proxies[0]!.url);
      for (let round = 1; round <= 2; round += 1) {
        const runs = await raceAtExpiry(
          mock.url,
          [proxies[0]!.url, proxies[1]!.url, proxies[2]!.url],
          tokens,
        );
        expect(runs.map((r) => [r.refresh?.status, r.apiStatus])).toEqual([
          [200, 200],
          [200, 200],
          [200, 200],
        ]);
        const children = new Set(runs.map((r) => childToken(r.refresh!)));
        expect(children.size).toBe(1);
        // The cookie client got the child as an HttpOnly cookie, not in the body.
        expect(runs[2]!.refresh!.body.refresh_token).toBeUndefined();
        expect(runs[2]!.refresh!.setCookies[0]).toMatch(
          /^rt=[\w-]+; Path=\/auth; HttpOnly; SameSite=Strict$/,
        );
        expect(await mock.authServer.stats()).toMatchObject({
          refreshRequests: round,
          rotations: round,
          reuseDetections: 0,
          familyRevocations: 0,
        });
        tokens = {
          accessToken: String(runs[0]!.refresh!.body.access_token),
          refreshToken: [...children][0]!,
        };
      }
      const texts = await Promise.all(proxies.map(async (p) => (await fetch(`${p.url}/metrics`)).text()));
      const sum = (name: string, labels = {}) =>
        texts.reduce((total, text) => total + metric(text, name, labels), 0);
      expect(sum('refresh_proxy_upstream_calls_total', { status: '200' })).toBe(2);
      expect(sum('refresh_proxy_refresh_requests_total', { outcome: 'forwarded' })).toBe(2);
      expect(sum('refresh_proxy_refresh_requests_total', { outcome: 'coalesced' })).toBe(4);
      expect(sum('refresh_proxy_conflicts_total')).toBe(0);
      // The second round's token was issued by the first round's answer: its lifetime was observed.
      expect(sum('refresh_proxy_refresh_token_lifetime_seconds_count')).toBe(1);
    } finally {
      await closeAll(proxies);
    }
  });

  it('negative control: 3 instances with in-memory stores do not coordinate, and the race is back', async () => {
    const proxies = await startThree();
    try {
      const tokens = await cliLogin(proxies[0]!.url);
      const runs = await raceAtExpiry(mock.url, [proxies[0]!.url, proxies[1]!.url, proxies[2]!.url], tokens);
      expect(runs.filter((r) => r.apiStatus !== 200).length).toBeGreaterThanOrEqual(1);
      const stats = await mock.authServer.stats();
      expect(stats.refreshRequests).toBe(3);
      expect(stats.reuseDetections).toBeGreaterThanOrEqual(1);
    } finally {
      await closeAll(proxies);
    }
  });
});

/** Families × duplicates for the load test; CI runs the full 500 × 20 unless RP_LOAD_FAMILIES says less. */
const FAMILIES = Number(process.env.RP_LOAD_FAMILIES ?? 500);
const DUPLICATES = 20;

describe(`load: ${FAMILIES * DUPLICATES} refresh requests, ${FAMILIES} families × ${DUPLICATES} duplicates, 3 instances`, () => {
  it(`exactly ${FAMILIES} upstream calls and 0 conflicts`, async () => {
    await mock.authServer.reset({ preset: 'strict', latencyMs: 20 });
    const proxies = await startThree(redis.url);
    try {
      const tokens: string[] = [];
      for (let i = 0; i < FAMILIES; i += 1) {
        const login = await mock.authServer.login(`user${i}`, 'pw');
        if (!login.ok || login.refreshToken === null) throw new Error('login failed');
        tokens.push(login.refreshToken);
        issuedTokens.add(login.refreshToken);
      }
      const started = performance.now();
      const answers: TokenAnswer[][] = [];
      const BATCH = 10;
      for (let first = 0; first < FAMILIES; first += BATCH) {
        const batch = tokens.slice(first, first + BATCH);
        answers.push(
          ...(await Promise.all(
            batch.map((token, f) =>
              Promise.all(
                Array.from({ length: DUPLICATES }, (_, d) => {
                  const base = proxies[(first + f + d) % 3]!.url;
                  return d % 5 === 4 ? cookieRefresh(base, token) : formRefresh(base, token);
                }),
              ),
            ),
          )),
        );
      }
      const seconds = (performance.now() - started) / 1000;
      const statuses = answers.flat().map((a) => a.status);
      const failed = answers.flat().filter((a) => a.status !== 200);
      const texts = await Promise.all(proxies.map(async (p) => (await fetch(`${p.url}/metrics`)).text()));
      const sum = (name: string, labels = {}) =>
        texts.reduce((total, text) => total + metric(text, name, labels), 0);
      const summary = {
        failed: failed.length,
        firstFailure: failed[0]?.body,
        bypass: sum('refresh_proxy_refresh_requests_total', { outcome: 'bypass' }),
        storeErrors: sum('refresh_proxy_store_errors_total'),
        seconds: Number(seconds.toFixed(1)),
      };
      expect(summary).toMatchObject({ failed: 0, bypass: 0, storeErrors: 0 });
      for (const family of answers) expect(new Set(family.map(childToken)).size).toBe(1);
      const stats = await mock.authServer.stats();
      expect(stats).toMatchObject({
        refreshRequests: FAMILIES,
        rotations: FAMILIES,
        reuseDetections: 0,
        refreshFailures: {},
      });
      const conflicts = sum('refresh_proxy_conflicts_total');
      expect(conflicts).toBe(0);
      console.log(
        `[load] ${statuses.length} requests, ${FAMILIES} families, ${stats.refreshRequests} upstream calls, ${conflicts} conflicts, ${seconds.toFixed(1)} s (${Math.round(statuses.length / seconds)} req/s)`,
      );
    } finally {
      await closeAll(proxies);
    }
  });
});

describe('no token in any log line or metric', () => {
  it('greps every captured log line and /metrics output for every token the clients saw: 0 hits', () => {
    expect(capturedLogs.length).toBeGreaterThan(100);
    expect(issuedTokens.size).toBeGreaterThan(10);
    expect(tokenLeaks([...capturedLogs, ...metricTexts])).toEqual([]);
  });
});
