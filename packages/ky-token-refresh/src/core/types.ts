/**
What is known about the current access token. `generation` grows by one each time the token changes
(login, refresh, logout) in any tab; requests remember the generation they were sent with.
*/
export interface TokenRecord {
  /** Monotonic counter shared by all tabs. `0` before anything happened. */
  readonly generation: number;
  /** The access token, or `null` when logged out / no token yet. */
  readonly token: string | null;
  /** Local clock time (ms since epoch) at which the token stops being valid, when known. */
  readonly expiresAt?: number | undefined;
  /** Local clock time (ms since epoch) at which the token was obtained, when known. */
  readonly issuedAt?: number | undefined;
  /**
  With `holdRefreshToken`: the refresh token that goes with this record (the one `refresh()` or `setToken()`
  gave, or, when a refresh answered none, the one it refreshed with). It is stored with the record and
  replaced only by the compare-and-set of the next generation, so a refresh token that rotated is never
  presented again by anyone sharing the record. It is never put in events, errors, `stats()` or channel
  messages: another tab or process reads it from the store, under the lock.
  */
  readonly refreshToken?: string | undefined;
  /** With `token: null`: why there is no token (`logout()`, or a refused refresh). */
  readonly reason?: 'logout' | 'expired' | undefined;
  /**
  `persistToken: false`: a token exists for this generation but was kept out of the store; tabs that
  need it ask their peers over the channel.
  */
  readonly withheld?: boolean | undefined;
  /**
  The session the record belongs to: when the login (`setToken()`) or `logout()` it descends from was called,
  as `2 × Date.now()` of that call, plus 1 for a logout (so a logout wins over a login called in the same
  millisecond); a refresh keeps the epoch of the record it refreshed; `0` (or absent) before any. Records
  are ordered by epoch, then generation, the same way in every tab (every tab of a browser reads one clock):
  a login or logout called later wins over whatever the tabs or the store did meanwhile, whichever write
  reached the store last, and a refresh answer of the session a logout ended never outranks that logout.
  */
  readonly epoch?: number | undefined;
}

/**
What a lock with a lease tells the task it runs (a lock without one, such as Web Locks, tells nothing: a tab
that dies releases it at once).
*/
export interface LockGrant {
  /**
  Aborts, with an Error that says why, when the lock is lost while the task runs: its lease ran out under a
  holder paused past it (SIGSTOP, a laptop lid, a blocked event loop), and another holder may have taken
  it. Nothing irreversible (a refresh) may be sent after it aborts.
  */
  readonly lost?: AbortSignal;
  /**
  Whether the lock is still held, by this holder's clock, now: a synchronous check for just before an
  irreversible step (a holder resumed after a pause may run on before its renewal timer fires). Once it
  answers false, `lost` is aborted too.
  */
  readonly held?: () => boolean;
  /**
  The lock was taken over from a holder whose lease ran out (it died, or stalled, holding it): what that
  holder was doing, a refresh sent to the server perhaps, has an unknown outcome.
  */
  readonly tookOver?: boolean;
}

/**
A mutual-exclusion lock across every tab that shares the `name` (Web Locks in the browser).
*/
export interface Lock {
  /**
  Run `task` while holding the lock and resolve with its result. Releases the lock when `task` settles.
  Must reject with `signal.reason` if `signal` aborts before the lock is granted. A lock with a lease passes
  the task a `LockGrant`.
  */
  request<T>(task: (grant?: LockGrant) => Promise<T>, options: { signal: AbortSignal }): Promise<T>;
}

/** Messages exchanged between tabs. Unknown or malformed messages are ignored. */
export type ChannelMessage =
  | {
      type: 'token';
      generation: number;
      epoch?: number | undefined;
      tabId: string;
      /** Absent when the sender chose to share only the generation (receivers read the store). */
      token?: string | undefined;
      expiresAt?: number | undefined;
      issuedAt?: number | undefined;
    }
  | {
      type: 'logout';
      generation: number;
      epoch?: number | undefined;
      tabId: string;
      reason: 'logout' | 'expired';
    }
  /** `persistToken: false`: a tab asks whoever holds the token of `generation` (and `epoch`) to broadcast it. */
  | { type: 'ask'; generation: number; epoch?: number | undefined; tabId: string }
  /**
  A tab that has just read the store says which version it holds; a tab holding a newer one (a login or
  logout whose store write failed) broadcasts it.
  */
  | { type: 'hello'; generation: number; epoch?: number | undefined; tabId: string };

