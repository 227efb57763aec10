/**
The race itself, against the Node adapter with real HttpOnly cookies: the ky README recipe (refresh on every
401, retry; no coordination) in 2 tabs firing at expiry under strict rotation. 300 ms of refresh latency keep
the old cookie in the jar while every 401 of the wave calls /auth/refresh, so the outcome is deterministic.
*/
import { expect, test } from '../support/fixtures.ts';
import { loginEverywhere, sessionExpiredCalls, wave } from '../support/waves.ts';

test('naive client, strict, 2 tabs × 10 at expiry: invalid_grant, reuse detected, user logged out — 3 times in a row', async ({
  openTabs,
  mock,
}) => {
  const tabs = await openTabs(2, { query: 'client=naive' });
  expect(await tabs.call(tabs.pages[0]!, 'client')).toBe('naive');
  for (let attempt = 1; attempt <= 3; attempt++) {
    await mock.reset({ latencyMs: 300 });
    await loginEverywhere(tabs);
    const expiredBefore = await sessionExpiredCalls(tabs);
    const { ok, server, after, results } = await wave(tabs, mock, 10);
    const label = `attempt ${attempt}`;
    // Every 401 refreshed: 20 calls, one rotation, the second call is reuse (family revoked), the rest die.
    expect(server.refreshRequests, `${label}: refresh calls`).toBe(20);
    expect(server.rotations, `${label}: rotations`).toBe(1);
    expect(server.invalidGrants, `${label}: invalid_grant`).toBe(19);
    expect(server.reuseDetections, `${label}: reuse detected`).toBeGreaterThanOrEqual(1);
    expect(after.refreshFailures.family_revoked ?? 0, `${label}: family_revoked`).toBeGreaterThanOrEqual(1);
    expect(server.familyRevocations, `${label}: families revoked`).toBe(1);
    expect(after.maxInFlightRefreshPerFamily, `${label}: concurrent refreshes`).toBeGreaterThan(1);
    expect(ok, `${label}: requests that survived`).toBeLessThan(20);
    for (const result of results)
      for (const failure of result.failures) expect(failure.status, `${label}: failures`).toBe(400);
    // The user is logged out in every tab ("back to the login page" once per tab)...
    const expiredAfter = await sessionExpiredCalls(tabs);
    const logouts = expiredAfter.map((count, index) => count - (expiredBefore[index] ?? 0));
    expect(logouts, `${label}: logouts per tab`).toEqual([1, 1]);
    // ...and for good: the next expiry cannot be recovered from, in any tab.
    const next = await wave(tabs, mock, 2);
    expect(next.ok, `${label}: requests after the next expiry`).toBe(0);
  }
});

test('control: the naive client is correct for one request at a time (1 tab × 1, strict)', async ({
  openTabs,
  mock,
}) => {
  await mock.reset({ latencyMs: 300 });
  const tabs = await openTabs(1, { query: 'client=naive' });
  await loginEverywhere(tabs);
  for (let round = 1; round <= 3; round++) {
    const { ok, server } = await wave(tabs, mock, 1);
    expect(ok).toBe(1);
    expect(server.refreshRequests).toBe(1);
    expect(server.invalidGrants).toBe(0);
  }
  expect(await sessionExpiredCalls(tabs)).toEqual([0]);
});

test('the same 2 tabs × 10 with ky-token-refresh: 1 refresh, 0 invalid_grant, 20/20 — 3 times in a row', async ({
  openTabs,
  mock,
}) => {
  const tabs = await openTabs(2);
  for (let attempt = 1; attempt <= 3; attempt++) {
    await mock.reset({ latencyMs: 300 });
    await loginEverywhere(tabs);
    const { ok, server } = await wave(tabs, mock, 10);
    expect(ok).toBe(20);
    expect(server.refreshRequests).toBe(1);
    expect(server.invalidGrants).toBe(0);
    expect(server.reuseDetections).toBe(0);
  }
  expect(await sessionExpiredCalls(tabs)).toEqual([0, 0]);
});
