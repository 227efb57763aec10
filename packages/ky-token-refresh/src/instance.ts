import { loadFallbacks, resolveDefaultAdapters } from './adapters/defaults.js';
import { Coordinator } from './core/coordinator.js';
import { isDueForRefresh } from './core/token.js';
import type { Adapters, RefreshResult, TokenRefreshEvent, TokenRefreshStats } from './core/types.js';
import { type CallState, isResendable, RequestCycle } from './http/cycle.js';
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
  a `fetch` (ky's `fetch` option, openapi-fetch, ofetch, wretch, axios's fetch adapter through
  `env: { fetch }`) or call it directly. It sends with the global `fetch`, looked up at each call.

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
  /**
  Refresh now (joining a refresh already in flight) and resolve with the new token. It always asks the
  server, even after a refused refresh or `logout()` in this tab (the page may have logged in since, with
  the cookie only). Rejects with `SessionExpiredError` when the server refuses.
  */
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

/** An object whose prototype is `Object.prototype` or null: spreading it copies all it holds. */
const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
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
        core.ensureFresh(core.current).catch(() => undefined);
      }
    });
  };
  const watchVisibility = typeof document !== 'undefined' && typeof document.addEventListener === 'function';
  if (watchVisibility) document.addEventListener('visibilitychange', onVisible);
  const cycle = new RequestCycle(core, normalized);
  /**
  The fetch door. Its happy path builds no Request: when the caller's init can be sent as it is (a URL, not a
  Request; a plain object, whose own members are all there is to it; no body, or one that is neither a
  stream nor FormData, whose boundary is drawn anew at each serialisation) and `cycle.ready` gives a token,
  the token goes on a copy of the caller's init, and only a 401 builds the Request to replay. Building one,
  and handing it to fetch, which copies it, costs more than the rest of the cycle in Node. Everything else
  takes the general path, `cycle.send`; both send exactly what `fetch(input, init)` would.
  */
  const door = (input: RequestInfo | URL, init: RequestInit | undefined): Promise<Response> => {
    const body = isResendable(init?.body) ? init.body : undefined;
    const call: CallState = { signal: init?.signal };
    const direct =
      !(input instanceof Request) &&
      (init === undefined || isPlainObject(init)) &&
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
  };
  const auth: FetchTokenRefresh = {
    // Like fetch, it always returns a promise: a bad call (a URL that does not parse, a GET with a body, an
    // `isAuthorizedUrl` that throws) rejects, never throws.
    fetch: (input, init) => {
      try {
        return door(input, init);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async setToken(token) {
      await core.setToken(token);
    },
    getToken: () => core.current.token ?? undefined,
    refresh: async () => (await core.refreshNow()).token as string,
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
