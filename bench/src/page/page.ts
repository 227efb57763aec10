/**
The page each Chromium tab loads for the recovery benchmark: one `createTokenRefresh` over the default
(feature-detected: Web Locks, BroadcastChannel, IndexedDB) adapters and one ky instance, driven from Node
through `window.bench`. Times are `Date.now()` (the clock the library's events use, shared by every tab of
one browser), except the single-tab round trips, which use `performance.now()`.
*/
import ky from 'ky';
import { createTokenRefresh, type TokenRefreshEvent } from 'ky-token-refresh';

const events: TokenRefreshEvent[] = [];
let sessionExpiredCalls = 0;

const auth = createTokenRefresh({
  name: 'bench',
  refreshBeforeExpiryMs: 0,
  refresh: async ({ signal }) => {
    const body = await ky
      .post('/auth/refresh', {
        signal,
        credentials: 'include',
        headers: { 'X-Requested-With': 'bench' },
        retry: 0,
        timeout: false,
      })
      .json<{ access_token: string }>();
    return body.access_token;
  },
  onSessionExpired: () => {
    sessionExpiredCalls++;
  },
});
auth.subscribe((event) => events.push(event));

const api = ky.create({ prefix: '/api', hooks: auth.hooks, retry: 0, timeout: 30_000 });

export interface BurstResult {
  start: number;
  end: number;
  ok: number;
}

let running: Promise<BurstResult> | null = null;

const burst = async (count: number, startAt: number): Promise<BurstResult> => {
  const delay = startAt - Date.now();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const start = Date.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, index) => api.get(`items/${index}`).json<{ ok: boolean }>()),
  );
  const end = Date.now();
  const ok = results.filter((result) => result.status === 'fulfilled' && result.value.ok === true).length;
  return { start, end, ok };
};

const bench = {
  async login(): Promise<void> {
    const body = await ky
      .post('/auth/login', {
        json: { username: 'bench', password: 'bench' },
        credentials: 'include',
        retry: 0,
      })
      .json<{ access_token: string }>();
    await auth.setToken(body.access_token);
  },
  token: () => auth.getToken() ?? null,
  state: () => ({
    visibility: document.visibilityState,
    locks: 'locks' in navigator,
    broadcastChannel: typeof BroadcastChannel === 'function',
    protocol: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)
      ?.nextHopProtocol,
    /** The protocols the API requests went over (resource timing), to confirm HTTP/2 when asked for. */
    apiProtocols: [
      ...new Set(
        (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
          .filter((entry) => entry.name.includes('/api/'))
          .map((entry) => entry.nextHopProtocol),
      ),
    ],
  }),
  /** One POST /auth/refresh (rotates the shared HttpOnly cookie; the library's token stays valid). */
  async refreshRtt(): Promise<number> {
    const start = performance.now();
    const response = await fetch('/auth/refresh', {
      method: 'POST',
      credentials: 'include',
      headers: { 'X-Requested-With': 'bench' },
    });
    await response.json();
    if (!response.ok) throw new Error(`refresh ${response.status}`);
    return performance.now() - start;
  },
  /** One GET /api/* with the current (valid) token. */
  async requestRtt(): Promise<number> {
    const start = performance.now();
    const response = await fetch('/api/items/0', { headers: { Authorization: `Bearer ${auth.getToken()}` } });
    await response.json();
    if (!response.ok) throw new Error(`api ${response.status}`);
    return performance.now() - start;
  },
  startBurst(count: number, startAt: number): void {
    running = burst(count, startAt);
  },
  burstResult: (): Promise<BurstResult> | null => running,
  clearEvents(): void {
    events.length = 0;
  },
  events: (): TokenRefreshEvent[] => events.slice(),
  sessionExpiredCalls: () => sessionExpiredCalls,
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
document.title = 'ready';
