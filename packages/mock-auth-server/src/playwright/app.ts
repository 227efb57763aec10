/**
The app under test, seen through its test hook `window.app` (the contract of the README's "Reproduce the race
in your app"): `login()`, `hasToken()`, `get(path)`. Every step checks its piece of the contract and throws a
{@link RaceKitError} naming what is missing, within seconds, instead of a timeout or a failed expectation.
*/
import { readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Page } from '@playwright/test';
import type { AuthServer } from '../core/auth-server.ts';
import type { AuthServerStats } from '../core/stats.ts';
import { type BurstOptions, fireBurstSource, type Settled } from './burst.ts';
import { RaceKitError } from './errors.ts';
import { api401s } from './stats.ts';
import { problemsOf } from './tabs.ts';

/** The methods the race kit calls on `window.app`. */
export const APP_METHODS = ['login', 'hasToken', 'get'] as const;

/** How long a tab may take to set up `window.app`, or the tabs to hold the token after a login (ms). */
export const APP_WAIT_MS = 5_000;

const CONTRACT =
  "window.app.login() logs in (POST /auth/login on the page's origin) and keeps the access token, " +
  'window.app.hasToken() tells whether this tab holds one, window.app.get(path) sends one GET of ' +
  '/api/<path> through your API client';

interface Hooked {
  app: { login(): unknown; hasToken(): unknown; get(path: string): unknown };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const messageOf = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).replace(/^page\.evaluate: /, '').split('\n')[0];
const whileLoading = (page: Page) => {
  const problems = problemsOf(page);
  return problems.length === 0 ? '' : `. While the page loaded: ${problems.join('; ')}`;
};

/**
Throws `APP_NOT_BUILT` unless `staticDir` is a directory holding the file a tab at `path` (on `origin`)
loads (a directory path loads its index.html, as the server does). Relative directories are the server's:
against the working directory, which the message names.
*/
export async function checkBuiltApp(staticDir: string, path: string, origin: string): Promise<void> {
  const base = resolve(staticDir);
  const given = staticDir === base ? '' : ` ('${staticDir}' from ${process.cwd()})`;
  if (!(await stat(base).catch(() => null))?.isDirectory())
    throw new RaceKitError(
      'APP_NOT_BUILT',
      `mockStaticDir ${base}${given} does not exist: build your app into it (the tabs load its index.html) before the tests run`,
    );
  const url = new URL(path, origin);
  // Another origin, or a path the mock answers itself (not a file).
  if (url.origin !== origin || /^\/(auth|api|oauth|__mock)(\/|$)/.test(url.pathname)) return;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return;
  }
  let file = resolve(base, `.${pathname}`);
  if (file !== base && !file.startsWith(base + sep)) return;
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (info?.isFile()) return;
  const entries = (await readdir(base)).sort();
  const holds = entries.length === 0 ? 'is empty' : `holds ${entries.slice(0, 8).join(', ')}`;
  throw new RaceKitError(
    'APP_NOT_BUILT',
    `the tabs load ${url.pathname} (tab path '${path}'), but ${file} does not exist (mockStaticDir ${base}${given} ${holds}): build your app into ${base} first`,
  );
}

/** What `window.app` lacks in `page`: `['window.app']`, `['window.app.get']`..., or nothing. */
const missingHooks = (page: Page): Promise<string[]> =>
  page.evaluate(
    (methods) => {
      const app = (window as unknown as { app?: unknown }).app;
      if (app === undefined || app === null) return ['window.app'];
      if (typeof app !== 'object' && typeof app !== 'function') return [`window.app (a ${typeof app})`];
      return methods
        .filter((method) => typeof (app as Record<string, unknown>)[method] !== 'function')
        .map((method) => `window.app.${method} (${typeof (app as Record<string, unknown>)[method]})`);
    },
    APP_METHODS as unknown as string[],
  );

const hasToken = (page: Page): Promise<boolean> =>
  page.evaluate(async () => Boolean(await (window as unknown as Hooked).app.hasToken()));

/**
Throws `APP_HOOK_MISSING` naming what is missing unless every page exposes `window.app.{login, hasToken,
get}` within `timeoutMs` (the app may set its hook up after the page's `load`).
*/
export async function checkAppHook(pages: readonly Page[], timeoutMs = APP_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const checked = await Promise.allSettled(
    pages.map(async (page, tab) => {
      for (;;) {
        const missing = await missingHooks(page);
        if (missing.length === 0) return;
        if (Date.now() >= deadline) {
          const what =
            missing[0] === 'window.app'
              ? `no window.app ${timeoutMs} ms after the page loaded`
              : `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a function`;
          throw new RaceKitError(
            'APP_HOOK_MISSING',
            `tab ${tab} (${page.url()}): ${what}. The race kit calls your app through window.app: ${CONTRACT}${whileLoading(page)}`,
          );
        }
        await sleep(100);
      }
    }),
  );
  // The first tab's error, whichever tab gave up first.
  for (const result of checked) if (result.status === 'rejected') throw result.reason;
}

