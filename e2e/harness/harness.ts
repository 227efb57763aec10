/**
The page each tab loads: one client and one ky instance, driven by the Playwright tests (and the race report)
through `window.harness`.

Query parameters (read once, at load):
- `client=naive`: the ky README recipe instead of ky-token-refresh (an `afterResponse` hook that refreshes on
  every 401 and retries with `ky.retry()`; no coordination at all). The race reproduces with it.
- `crossTab=0`: ky-token-refresh for this tab alone (the negative control).
- `persistToken=0`, `proactiveMs=N` (`refreshBeforeExpiryMs`), `refreshTimeoutMs=N`: library options.
- `authorizeAll=1`: `isAuthorizedUrl: () => true`, the negative control of the foreign-origin check.
*/
import ky, { type Hooks, isHTTPError, type KyInstance } from 'ky';
import { createTokenRefresh, type TokenRefreshEvent } from 'ky-token-refresh';

export interface Failure {
  name: string;
  code: string | undefined;
  status: number | undefined;
  message: string;
}

export interface Settled {
  ok: number;
  /** One entry per failed request: the error's name and code (or HTTP status). Hangs are named `Hang`. */
  failures: Failure[];
  /** Requests aborted by their caller (`abortAfterMs`) that rejected with the abort. */
  aborted: number;
  /** Per successful request that was answered 401 first: ms from that 401 to its final success. */
  recoveryMs: number[];
  /** Requests to foreign origins (`foreignUrls`): they never carry the token; their 401s are not refreshed. */
  foreign: { ok: number; failures: Failure[] };
}

export interface BurstOptions {
  /** Bound on each request; one that has not settled by then is a `Hang` failure. Default 30 s. */
  timeoutMs?: number;
  /** Per request index: abort it this many ms after it was sent (`null`: never). */
  abortAfterMs?: (number | null)[];
  /** Absolute URLs sent through the same hooks at the same moment. */
  foreignUrls?: string[];
}

const params = new URLSearchParams(location.search);
const numberParam = (name: string): number | undefined =>
  params.has(name) ? Number(params.get(name)) : undefined;
const clientKind = params.get('client') === 'naive' ? 'naive' : 'library';

const events: TokenRefreshEvent[] = [];
let sessionExpiredCalls = 0;
let burstSeq = 0;
/** Calls to /auth/refresh this tab has sent and not yet seen answered (a refresh outlives aborted waiters). */
let refreshesInFlight = 0;
const counted = async <T>(call: () => Promise<T>): Promise<T> => {
  refreshesInFlight++;
  try {
    return await call();
  } finally {
    refreshesInFlight--;
  }
};

/** The first 401 each URL got (ms, performance clock): replays and ky retries go through the same fetch. */
const first401 = new Map<string, number>();
const trackingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const response = await fetch(input, init);
  if (response.status === 401) {
    const url = input instanceof Request ? input.url : String(input);
    if (!first401.has(url)) first401.set(url, performance.now());
  }
  return response;
};

const REFRESH_HEADERS = { 'X-Requested-With': 'XMLHttpRequest' };

/** The common shape of both clients. */
interface Client {
  readonly api: KyInstance;
  /** Same hooks, no prefix: for absolute (foreign) URLs. */
  readonly bare: KyInstance;
  setToken(token: string): Promise<void>;
  token(): string | null;
  logout(): Promise<void>;
  stats(): { refreshes: number; adopted: number; replays: number; failures: number };
}

const createLibraryClient = (): Client => {
  const proactiveMs = numberParam('proactiveMs');
  const refreshTimeoutMs = numberParam('refreshTimeoutMs');
  const auth = createTokenRefresh({
    name: 'e2e',
    crossTab: params.get('crossTab') !== '0',
    persistToken: params.get('persistToken') !== '0',
    ...(proactiveMs !== undefined && { refreshBeforeExpiryMs: proactiveMs }),
    ...(refreshTimeoutMs !== undefined && { refreshTimeoutMs }),
    ...(params.get('authorizeAll') === '1' && { isAuthorizedUrl: () => true }),
    refresh: async ({ signal }) => {
      const body = await counted(() =>
        ky
          .post('/auth/refresh', {
            signal,
            credentials: 'include',
            headers: REFRESH_HEADERS,
            retry: 0,
            timeout: false,
          })
          .json<{ access_token: string }>(),
      );
      return body.access_token;
    },
    onSessionExpired: () => {
      sessionExpiredCalls++;
    },
  });
  auth.subscribe((event) => events.push(event));
  const options = { hooks: auth.hooks, retry: 0, timeout: 30_000, fetch: trackingFetch } as const;
  return {
    api: ky.create({ ...options, prefix: '/api' }),
    bare: ky.create(options),
    setToken: (token) => auth.setToken(token),
    token: () => auth.getToken() ?? null,
    logout: () => auth.logout(),
    stats: () => auth.stats(),
  };
};

