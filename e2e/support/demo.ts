/**
The demo SPA (apps/demo, served by the Playwright `webServer` from a Vite build) driven through its test API
`window.__demo`. Its server is MSW in each page over one IndexedDB database per browser context.
*/
import { type BrowserContext, test as base, expect, type Page } from '@playwright/test';
import type { AuthServerStats, ConfigPatch } from 'mock-auth-server';
import { openTabs } from 'mock-auth-server/playwright';
import { type Feature, without } from './tabs.ts';

type ClientKind = 'naive' | 'protected';

/** The part of the demo's `window.__demo` (apps/demo/src/app.ts, `DemoApi`) these tests use. */
export interface DemoApi {
  ready: true;
  tabLabel: string;
  login(username?: string, password?: string): Promise<void>;
  setClient(kind: ClientKind): void;
  getClient(): ClientKind;
  configure(patch: ConfigPatch): Promise<unknown>;
  expireNow(): Promise<void>;
  fireBurstAll(n?: number): Promise<RunResult>;
  stats(): Promise<AuthServerStats>;
  hasToken(): boolean;
  tabs(): { tabId: string; label: string }[];
  reset(patch?: ConfigPatch): Promise<void>;
}

export interface RunResult {
  tabs: number;
  ok: number;
  failed: number;
  errors: string[];
  missing: string[];
  counters: {
    ok: number;
    failed: number;
    refreshCalls: number;
    rotations: number;
    graceHits: number;
    invalidGrant: number;
    reuseDetections: number;
    forcedLogouts: number;
    clientRefreshes: number;
    adopted: number;
  };
}

declare global {
  interface Window {
    __demo?: DemoApi;
  }
}

export interface DemoTabs {
  context: BrowserContext;
  pages: Page[];
  /** The first tab: it drives the others over the demo's channel. */
  lead: Page;
}

interface Fixtures {
  /** `count` tabs of the demo in a fresh context (one MSW server state, one cookie jar per context). */
  openDemo(count: number, options?: { without?: Feature[] }): Promise<DemoTabs>;
}

export const test = base.extend<Fixtures>({
  openDemo: async ({ browser, baseURL }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (count, options = {}) => {
      const { context, pages } = await openTabs(browser, count, {
        url: new URL('/', baseURL).href,
        contextOptions: { baseURL: baseURL as string },
        initScripts: (options.without ?? []).map((feature) => without[feature]),
        ready: async (page) => {
          await page.waitForFunction(() => window.__demo?.ready === true, undefined, { timeout: 30_000 });
        },
      });
      contexts.push(context);
      const lead = pages[0] as Page;
      await expect.poll(() => lead.evaluate(() => window.__demo!.tabs().length)).toBe(count);
      return { context, pages, lead };
    });
    for (const context of contexts) await context.close();
  },
});

/** Reset the server to `config`, pick the client in every tab, log in; wait until every tab has a token. */
export const startSession = async (
  demo: DemoTabs,
  client: ClientKind,
  config: ConfigPatch,
): Promise<void> => {
  await demo.lead.evaluate(
    async ({ client, config }) => {
      await window.__demo!.reset(config);
      window.__demo!.setClient(client);
      await window.__demo!.login();
    },
    { client, config },
  );
  for (const page of demo.pages) {
    await expect.poll(() => page.evaluate(() => window.__demo!.getClient())).toBe(client);
    await expect.poll(() => page.evaluate(() => window.__demo!.hasToken())).toBe(true);
  }
};

/** "Expire + burst in all tabs" (or only the burst), with the server's counters around it. */
export const burstAll = async (demo: DemoTabs, perTab: number, expire = true) =>
  demo.lead.evaluate(
    async ({ perTab, expire }) => {
      const before = await window.__demo!.stats();
      if (expire) await window.__demo!.expireNow();
      const run = await window.__demo!.fireBurstAll(perTab);
      const after = await window.__demo!.stats();
      const sum = (counts: Partial<Record<string, number>>) =>
        Object.values(counts).reduce<number>((total, n) => total + (n ?? 0), 0);
      return { run, api401s: sum(after.api401s) - sum(before.api401s), after };
    },
    { perTab, expire },
  );

export const hasTokens = (demo: DemoTabs): Promise<boolean[]> =>
  Promise.all(demo.pages.map((page) => page.evaluate(() => window.__demo!.hasToken())));

export { expect };
