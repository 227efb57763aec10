import ky, { type AfterResponseHook, type Hooks, isHTTPError, type KyInstance } from 'ky';
import { createTokenRefresh, type TokenRefreshEventType } from 'ky-token-refresh';
import type { ClientKind, Entry, EntryKind } from './types.ts';

type Record = (kind: EntryKind, fields?: Partial<Pick<Entry, 'text'>>) => void;

/** The two clients behind one shape, so the burst code does not care which one runs. */
export interface DemoClient {
  readonly kind: ClientKind;
  readonly api: KyInstance;
  /** After a login (in any tab). */
  setToken(token: string): Promise<void>;
  /** Forget the token here (the demo's logout / reset). */
  clear(): Promise<void>;
  hasToken(): boolean;
  /** The library's `stats()` for the protected client; the naive client's own counts. */
  stats(): { refreshes: number; adopted: number; replays: number; failures: number };
}

/** The refresh endpoint wants the CSRF header and the cookie. */
const REFRESH_OPTIONS = {
  credentials: 'include',
  headers: { 'X-Requested-With': 'ky-token-refresh-demo' },
  retry: 0,
} as const;

/** One line describing why a call failed, without any token. */
export function describeError(error: unknown): string {
  if (isHTTPError(error)) {
    const url = new URL(error.request.url);
    const data = error.data as { error?: string; reason?: string } | string | undefined;
    const body =
      typeof data === 'object' && data !== null ? [data.error, data.reason].filter(Boolean).join(' ') : '';
    return `HTTPError ${error.response.status} ${error.request.method} ${url.pathname}${body ? ` ${body}` : ''}`;
  }
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}

/** Records every 401 from /api/* on the lane of this tab, before any refresh logic sees it. */
const observe401 =
  (record: Record): AfterResponseHook =>
  ({ response, retryCount }) => {
    if (response.status === 401) record('api:401', retryCount > 0 ? { text: 'after retry' } : {});
  };

/** Where the naive client keeps the access token: localStorage, as naive apps do, so every tab has it. */
export const NAIVE_TOKEN_KEY = 'demo:naive-access-token';

/**
 * The ky README recipe ("retry with a fresh token on a 401 error"): an afterResponse hook that refreshes on
 * every 401 and retries with `ky.retry()`. Correct for one request; racy for two: each 401 refreshes, and a
 * one-time refresh token only survives the first call. The access token lives in localStorage (read for every
 * request, written by a login or a refresh, removed when a refresh is refused), the way naive apps keep it,
 * so a tab opened after the login has the session, like the library's tabs (its own shared store).
 */
export function createNaiveClient(record: Record): DemoClient {
  const stored = () => localStorage.getItem(NAIVE_TOKEN_KEY);
  /** The token whose loss this tab has reported ("session expired" once per session, not once per request). */
  let reportedLoss: string | null = null;
  const counts = { refreshes: 0, adopted: 0, replays: 0, failures: 0 };

  /** `sent`: the token the request that got the 401 carried (null: it went without one, no session). */
  async function refreshToken(sent: string | null): Promise<string> {
    counts.refreshes += 1;
    record('refresh:start');
    try {
      const body = await ky.post('/auth/refresh', REFRESH_OPTIONS).json<{ access_token: string }>();
      localStorage.setItem(NAIVE_TOKEN_KEY, body.access_token);
      record('refresh:success');
      return body.access_token;
    } catch (error) {
      counts.failures += 1;
      record('refresh:failure', { text: describeError(error) });
      if (isHTTPError(error) && (error.response.status === 400 || error.response.status === 401)) {
        localStorage.removeItem(NAIVE_TOKEN_KEY);
        // What the app does next: "session expired", back to the login page. Only a tab that had a session
        // is logged out, and once per session.
        if (sent !== null && reportedLoss !== sent) {
          record('session:expired', { text: 'refresh refused: back to the login page' });
          reportedLoss = sent;
        }
      }
      throw error;
    }
  }

  const hooks: Hooks = {
    beforeRequest: [
      ({ request }) => {
        const token = stored();
        if (token !== null) request.headers.set('Authorization', `Bearer ${token}`);
      },
    ],
    afterResponse: [
      observe401(record),
      async ({ request, response, retryCount }) => {
        if (response.status === 401 && retryCount === 0) {
          const sent = request.headers.get('Authorization')?.replace(/^Bearer /, '') ?? null;
          const fresh = await refreshToken(sent);
          const headers = new Headers(request.headers);
          headers.set('Authorization', `Bearer ${fresh}`);
          counts.replays += 1;
          return ky.retry({ request: new Request(request, { headers }), code: 'TOKEN_REFRESHED' });
        }
      },
    ],
  };

  return {
    kind: 'naive',
    api: ky.create({ prefix: '/api', hooks }),
    async setToken(next) {
      localStorage.setItem(NAIVE_TOKEN_KEY, next);
    },
    async clear() {
      localStorage.removeItem(NAIVE_TOKEN_KEY);
    },
    hasToken: () => stored() !== null,
    stats: () => ({ ...counts }),
  };
}

const LIBRARY_EVENTS: ReadonlySet<TokenRefreshEventType> = new Set([
  'refresh:start',
  'refresh:success',
  'refresh:adopted',
  'refresh:failure',
  'lock:wait',
  'lock:acquired',
  'token:received',
  'request:replayed',
  'session:expired',
  'logout',
]);

/** ky-token-refresh: one refresh per expiry across every tab; the timeline is drawn from its events. */
export function createProtectedClient(record: Record, onSessionExpired: () => void): DemoClient {
  const auth = createTokenRefresh({
    name: 'ky-token-refresh-demo',
    refresh: async ({ signal }) =>
      (await ky.post('/auth/refresh', { ...REFRESH_OPTIONS, signal }).json<{ access_token: string }>())
        .access_token,
    onSessionExpired,
  });
  auth.subscribe((event) => {
    if (!LIBRARY_EVENTS.has(event.type)) return;
    const parts = [`generation ${event.generation}`, event.code, event.request].filter(Boolean);
    record(event.type, { text: parts.join(' · ') });
  });
  // The library sees every response inside ky's `fetch` (its replays included): observe the 401s there, below it.
  const observing: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (response.status === 401) record('api:401');
    return response;
  };
  return {
    kind: 'protected',
    api: ky.create({ prefix: '/api', hooks: auth.hooks, fetch: observing }),
    setToken: (token) => auth.setToken(token),
    clear: () => auth.logout(),
    hasToken: () => Boolean(auth.getToken()),
    stats: () => auth.stats(),
  };
}
