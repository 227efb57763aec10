/**
The page each tab loads: one `createTokenRefresh` instance over the default (feature-detected) adapters and
one ky instance, driven by the Playwright tests through `window.harness`.
*/
import ky from 'ky';
import { createTokenRefresh, type TokenRefreshEvent } from 'ky-token-refresh';

interface Settled {
  ok: number;
  /** One entry per failed request: the error's name and code (or HTTP status). */
  failures: { name: string; code: string | undefined; status: number | undefined; message: string }[];
}

const events: TokenRefreshEvent[] = [];
let sessionExpiredCalls = 0;

// `?crossTab=0`: this tab alone (the negative control).
const crossTab = new URLSearchParams(location.search).get('crossTab') !== '0';

const auth = createTokenRefresh({
  name: 'e2e',
  crossTab,
  refresh: async ({ signal }) => {
    const body = await ky
      .post('/auth/refresh', {
        signal,
        credentials: 'include',
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
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

const summarize = (error: unknown) => {
  const { name, code, response, message } = error as {
    name?: string;
    code?: string;
    response?: { status?: number };
    message?: string;
  };
  return { name: String(name), code, status: response?.status, message: String(message) };
};

const harness = {
  /** Which adapters the defaults could pick here (what the init script left in place). */
  features: () => ({
    locks: 'locks' in navigator,
    broadcastChannel: typeof BroadcastChannel === 'function',
    indexedDb: typeof indexedDB !== 'undefined' && indexedDB !== null,
  }),
  async login(username = 'alice'): Promise<void> {
    const body = await ky
      .post('/auth/login', { json: { username, password: 'secret' }, credentials: 'include', retry: 0 })
      .json<{ access_token: string }>();
    await auth.setToken(body.access_token);
  },
  token: () => auth.getToken() ?? null,
  setToken: (token: string) => auth.setToken(token),
  logout: () => auth.logout(),
  /** Send `count` GET /api/* at once (at `startAt`, a shared wall-clock time) and count the outcomes. */
  async burst(count: number, startAt = Date.now()): Promise<Settled> {
    const delay = startAt - Date.now();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const results = await Promise.allSettled(
      Array.from({ length: count }, (_, index) => api.get(`items/${index}`).json<{ ok: boolean }>()),
    );
    const settled: Settled = { ok: 0, failures: [] };
    for (const result of results) {
      if (result.status === 'fulfilled' && result.value.ok === true) settled.ok++;
      else
        settled.failures.push(summarize(result.status === 'rejected' ? result.reason : new Error('not ok')));
    }
    return settled;
  },
  /** Start a burst without waiting; its outcome is read later with `burstResult()`. */
  startBurst(count: number, startAt?: number): void {
    running = harness.burst(count, startAt);
  },
  burstResult: (): Promise<Settled> | null => running,
  /** Whether this tab has started a network refresh (holds the lock). */
  refreshing: () => events.some((event) => event.type === 'refresh:start'),
  eventTypes: () => events.map((event) => event.type),
  stats: () => auth.stats(),
  sessionExpiredCalls: () => sessionExpiredCalls,
  /** Whether the package fetched the broadcast-channel fallback chunk. */
  loadedScripts: () => performance.getEntriesByType('resource').map((entry) => entry.name),
};

let running: Promise<Settled> | null = null;

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.title = 'ready';
