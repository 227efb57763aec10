/**
Playwright fixtures for multi-tab refresh races: a mock auth server per test (the Node adapter, real HttpOnly
cookies, a free port), N tabs in one browser context, control of the server, and a burst fired in every tab
at one instant.

  import { expect, test } from 'mock-auth-server/playwright';
  test.use({ mockConfig: { preset: 'strict', latencyMs: 200 }, mockStaticDir: 'dist' });
  test('one refresh per expiry', async ({ app, mock }) => {
    await app.login();
    await mock.expire();
    const settled = await app.burst(10);
    ...
  });

What the app must provide (its test hook `window.app`, a built page, the refresh request's CSRF header) is
checked step by step: a missing piece throws a {@link RaceKitError} that names it.
*/
import { test as base, expect } from '@playwright/test';
import { type AuthServer, createAuthServer } from '../core/auth-server.ts';
import type { AuthServerConfig, ConfigPatch } from '../core/config.ts';
import type { AuthServerStats } from '../core/stats.ts';
import { type RunningMockAuthServer, startMockAuthServer } from '../node/server.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import {
  type AppBurstOptions,
  type AppLoginOptions,
  checkBuiltApp,
  checkedBurst,
  createRaceApp,
  type RaceApp,
} from './app.ts';
import { type BurstCall, type BurstOptions, fireBurst, type Settled } from './burst.ts';
import { type OpenTabsOptions, openTabs, type TabSet } from './tabs.ts';

export { APP_METHODS, checkAppHook } from './app.ts';
export { atOneInstant, type BurstFailure, DEFAULT_BURST_DELAY_MS, type TabSettled } from './burst.ts';
export { isRaceKitError, RaceKitError, type RaceKitErrorCode } from './errors.ts';
export { api401s, invalidGrants, refreshFailures } from './stats.ts';
export {
  type AppBurstOptions,
  type AppLoginOptions,
  type AuthServerConfig,
  type AuthServerStats,
  type BurstCall,
  type BurstOptions,
  type ConfigPatch,
  createRaceApp,
  expect,
  fireBurst,
  type OpenTabsOptions,
  openTabs,
  type RaceApp,
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
  Whether POST /auth/refresh requires an `X-Requested-With` header (any value), as the mock does: without
  it the refresh is refused 403 (`csrf`), and a burst that met such refusals throws `CSRF_HEADER_MISSING`.
  Default true; false when your own server needs no such header (the refresh is then served without it).
  */
  mockRequireCsrfHeader: boolean;
  /**
  Directory served on the server's origin (your built app: GET/HEAD, index.html for directories), so the
  tabs and /auth, /api, /__mock share one origin and the refresh cookie; relative to the working directory.
  Default: none, and the tabs load an empty page on that origin. Tabs on a missing directory or file throw
  `APP_NOT_BUILT` naming the path.
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
  /**
  Every tab of `tabs` fires `perTab` calls of `call` at one instant; resolves with what settled. Throws
  `CSRF_HEADER_MISSING` when the server refused refreshes for the missing `X-Requested-With` meanwhile.
  */
  burst(perTab: number, call: BurstCall, options?: BurstOptions): Promise<Settled>;
  /**
  The app in `tabs`, through its test hook `window.app.{login, hasToken, get}`: `login()` (in the first tab,
  then every tab holds the token), `burst(perTab)` (`window.app.get(`items/${i}`)` in every tab at one
  instant), `check()`. Each throws a {@link RaceKitError} naming what the app lacks.
  */
  app: RaceApp;
}

/** `server` with the CSRF guard of POST /auth/refresh off: a refresh without the header gets one. */
const withoutCsrfGuard = (server: AuthServer): AuthServer => ({
  ...server,
  refresh: (request) =>
    server.refresh(
      request.requestedWith === null
        ? { ...request, requestedWith: 'mockRequireCsrfHeader: false' }
        : request,
    ),
});

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
  mockRequireCsrfHeader: [true, { option: true }],
  mockStaticDir: [undefined, { option: true }],
  tabCount: [2, { option: true }],
  tabPath: ['/', { option: true }],

  mockServer: async ({ mockConfig, mockRequireCsrfHeader, mockStaticDir }, use) => {
    const authServer = createAuthServer({ storage: createMemoryStorage(), config: mockConfig });
    const server = await startMockAuthServer({
      server: mockRequireCsrfHeader ? authServer : withoutCsrfGuard(authServer),
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
      if (mockStaticDir !== undefined) await checkBuiltApp(mockStaticDir, path, mockServer.url);
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

  burst: async ({ tabs, mockServer }, use) => {
    await use((perTab, call, options) =>
      checkedBurst(
        () => mockServer.authServer.stats(),
        () => fireBurst(tabs.pages, perTab, call, options),
      ),
    );
  },

  app: async ({ tabs, mockServer }, use) => {
    await use(createRaceApp(tabs.pages, mockServer.authServer));
  },
});
