/** Helpers shared by the specs that drive harness tabs: log every tab in, fire a wave, read the deltas. */
import type { Page } from '@playwright/test';
import { atOneInstant } from 'mock-auth-server/playwright';
import type { BurstOptions, Settled } from '../harness/harness.ts';
import { expect, type MockControl, type Stats, type Tabs } from './fixtures.ts';
import { api401s, invalidGrants } from './tabs.ts';

export type { Settled };

/**
Log in in the first tab and wait until every tab holds the same token: ky-token-refresh shares it itself;
the naive client shares nothing, so the test hands it to the other tabs (as the demo does over its channel).
*/
export const loginEverywhere = async (tabs: Tabs, pages: Page[] = tabs.pages): Promise<string> => {
  const [first] = pages as [Page];
  const token = await tabs.call(first, 'login');
  expect(token).toBeTruthy();
  if ((await tabs.call(first, 'client')) === 'naive')
    for (const page of pages.slice(1)) await tabs.call(page, 'setToken', token);
  for (const page of pages) await expect.poll(() => tabs.call(page, 'token')).toBe(token);
  return token;
};

/** Every tab fires `perTab` requests at the same wall-clock moment; returns each tab's outcome. */
export const burstEverywhere = (
  tabs: Tabs,
  perTab: number,
  pages: Page[] = tabs.pages,
  options?: BurstOptions,
): Promise<Settled[]> =>
  atOneInstant(pages, (page, startAt) => tabs.call(page, 'burst', perTab, startAt, options));

export const okCount = (results: Settled[]): number => results.reduce((sum, result) => sum + result.ok, 0);
export const failuresOf = (results: Settled[]) => results.flatMap((result) => result.failures);

/** What the server saw during a wave. */
export const delta = (before: Stats, after: Stats) => ({
  refreshRequests: after.refreshRequests - before.refreshRequests,
  rotations: after.rotations - before.rotations,
  invalidGrants: invalidGrants(after) - invalidGrants(before),
  reuseDetections: after.reuseDetections - before.reuseDetections,
  familyRevocations: after.familyRevocations - before.familyRevocations,
  graceHits: after.graceHits - before.graceHits,
  api200s: after.api200s - before.api200s,
  api401s: api401s(after) - api401s(before),
});

/** Expire every access token (unless `expire: false`), fire the wave, return the outcomes and the deltas. */
export const wave = async (
  tabs: Tabs,
  mock: MockControl,
  perTab: number,
  options: { expire?: boolean; pages?: Page[]; burst?: BurstOptions } = {},
) => {
  const before = await mock.stats();
  if (options.expire !== false) await mock.expire();
  const results = await burstEverywhere(tabs, perTab, options.pages ?? tabs.pages, options.burst);
  const after = await mock.stats();
  return {
    results,
    ok: okCount(results),
    failures: failuresOf(results),
    server: delta(before, after),
    after,
  };
};

/** How many times each tab's `onSessionExpired` ran (the naive client: "back to the login page"). */
export const sessionExpiredCalls = (tabs: Tabs, pages: Page[] = tabs.pages): Promise<number[]> =>
  Promise.all(pages.map((page) => tabs.call(page, 'sessionExpiredCalls')));
