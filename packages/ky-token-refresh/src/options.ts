import type { Adapters, RefreshResult } from './core/types.js';
import type { SessionExpiredError } from './errors/session-expired-error.js';

/** What `refresh` receives. */
export interface RefreshContext {
  /**
  Aborts when the refresh times out. Pass it to the refresh request: it also tells the hooks that this
  request is the refresh itself, so it never waits on (or triggers) a refresh, even when it is sent with
  the same ky instance.
  */
  readonly signal: AbortSignal;
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
  the token's lifetime. `0` turns proactive refresh off. Opaque tokens are refreshed on 401 only.
  @default 30_000
  */
  refreshBeforeExpiryMs?: number;
  /**
  Upper bound on waiting for the cross-tab lock, and on the `refresh()` call.
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
  /** Called once per tab when the session ends because a refresh was refused (not on `logout()`). */
  onSessionExpired?: (error: SessionExpiredError) => void;
}

/** The options after validation, with every default filled in. */
export interface NormalizedOptions
  extends Required<Omit<TokenRefreshOptions, 'onSessionExpired' | 'crossTab'>> {
  crossTab: boolean | Partial<Adapters>;
  onSessionExpired: TokenRefreshOptions['onSessionExpired'];
}

const optionNames = new Set([
  'refresh',
  'name',
  'crossTab',
  'shouldRefresh',
  'refreshBeforeExpiryMs',
  'refreshTimeoutMs',
  'isAuthorizedUrl',
  'authorize',
  'persistToken',
  'onSessionExpired',
]);

const adapterMethods = {
  lock: ['request'],
  channel: ['post', 'subscribe', 'close'],
  store: ['get', 'update'],
};

const fail = (message: string): never => {
  throw new TypeError(message);
};

const checkFunction = (value: unknown, name: string): void => {
  if (value !== undefined && typeof value !== 'function')
    fail(`\`${name}\` must be a function, got ${typeof value}.`);
};

const checkDuration = (value: unknown, name: string, min: number): void => {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < min)) {
    fail(`\`${name}\` must be a finite number of milliseconds >= ${min}, got ${String(value)}.`);
  }
};

const sameOrigin = (url: URL): boolean =>
  typeof location !== 'undefined' && typeof location.origin === 'string' && url.origin === location.origin;

const bearer = (request: Request, token: string): void => {
  request.headers.set('Authorization', `Bearer ${token}`);
};

/** Validate once, up front; every error names the bad option. */
export const normalizeOptions = (options: TokenRefreshOptions): NormalizedOptions => {
  if (typeof options !== 'object' || options === null)
    fail('createTokenRefresh(options) needs an options object.');
  for (const key of Object.keys(options)) {
    if (!optionNames.has(key)) fail(`Unknown option \`${key}\`.`);
  }
  if (typeof options.refresh !== 'function')
    fail('`refresh` must be a function that resolves to the new access token.');
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    fail('`name` must be a non-empty string.');
  }
  const { crossTab } = options;
  if (crossTab !== undefined && typeof crossTab !== 'boolean') {
    if (typeof crossTab !== 'object' || crossTab === null)
      fail('`crossTab` must be a boolean or { lock, channel, store }.');
    for (const [key, value] of Object.entries(crossTab)) {
      const methods = adapterMethods[key as keyof typeof adapterMethods];
      if (!methods) fail(`Unknown adapter \`crossTab.${key}\` (expected lock, channel or store).`);
      for (const method of methods) {
        if (typeof (value as unknown as Record<string, unknown> | null)?.[method] !== 'function') {
          fail(`\`crossTab.${key}\` must have a \`${method}\` method.`);
        }
      }
    }
  }
  checkFunction(options.shouldRefresh, 'shouldRefresh');
  checkFunction(options.isAuthorizedUrl, 'isAuthorizedUrl');
  checkFunction(options.authorize, 'authorize');
  checkFunction(options.onSessionExpired, 'onSessionExpired');
  checkDuration(options.refreshBeforeExpiryMs, 'refreshBeforeExpiryMs', 0);
  checkDuration(options.refreshTimeoutMs, 'refreshTimeoutMs', 1);
  if (options.persistToken !== undefined && typeof options.persistToken !== 'boolean') {
    fail('`persistToken` must be a boolean.');
  }
  return {
    refresh: options.refresh,
    name: options.name ?? 'ky-token-refresh',
    crossTab: options.crossTab ?? true,
    shouldRefresh: options.shouldRefresh ?? ((response) => response.status === 401),
    refreshBeforeExpiryMs: options.refreshBeforeExpiryMs ?? 30_000,
    refreshTimeoutMs: options.refreshTimeoutMs ?? 10_000,
    isAuthorizedUrl: options.isAuthorizedUrl ?? sameOrigin,
    authorize: options.authorize ?? bearer,
    persistToken: options.persistToken ?? true,
    onSessionExpired: options.onSessionExpired,
  };
};