/**
The ky README recipe ("retry with a fresh token on a 401 error"), per request, no coordination. What an app
does when the refresh is refused is modelled as `onSessionExpired`: once per tab, "back to the login page".
*/
const createNaiveClient = (): Client => {
  let token: string | null = null;
  let expired = false;
  const counts = { refreshes: 0, adopted: 0, replays: 0, failures: 0 };
  const hooks: Hooks = {
    beforeRequest: [
      ({ request }) => {
        // Same origin only, like the library's default (the recipe itself would send it anywhere).
        if (token !== null && new URL(request.url).origin === location.origin)
          request.headers.set('Authorization', `Bearer ${token}`);
      },
    ],
    afterResponse: [
      async ({ request, response, retryCount }) => {
        if (response.status !== 401 || retryCount !== 0) return;
        if (new URL(request.url).origin !== location.origin) return;
        counts.refreshes++;
        let fresh: string;
        try {
          const body = await counted(() =>
            ky
              .post('/auth/refresh', { credentials: 'include', headers: REFRESH_HEADERS, retry: 0 })
              .json<{ access_token: string }>(),
          );
          fresh = body.access_token;
        } catch (error) {
          counts.failures++;
          if (isHTTPError(error) && (error.response.status === 400 || error.response.status === 401)) {
            token = null;
            if (!expired) sessionExpiredCalls++;
            expired = true;
          }
          throw error;
        }
        token = fresh;
        const headers = new Headers(request.headers);
        headers.set('Authorization', `Bearer ${fresh}`);
        counts.replays++;
        return ky.retry({ request: new Request(request, { headers }), code: 'TOKEN_REFRESHED' });
      },
    ],
  };
  const options = { hooks, timeout: 30_000, fetch: trackingFetch } as const;
  return {
    api: ky.create({ ...options, prefix: '/api' }),
    bare: ky.create(options),
    async setToken(next) {
      token = next;
      expired = false;
    },
    token: () => token,
    async logout() {
      token = null;
    },
    stats: () => ({ ...counts }),
  };
};

const client = clientKind === 'naive' ? createNaiveClient() : createLibraryClient();

const summarize = (error: unknown): Failure => {
  const { name, code, response, message } = error as {
    name?: string;
    code?: string;
    response?: { status?: number };
    message?: string;
  };
  return { name: String(name), code, status: response?.status, message: String(message) };
};

const HANG = Symbol('hang');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Outcome =
  | { kind: 'ok'; recoveryMs: number | undefined }
  | { kind: 'aborted' }
  | { kind: 'failed'; failure: Failure };

/** One request, bounded by `timeoutMs`, optionally aborted by its caller. */
const send = async (
  api: KyInstance,
  url: string,
  timeoutMs: number,
  abortAfterMs: number | null | undefined,
): Promise<Outcome> => {
  const controller = new AbortController();
  let abortTimer: ReturnType<typeof setTimeout> | undefined;
  if (abortAfterMs !== null && abortAfterMs !== undefined)
    abortTimer = setTimeout(() => controller.abort(), abortAfterMs);
  let hangTimer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<typeof HANG>((resolve) => {
    hangTimer = setTimeout(() => resolve(HANG), timeoutMs);
  });
  try {
    const request = api.get(url, { signal: controller.signal }).json<{ ok: boolean }>();
    const result = await Promise.race([request, hang]);
    if (result === HANG) {
      request.catch(() => {});
      return { kind: 'failed', failure: { name: 'Hang', code: undefined, status: undefined, message: url } };
    }
    if (result.ok !== true) return { kind: 'failed', failure: summarize(new Error('not ok')) };
    const absolute = new URL(url, new URL('/api/', location.href)).href;
    const at401 = first401.get(absolute);
    return { kind: 'ok', recoveryMs: at401 === undefined ? undefined : performance.now() - at401 };
  } catch (error) {
    if (controller.signal.aborted && (error as { name?: string }).name === 'AbortError')
      return { kind: 'aborted' };
    return { kind: 'failed', failure: summarize(error) };
  } finally {
    clearTimeout(abortTimer);
    clearTimeout(hangTimer);
  }
};

