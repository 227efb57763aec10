/**
The demo's mock auth server: `startMockAuthWorker` (mock-auth-server/browser) assembled from its parts, with
the emulated cookie jar kept off the server's state.

Measured (scripts/refresh-timing.ts, 2 tabs × 10 at expiry, 200 ms refresh latency): the refresh spent
~140 ms beyond its latency inside the mock, waiting for IndexedDB. The whole server state is one record in
one object store, and every request of the burst made three transactions on it: the cookie-jar read, the
state read, the stats write. IndexedDB runs them in order, so the refresh's own read and write queued behind
the burst's. Here the jar has its own database (its reads never wait behind the state's writes), and
requests outside /auth skip it: the refresh cookie has `Path=/auth`, so no other request can carry it.
*/
import {
  type AuthServer,
  type AuthStorage,
  type ConfigPatch,
  createAuthServer,
  createIdbStorage,
} from 'mock-auth-server';
import type { MockAuthWorker } from 'mock-auth-server/browser';
import { type CookieJar, createMockAuthHandlers, createStorageCookieJar } from 'mock-auth-server/msw';
import { setupWorker } from 'msw/browser';

/** The jar's own database: the state's database keeps its name (and what other tools expect in it). */
const JAR_DB = 'mock-auth-server-cookies';

/** A jar that is read only for URLs its cookies can be sent to (the mock sets one cookie, on Path=/auth). */
const onlyUnder = (path: string, jar: CookieJar): CookieJar => ({
  cookiesFor: async (url) =>
    url.pathname === path || url.pathname.startsWith(`${path}/`) ? jar.cookiesFor(url) : {},
  apply: (url, cookies) => jar.apply(url, cookies),
  clear: () => jar.clear(),
});

export async function startDemoMockWorker(config: ConfigPatch): Promise<MockAuthWorker> {
  const storage: AuthStorage = createIdbStorage();
  const server: AuthServer = createAuthServer({ storage, config });
  const cookieJar = onlyUnder('/auth', createStorageCookieJar(createIdbStorage(JAR_DB)));
  const worker = setupWorker(...createMockAuthHandlers(server, { cookieJar }));
  await worker.start({
    quiet: true,
    onUnhandledFrame: 'bypass',
    serviceWorker: { url: '/mockServiceWorker.js' },
  });
  // Create the keys and the state now, so the first requests of several tabs do not race to do it.
  await server.config();
  return { worker, server, storage, cookieJar, stop: async () => worker.stop() };
}
