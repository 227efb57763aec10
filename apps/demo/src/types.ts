/** Which client sends the burst: the ky README recipe, or ky-token-refresh. */
export type ClientKind = 'naive' | 'protected';

/** What a timeline entry records. `tab` lanes get client-side kinds, the `server` lane the mock's answers. */
export type EntryKind =
  | 'login'
  | 'logout'
  | 'burst:start'
  | 'burst:done'
  | 'api:401'
  | 'api:ok'
  | 'api:failed'
  | 'refresh:start'
  | 'refresh:success'
  | 'refresh:failure'
  | 'refresh:adopted'
  | 'lock:wait'
  | 'lock:acquired'
  | 'token:received'
  | 'request:replayed'
  | 'session:expired'
  | 'server:issued'
  /** Drawn instead of `server:issued` when the server has a grace window (the 200 may not be a rotation). */
  | 'server:issued-grace'
  | 'server:invalid_grant'
  | 'server:reuse_detected'
  | 'server:csrf'
  | 'server:login'
  | 'server:logout'
  | 'server:expire'
  /** The mock answered an API request (GET /api/*): drawn as its time in the server, not as a point. */
  | 'server:api';

/** One point on the shared timeline. Every tab keeps every tab's entries. */
export interface Entry {
  /** Unique: `${tabId}:${seq}`. */
  id: string;
  /** Demo tab that recorded it (for server entries: the tab whose request the mock answered). */
  tabId: string;
  tabLabel: string;
  lane: 'tab' | 'server';
  /** `Date.now()` when it happened. */
  at: number;
  kind: EntryKind;
  client: ClientKind;
  /** Extra words shown in the event list (a reason, a generation, an error). Never a token. */
  text?: string;
  /**
  For the mock's answers to POST /auth/refresh and to the API: when its handler got the request
  (`Date.now()`). From there to `at` is server time (the configured latency plus the mock's own work); drawn
  as a bar on the server lane.
  */
  since?: number;
  /** For `burst:start`: whether the tab had a session (an access token) when it fired. */
  session?: boolean;
  /** For `burst:done`. */
  ok?: number;
  failed?: number;
}

/** Counters read from GET /__mock/stats, as a difference over one run. */
export interface ServerDelta {
  refreshRequests: number;
  rotations: number;
  graceHits: number;
  reuseDetections: number;
  familyRevocations: number;
  invalidGrant: number;
  api401s: number;
  api200s: number;
  maxInFlightRefreshPerFamily: number;
}

/** One burst (in one tab or in all tabs); the time axis of its timeline starts at `t0`. */
export interface Run {
  id: string;
  number: number;
  t0: number;
  client: ClientKind;
  perTab: number;
  scope: 'tab' | 'all';
  originTabId: string;
  originLabel: string;
  /** Short description of the server knobs at the start, e.g. `strict · latency 200 ms`. */
  server: string;
  /** The server honours a used refresh token for a while (a 200 may be a grace hit, not a rotation). */
  grace: boolean;
  /** The refresh latency configured at the start (the part of the server time the mock waits on purpose). */
  latencyMs?: number;
  /** The same for the API requests. */
  apiLatencyMs?: number;
  /** Set by the originating tab once every tab answered. */
  serverDelta?: ServerDelta;
  endedAt?: number;
}

/** What `fireBurst` resolves with (one tab). */
export interface BurstResult {
  tabId: string;
  tabLabel: string;
  client: ClientKind;
  ok: number;
  failed: number;
  /** One line per failed request, e.g. `HTTPError 400 POST /auth/refresh invalid_grant reuse_detected`. */
  errors: string[];
  durationMs: number;
}

/** What `fireBurstAll` resolves with. */
export interface RunResult {
  runId: string;
  tabs: number;
  ok: number;
  failed: number;
  errors: string[];
  perTab: BurstResult[];
  /** Tabs that did not answer in time. */
  missing: string[];
  counters: RunCounters;
}

/** The counters shown per run. */
export interface RunCounters {
  ok: number;
  failed: number;
  refreshCalls: number;
  rotations: number;
  graceHits: number;
  invalidGrant: number;
  reuseDetections: number;
  forcedLogouts: number;
  /** Network refreshes started by the clients (from the timeline). */
  clientRefreshes: number;
  adopted: number;
}

/** The demo's UI settings; shared by every tab. */
export interface Settings {
  client: ClientKind;
  burst: number;
}
