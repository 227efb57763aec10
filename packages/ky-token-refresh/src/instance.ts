import { loadFallbacks, resolveDefaultAdapters } from './adapters/defaults.js';
import { Coordinator } from './core/coordinator.js';
import { isDueForRefresh } from './core/token.js';
import type { Adapters, RefreshResult, TokenRefreshEvent, TokenRefreshStats } from './core/types.js';
import { isResendable, RequestCycle } from './http/cycle.js';
import {
  bearerValue,
  isUnauthorized,
  type NormalizedOptions,
  normalizeOptions,
  type TokenRefreshOptions,
} from './options.js';

/** What `createTokenRefresh` of `ky-token-refresh/fetch` returns: everything but the ky hooks. */
export interface FetchTokenRefresh {
  /**
  A function with the signature of the global `fetch` that attaches the token to authorized URLs, refreshes
  once for every 401 (across tabs) and replays the request, body included. Pass it wherever a client takes
  a `fetch` (ky's `fetch` option, openapi-fetch, ofetch, wretch) or call it directly. It sends with the
  global `fetch`, looked up at each call.

  @example
  ```
  const response = await auth.fetch('/api/todos', {method: 'POST', body: JSON.stringify(todo)});
  ```
  */
  readonly fetch: typeof globalThis.fetch;
  /** Use a token obtained at login; reaches every tab. Rejects with a `TypeError` on a malformed token. */
  setToken(token: RefreshResult): Promise<void>;
  /** The access token this tab uses now, if any. */
  getToken(): string | undefined;
  /** Refresh now (joining a refresh already in flight) and resolve with the new token. */
  refresh(): Promise<string>;
  /** Forget the token in every tab. Does not call `onSessionExpired`. */
  logout(): Promise<void>;
  /** Listen to protocol events (the demo's timeline is drawn from them). Returns the unsubscribe function. */
  subscribe(listener: (event: TokenRefreshEvent) => void): () => void;
  /** Counters since creation. */
  stats(): TokenRefreshStats;
  /** Stop listening to other tabs and release the channel. Requests then pass through untouched. */
  dispose(): void;
}

/** Sends a Request with the global `fetch`, looked up at each call. */
const send = (request: Request): Promise<Response> => globalThis.fetch(request);

/**
`input` as the absolute URL `fetch` would resolve it to (against the document's base URL, else the page's);
`undefined` when it cannot be resolved (then `fetch` itself reports the error).
*/
const absoluteUrl = (input: string | URL): URL | undefined => {
  try {
    return new URL(input, typeof document === 'undefined' ? globalThis.location?.href : document.baseURI);
  } catch {
    return undefined;
  }
};

/** The adapters to run on: in memory (`crossTab: false`), the defaults, or the defaults with some replaced. */
const resolveAdapters = ({ crossTab, name }: NormalizedOptions): Adapters | Promise<Adapters> => {
  if (crossTab === false) return loadFallbacks().then((module) => module.createMemoryAdapters());
  const given = crossTab === true ? {} : crossTab;
  if (given.lock && given.channel && given.store) return given as Adapters;
  const defaults = resolveDefaultAdapters(name);
  return defaults instanceof Promise
    ? defaults.then((base) => ({ ...base, ...given }))
    : { ...defaults, ...given };
};

/**
One instance, shared by both entry points: the controls and `fetch` (the fetch door), and the coordinator
and request cycle the ky door of the main entry runs on.
*/
export const createInstance = (
  options: TokenRefreshOptions,
): [auth: FetchTokenRefresh, core: Coordinator, cycle: RequestCycle] => {
  const normalized = normalizeOptions(options);
  const core = new Coordinator({
    ...normalized,
    adapters: resolveAdapters(normalized),
    tabId: Math.random().toString(36).slice(2, 10),
  });
  // A tab coming back into view may have missed messages while hidden or frozen: re-read the shared record,
  // then refresh at once if the token is about to expire (instead of on the next request).
  const onVisible = () => {
    if (document.visibilityState !== 'visible') return;
    void core.resync().then(() => {
      if (isDueForRefresh(core.current, normalized.refreshBeforeExpiryMs, Date.now())) {
        core.ensureFresh(core.current.generation).catch(() => undefined);
      }
    });
  };
  const watchVisibility = typeof document !== 'undefined' && typeof document.addEventListener === 'function';
  if (watchVisibility) document.addEventListener('visibilitychange', onVisible);
  const cycle = new RequestCycle(core, normalized);
  const auth: FetchTokenRefresh = {
    fetch: (input, init) => {
      const body = isResendable(init?.body) ? init.body : undefined;
      const call = { signal: init?.signal };
      // The caller's init can be sent as it is (a URL, not a Request; no body, or one that is neither a
      // stream nor FormData, whose boundary is drawn anew at each serialisation): then no Request is built
      // on the happy path (building one, and handing it to fetch, which copies it, costs more than the
      // rest of the cycle in Node).
      const direct =
        !(input instanceof Request) &&
        (init?.body == null || (body !== undefined && !(body instanceof FormData)));
      const url = direct ? absoluteUrl(input) : undefined;
      const record = url && cycle.ready(url);
      if (record) {
        return (async () => {
          const authorization = bearerValue(record.token as string);
          // The caller's headers with the token, as the default `authorize` puts it on a Request (a plain
          // object when there are none: no Headers to build).
          let headers: HeadersInit = { Authorization: authorization };
          if (init?.headers !== undefined) {
            headers = new Headers(init.headers);
            headers.set('Authorization', authorization);
          }
          const response = await globalThis.fetch(input, { ...init, headers });
          // `ready` answers only while the default shouldRefresh is in use.
          if (!isUnauthorized(response)) return response;
          return cycle.replay(new Request(input, init), response, record, send, call, body);
        })();
      }
      const request = new Request(input, init);
      return cycle.send(
        request,
        (sent) =>
          direct && sent === request
            ? globalThis.fetch(sent.url, { ...init, headers: sent.headers })
            : send(sent),
        call,
        body,
      );
    },
    async setToken(token) {
      await core.setToken(token);
    },
    getToken: () => core.current.token ?? undefined,
    refresh: async () => (await core.ensureFresh(core.current.generation)).token as string,
    logout: () => core.logout(),
    subscribe: (listener) => core.subscribe(listener),
    stats: () => core.stats(),
    dispose: () => {
      if (watchVisibility) document.removeEventListener('visibilitychange', onVisible);
      core.dispose();
    },
  };
  return [auth, core, cycle];
};
