import type { Adapters, RefreshResult } from './core/types.js';
import type { SessionExpiredError } from './errors/session-expired-error.js';

/** What `refresh` receives. */
export interface RefreshContext {
  /**
  Aborts when the refresh times out. Pass it to the refresh request: it also marks that request as the
  refresh itself, so it never waits on (or triggers) a refresh, even when it is sent through the same ky
  instance or `auth.fetch`. A client that derives its own signal from it (openapi-fetch, ky with
  `fetch: auth.fetch`, `AbortSignal.any`) is covered too: while `refresh()` runs, no request through this
  instance waits for it (see the README, "The refresh request").
  */
  readonly signal: AbortSignal;
  /**
  With `holdRefreshToken`: the refresh token of the record being refreshed, read from the shared store under
  the lock (so it is the newest one); `undefined` when the record has none (a session started from a cookie,
  or a record heard over the channel while the store could not be read). Without it, absent.
  */
  readonly refreshToken?: string | undefined;
}

export interface TokenRefreshOptions {
  /**
  Get a new access token, typically by calling the refresh endpoint with the HttpOnly cookie. Called at
  most once at a time across every tab that shares `name`.

  Resolve with the token, or `{ accessToken, expiresAt }`. Resolve with `null` or throw
  `SessionExpiredError` when there is no session. A thrown error whose `response.status` (ky's
  `HTTPError`) or `status` is 400 or 401 logs every tab out; any other error is transient.

  @example
  ```
  refresh: async ({signal}) => (await ky.post('/auth/refresh', {signal, credentials: 'include'})
    .json<{access_token: string}>()).access_token
  ```
  */
  refresh: (context: RefreshContext) => Promise<RefreshResult | null> | RefreshResult | null;
  /**
  Scopes the cross-tab lock, channel and store. Instances with the same name coordinate.
  @default 'ky-token-refresh'
  */
  name?: string;
  /**
  `true`: coordinate with every tab (and instance) that shares `name`. `false`: this instance alone.
  An object replaces any of the adapters.
  @default true
  */
  crossTab?: boolean | Partial<Adapters>;
  /**
  Whether a response means the access token was rejected and should be refreshed.
  @default response => response.status === 401
  */
  shouldRefresh?: (response: Response, request: Request) => boolean | Promise<boolean>;
  /**
  Refresh before sending when the token (a JWT with `exp`) expires within this many ms. Capped at half
  the token's lifetime. `0` turns proactive refresh off: refresh on 401 only, even for a token the local
  clock says has expired. Opaque tokens are refreshed on 401 only.
  @default 30_000
  */
  refreshBeforeExpiryMs?: number;
  /**
  Upper bound on waiting for the cross-tab lock, and on the `refresh()` call (whose `signal` then aborts; a
  `refresh()` that ignores it is given one more `refreshTimeoutMs`, holding the lock, before its waiters
  fail). Store calls are bounded by a quarter of it (at most 2 s). At most 2147483647 (a timer's limit).
  @default 10_000
  */
  refreshTimeoutMs?: number;
  /**
  Which URLs get the token (and have their 401s handled). Never send a token to an origin you do not trust.
  @default url => url.origin === location.origin (no URL at all where there is no `location`)
  */
  isAuthorizedUrl?: (url: URL) => boolean;
  /**
  Put the token on a request. Mutate `request` or return a new one.
  @default (request, token) => request.headers.set('Authorization', `Bearer ${token}`)
  */
  authorize?: (request: Request, token: string) => Request | undefined | void;
  /**
  Keep the access token in the shared store (IndexedDB) so a new tab starts with it. With `false` only
  the generation is stored and tabs share the token over the channel.
  @default true
  */
  persistToken?: boolean;
  /**
  Keep the refresh token in the shared record: `refresh()` receives it (`context.refreshToken`) and may
  resolve to `{ accessToken, refreshToken?, expiresAt? }`; `setToken()` takes the same shape (a login's
  answer). The refresh token is stored with the record and replaced only by the generation compare-and-set,
  so the one that rotated is never presented again by any tab or process sharing the record; it never
  appears in events, errors, `stats()` or channel messages. In a browser this puts it in IndexedDB, where
  any script of the origin can read it: prefer an HttpOnly cookie (the default), and see the README, "The
  refresh token in the record", for the trade-off. Needs `persistToken` (the store is where others read it).
  @default false (`true` in `ky-token-refresh/node`)
  */
  holdRefreshToken?: boolean;
  /**
  Called once per tab when the session ends because a refresh was refused (not on `logout()`). It may be
  `async`: a throw or a rejection is reported (`reportError`), never left unhandled.
  */
  onSessionExpired?: (error: SessionExpiredError) => void;
}

/** The options after validation, with every default filled in. */
export interface NormalizedOptions
  extends Required<Omit<TokenRefreshOptions, 'onSessionExpired' | 'crossTab'>> {
  crossTab: boolean | Partial<Adapters>;
  onSessionExpired: TokenRefreshOptions['onSessionExpired'];
}

