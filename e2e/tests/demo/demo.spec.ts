/**
The demo SPA on the MSW mock (server state in IndexedDB shared by the tabs, emulated cookie jar), driven
through `window.__demo`: the race with the naive client, and the fix, on a representative subset of the
matrix (the full tabs × requests matrix runs against the Node adapter).
*/
import type { ConfigPatch } from 'mock-auth-server';
import { burstAll, expect, hasTokens, startSession, test } from '../../support/demo.ts';

const STRICT: ConfigPatch = { preset: 'strict', accessTtlMs: 60_000, latencyMs: 200 };

test('naive client, strict, 2 tabs × 10 at expiry: invalid_grant, reuse detected, both tabs logged out — twice', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  for (let attempt = 1; attempt <= 2; attempt++) {
    await startSession(demo, 'naive', STRICT);
    const { run, after } = await burstAll(demo, 10);
    expect(run.missing, 'tabs that did not answer').toEqual([]);
    expect(run.tabs).toBe(2);
    expect(run.counters.refreshCalls, `attempt ${attempt}: refresh calls`).toBe(20);
    expect(run.counters.rotations, `attempt ${attempt}: rotations`).toBe(1);
    expect(run.counters.invalidGrant, `attempt ${attempt}: invalid_grant`).toBe(19);
    expect(run.counters.reuseDetections, `attempt ${attempt}: reuse detected`).toBeGreaterThanOrEqual(1);
    expect(after.familyRevocations, `attempt ${attempt}: families revoked`).toBe(1);
    expect(run.counters.forcedLogouts, `attempt ${attempt}: tabs logged out`).toBe(2);
    expect(run.failed, `attempt ${attempt}: failed requests`).toBeGreaterThan(0);
    expect(await hasTokens(demo)).toEqual([false, false]);
  }
});

const matrix = [
  { tabs: 2, perTab: 1 },
  { tabs: 2, perTab: 20 },
  { tabs: 2, perTab: 50 },
  { tabs: 5, perTab: 20 },
];

test.describe('ky-token-refresh, strict: 1 refresh, 1 rotation, 0 invalid_grant, 0 logouts, every request ok', () => {
  for (const tabs of [2, 5]) {
    const cells = matrix.filter((cell) => cell.tabs === tabs);
    test(`${tabs} tabs × ${cells.map((cell) => cell.perTab).join(' / ')} requests`, async ({ openDemo }) => {
      const demo = await openDemo(tabs);
      await startSession(demo, 'protected', STRICT);
      for (const { perTab } of cells) {
        for (let round = 1; round <= 2; round++) {
          const label = `${tabs} × ${perTab}, expiry ${round}`;
          const { run, api401s } = await burstAll(demo, perTab);
          expect(run.missing, `${label}: tabs that did not answer`).toEqual([]);
          expect.soft(run.errors, `${label}: errors`).toEqual([]);
          expect(run.ok, `${label}: ok`).toBe(tabs * perTab);
          expect(run.counters.refreshCalls, `${label}: refresh calls`).toBe(1);
          expect(run.counters.rotations, `${label}: rotations`).toBe(1);
          expect(run.counters.invalidGrant, `${label}: invalid_grant`).toBe(0);
          expect(run.counters.forcedLogouts, `${label}: logouts`).toBe(0);
          expect(api401s, `${label}: the wave met the expiry`).toBeGreaterThan(0);
        }
      }
      expect(await hasTokens(demo)).toEqual(Array(tabs).fill(true));
    });
  }
});

test('proactive refresh (10 s tokens, refreshed when half spent): 2 tabs × 20, 0 API 401s, 1 refresh', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  await startSession(demo, 'protected', { ...STRICT, accessTtlMs: 10_000 });
  await demo.lead.waitForTimeout(5_500);
  const { run, api401s } = await burstAll(demo, 20, false);
  expect.soft(run.errors).toEqual([]);
  expect(run.ok).toBe(40);
  expect(api401s, 'API 401s').toBe(0);
  expect(run.counters.refreshCalls).toBe(1);
  expect(run.counters.rotations).toBe(1);
});

test.describe('other server policies, ky-token-refresh: still 0 logouts', () => {
  const policies: { label: string; patch: ConfigPatch }[] = [
    { label: 'okta', patch: { preset: 'okta' } },
    { label: 'supabase', patch: { preset: 'supabase' } },
    { label: 'supertokens', patch: { preset: 'supertokens' } },
    { label: 'strict, atomic: false', patch: { preset: 'strict', atomic: false } },
  ];
  test(`${policies.map((policy) => policy.label).join(' / ')}: 2 tabs × 20`, async ({ openDemo }) => {
    const demo = await openDemo(2);
    for (const { label, patch } of policies) {
      await startSession(demo, 'protected', { ...STRICT, ...patch });
      const { run } = await burstAll(demo, 20);
      expect.soft(run.errors, `${label}: errors`).toEqual([]);
      expect(run.ok, `${label}: ok`).toBe(40);
      expect(run.counters.refreshCalls, `${label}: refresh calls`).toBe(1);
      expect(run.counters.invalidGrant, `${label}: invalid_grant`).toBe(0);
      expect(run.counters.forcedLogouts, `${label}: logouts`).toBe(0);
    }
  });
});

test('no Web Locks (IndexedDB lease lock): 2 tabs × 20, 1 refresh, 0 logouts', async ({ openDemo }) => {
  const demo = await openDemo(2, { without: ['locks'] });
  expect(await demo.lead.evaluate(() => 'locks' in navigator)).toBe(false);
  await startSession(demo, 'protected', STRICT);
  for (let round = 1; round <= 2; round++) {
    const { run } = await burstAll(demo, 20);
    expect.soft(run.errors).toEqual([]);
    expect(run.ok).toBe(40);
    expect(run.counters.refreshCalls).toBe(1);
    expect(run.counters.invalidGrant).toBe(0);
    expect(run.counters.forcedLogouts).toBe(0);
  }
});

test('definitive failure (session forgotten by the server): every tab logged out, every request failed', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  await startSession(demo, 'protected', STRICT);
  // Forget every session at the server behind the clients' back (the demo's own reset logs them out).
  await demo.lead.evaluate(async (config) => {
    const response = await fetch('/__mock/reset', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(config),
    });
    if (!response.ok) throw new Error(`reset: ${response.status}`);
  }, STRICT);
  const { run } = await burstAll(demo, 5);
  expect(run.ok).toBe(0);
  expect(run.failed).toBe(10);
  for (const error of run.errors) expect(error).toContain('SessionExpiredError');
  expect(run.counters.refreshCalls, 'refresh calls').toBe(1);
  expect(run.counters.forcedLogouts, 'tabs logged out').toBe(2);
  expect(await hasTokens(demo)).toEqual([false, false]);
});
