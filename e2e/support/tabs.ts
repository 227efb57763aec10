/**
The harness page and its tabs, usable with and without the Playwright test runner (the race report imports
this module directly with Node, hence the `.ts` specifiers).
*/
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { build } from 'esbuild';
import type { AuthServerStats } from 'mock-auth-server';

const here = dirname(fileURLToPath(import.meta.url));
export const harnessDir = resolve(here, '../results/harness');

/** Bundle the harness page with the library from source (code splitting keeps the fallback channel lazy). */
export const buildHarness = async (): Promise<void> => {
  await mkdir(harnessDir, { recursive: true });
  await build({
    entryPoints: [resolve(here, '../harness/harness.ts')],
    bundle: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    target: 'chrome120',
    outdir: harnessDir,
    sourcemap: true,
    logLevel: 'warning',
    alias: { 'ky-token-refresh': resolve(here, '../../packages/ky-token-refresh/src/index.ts') },
  });
  await copyFile(resolve(here, '../harness/index.html'), join(harnessDir, 'index.html'));
};

/** What a test can take away from a tab. */
export type Harness = Window['harness'];

/** Scripts run in every tab before the package loads, to take a browser feature away. */
export const without = {
  locks: () => {
    // `locks` is an accessor on Navigator.prototype: remove it so `'locks' in navigator` is false.
    delete (Navigator.prototype as { locks?: unknown }).locks;
  },
  broadcastChannel: () => {
    delete (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel;
  },
  indexedDb: () => {
    for (const target of [globalThis, Object.getPrototypeOf(globalThis), Window.prototype]) {
      delete (target as { indexedDB?: unknown }).indexedDB;
    }
    Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true });
  },
} as const;

export type Feature = keyof typeof without;

export interface OpenTabsOptions {
  without?: Feature[];
  /** Query string of the harness page (see harness.ts): `client=naive`, `persistToken=0`... */
  query?: string;
}

export interface Tabs {
  context: BrowserContext;
  pages: Page[];
  /** Open one more tab in the same context (same query and removed features); it joins `pages`. */
  open(): Promise<Page>;
  /** `window.harness.<method>(...args)` in one tab. */
  call<K extends keyof Harness>(
    page: Page,
    method: K,
    ...args: Parameters<Harness[K]>
  ): Promise<Awaited<ReturnType<Harness[K]>>>;
}

const waitReady = async (page: Page): Promise<void> => {
  await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
};

/** `count` tabs of the harness (served at `url`) in a new context of `browser`. */
export const openHarnessTabs = async (
  browser: Browser,
  url: string,
  count: number,
  options: OpenTabsOptions = {},
): Promise<Tabs> => {
  const context = await browser.newContext();
  for (const feature of options.without ?? []) await context.addInitScript(without[feature]);
  const pages: Page[] = [];
  const open = async (): Promise<Page> => {
    const page = await context.newPage();
    const index = pages.length;
    page.on('pageerror', (error) => console.error(`[tab ${index}] pageerror`, error));
    await page.goto(`${url}/index.html${options.query ? `?${options.query}` : ''}`);
    await waitReady(page);
    pages.push(page);
    return page;
  };
  for (let index = 0; index < count; index++) await open();
  const call: Tabs['call'] = (page, method, ...args) =>
    page.evaluate(
      ([name, params]) =>
        (window.harness[name] as (...values: unknown[]) => unknown)(...(params as unknown[])) as never,
      [method, args] as const,
    );
  return { context, pages, open, call };
};

export type Stats = AuthServerStats;

/** Refresh calls that did not succeed, any reason. */
export const refreshFailures = (stats: Stats): number =>
  Object.values(stats.refreshFailures).reduce((sum, count) => sum + (count ?? 0), 0);

/** Refresh calls answered `400 invalid_grant` (every failure reason but the CSRF 403). */
export const invalidGrants = (stats: Stats): number =>
  refreshFailures(stats) - (stats.refreshFailures.csrf ?? 0);

/** API answers 401, any reason. */
export const api401s = (stats: Stats): number =>
  Object.values(stats.api401s).reduce((sum, count) => sum + (count ?? 0), 0);
