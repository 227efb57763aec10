/**
The demo SPA on the MSW mock (server state in IndexedDB shared by the tabs, emulated cookie jar), driven
through `window.__demo`: the race with the naive client, and the fix, on a representative subset of the
matrix (the full tabs × requests matrix runs against the Node adapter).
*/
import type { Page } from '@playwright/test';
import type { ConfigPatch } from 'mock-auth-server';
import {
  burstAll,
  type DemoTabs,
  expect,
  hasTokens,
  type RunResult,
  startSession,
  test,
} from '../../support/demo.ts';

/** The members of the demo's `window.__demo` (apps/demo/README.md) these tests use besides the shared ones. */
declare module '../../support/demo.ts' {
  interface DemoApi {
    logout(): Promise<void>;
    fireBurst(n?: number): Promise<{ ok: number; failed: number }>;
    runs(): { id: string; t0: number; counters: RunResult['counters'] }[];
  }
}

const STRICT: ConfigPatch = { preset: 'strict', accessTtlMs: 60_000, latencyMs: 200 };

/** One more tab of the demo in the same context (the same server), once the others already run. */
const openTab = async (demo: DemoTabs): Promise<Page> => {
  const page = await demo.context.newPage();
  await page.goto('/');
  await page.waitForFunction(() => window.__demo?.ready === true, undefined, { timeout: 30_000 });
  demo.pages.push(page);
  const count = demo.pages.length;
  await expect.poll(() => demo.lead.evaluate(() => window.__demo!.tabs().length)).toBe(count);
  return page;
};

test('the page loads without a console error or a 404 (favicon); the server summary is pluralised', async ({
  page,
}) => {
  const problems: string[] = [];
  // Chromium asks for the page's icon once it is loaded; Playwright reports that request only when the page
  // names its icon (a <link rel="icon">): the default /favicon.ico shows up only as a console error.
  let iconSettled = false;
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    problems.push(`console: ${message.text()} (${message.location().url})`);
    if (message.location().url.includes('favicon')) iconSettled = true;
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    if (/\/favicon\./.test(response.url())) iconSettled = true;
  });
  await page.goto('/');
  await page.waitForFunction(() => window.__demo?.ready === true, undefined, { timeout: 30_000 });
  await expect.poll(() => iconSettled, { message: 'the icon was asked for', timeout: 15_000 }).toBe(true);
  expect(problems).toEqual([]);

  await page.evaluate(async (config) => {
    await window.__demo!.reset(config);
    window.__demo!.setClient('protected');
    await window.__demo!.login();
    await window.__demo!.expireNow();
    await window.__demo!.fireBurst(2);
    await window.__demo!.logout();
  }, STRICT);
  await expect(page.locator('#server-now')).toHaveText(
    'Server since reset: 1 login, 1 refresh call, 1 rotation, 0 reuse detected, 1 family revoked',
  );
});

test('a tab opened after the login has the session, with either client; both tabs then count in the race', async ({
  openDemo,
}) => {
  const demo = await openDemo(1);
  await startSession(demo, 'naive', STRICT);
  const late = await openTab(demo);
  expect(await late.evaluate(() => window.__demo!.getClient())).toBe('naive');
  expect(await late.evaluate(() => window.__demo!.hasToken()), 'naive: the late tab has a token').toBe(true);
  const { run } = await burstAll(demo, 10);
  expect(run.missing).toEqual([]);
  expect(run.counters.refreshCalls, 'refresh calls: 10 per tab').toBe(20);
  expect(run.counters.forcedLogouts, 'both tabs had a session and lost it').toBe(2);
  expect(await hasTokens(demo)).toEqual([false, false]);

  await startSession(demo, 'protected', STRICT);
  const later = await openTab(demo);
  await expect
    .poll(() => later.evaluate(() => window.__demo!.hasToken()), {
      message: 'ky-token-refresh: the late tab',
    })
    .toBe(true);
  const protectedRun = (await burstAll(demo, 10)).run;
  expect(protectedRun.ok).toBe(30);
  expect(protectedRun.counters.refreshCalls).toBe(1);
});

test('a forced logout is counted only for a tab that had a session: a burst after logging out logs nobody out', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  for (const client of ['naive', 'protected'] as const) {
    await startSession(demo, client, STRICT);
    await demo.lead.evaluate(() => window.__demo!.logout());
    for (const page of demo.pages)
      await expect.poll(() => page.evaluate(() => window.__demo!.hasToken())).toBe(false);
    const { run } = await burstAll(demo, 3);
    expect(run.missing, `${client}: tabs that did not answer`).toEqual([]);
    expect(run.failed, `${client}: no session, every request fails`).toBe(6);
    expect(run.counters.forcedLogouts, `${client}: forced logouts`).toBe(0);
    const timeline = await demo.lead.evaluate(() => window.__demo!.runs().at(-1)?.counters.forcedLogouts);
    expect(timeline, `${client}: the drawn counter`).toBe(0);
  }
});

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
