import type { AuthServerConfig } from './config.ts';
import { type AuthServerStats, emptyStats } from './stats.ts';

/** Why a family stopped being usable. */
export type RevocationReason = 'reuse_detected' | 'logout';

/** One login session: every refresh token minted from one login belongs to its family. The id is the `sid`. */
export interface FamilyRecord {
  sub: string;
  createdAt: number;
  revoked: RevocationReason | null;
  /** Refresh calls of this family being processed right now. */
  inFlight: number;
}

/** A refresh token, keyed by the SHA-256 of its value; the value itself is never stored. */
export interface RefreshTokenRecord {
  familyId: string;
  parentHash: string | null;
  issuedAt: number;
  expiresAt: number;
  /** When the token was first consumed (rotated); null while unused. */
  usedAt: number | null;
  /** Children minted from this token (several only with grace modes sibling/displace, or atomic:false). */
  childHashes: string[];
  /** Set when a later sibling displaced this token (graceMode displace). */
  displacedAt: number | null;
}

/** The whole server state. It is one structured-clonable record so a storage can update it atomically. */
export interface ServerState {
  version: 1;
  config: AuthServerConfig;
  stats: AuthServerStats;
  families: Record<string, FamilyRecord>;
  tokens: Record<string, RefreshTokenRecord>;
  /**
   * Access tokens carry this number in their `ep` claim; POST /__mock/expire increments it, and tokens with an
   * older `ep` are answered as expired. This is how the demo expires every tab's token at once.
   */
  accessEpoch: number;
}

/** A state with no sessions and zeroed stats. */
export function initialState(config: AuthServerConfig): ServerState {
  return { version: 1, config, stats: emptyStats(), families: {}, tokens: {}, accessEpoch: 0 };
}

/** Drops refresh-token records that expired longer than one refresh TTL ago, and families left empty. */
export function prune(state: ServerState, now: number): void {
  const horizon = now - state.config.refreshTtlMs;
  const liveFamilies = new Set<string>();
  for (const [hash, record] of Object.entries(state.tokens)) {
    if (record.expiresAt < horizon) delete state.tokens[hash];
    else liveFamilies.add(record.familyId);
  }
  for (const [id, family] of Object.entries(state.families)) {
    if (!liveFamilies.has(id) && family.inFlight === 0) delete state.families[id];
  }
}