/** A message bus to every other tab (and every other instance) with the same `name`. */
export interface Channel {
  /** Send to every other listener; never delivered back to the sender. */
  post(message: ChannelMessage): void;
  /** Listen; returns the function that stops listening. */
  subscribe(listener: (message: ChannelMessage) => void): () => void;
  /** Release the underlying resources. */
  close(): void;
}

/** The record shared by all tabs (IndexedDB in the browser). */
export interface Store {
  get(): Promise<TokenRecord | undefined>;
  /** Atomic read-modify-write: `updater` sees the current value and returns the new one. */
  update(updater: (current: TokenRecord | undefined) => TokenRecord): Promise<TokenRecord>;
}

/** The three adapters the coordinator runs on. Every one can be injected through `crossTab`. */
export interface Adapters {
  lock: Lock;
  channel: Channel;
  store: Store;
}

export type TokenRefreshEventType =
  | 'refresh:start'
  | 'refresh:success'
  | 'refresh:adopted'
  | 'refresh:failure'
  | 'lock:wait'
  | 'lock:acquired'
  | 'token:received'
  | 'request:replayed'
  | 'session:expired'
  | 'logout';

/** One observable step of the protocol. Never carries a token. */
export interface TokenRefreshEvent {
  readonly type: TokenRefreshEventType;
  /** The token generation the step is about (the new one for success/adopted/received). */
  readonly generation: number;
  /** `Date.now()` when it happened. */
  readonly at: number;
  /** Random id of the tab (instance) that emitted it. */
  readonly tabId: string;
  /** For `refresh:failure`: the error's `code`, or `'ERR_REFRESH_FAILED'`. */
  readonly code?: string | undefined;
  /** For `request:replayed`: `METHOD origin+path` of the replayed request (no query, no headers). */
  readonly request?: string | undefined;
}

/** Counters since the instance was created. */
export interface TokenRefreshStats {
  /** `refresh()` calls this tab made (network refreshes). */
  refreshes: number;
  /** Times this tab took a token another tab (or instance) had refreshed, instead of refreshing. */
  adopted: number;
  /** Requests replayed after a 401. */
  replays: number;
  /** Failed refreshes (transient or definitive). */
  failures: number;
  /**
  Refreshes of this instance refused (400/401, `invalid_grant`) while another tab or process had already
  rotated the token: a lost race, caught (this instance took the newer record instead). The rate to watch
  is `conflicts / refreshes` (refresh-proxy alerts above 5%); coordinated clients keep it at 0 unless the
  store fails.
  */
  conflicts: number;
  /**
  The most `refresh()` calls this instance made from one version: 1 when each refresh succeeds at once, one
  more for each attempt after a transient failure. Above 3, a client is retrying in a loop.
  */
  maxAttempts: number;
  /**
  With `holdRefreshToken`: how long the refresh token this instance last rotated had been in use, from the
  record that brought it to the refresh that replaced it (ms). `undefined` before the first rotation.
  */
  refreshTokenLifetimeMs: number | undefined;
  /**
  With `holdRefreshToken`: refreshes refused for good right after this instance took the lock over from a
  holder whose lease ran out (a process that died or stalled inside its refresh). That holder's refresh most
  likely reached the server, which rotated the refresh token, and the answer died with it: the rotation was
  lost, and the session ends (`SessionExpiredError`). A server with a grace window answers the takeover
  instead, and nothing is counted. Anything above 0 is worth an alert: processes are being killed mid-refresh.
  */
  lostRotations: number;
}

/**
What `refresh` may resolve to (and `setToken` takes): the access token, or the token with its expiry and,
with `holdRefreshToken`, the refresh token the server issued with it (RFC 6749 section 6: a server that
rotates answers a new one; one that does not leaves it out, and the record keeps the one it had).
*/
export type RefreshResult =
  | string
  | {
      accessToken: string;
      expiresAt?: number | Date | undefined;
      /** The new refresh token (needs `holdRefreshToken`). */
      refreshToken?: string | undefined;
    };
