import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, test as base, expect, type Page } from '@playwright/test';
import { build } from 'esbuild';
import type { AuthServerStats, ConfigPatch } from 'mock-auth-server';
import { type RunningMockAuthServer, startMockAuthServer } from 'mock-auth-server/node';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(here, '../results/harness');

/** Bundle the harness page with the library from source (code splitting keeps the fallback channel lazy). */
const buildHarness = async (): Promise<void> => {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [resolve(here, '../harness/harness.ts')],
    bundle: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    target: 'chrome120',
    outdir,
    sourcemap: true,
    logLevel: 'warning',
    alias: { 'ky-token-refresh': resolve(here, '../../packages/ky-token-refresh/src/index.ts') },
  });
  await copyFile(resolve(here, '../harness/index.html'), join(outdir, 'index.html'));
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

export interface Tabs {
  context: BrowserContext;
  pages: Page[];
  /** `window.harness.<method>(...args)` in one tab. */
  call<K extends keyof Harness>(
    page: Page,
    method: K,
    ...args: Parameters<Harness[K]>
  ): Promise<Awaited<ReturnType<Harness[K]>>>;
}

interface Fixtures {
  /** Open `count` tabs of the harness in a fresh context (shared cookies, locks, channels, IndexedDB). */
  openTabs(count: number, options?: { without?: Feature[]; query?: string }): Promise<Tabs>;
  mock: MockControl;
}

interface WorkerFixtures {
  server: RunningMockAuthServer;
}

export interface MockControl {
  url: string;
  /** Forget every session and counter; start from the strict preset plus `patch`. */
  reset(patch?: ConfigPatch): Promise<void>;
  /** Make every access token issued so far answer 401 (expired). */
  expire(): Promise<void>;
  stats(): Promise<AuthServerStats>;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  server: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies destructured.
    async ({}, use) => {
      await buildHarness();
      const server = await startMockAuthServer({ staticDir: outdir, config: { preset: 'strict' } });
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
      expire: () => authServer.expireAccessTokens(),
      stats: () => authServer.stats(),
    });
  },
  openTabs: async ({ browser, server }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (count, options = {}) => {
      const context = await browser.newContext();
      contexts.push(context);
      for (const feature of options.without ?? []) await context.addInitScript(without[feature]);
      const pages: Page[] = [];
      for (let index = 0; index < count; index++) {
        const page = await context.newPage();
        page.on('pageerror', (error) => console.error(`[tab ${index}] pageerror`, error));
        await page.goto(`${server.url}/index.html${options.query ? `?${options.query}` : ''}`);
        await expect(page).toHaveTitle('ready');
        pages.push(page);
      }
      const call: Tabs['call'] = (page, method, ...args) =>
        page.evaluate(
          ([name, params]) =>
            (window.harness[name] as (...values: unknown[]) => unknown)(...(params as unknown[])) as never,
          [method, args] as const,
        );
      return { context, pages, call };
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };
