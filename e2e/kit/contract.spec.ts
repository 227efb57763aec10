/**
The race kit's contract with the app under test (mock-auth-server's README, "What your app must provide"):
small apps that each lack one piece, and the RaceKitError that names it, within seconds. pack-test.ts runs
this file in the folder where it followed the README, so `mock-auth-server/playwright` is the installed
tarball.
*/
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, invalidGrants, isRaceKitError, test } from 'mock-auth-server/playwright';

/** How an app may depart from the contract. */
interface Variant {
  /** The refresh request sends X-Requested-With (default true). */
  csrf?: boolean;
  /** Tabs learn the login token from each other (default true). */
  share?: boolean;
  /** `window.app.get` exists (default true). */
  get?: boolean;
  /** Where get(path) sends its GET (default `/api/`). */
  api?: string;
}

/** A naive client (refresh on every 401, no coordination) behind `window.app`, in one inline module. */
const appScript = ({ csrf = true, share = true, get = true, api = '/api/' }: Variant) => `
let token = null;
const channel = new BroadcastChannel('contract-app');
${share ? 'channel.onmessage = (event) => { token = event.data; };' : ''}
const call = (path) => fetch(${JSON.stringify(api)} + path, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
const refresh = async () => {
  const response = await fetch('/auth/refresh', { method: 'POST', credentials: 'include'${
    csrf ? `, headers: { 'X-Requested-With': 'fetch' }` : ''
  } });
  if (!response.ok) throw new Error('refresh answered ' + response.status);
  token = (await response.json()).access_token;
};
window.app = {
  async login() {
    const response = await fetch('/auth/login', {
      method: 'POST',
      credentials: 'include',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'secret' }),
    });
    token = (await response.json()).access_token;
    channel.postMessage(token);
  },
  hasToken: () => token !== null,
  ${
    get
      ? `async get(path) {
    let response = await call(path);
    if (response.status === 401) {
      await refresh();
      response = await call(path);
    }
    if (!response.ok) throw new Error('GET answered ' + response.status);
    return response.json();
  },`
      : ''
  }
};`;