const harness = {
  client: () => clientKind,
  /** Which adapters the defaults could pick here (what the init script left in place). */
  features: () => ({
    locks: 'locks' in navigator,
    broadcastChannel: typeof BroadcastChannel === 'function',
    indexedDb: typeof indexedDB !== 'undefined' && indexedDB !== null,
  }),
  /** POST /auth/login; returns the access token (the naive client shares nothing: give it to the others). */
  async login(username = 'alice'): Promise<string> {
    const body = await ky
      .post('/auth/login', { json: { username, password: 'secret' }, credentials: 'include', retry: 0 })
      .json<{ access_token: string }>();
    await client.setToken(body.access_token);
    return body.access_token;
  },
  token: () => client.token(),
  setToken: (token: string) => client.setToken(token),
  logout: () => client.logout(),
  /** Send `count` GET /api/* at once (at `startAt`, a shared wall-clock time) and count the outcomes. */
  async burst(count: number, startAt = Date.now(), options: BurstOptions = {}): Promise<Settled> {
    const delay = startAt - Date.now();
    if (delay > 0) await sleep(delay);
    const seq = ++burstSeq;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const [outcomes, foreignOutcomes] = await Promise.all([
      Promise.all(
        Array.from({ length: count }, (_, index) =>
          send(client.api, `items/${index}?b=${seq}`, timeoutMs, options.abortAfterMs?.[index]),
        ),
      ),
      Promise.all((options.foreignUrls ?? []).map((url) => send(client.bare, url, timeoutMs, null))),
    ]);
    const settled: Settled = {
      ok: 0,
      failures: [],
      aborted: 0,
      recoveryMs: [],
      foreign: { ok: 0, failures: [] },
    };
    for (const outcome of outcomes) {
      if (outcome.kind === 'ok') {
        settled.ok++;
        if (outcome.recoveryMs !== undefined) settled.recoveryMs.push(outcome.recoveryMs);
      } else if (outcome.kind === 'aborted') settled.aborted++;
      else settled.failures.push(outcome.failure);
    }
    for (const outcome of foreignOutcomes) {
      if (outcome.kind === 'ok') settled.foreign.ok++;
      else if (outcome.kind === 'failed') settled.foreign.failures.push(outcome.failure);
    }
    return settled;
  },
  /** Start a burst without waiting; its outcome is read later with `burstResult()`. */
  startBurst(count: number, startAt?: number, options?: BurstOptions): void {
    running = harness.burst(count, startAt, options);
  },
  burstResult: (): Promise<Settled> | null => running,
  /**
  The physical floor of a recovery, measured with bare fetch (no hooks): one POST /auth/refresh round trip,
  then one GET /api/* round trip with the token it returned. The new token is then given to this tab's
  client (the library shares it; the naive client's other tabs need `setToken`) and returned.
  */
  async floor(): Promise<{ refreshMs: number; requestMs: number; token: string }> {
    const t0 = performance.now();
    const refreshed = await fetch('/auth/refresh', {
      method: 'POST',
      credentials: 'include',
      headers: REFRESH_HEADERS,
    });
    if (!refreshed.ok) throw new Error(`floor: refresh answered ${refreshed.status}`);
    const { access_token: token } = (await refreshed.json()) as { access_token: string };
    const t1 = performance.now();
    const answered = await fetch('/api/items/floor', { headers: { Authorization: `Bearer ${token}` } });
    if (!answered.ok) throw new Error(`floor: request answered ${answered.status}`);
    await answered.json();
    const t2 = performance.now();
    await client.setToken(token);
    return { refreshMs: t1 - t0, requestMs: t2 - t1, token };
  },
  /** Whether this tab has started a network refresh (holds the lock). */
  refreshing: () => events.some((event) => event.type === 'refresh:start'),
  refreshesInFlight: () => refreshesInFlight,
  eventTypes: () => events.map((event) => event.type),
  stats: () => client.stats(),
  sessionExpiredCalls: () => sessionExpiredCalls,
  /** Whether the package fetched the broadcast-channel fallback chunk. */
  loadedScripts: () => performance.getEntriesByType('resource').map((entry) => entry.name),
  /** The library's shared record as stored in IndexedDB (`e2e-db`), without the token itself. */
  storedRecord: (): Promise<{ generation: number; hasToken: boolean } | null> =>
    new Promise((resolve, reject) => {
      const open = indexedDB.open('e2e-db');
      // Never create the database here (idb-keyval would then find it without its object store).
      open.onupgradeneeded = () => open.transaction?.abort();
      open.onerror = () => (open.error?.name === 'AbortError' ? resolve(null) : reject(open.error));
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('token')) {
          db.close();
          resolve(null);
          return;
        }
        const read = db.transaction('token', 'readonly').objectStore('token').get('record');
        read.onerror = () => reject(read.error);
        read.onsuccess = () => {
          db.close();
          const record = read.result as { generation: number; token: unknown } | undefined;
          resolve(
            record ? { generation: record.generation, hasToken: typeof record.token === 'string' } : null,
          );
        };
      };
    }),
};

let running: Promise<Settled> | null = null;

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.title = 'ready';
