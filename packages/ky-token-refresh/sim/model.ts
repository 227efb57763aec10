/** The input of one schedule: the world's configuration, its faults and its operations. */
import type { PresetName } from '../../mock-auth-server/src/core/config.ts';
import type { StoreFault } from './adapters.js';

/** What a refresh request meets at the server, in the order refresh requests are sent. */
export type RefreshFault =
  | 'ok'
  /** 503 without touching the token. */
  | '5xx'
  /** fetch rejects (TypeError) before the request reaches the server. */
  | 'network'
  /** Never answers (until the caller aborts). */
  | 'hang'
  /** Rotates, but the answer arrives after refreshTimeoutMs. */
  | 'late'
  /** 400 invalid_grant: the server refuses (the family is revoked, as by an administrator). */
  | 'refuse';

/**
The door a request goes through: the ky hooks, or `auth.fetch` called with a URL string and a plain init
(its fast path while a token is held and not due), a `Request` (its general path), or an init that is not a
plain object (`Object.create(defaults)`: its properties are inherited, as `fetch` reads them).
*/
export type Door = 'ky' | 'fetch' | 'fetch-request' | 'fetch-proto';

/** The shape of a POST body (`json`: a JSON string, as before). */
export type BodyShape = 'json' | 'blob' | 'form' | 'params' | 'buffer' | 'typed' | 'stream';

/**
How the app's `refresh()` sends its request: `plain` (ky without the hooks, its own fetch), or through the
library's own doors with the signal handed to refresh(): `fetch` (auth.fetch), `ky` (a ky instance with
`auth.hooks`), or a signal derived from it: `fetch-any`/`ky-any` (`AbortSignal.any([signal])`),
`fetch-request` (`auth.fetch(new Request(url, {signal}))`, as openapi-fetch does).
*/
export type RefreshDoor = 'plain' | 'fetch' | 'ky' | 'fetch-any' | 'ky-any' | 'fetch-request';

/** The lock a tab runs on: the Web Locks model, or the library's `LeaseLock` (over the sim's IndexedDB). */
export type LockKind = 'web' | 'lease';

/** The channel a tab runs on: the BroadcastChannel model, or the library's `FallbackChannel` (each method). */
export type ChannelKind = 'native' | 'idb' | 'localstorage';

export type Op =
  | {
      kind: 'burst';
      tab: number;
      count: number;
      post: boolean;
      foreign: boolean;
      /** Default `ky`. */
      door?: Door;
      /** Default `json`. */
      body?: BodyShape;
    }
  | { kind: 'expire' }
  | { kind: 'login'; tab: number }
  | { kind: 'logout'; tab: number }
  | { kind: 'open' }
  | { kind: 'crash'; tab: number }
  /** `holder`: freeze the tab that holds the refresh lock at that moment, if one does (else `tab`). */
  | { kind: 'freeze'; tab: number; forMs: number; holder?: boolean }
  | { kind: 'abort'; tab: number }
  | { kind: 'dispose'; tab: number };

export interface TimedOp {
  /** Virtual ms after the previous operation. */
  gapMs: number;
  op: Op;
}

export interface WorldInput {
  tabs: number;
  preset: PresetName;
  atomic: boolean;
  accessTtlMs: number;
  refreshTimeoutMs: number;
  refreshBeforeExpiryMs: number;
  /** Upper bound of the /api/* and /auth/refresh latencies (each drawn below it). */
  maxLatencyMs: number;
  /** ky `retry` for the API calls (0, or ky's default). */
  retry: 0 | 2;
  /** Per tab (index mod length): its refresh() does not pass the signal on, so a late answer still lands. */
  ignoresSignal: boolean[];
  /** Store faults by the index of the store call (0 = the first call of the schedule, any tab). */
  storeFaults: { call: number; fault: StoreFault }[];
  /** Consumed one per refresh request; `ok` after. */
  refreshFaults: RefreshFault[];
  /** Extra delay of every channel message (virtual ms); 0 = none. */
  channelDelayMs: number;
  /** Latencies drawn from this seed (mulberry32). */
  latencySeed: number;
  ops: TimedOp[];
  /** `persistToken` of every tab (one app, one config). Default true. */
  persistToken?: boolean;
  /** Per tab (index mod length): how its refresh() sends its request. Default `plain`. */
  refreshVia?: RefreshDoor[];
  /** The server's clock minus the browser's (ms; the server's iat/exp are off by this). Default 0. */
  skewMs?: number;
  /** Access tokens carry `iat`. Default true. */
  iat?: boolean;
  /** Status of a refused refresh (400 invalid_grant, or 401). Default 400. */
  refusalStatus?: 400 | 401;
  /**
  The lock adapter of every tab (one browser has Web Locks or not: tabs on different locks would not
  exclude each other). Default `web`.
  */
  lock?: LockKind;
  /** `lock: 'lease'`: the lease of the library's `LeaseLock` (its default, 5000 ms, when absent). */
  leaseMs?: number;
  /** The channel adapter of every tab (likewise: a native and a fallback channel do not meet). Default `native`. */
  channel?: ChannelKind;
  /**
  `holdRefreshToken` of every tab (one app, one config; it needs `persistToken`, so it is off whenever that
  is): logins hand the tab `{ accessToken, refreshToken }` instead of setting the cookie, and refresh()
  presents `context.refreshToken` in its request body instead of the cookie. Default false.
  */
  holdRefreshToken?: boolean;
}

/** The world's own deliberate breakages (negative controls). Never in shipped code. */
export interface Sabotage {
  /** `crossTab: false`: every tab alone. */
  noCrossTab?: boolean;
  /**
  Known defects of the library to count instead of report (`item5`: onSessionExpired again in a tab
  that already expired, issue 8 item 5; `F3`: onSessionExpired in a tab whose own logout() is pending),
  so the rest can be checked green before their fixes land.
  */
  knownDefects?: ReadonlySet<string>;
  /** A lock that grants two holders at once. */
  lockCapacity?: number;
  /** A store whose `get` answers the record as it was one write earlier. */
  staleReads?: boolean;
  /** The world's global fetch drops `x-trace` when called as the fast path calls it (URL string + init). */
  fastPathDropsHeader?: boolean;
  /** The channel loses every `logout` message (a logout then reaches the other tabs only through the store). */
  lostLogout?: boolean;
  /**
  `holdRefreshToken`: the app's refresh() presents the refresh token of the tab's own last-known record (its
  own login's or its own last refresh answer's) instead of `context.refreshToken`, the one read under the lock.
  */
  staleRefreshToken?: boolean;
  /**
  `holdRefreshToken`: every `token` message carries the refresh token of the stored record it announces, as a
  library that broadcast its whole record would.
  */
  leakRefreshToken?: boolean;
  /**
  `lock: 'lease'`: the library is not told what the lease lock knows (no `lost`, `held` or `tookOver`): a
  holder frozen past its lease goes on as if it still held it.
  */
  deafLease?: boolean;
}
