/**
The demo's mock auth server: what `startMockAuthWorker` (mock-auth-server/browser) does, over a storage that
batches each tab's concurrent writes, with a cookie jar read only where its cookie can go.

Why (measured with scripts/refresh-timing.ts: 2 tabs × 10 at expiry, strict, 200 ms refresh latency): the
refresh spent 100-150 ms beyond its configured latency inside the mock, waiting for IndexedDB. The whole
server state is one record, and every request of the burst made three transactions on it (the cookie-jar
read, the state read, the counters' write); IndexedDB runs them one after the other across the tabs, so the
refresh's own read and write queued behind the burst's (with 2 × 1 requests the same refresh takes ~10 ms
beyond its latency; with 2 × 30, ~300 ms). Batched, a tab makes a few transactions per burst instead.
*/
import { type ConfigPatch, createAuthServer, createIdbStorage } from 'mock-auth-server';
import type { MockAuthWorker } from 'mock-auth-server/browser';
import {
  type CookieJar,
  createBatchedStorage,
  createMockAuthHandlers,
  createStorageCookieJar,
} from 'mock-auth-server/msw';
import { setupWorker } from 'msw/browser';

/** A jar that is read only for URLs its cookies can be sent to (the mock sets one cookie, on Path=/auth). */
const onlyUnder = (path: string, jar: CookieJar): CookieJar => ({
  cookiesFor: async (url) =>
    url.pathname === path || url.pathname.startsWith(`${path}/`) ? jar.cookiesFor(url) : {},
  apply: (url, cookies) => jar.apply(url, cookies),
  clear: () => jar.clear(),
});

export async function startDemoMockWorker(config: ConfigPatch): Promise<MockAuthWorker> {
  const storage = createBatchedStorage(createIdbStorage());
  const server = createAuthServer({ storage, config });
  const cookieJar = onlyUnder('/auth', createStorageCookieJar(storage));
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
