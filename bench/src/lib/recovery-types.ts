/** One measured round of a recovery benchmark (all times in ms, measured in that round). */
export interface RecoveryRound {
  /** One POST /auth/refresh round trip (cookie in, rotated cookie out). */
  refreshRttMs: number;
  /** One GET /api/* round trip with a valid token. */
  requestRttMs: number;
  /** The same burst (every tab, every request) with a valid token: no 401, no refresh. */
  burstMs: number;
  /** The burst right after the server expired every token: from the burst's start to the last request settled. */
  recoveryMs: number;
  requests: number;
  ok: number;
  /** `refresh:success` events, all tabs together (network refreshes by the library). */
  refreshes: number;
  /** Server counters over the recovery burst alone: rotations and refused refreshes (invalid_grant, csrf). */
  serverRotations: number;
  serverRefreshFailures: number;
  /** Holder's `refresh:success` → each other tab's first `refresh:adopted` / `token:received` (browser only). */
  propagationMs: number[];
}

export interface RecoverySummary {
  where: string;
  tabs: number;
  requestsPerTab: number;
  serverLatency: { refreshMs: number; apiMs: number };
  rounds: RecoveryRound[];
  /** Medians over the measured rounds. */
  median: {
    recoveryMs: number;
    recoveryP95Ms: number;
    refreshRttMs: number;
    requestRttMs: number;
    burstMs: number;
    /** refresh RTT + request RTT (the issue's physical floor). */
    floorMs: number;
    /** burst + refresh RTT + burst. */
    reactiveFloorMs: number;
  };
  /** Medians over the rounds of recovery ÷ floor, each floor measured in the same round. */
  ratio: {
    /** ÷ (refresh RTT + request RTT). */
    toFloor: number;
    /**
    ÷ (burst + refresh RTT + burst): what any client recovering on 401 must pay at this load — the burst that
    meets the 401s, one refresh, the burst replayed (the burst time, measured with a valid token, includes the
    server's per-request CPU and, in Chromium, the per-host connection limit).
    */
    toReactiveFloor: number;
  };
  totals: {
    requests: number;
    ok: number;
    failed: number;
    expiries: number;
    refreshes: number;
    serverRotations: number;
    serverRefreshFailures: number;
    sessionExpiredCalls: number;
  };
  propagation?: { samples: number; p50Ms: number; p95Ms: number; maxMs: number; resolutionMs: number };
  notes: string[];
}