/**
Runs `burst`, then throws `CSRF_HEADER_MISSING` if the server refused refreshes for the missing
`X-Requested-With` header meanwhile, and (with `apiCalls`) `API_NOT_REACHED` if calls were made but none
reached /api/*.
*/
export async function checkedBurst(
  stats: () => Promise<AuthServerStats>,
  burst: () => Promise<Settled>,
  apiCalls = false,
): Promise<Settled> {
  const before = await stats();
  const settled = await burst();
  const after = await stats();
  const outcome = `(the burst: ${settled.ok} ok, ${settled.failed} failed${
    settled.failures[0] ? `, the first: ${settled.failures[0].name}: ${settled.failures[0].message}` : ''
  })`;
  const csrf = (after.refreshFailures.csrf ?? 0) - (before.refreshFailures.csrf ?? 0);
  if (csrf > 0)
    throw new RaceKitError(
      'CSRF_HEADER_MISSING',
      `${csrf} of ${after.refreshRequests - before.refreshRequests} refresh requests were refused 403 {"error":"forbidden","reason":"csrf"}: the mock's POST /auth/refresh requires an X-Requested-With header (any value; a CSRF guard). Send it with your app's refresh request, e.g. headers: { 'X-Requested-With': 'fetch' }, or, if your own server needs no such header, test.use({ mockRequireCsrfHeader: false }) ${outcome}`,
    );
  const reached = after.api200s + api401s(after) - (before.api200s + api401s(before));
  if (apiCalls && settled.ok + settled.failed > 0 && reached === 0)
    throw new RaceKitError(
      'API_NOT_REACHED',
      `none of the ${settled.ok + settled.failed} window.app.get() calls reached the mock's /api/*: get(path) must send its GET to /api/<path> on the page's origin ${outcome}`,
    );
  return settled;
}

/** Options of {@link RaceApp.login}. */
export interface AppLoginOptions {
  /**
  Call `window.app.login()` in every tab, one after the other, instead of the first only: for an app whose
  tabs do not share the token. Each login starts a new session; the tabs share the last one's cookie.
  */
  everyTab?: boolean;
  /** How long the tabs may take to hold the token after the login (default 5 s). */
  timeoutMs?: number;
}

/** Options of {@link RaceApp.burst}. */
export interface AppBurstOptions extends BurstOptions {
  /** The calls are `window.app.get(`${path}/${index}`)`. Default `items`. */
  path?: string;
}

/** The app in the tabs, through `window.app` (the `app` fixture). */
export interface RaceApp {
  /** The tabs (those of the `tabs` fixture). */
  readonly pages: Page[];
  /** Throws `APP_HOOK_MISSING` unless every tab has `window.app.{login, hasToken, get}` (waits up to 5 s). */
  check(): Promise<void>;
  /**
  `window.app.login()` in the first tab, then waits until `window.app.hasToken()` is true in every tab.
  Throws `LOGIN_FAILED` (login rejected, or no token in that tab after it), `TOKEN_NOT_SHARED` (a tab
  without the token after `timeoutMs`).
  */
  login(options?: AppLoginOptions): Promise<void>;
  /**
  Every tab calls `window.app.get(`items/${index}`)` `perTab` times at one instant (see `fireBurst`).
  Throws `CSRF_HEADER_MISSING` or `API_NOT_REACHED` (see {@link checkedBurst}).
  */
  burst(perTab: number, options?: AppBurstOptions): Promise<Settled>;
}

/** The {@link RaceApp} of `pages` (tabs on the mock's origin) against the server behind `server`. */
export function createRaceApp(pages: Page[], server: Pick<AuthServer, 'stats'>): RaceApp {
  const stats = () => server.stats();
  const check = () => checkAppHook(pages);
  return {
    pages,
    check,
    async login({ everyTab = false, timeoutMs = APP_WAIT_MS } = {}) {
      await check();
      for (const [tab, page] of (everyTab ? pages : pages.slice(0, 1)).entries()) {
        try {
          await page.evaluate(async () => {
            await (window as unknown as Hooked).app.login();
          });
        } catch (error) {
          throw new RaceKitError(
            'LOGIN_FAILED',
            `window.app.login() rejected in tab ${tab}: ${messageOf(error)}. login() must log in on the page's origin: POST /auth/login, JSON {"username","password"} (any non-empty strings), credentials included, and keep the access_token of the answer${whileLoading(page)}`,
          );
        }
        if (!(await hasToken(page)))
          throw new RaceKitError(
            'LOGIN_FAILED',
            `window.app.login() resolved in tab ${tab}, but window.app.hasToken() is false there: login() must keep the access token (access_token in the answer of POST /auth/login) before it resolves`,
          );
      }
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const without = (await Promise.all(pages.map(hasToken))).flatMap((has, tab) => (has ? [] : [tab]));
        if (without.length === 0) return;
        if (Date.now() >= deadline)
          throw new RaceKitError(
            'TOKEN_NOT_SHARED',
            `window.app.login() resolved in ${everyTab ? 'every tab' : 'tab 0'}, but ${timeoutMs} ms later window.app.hasToken() is still false in tab ${without.join(', ')}: every tab must hold the token when it expires, or there is no race. Share the login token with the other tabs (the template's naive client posts it on a BroadcastChannel; localStorage works too; ky-token-refresh's setToken() does it), or log in every tab: app.login({ everyTab: true })`,
          );
        await sleep(100);
      }
    },
    async burst(perTab, { path = 'items', ...options } = {}) {
      await check();
      const source = `(index) => window.app.get(${JSON.stringify(`${path}/`)} + index)`;
      return checkedBurst(stats, () => fireBurstSource(pages, perTab, source, options), true);
    },
  };
}
