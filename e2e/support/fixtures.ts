/**
The suite's fixtures: those of `mock-auth-server/playwright` (a mock server per test, tabs, mock control),
with the harness page served on the server's origin and tabs that can call into `window.harness`.
*/
import { test as base, expect } from 'mock-auth-server/playwright';
import {
  asHarnessTabs,
  buildHarness,
  harnessDir,
  harnessTabOptions,
  type OpenTabsOptions,
  type Tabs,
} from './tabs.ts';

export type { MockControl } from 'mock-auth-server/playwright';
export {
  api401s,
  type Feature,
  type Harness,
  invalidGrants,
  lazyChunksLoaded,
  refreshFailures,
  type Stats,
  type Tabs,
  without,
} from './tabs.ts';

interface Fixtures {
  /** Open `count` tabs of the harness in a fresh context (shared cookies, locks, channels, IndexedDB). */
  openTabs(count: number, options?: OpenTabsOptions): Promise<Tabs>;
}

interface WorkerFixtures {
  /** The harness page, bundled once per worker; every test's server serves it. */
  harness: string;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  harness: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies destructured.
    async ({}, use) => {
      await buildHarness();
      await use(harnessDir);
    },
    { scope: 'worker' },
  ],
  // `mock.reset(patch)` starts from here: strict rotation, tokens that do not expire on their own mid-test.
  mockConfig: { preset: 'strict', accessTtlMs: 120_000 },
  mockStaticDir: async ({ harness }, use) => {
    await use(harness);
  },
  openTabs: async ({ newTabs, mockServer }, use) => {
    await use(async (count, options = {}) => {
      const { url, ...rest } = harnessTabOptions(mockServer.url, options);
      return asHarnessTabs(await newTabs(count, { ...rest, path: url }));
    });
  },
});

export { expect };
