import type { UnhandledFrameHandle } from 'msw';
import { type SetupWorker, setupWorker } from 'msw/browser';
import { type AuthServer, createAuthServer } from '../core/auth-server.ts';
import type { ConfigPatch } from '../core/config.ts';
import type { AuthStorage } from '../core/storage.ts';
import { refreshCookie } from '../http/cookies.ts';
import { createBatchedStorage } from '../storage/batched.ts';
import { createIdbStorage, DEFAULT_IDB_NAME } from '../storage/idb.ts';
import { type CookieJar, createStorageCookieJar } from './cookie-jar.ts';
import { createMockAuthHandlers } from './handlers.ts';

/** Options of {@link startMockAuthWorker}. */
export interface MockAuthWorkerOptions {
  /** Configuration of a fresh server. Ignored when the database already holds one (another tab made it). */
  config?: ConfigPatch;
  /** IndexedDB database holding the server and the emulated cookie jar. Default `mock-auth-server`. */
  dbName?: string;
  /** URL of the generated worker script. Default `/mockServiceWorker.js`. */
  serviceWorkerUrl?: string;
  /** Do not log intercepted requests to the console. Default true. */
  quiet?: boolean;
  /** What to do with requests no handler matches (MSW 3 name). Default `'bypass'`. */
  onUnhandledFrame?: UnhandledFrameHandle;
  /** See MockAuthHandlersOptions.baseUrl. */
  baseUrl?: string;
  /**
   * Run this tab's concurrent operations on the server state in shared IndexedDB transactions
   * ({@link createBatchedStorage}). Default true; `false` gives every read and write its own transaction,
   * which under a burst makes the mock's own work, not its configured latency, most of a request's time.
   */
  batched?: boolean;
}

/** A running browser mock. */
export interface MockAuthWorker {
  worker: SetupWorker;
  /** The server, usable directly (stats, configure, reset) from this tab; all tabs share its state. */
  server: AuthServer;
  storage: AuthStorage;
  cookieJar: CookieJar;
  stop(): Promise<void>;
}

/** Where the mock's only cookie (the refresh token's) lives: the jar is read for requests under it only. */
const COOKIE_PATH = refreshCookie(new URL('http://localhost/'), null, 0).path;

/** The jar as the handlers use it: not read at all for a request its cookies cannot go to (/api/*). */
const readUnderCookiePath = (jar: CookieJar): CookieJar => ({
  cookiesFor: async (url) =>
    url.pathname === COOKIE_PATH || url.pathname.startsWith(`${COOKIE_PATH}/`) ? jar.cookiesFor(url) : {},
  apply: (url, cookies) => jar.apply(url, cookies),
  clear: () => jar.clear(),
});

/**
 * Starts MSW with the mock auth server over IndexedDB. Call it in every tab before the app sends requests:
 * MSW runs handlers in the page that sent the request, and the shared database makes all of them one server.
 *
 * The storage is batched (see {@link MockAuthWorkerOptions.batched}): a tab's concurrent reads and writes
 * of the state share transactions, still atomic across tabs. The emulated cookie jar is read only for
 * requests under the refresh cookie's path (/auth), so an API request costs no jar read.
 */
export async function startMockAuthWorker(options: MockAuthWorkerOptions = {}): Promise<MockAuthWorker> {
  const idb = createIdbStorage(options.dbName ?? DEFAULT_IDB_NAME);
  const storage = options.batched === false ? idb : createBatchedStorage(idb);
  const server = createAuthServer({ storage, ...(options.config && { config: options.config }) });
  const cookieJar = createStorageCookieJar(storage);
  const worker = setupWorker(
    ...createMockAuthHandlers(server, {
      cookieJar: readUnderCookiePath(cookieJar),
      ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
    }),
  );
  await worker.start({
    quiet: options.quiet ?? true,
    onUnhandledFrame: options.onUnhandledFrame ?? 'bypass',
    serviceWorker: { url: options.serviceWorkerUrl ?? '/mockServiceWorker.js' },
  });
  // Create the keys and the state now, so the first requests of several tabs do not race to do it.
  await server.config();
  return { worker, server, storage, cookieJar, stop: async () => worker.stop() };
}
