import type { Page } from '@playwright/test';
import {
  expect,
  type Feature,
  invalidGrants,
  lazyChunksLoaded,
  type MockControl,
  refreshFailures,
  type Tabs,
  test,
} from '../support/fixtures.ts';
import { burstEverywhere as burstAll, loginEverywhere } from '../support/waves.ts';

const TABS = 5;
const PER_TAB = 20;

const burstEverywhere = (tabs: Tabs, pages = tabs.pages) => burstAll(tabs, PER_TAB, pages);

/** The 5 × 20 wave at expiry under strict rotation, `rounds` times in a row in the same tabs. */
const expectOneRefreshPerWave = async (tabs: Tabs, mock: MockControl, rounds: number) => {
  for (let round = 1; round <= rounds; round++) {
    const before = await mock.stats();
    await mock.expire();
    const results = await burstEverywhere(tabs);
    const after = await mock.stats();
    const ok = results.reduce((sum, result) => sum + result.ok, 0);
    const failures = results.flatMap((result) => result.failures);
    expect.soft(failures, `round ${round}: failed requests`).toEqual([]);
    expect(ok, `round ${round}: requests that succeeded`).toBe(TABS * PER_TAB);
    expect(
      after.refreshRequests - before.refreshRequests,
      `round ${round}: refresh calls at the server`,
    ).toBe(1);
    expect(after.rotations - before.rotations, `round ${round}: rotations`).toBe(1);
    expect(invalidGrants(after) - invalidGrants(before), `round ${round}: invalid_grant`).toBe(0);
    expect(refreshFailures(after), `round ${round}: refresh failures of any kind`).toBe(0);
    expect(after.reuseDetections, `round ${round}: reuse detections`).toBe(0);
    expect(after.maxInFlightRefreshPerFamily, `round ${round}: concurrent refreshes of the family`).toBe(1);
    // Every request was answered 401 once at most, and replayed with the new token.
    expect(after.api200s - before.api200s, `round ${round}: 200s at the API`).toBe(TABS * PER_TAB);
  }
  // All tabs end on the same token.
  const tokens = await Promise.all(tabs.pages.map((page) => tabs.call(page, 'token')));
  expect(new Set(tokens).size).toBe(1);
};

test.describe('5 tabs × 20 concurrent requests at expiry, strict one-time rotation', () => {
  test('exactly 1 refresh reaches the server, 0 invalid_grant, 100/100 succeed — 20 rounds in a row', async ({
    openTabs,
    mock,
  }) => {
    await mock.reset({ apiJitterMs: 20, latencyMs: 50 });
    const tabs = await openTabs(TABS);
    expect(await tabs.call(tabs.pages[0] as Page, 'features')).toEqual({
      locks: true,
      broadcastChannel: true,
      indexedDb: true,
    });
    await loginEverywhere(tabs);
    await expectOneRefreshPerWave(tabs, mock, 20);
    // The native adapters were used: neither the fallback adapters' chunk nor the broadcast-channel
    // package's chunk was ever fetched.
    expect(await lazyChunksLoaded(tabs, tabs.pages[0] as Page)).toEqual({
      fallbacks: false,
      broadcastChannel: false,
    });
  });

  // Which lazy chunks each fallback needs: any fallback adapter comes from the `fallbacks` chunk; only the
  // fallback channel loads the broadcast-channel package.
  const fallbacks: {
    label: string;
    without: Feature[];
    fetches: { fallbacks: boolean; broadcastChannel: boolean };
  }[] = [
    {
      label: 'without navigator.locks (IndexedDB lease lock)',
      without: ['locks'],
      fetches: { fallbacks: true, broadcastChannel: false },
    },
    {
      label: 'without native BroadcastChannel (broadcast-channel package over IndexedDB)',
      without: ['broadcastChannel'],
      fetches: { fallbacks: true, broadcastChannel: true },
    },
    {
      label: 'without IndexedDB (memory store, Web Locks, native channel)',
      without: ['indexedDb'],
      fetches: { fallbacks: true, broadcastChannel: false },
    },
  ];

  for (const fallback of fallbacks) {
    test(`${fallback.label}: same result, 5 rounds`, async ({ openTabs, mock }) => {
      await mock.reset({ apiJitterMs: 20, latencyMs: 50 });
      const tabs = await openTabs(TABS, { without: fallback.without });
      const features = await tabs.call(tabs.pages[0] as Page, 'features');
      expect(features).toEqual({
        locks: !fallback.without.includes('locks'),
        broadcastChannel: !fallback.without.includes('broadcastChannel'),
        indexedDb: !fallback.without.includes('indexedDb'),
      });
      await loginEverywhere(tabs);
      await expectOneRefreshPerWave(tabs, mock, 5);
      expect(await lazyChunksLoaded(tabs, tabs.pages[0] as Page)).toEqual(fallback.fetches);
    });
  }
});

