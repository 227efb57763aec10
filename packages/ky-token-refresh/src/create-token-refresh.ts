import type { Hooks } from 'ky';
import { loadFallbacks, resolveDefaultAdapters } from './adapters/defaults.js';
import { Coordinator } from './core/coordinator.js';
import { isDueForRefresh } from './core/token.js';
import type { Adapters, RefreshResult, TokenRefreshEvent, TokenRefreshStats } from './core/types.js';
import { isResendable, RequestCycle } from './http/cycle.js';
import { createHooks } from './ky/hooks.js';
import { type NormalizedOptions, normalizeOptions, type TokenRefreshOptions } from './options.js';

/** What `createTokenRefresh` returns. */
export interface TokenRefresh {
  /**
  Pass to ky: `ky.create({ hooks: auth.hooks })`. Attaches the token to authorized URLs, refreshes once for
  every 401 (across tabs), and replays the requests.
  */
  readonly hooks: Hooks;
  /**
  The same for any fetch-based client: a function with the signature of the global `fetch` that attaches
  the token to authorized URLs, refreshes once for every 401 (across tabs) and replays the request, body
  included. Pass it wherever a client takes a `fetch` (ky's `fetch` option, openapi-fetch, ofetch, wretch)
  or call it directly. It sends with the global `fetch`, looked up at each call.

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
  /** Stop listening to other tabs and release the channel. The hooks then pass requests through untouched. */
  dispose(): void;
}

const randomTabId = (): string => Math.random().toString(36).slice(2, 10);

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
Create the hooks and the controls for one token.

@example
```
const auth = createTokenRefresh({
  refresh: async ({signal}) => (await ky.post('/auth/refresh', {signal, credentials: 'include'})
    .json<{access_token: string}>()).access_token,
});
const api = ky.create({prefix: '/api', hooks: auth.hooks});
await auth.setToken(accessTokenFromLogin);
```
*/
export const createTokenRefresh = (options: TokenRefreshOptions): TokenRefresh => {
  const normalized = normalizeOptions(options);
  const core = new Coordinator({
    refresh: normalized.refresh,
    adapters: resolveAdapters(normalized),
    refreshTimeoutMs: normalized.refreshTimeoutMs,
    onSessionExpired: normalized.onSessionExpired,
    persistToken: normalized.persistToken,
    tabId: randomTabId(),
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
  return {
    hooks: createHooks(core, cycle),
    fetch: (input, init) => {
      const request = new Request(input, init);
      const body = isResendable(init?.body) ? init.body : undefined;
      // Handing fetch a Request makes it copy that Request (costly in Node: it dominates the happy path);
      // a URL and the caller's init, with the headers as authorized, send the same request without a copy.
      // Only where that init can be sent again as it is: no body, or one that is neither a stream nor
      // FormData (whose boundary is drawn anew at each serialisation, unlike its Content-Type header).
      const direct =
        !(input instanceof Request) &&
        (init?.body == null || (body !== undefined && !(body instanceof FormData)));
      return cycle.send(
        request,
        (sent) =>
          direct && sent === request
            ? globalThis.fetch(sent.url, { ...init, headers: sent.headers })
            : globalThis.fetch(sent),
        { signal: init?.signal },
        body,
      );
    },
    async setToken(token) {
      await core.setToken(token);
    },
    getToken: () => core.current.token ?? undefined,
    async refresh() {
      const record = await core.ensureFresh(core.current.generation);
      return record.token as string;
    },
    logout: () => core.logout(),
    subscribe: (listener) => core.subscribe(listener),
    stats: () => core.stats(),
    dispose: () => {
      if (watchVisibility) document.removeEventListener('visibilitychange', onVisible);
      core.dispose();
    },
  };
};
