/**
Playwright fixtures for multi-tab refresh races: a mock auth server per test (the Node adapter, real HttpOnly
cookies, a free port), N tabs in one browser context, control of the server, and a burst fired in every tab
at one instant.

  import { expect, test } from 'mock-auth-server/playwright';
  test.use({ mockConfig: { preset: 'strict', latencyMs: 200 }, mockStaticDir: 'dist' });
  test('one refresh per expiry', async ({ tabs, mock, burst }) => { ... });
*/
import { test as base, expect } from '@playwright/test';
import type { AuthServerConfig, ConfigPatch } from '../core/config.ts';
import type { AuthServerStats } from '../core/stats.ts';
import { type RunningMockAuthServer, startMockAuthServer } from '../node/server.ts';
import { type BurstCall, type BurstOptions, fireBurst, type Settled } from './burst.ts';
import { type OpenTabsOptions, openTabs, type TabSet } from './tabs.ts';

export { atOneInstant, type BurstFailure, DEFAULT_BURST_DELAY_MS, type TabSettled } from './burst.ts';
export { api401s, invalidGrants, refreshFailures } from './stats.ts';
export {
  type AuthServerConfig,
  type AuthServerStats,
  type BurstCall,
  type BurstOptions,
  type ConfigPatch,
  expect,
  fireBurst,
  type OpenTabsOptions,
  openTabs,
  type RunningMockAuthServer,
  type Settled,
  type TabSet,
};

/** Control of the test's mock server (no HTTP: straight to its state machine). */
export interface MockControl {
  /** Base URL of the server, e.g. `http://127.0.0.1:54321` (the tabs' origin). */
  url: string;
  /** Make every access token issued so far answer 401 (expired): the moment of the race. */
  expire(): Promise<void>;
  /** The server's counters since it started or was reset (refreshRequests, rotations, refreshFailures...). */
  stats(): Promise<AuthServerStats>;
  /** Change knobs (`{ preset?, latencyMs?, graceMs?, ... }`) without forgetting sessions; returns the config. */
  configure(patch: ConfigPatch): Promise<AuthServerConfig>;
  /** Forget every session and counter; back to `mockConfig`, then `patch`. Returns the config. */
  reset(patch?: ConfigPatch): Promise<AuthServerConfig>;
}

/** Options of {@link MockAuthFixtures.newTabs}: those of {@link openTabs} but the URL. */
export interface TabOptions extends Omit<OpenTabsOptions, 'url' | 'blankPage'> {
  /** Path (on the mock server's origin) or absolute URL the tabs load. Default: the `tabPath` option. */
  path?: string;
}

/** Options, set with `test.use({...})`. */
export interface MockAuthOptions {
  /** Configuration of each test's server: preset and knobs. Default `{ preset: 'strict' }`. */
  mockConfig: ConfigPatch;
  /**
  Directory served on the server's origin (your built app: GET/HEAD, index.html for directories), so the
  tabs and /auth, /api, /__mock share one origin and the refresh cookie. Default: none, and the tabs load
  an empty page on that origin.
  */
  mockStaticDir: string | undefined;
  /** How many tabs the `tabs` fixture opens. Default 2. */
  tabCount: number;
  /** What the `tabs` fixture's pages load: a path on the server's origin or an absolute URL. Default `/`. */
  tabPath: string;
}

export interface MockAuthFixtures {
  /** The Node mock auth server of this test, on a free loopback port, closed after the test. */
  mockServer: RunningMockAuthServer;
  mock: MockControl;
  /** Opens `count` tabs in a new context (closed after the test), like `newPage` for tabs: for more sets. */
  newTabs(count: number, options?: TabOptions): Promise<TabSet>;
  /** `tabCount` tabs of one context at `tabPath`. */
  tabs: TabSet;
  /** Every tab of `tabs` fires `perTab` calls of `call` at one instant; resolves with what settled. */
  burst(perTab: number, call: BurstCall, options?: BurstOptions): Promise<Settled>;
}

const checked = async (
  action: string,
  result: Promise<{ ok: true; config: AuthServerConfig } | { ok: false; error: unknown }>,
): Promise<AuthServerConfig> => {
  const settled = await result;
  if (!settled.ok) throw new Error(`mock.${action}: ${JSON.stringify(settled.error)}`);
  return settled.config;
};

export const test = base.extend<MockAuthOptions & MockAuthFixtures>({
  mockConfig: [{ preset: 'strict' }, { option: true }],
  mockStaticDir: [undefined, { option: true }],
  tabCount: [2, { option: true }],
  tabPath: ['/', { option: true }],

  mockServer: async ({ mockConfig, mockStaticDir }, use) => {
    const server = await startMockAuthServer({
      config: mockConfig,
      ...(mockStaticDir !== undefined && { staticDir: mockStaticDir }),
    });
    await use(server);
    await server.close();
  },

  mock: async ({ mockServer }, use) => {
    const { authServer } = mockServer;
    await use({
      url: mockServer.url,
      expire: () => authServer.expireAccessTokens(),
      stats: () => authServer.stats(),
      configure: (patch) => checked('configure', authServer.configure(patch)),
      reset: (patch = {}) => checked('reset', authServer.reset(patch)),
    });
  },

  newTabs: async ({ browser, mockServer, mockStaticDir, tabPath }, use) => {
    const sets: TabSet[] = [];
    await use(async (count, { path = tabPath, ...options } = {}) => {
      const url = new URL(path, mockServer.url).href;
      const tabs = await openTabs(browser, count, {
        ...options,
        url,
        // Without an app on that origin, the tabs still need a page there (cookies, storage, locks).
        blankPage: mockStaticDir === undefined && url.startsWith(mockServer.url),
      });
      sets.push(tabs);
      return tabs;
    });
    for (const tabs of sets) await tabs.context.close();
  },

  tabs: async ({ newTabs, tabCount }, use) => {
    await use(await newTabs(tabCount));
  },

  burst: async ({ tabs }, use) => {
    await use((perTab, call, options) => fireBurst(tabs.pages, perTab, call, options));
  },
});