test('negative control: with crossTab: false the same wave makes several refreshes and invalid_grant', async ({
  openTabs,
  mock,
}) => {
  // Proves the assertions above can fail: each tab refreshes on its own, the strict server rotates on the
  // first call, answers invalid_grant to the others and revokes the family.
  await mock.reset({ apiJitterMs: 20, latencyMs: 50 });
  const tabs = await openTabs(TABS, { query: 'crossTab=0' });
  const [first] = tabs.pages as [Page];
  await tabs.call(first, 'login');
  // Without coordination only the first tab has the token; give it to the others through their own setToken.
  const token = (await tabs.call(first, 'token')) as string;
  for (const page of tabs.pages.slice(1)) await tabs.call(page, 'setToken', token);
  await mock.expire();
  const before = await mock.stats();
  const results = await burstEverywhere(tabs);
  const after = await mock.stats();
  expect(after.refreshRequests - before.refreshRequests).toBeGreaterThan(1);
  expect(invalidGrants(after) - invalidGrants(before)).toBeGreaterThan(0);
  expect(results.reduce((sum, result) => sum + result.ok, 0)).toBeLessThan(TABS * PER_TAB);
});

test.describe('the tab holding the lock is closed mid-refresh', () => {
  for (const variant of [
    { label: 'Web Locks', without: [] as Feature[] },
    { label: 'lease lock (no navigator.locks)', without: ['locks'] as Feature[] },
  ]) {
    test(`${variant.label}: the other tabs end with a valid token and every request settles`, async ({
      openTabs,
      mock,
    }) => {
      // A grace window (Okta preset): the holder's refresh completes at the server after the tab is gone, so
      // its new cookie is lost; the next tab re-presents the parent token inside the window.
      await mock.reset({ preset: 'okta', latencyMs: 1500 });
      const tabs = await openTabs(TABS, { without: variant.without });
      await loginEverywhere(tabs);
      const before = await mock.stats();
      await mock.expire();
      const startAt = Date.now() + 100;
      for (const page of tabs.pages) await tabs.call(page, 'startBurst', PER_TAB, startAt);
      // Find the tab that took the lock and started the network refresh.
      let holder: Page | undefined;
      await expect
        .poll(async () => {
          for (const page of tabs.pages) if (await tabs.call(page, 'refreshing')) holder = page;
          return holder !== undefined;
        })
        .toBe(true);
      await expect.poll(async () => (await mock.stats()).refreshRequests - before.refreshRequests).toBe(1);
      await holder?.close({ runBeforeUnload: false });
      const survivors = tabs.pages.filter((page) => page !== holder);
      expect(survivors).toHaveLength(TABS - 1);

      const results = await Promise.all(survivors.map((page) => tabs.call(page, 'burstResult')));
      for (const result of results) {
        expect(result?.failures).toEqual([]);
        expect(result?.ok).toBe(PER_TAB);
      }
      const tokens = await Promise.all(survivors.map((page) => tabs.call(page, 'token')));
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).toBeTruthy();
      // The token they share is valid: a new burst succeeds with no refresh.
      const mid = await mock.stats();
      const again = await burstEverywhere(tabs, survivors);
      expect(again.reduce((sum, result) => sum + result.ok, 0)).toBe((TABS - 1) * PER_TAB);
      const after = await mock.stats();
      expect(after.refreshRequests - mid.refreshRequests).toBe(0);
      // One refresh by the closed holder, one by its successor (grace hit), none in between.
      expect(after.refreshRequests - before.refreshRequests).toBe(2);
      expect(invalidGrants(after)).toBe(0);
      expect(after.reuseDetections).toBe(0);
      expect(after.graceHits - before.graceHits).toBe(1);
    });
  }
});

test('definitive failure (session revoked server-side): every tab logged out, every waiting request rejected with SessionExpiredError', async ({
  openTabs,
  mock,
}) => {
  await mock.reset({ latencyMs: 50 });
  const tabs = await openTabs(TABS);
  await loginEverywhere(tabs);
  // Revoke every session at the server (the refresh cookie becomes unknown), then expire the access tokens.
  await mock.reset({ latencyMs: 50 });
  await mock.expire();
  const before = await mock.stats();
  const results = await burstEverywhere(tabs);
  const after = await mock.stats();
  for (const result of results) {
    expect(result.ok).toBe(0);
    expect(result.failures).toHaveLength(PER_TAB);
    for (const failure of result.failures) {
      expect(failure.code).toBe('ERR_SESSION_EXPIRED');
      expect(failure.name).toBe('SessionExpiredError');
    }
  }
  // One refresh was refused; the other tabs took the logout instead of trying again.
  expect(after.refreshRequests - before.refreshRequests).toBe(1);
  expect(invalidGrants(after) - invalidGrants(before)).toBe(1);
  expect(after.refreshFailures.unknown_token).toBe(1);
  for (const page of tabs.pages) {
    expect(await tabs.call(page, 'token')).toBeNull();
    await expect.poll(() => tabs.call(page, 'sessionExpiredCalls')).toBe(1);
  }
});

test('login and logout in one tab reach every tab, and a tab opened later starts with the token', async ({
  openTabs,
  mock,
}) => {
  await mock.reset();
  const tabs = await openTabs(3);
  const token = await loginEverywhere(tabs);
  const late = await tabs.context.newPage();
  await late.goto(`${mock.url}/index.html`);
  await expect(late).toHaveTitle('ready');
  await expect.poll(() => tabs.call(late, 'token')).toBe(token);
  await tabs.call(tabs.pages[2] as Page, 'logout');
  for (const page of [...tabs.pages, late]) await expect.poll(() => tabs.call(page, 'token')).toBeNull();
  // A logout is not a session expiry: onSessionExpired is not called.
  for (const page of [...tabs.pages, late]) expect(await tabs.call(page, 'sessionExpiredCalls')).toBe(0);
});
