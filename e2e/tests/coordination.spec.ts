/**
ky-token-refresh against the Node adapter (real HttpOnly cookies): the tabs × requests matrix under strict
rotation, proactive refresh, and every server preset. Counts are exact; no timing is asserted.
*/
import type { Page } from '@playwright/test';
import type { ConfigPatch } from 'mock-auth-server';
import { expect, test } from '../support/fixtures.ts';
import { loginEverywhere, sessionExpiredCalls, wave } from '../support/waves.ts';

const ROUNDS = 2;

test.describe('strict rotation, every tab at expiry: exactly 1 rotation per expiry, every request succeeds', () => {
  for (const tabCount of [2, 5, 8]) {
    test(`${tabCount} tabs × 1 / 20 / 50 requests, ${ROUNDS} expiries each`, async ({ openTabs, mock }) => {
      // 100 ms of refresh latency opens the race window wide: every 401 of the wave lands inside it.
      await mock.reset({ latencyMs: 100, apiJitterMs: 20 });
      const tabs = await openTabs(tabCount);
      await loginEverywhere(tabs);
      for (const perTab of [1, 20, 50]) {
        for (let round = 1; round <= ROUNDS; round++) {
          const label = `${tabCount} tabs × ${perTab}, expiry ${round}`;
          const { ok, failures, server, after } = await wave(tabs, mock, perTab);
          expect.soft(failures, `${label}: failed requests`).toEqual([]);
          expect(ok, `${label}: requests that succeeded`).toBe(tabCount * perTab);
          expect(server.refreshRequests, `${label}: refresh calls`).toBe(1);
          expect(server.rotations, `${label}: rotations`).toBe(1);
          expect(server.invalidGrants, `${label}: invalid_grant`).toBe(0);
          expect(server.api200s, `${label}: 200s at the API`).toBe(tabCount * perTab);
          // The wave did meet the expiry (so the counts above mean something).
          expect(server.api401s, `${label}: 401s at the API`).toBeGreaterThan(0);
          expect(after.reuseDetections, `${label}: reuse detections`).toBe(0);
          expect(after.maxInFlightRefreshPerFamily, `${label}: concurrent refreshes`).toBe(1);
        }
      }
      expect(await sessionExpiredCalls(tabs), 'logouts per tab').toEqual(Array(tabCount).fill(0));
      const tokens = await Promise.all(tabs.pages.map((page) => tabs.call(page, 'token')));
      expect(new Set(tokens).size, 'tabs on one token').toBe(1);
    });
  }
});

test('proactive refresh (JWT exp within refreshBeforeExpiryMs): 5 tabs × 20, 0 API 401s, 1 rotation per token', async ({
  openTabs,
  mock,
}) => {
  // 10 s tokens: with the default 30 s window capped at half the lifetime, a token is due after 5 s and
  // still valid for about 4 s more, a wide margin for the wave to leave.
  await mock.reset({ accessTtlMs: 10_000, latencyMs: 100 });
  const tabs = await openTabs(5);
  await loginEverywhere(tabs);
  let mintedAt = Date.now();
  for (let round = 1; round <= 2; round++) {
    const due = mintedAt + 5_500 - Date.now();
    if (due > 0) await tabs.pages[0]?.waitForTimeout(due);
    mintedAt = Date.now();
    const { ok, failures, server } = await wave(tabs, mock, 20, { expire: false });
    expect.soft(failures, `round ${round}: failed requests`).toEqual([]);
    expect(ok, `round ${round}: ok`).toBe(100);
    expect(server.api401s, `round ${round}: API 401s`).toBe(0);
    expect(server.refreshRequests, `round ${round}: refresh calls`).toBe(1);
    expect(server.rotations, `round ${round}: rotations`).toBe(1);
    expect(server.invalidGrants, `round ${round}: invalid_grant`).toBe(0);
  }
  // The refreshes happened before sending: no request was replayed in any tab.
  const replays = await Promise.all(tabs.pages.map(async (page) => (await tabs.call(page, 'stats')).replays));
  expect(replays).toEqual([0, 0, 0, 0, 0]);
});

const presets: { label: string; patch: ConfigPatch }[] = [
  { label: 'okta (30 s grace, sibling)', patch: { preset: 'okta' } },
  { label: 'supabase (10 s grace, same child)', patch: { preset: 'supabase' } },
  { label: 'supertokens (30 s grace, displace)', patch: { preset: 'supertokens' } },
  { label: 'strict with atomic: false (lost-update server)', patch: { preset: 'strict', atomic: false } },
];

test.describe('every server policy: still 0 logouts', () => {
  for (const { label, patch } of presets) {
    test(`${label}: 5 tabs × 20, 3 expiries`, async ({ openTabs, mock }) => {
      await mock.reset({ ...patch, latencyMs: 100, apiJitterMs: 20 });
      const tabs = await openTabs(5);
      await loginEverywhere(tabs);
      for (let round = 1; round <= 3; round++) {
        const { ok, failures, server } = await wave(tabs, mock, 20);
        expect.soft(failures, `expiry ${round}: failed requests`).toEqual([]);
        expect(ok, `expiry ${round}: ok`).toBe(100);
        expect(server.refreshRequests, `expiry ${round}: refresh calls`).toBe(1);
        expect(server.rotations, `expiry ${round}: rotations`).toBe(1);
        expect(server.graceHits, `expiry ${round}: grace needed`).toBe(0);
        expect(server.invalidGrants, `expiry ${round}: invalid_grant`).toBe(0);
        expect(server.familyRevocations, `expiry ${round}: families revoked`).toBe(0);
      }
      expect(await sessionExpiredCalls(tabs)).toEqual([0, 0, 0, 0, 0]);
      for (const page of tabs.pages as Page[]) expect(await tabs.call(page, 'token')).toBeTruthy();
    });
  }
});
