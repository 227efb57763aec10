import { type BrowserContext, test as base, expect } from '@playwright/test';
import type { AuthServerStats, ConfigPatch } from 'mock-auth-server';
import { type RunningMockAuthServer, startMockAuthServer } from 'mock-auth-server/node';
import { buildHarness, harnessDir, type OpenTabsOptions, openHarnessTabs, type Tabs } from './tabs.ts';

export {
  api401s,
  type Feature,
  type Harness,
  invalidGrants,
  refreshFailures,
  type Stats,
  type Tabs,
  without,
} from './tabs.ts';

interface Fixtures {
  /** Open `count` tabs of the harness in a fresh context (shared cookies, locks, channels, IndexedDB). */
  openTabs(count: number, options?: OpenTabsOptions): Promise<Tabs>;
  mock: MockControl;
}

interface WorkerFixtures {
  server: RunningMockAuthServer;
}

export interface MockControl {
  url: string;
  /** Forget every session and counter; start from the strict preset plus `patch`. */
  reset(patch?: ConfigPatch): Promise<void>;
  /** Change knobs without forgetting sessions. */
  configure(patch: ConfigPatch): Promise<void>;
  /** Make every access token issued so far answer 401 (expired). */
  expire(): Promise<void>;
  stats(): Promise<AuthServerStats>;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  server: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies destructured.
    async ({}, use) => {
      await buildHarness();
      const server = await startMockAuthServer({ staticDir: harnessDir, config: { preset: 'strict' } });
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  mock: async ({ server }, use) => {
    const { authServer } = server;
    await use({
      url: server.url,
      reset: async (patch = {}) => {
        const result = await authServer.reset({ preset: 'strict', accessTtlMs: 120_000, ...patch });
        if (!result.ok) throw new Error(`reset failed: ${JSON.stringify(result.error)}`);
      },
      configure: async (patch) => {
        const result = await authServer.configure(patch);
        if (!result.ok) throw new Error(`configure failed: ${JSON.stringify(result.error)}`);
      },
      expire: () => authServer.expireAccessTokens(),
      stats: () => authServer.stats(),
    });
  },
  openTabs: async ({ browser, server }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (count, options = {}) => {
      const tabs = await openHarnessTabs(browser, server.url, count, options);
      contexts.push(tabs.context);
      return tabs;
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };
