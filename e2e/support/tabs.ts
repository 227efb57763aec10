/**
The harness page and its tabs, usable with and without the Playwright test runner (the race report imports
this module directly with Node, hence the `.ts` specifiers).
*/
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from '@playwright/test';
import { build } from 'esbuild';
import type { AuthServerStats } from 'mock-auth-server';
import { openTabs, type TabSet } from 'mock-auth-server/playwright';

const here = dirname(fileURLToPath(import.meta.url));
export const harnessDir = resolve(here, '../results/harness');

/**
The library's lazy chunks, by what they hold: `fallbacks` (the adapters a current browser does not need:
lease lock, memory store, fallback channel) and `broadcastChannel` (the broadcast-channel package, loaded by
the fallback channel only). Output file names of the last harness build, from esbuild's metafile.
*/
export interface LazyChunks {
  fallbacks: string[];
  broadcastChannel: string[];
}
const lazyChunksFile = join(harnessDir, 'lazy-chunks.json');

/** Bundle the harness page with the library from source (code splitting keeps the fallbacks lazy). */
export const buildHarness = async (): Promise<void> => {
  await mkdir(harnessDir, { recursive: true });
  const { metafile } = await build({
    metafile: true,
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
  // Dynamic-import targets are the outputs with an entry point other than the harness itself.
  const chunks: LazyChunks = { fallbacks: [], broadcastChannel: [] };
  for (const [output, meta] of Object.entries(metafile.outputs)) {
    if (!output.endsWith('.js') || meta.entryPoint === undefined) continue;
    if (/adapters\/fallbacks\.ts$/.test(meta.entryPoint)) chunks.fallbacks.push(basename(output));
    if (meta.entryPoint.includes('broadcast-channel')) chunks.broadcastChannel.push(basename(output));
  }
  await writeFile(lazyChunksFile, `${JSON.stringify(chunks, null, 2)}\n`);
  await copyFile(resolve(here, '../harness/index.html'), join(harnessDir, 'index.html'));
};

/** Which of the library's lazy chunks a tab has fetched (see {@link LazyChunks}). */
export const lazyChunksLoaded = async (
  tabs: Tabs,
  page: Page,
): Promise<{ fallbacks: boolean; broadcastChannel: boolean }> => {
  const chunks = JSON.parse(await readFile(lazyChunksFile, 'utf8')) as LazyChunks;
  const loaded = new Set(
    (await tabs.call(page, 'loadedScripts')).map((url) => basename(new URL(url).pathname)),
  );
  return {
    fallbacks: chunks.fallbacks.some((name) => loaded.has(name)),
    broadcastChannel: chunks.broadcastChannel.some((name) => loaded.has(name)),
  };
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

/** Harness tabs: the package's tab set, plus a typed call into `window.harness`. */
export interface Tabs extends TabSet {
  /** `window.harness.<method>(...args)` in one tab. */
  call<K extends keyof Harness>(
    page: Page,
    method: K,
    ...args: Parameters<Harness[K]>
  ): Promise<Awaited<ReturnType<Harness[K]>>>;
}

/** What the package's `openTabs` needs to open harness tabs (served at `url`, the mock server's origin). */
export const harnessTabOptions = (url: string, options: OpenTabsOptions = {}) => ({
  url: `${url}/index.html${options.query ? `?${options.query}` : ''}`,
  initScripts: (options.without ?? []).map((feature) => without[feature]),
  ready: async (page: Page): Promise<void> => {
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
  },
});

const call: Tabs['call'] = (page, method, ...args) =>
  page.evaluate(
    ([name, params]) =>
      (window.harness[name] as (...values: unknown[]) => unknown)(...(params as unknown[])) as never,
    [method, args] as const,
  );

/** A tab set of the harness becomes `Tabs`. */
export const asHarnessTabs = (tabs: TabSet): Tabs => Object.assign(tabs, { call });

/** `count` tabs of the harness (served at `url`) in a new context of `browser`. */
export const openHarnessTabs = async (
  browser: Browser,
  url: string,
  count: number,
  options: OpenTabsOptions = {},
): Promise<Tabs> => asHarnessTabs(await openTabs(browser, count, harnessTabOptions(url, options)));

export type Stats = AuthServerStats;

export { api401s, invalidGrants, refreshFailures } from 'mock-auth-server/playwright';