const fail = (message: string): never => {
  throw new TypeError(message);
};

const adapterMethods: Record<string, string[]> = {
  lock: ['request'],
  channel: ['post', 'subscribe', 'close'],
  store: ['get', 'update'],
};

/** `true`, `false`, or some of `{ lock, channel, store }`, each with its methods. */
const isCrossTab = (value: unknown): boolean => {
  if (typeof value === 'boolean') return true;
  if (typeof value !== 'object' || value === null) return false;
  for (const [key, adapter] of Object.entries(value)) {
    const methods = Object.hasOwn(adapterMethods, key)
      ? (adapterMethods[key] as string[])
      : fail(`Unknown adapter \`crossTab.${key}\` (expected lock, channel or store).`);
    for (const method of methods) {
      if (typeof adapter?.[method] !== 'function')
        fail(`\`crossTab.${key}\` must have a \`${method}\` method.`);
    }
  }
  return true;
};

type Check = readonly [test: (value: unknown) => boolean, expected: string];
const aFunction: Check = [(value) => typeof value === 'function', 'a function'];
/** The longest delay a timer holds (a signed 32-bit number of ms): a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const milliseconds = (min: number, max = Number.MAX_SAFE_INTEGER): Check => [
  (value) => typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max,
  max === Number.MAX_SAFE_INTEGER
    ? `a finite number of milliseconds >= ${min}`
    : `a number of milliseconds >= ${min} and <= ${max}`,
];

/** What each option must be; any other key is refused. */
const checks: Record<keyof TokenRefreshOptions, Check> = {
  refresh: aFunction,
  name: [(value) => typeof value === 'string' && value !== '', 'a non-empty string'],
  crossTab: [isCrossTab, 'a boolean or { lock, channel, store }'],
  shouldRefresh: aFunction,
  refreshBeforeExpiryMs: milliseconds(0),
  // It is a timer's delay: beyond MAX_TIMER_MS it would fire at once.
  refreshTimeoutMs: milliseconds(1, MAX_TIMER_MS),
  isAuthorizedUrl: aFunction,
  authorize: aFunction,
  persistToken: [(value) => typeof value === 'boolean', 'a boolean'],
  holdRefreshToken: [(value) => typeof value === 'boolean', 'a boolean'],
  onSessionExpired: aFunction,
};

/** The default `isAuthorizedUrl`: the page's own origin (none where there is no `location`). */
export const sameOrigin = (url: URL): boolean => isSameOrigin(url.href);

/**
`sameOrigin` on a serialised URL, as `Request.url` is: its origin is the part before the path, which always
starts with `/` (userinfo, which the origin leaves out, makes it not match: no token). The request cycle uses
this for the default, so the happy path builds no `URL`.
*/
export const isSameOrigin = (url: string): boolean =>
  typeof location !== 'undefined' &&
  typeof location.origin === 'string' &&
  url.startsWith(`${location.origin}/`);

/** The default `shouldRefresh`. */
export const isUnauthorized = (response: Response): boolean => response.status === 401;

/** The `Authorization` value the default `authorize` sets. */
export const bearerValue = (token: string): string => `Bearer ${token}`;

/** The default `authorize`. */
export const bearer = (request: Request, token: string): void => {
  request.headers.set('Authorization', bearerValue(token));
};

/** Every option's default (`onSessionExpired` has none). */
const defaults: Omit<NormalizedOptions, 'refresh' | 'onSessionExpired'> = {
  name: 'ky-token-refresh',
  crossTab: true,
  shouldRefresh: isUnauthorized,
  refreshBeforeExpiryMs: 30_000,
  refreshTimeoutMs: 10_000,
  isAuthorizedUrl: sameOrigin,
  authorize: bearer,
  persistToken: true,
  holdRefreshToken: false,
};

/** Validate once, up front; every error names the bad option. An option set to `undefined` takes its default. */
export const normalizeOptions = (options: TokenRefreshOptions): NormalizedOptions => {
  if (typeof options !== 'object' || options === null)
    fail('createTokenRefresh(options) needs an options object.');
  const normalized: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    // Own keys only: `toString`, `constructor`, … are unknown options like any other.
    const check = Object.hasOwn(checks, key)
      ? checks[key as keyof TokenRefreshOptions]
      : fail(`Unknown option \`${key}\`.`);
    if (value === undefined) continue;
    if (!check[0](value)) {
      fail(`\`${key}\` must be ${check[1]}, got ${typeof value === 'number' ? value : typeof value}.`);
    }
    normalized[key] = value;
  }
  if (options.refresh === undefined)
    fail('`refresh` must be a function that resolves to the new access token.');
  if (normalized.holdRefreshToken === true && normalized.persistToken === false)
    // The shared store is where other tabs and processes read the refresh token.
    fail('`holdRefreshToken` needs `persistToken`.');
  return normalized as unknown as NormalizedOptions;
};