const apps = resolve('contract-apps');
/** Writes `files` into contract-apps/NAME (idempotent, at load: options must name the directory). */
const appDir = (name: string, files: Record<string, string>): string => {
  const dir = join(apps, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
};
const html = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8">${body}</head><body></body></html>`;
const inlineApp = (name: string, variant: Variant = {}) =>
  appDir(name, { 'index.html': html(`<script type="module">${appScript(variant)}</script>`) });

/** Settles `promise` and says how long it took. */
const timed = async (promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> => {
  const t0 = Date.now();
  try {
    await promise;
    return { error: undefined, ms: Date.now() - t0 };
  } catch (error) {
    return { error, ms: Date.now() - t0 };
  }
};
/** Far below the 30 s of Playwright's waits, above the kit's 5 s on a loaded machine. */
const FEW_SECONDS = 15_000;

test.use({ mockConfig: { preset: 'strict', latencyMs: 200 }, tabCount: 2, tabPath: '/index.html' });

test.describe('an app without window.app.get', () => {
  test.use({ mockStaticDir: inlineApp('no-get', { get: false }) });
  test('app.login() rejects within seconds with APP_HOOK_MISSING naming get', async ({ app }) => {
    const { error, ms } = await timed(app.login());
    expect(isRaceKitError(error, 'APP_HOOK_MISSING'), String(error)).toBe(true);
    expect((error as Error).message).toContain('window.app.get (undefined) is not a function');
    expect(ms).toBeLessThan(FEW_SECONDS);
  });
});

test.describe('an app whose script was not built (index.html loads a missing app.js)', () => {
  test.use({
    mockStaticDir: appDir('no-script', {
      'index.html': html('<script type="module" src="./app.js"></script>'),
    }),
  });
  test('app.burst() rejects with APP_HOOK_MISSING naming window.app and the 404', async ({ app }) => {
    const { error, ms } = await timed(app.burst(1));
    expect(isRaceKitError(error, 'APP_HOOK_MISSING'), String(error)).toBe(true);
    expect((error as Error).message).toContain('no window.app');
    expect((error as Error).message).toMatch(/404 GET http:\/\/127\.0\.0\.1:\d+\/app\.js/);
    expect(ms).toBeLessThan(FEW_SECONDS);
  });
});

test.describe('no built app', () => {
  const empty = appDir('empty', {});
  test.use({ mockStaticDir: empty });
  test('tabs on a folder without index.html: APP_NOT_BUILT naming the file', async ({ newTabs }) => {
    const { error } = await timed(newTabs(2, { path: '/index.html?client=naive' }));
    expect(isRaceKitError(error, 'APP_NOT_BUILT'), String(error)).toBe(true);
    expect((error as Error).message).toContain(`${join(empty, 'index.html')} does not exist`);
    expect((error as Error).message).toContain(`(tab path '/index.html?client=naive')`);
  });
  test('a tab on a page that answers an HTTP error: TAB_LOAD_FAILED', async ({ newTabs }) => {
    const { error } = await timed(newTabs(1, { path: '/auth/nowhere' }));
    expect(isRaceKitError(error, 'TAB_LOAD_FAILED'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/auth\/nowhere answered 404/);
  });
});

test.describe('a relative mockStaticDir that was never built', () => {
  test.use({ mockStaticDir: 'never-built/dist' });
  test('names the absolute path it looked for', async ({ newTabs }) => {
    const { error } = await timed(newTabs(1));
    expect(isRaceKitError(error, 'APP_NOT_BUILT'), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      `mockStaticDir ${resolve('never-built/dist')} ('never-built/dist'`,
    );
  });
});

test.describe('a refresh request without X-Requested-With', () => {
  test.use({ mockStaticDir: inlineApp('no-csrf', { csrf: false }) });
  test('app.burst() rejects with CSRF_HEADER_MISSING', async ({ app, mock }) => {
    await app.login();
    await mock.expire();
    const { error } = await timed(app.burst(10));
    expect(isRaceKitError(error, 'CSRF_HEADER_MISSING'), String(error)).toBe(true);
    expect((error as Error).message).toContain('20 of 20 refresh requests were refused 403');
    expect((error as Error).message).toContain('X-Requested-With');
  });
  test('the burst fixture too', async ({ app, mock, burst }) => {
    await app.login();
    await mock.expire();
    const { error } = await timed(
      burst(1, () => (window as unknown as { app: { get(path: string): unknown } }).app.get('x')),
    );
    expect(isRaceKitError(error, 'CSRF_HEADER_MISSING'), String(error)).toBe(true);
  });
  test.describe('with mockRequireCsrfHeader: false', () => {
    test.use({ mockRequireCsrfHeader: false });
    test('the same app loses the race', async ({ app, mock }) => {
      await app.login();
      await mock.expire();
      await app.burst(10);
      const stats = await mock.stats();
      expect(stats.refreshFailures.csrf ?? 0).toBe(0);
      expect(invalidGrants(stats)).toBeGreaterThan(0);
    });
  });
});

test.describe('tabs that do not share the login token', () => {
  test.use({ mockStaticDir: inlineApp('no-share', { share: false }) });
  test('app.login() rejects within seconds with TOKEN_NOT_SHARED naming the tab', async ({ app }) => {
    const { error, ms } = await timed(app.login());
    expect(isRaceKitError(error, 'TOKEN_NOT_SHARED'), String(error)).toBe(true);
    expect((error as Error).message).toContain('window.app.hasToken() is still false in tab 1');
    expect(ms).toBeLessThan(FEW_SECONDS);
  });
  test('app.login({ everyTab: true }) logs every tab in, and the race happens', async ({ app, mock }) => {
    await app.login({ everyTab: true });
    await mock.expire();
    await app.burst(10);
    expect(invalidGrants(await mock.stats())).toBeGreaterThan(0);
  });
});

test.describe('get(path) that misses /api', () => {
  test.use({ mockStaticDir: inlineApp('wrong-api', { api: '/v1/' }) });
  test('app.burst() rejects with API_NOT_REACHED', async ({ app, mock }) => {
    await app.login();
    await mock.expire();
    const { error } = await timed(app.burst(2));
    expect(isRaceKitError(error, 'API_NOT_REACHED'), String(error)).toBe(true);
    expect((error as Error).message).toContain('/api/<path>');
  });
});

test.describe('a complete app', () => {
  test.use({ mockStaticDir: inlineApp('complete') });
  test('loses the race like the template’s naive client', async ({ app, mock }) => {
    await app.login();
    await mock.expire();
    const settled = await app.burst(10);
    expect(settled.failed).toBeGreaterThan(0);
    expect(invalidGrants(await mock.stats())).toBeGreaterThan(0);
  });
});
