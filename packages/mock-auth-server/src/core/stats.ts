import type { RefreshFailureReason } from './refresh-rules.ts';

/** Why a request to /api/* was answered 401. */
export type ApiFailureReason = 'missing_token' | 'expired' | 'invalid_token';

/** Counters the server keeps; read them with GET /__mock/stats or `server.stats()`. */
export interface AuthServerStats {
  /** Every POST /auth/refresh that reached the server, whatever its outcome. */
  refreshRequests: number;
  /** Refresh tokens consumed for the first time (an unused token rotated into a child). */
  rotations: number;
  /** Re-presentations of a just-rotated parent honoured inside the grace window. */
  graceHits: number;
  /** Used tokens presented outside the grace window while reuse detection was on. */
  reuseDetections: number;
  /** Families revoked, by reuse detection or by logout. */
  familyRevocations: number;
  /** Refresh calls that did not succeed, by reason (`csrf` for the 403 without X-Requested-With). */
  refreshFailures: Partial<Record<RefreshFailureReason | 'csrf', number>>;
  /** The most refresh calls of one family that were being processed at the same moment. */
  maxInFlightRefreshPerFamily: number;
  /** 401 answers from /api/*, by reason. */
  api401s: Partial<Record<ApiFailureReason, number>>;
  /** 200 answers from /api/*. */
  api200s: number;
  logins: number;
  logouts: number;
}

/** All counters at zero. */
export function emptyStats(): AuthServerStats {
  return {
    refreshRequests: 0,
    rotations: 0,
    graceHits: 0,
    reuseDetections: 0,
    familyRevocations: 0,
    refreshFailures: {},
    maxInFlightRefreshPerFamily: 0,
    api401s: {},
    api200s: 0,
    logins: 0,
    logouts: 0,
  };
}

/** Increments `counts[key]` in place. */
export function bump<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
