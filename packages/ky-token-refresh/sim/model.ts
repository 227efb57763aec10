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

export type Op =
  | { kind: 'burst'; tab: number; count: number; post: boolean; foreign: boolean }
  | { kind: 'expire' }
  | { kind: 'login'; tab: number }
  | { kind: 'logout'; tab: number }
  | { kind: 'open' }
  | { kind: 'crash'; tab: number }
  | { kind: 'freeze'; tab: number; forMs: number }
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
}
