/**
 * The refresh-token rules as pure, synchronous functions over {@link ServerState}: they run inside an atomic
 * storage update (which must be synchronous for IndexedDB), so every input that needs async work (hashing,
 * minting) is prepared beforehand and passed in.
 */
import type { AuthServerConfig } from './config.ts';
import type { RefreshTokenRecord, ServerState } from './state.ts';
import { bump } from './stats.ts';

/** Why a refresh was refused with 400 invalid_grant. */
export type RefreshFailureReason =
  /** No refresh cookie on the request. */
  | 'missing_token'
  /** The token was never issued here (garbage, or pruned long ago). */
  | 'unknown_token'
  /** The token's own lifetime (refreshTtlMs) is over. */
  | 'expired'
  /** The token's family was revoked (reuse detected earlier, or logout). */
  | 'family_revoked'
  /** A later sibling displaced this token (graceMode displace). */
  | 'displaced'
  /** A used token outside the grace window, reuse detection off: refused, family kept. */
  | 'reused'
  /** A used token outside the grace window, reuse detection on: refused, family revoked. */
  | 'reuse_detected';

/** A refresh-token value with its hash, minted before the atomic step. */
export interface MintedToken {
  token: string;
  hash: string;
}

/** What the check step decided for a presented token. */
export type RefreshDecision =
  | { type: 'fail'; reason: RefreshFailureReason; familyId: string | null }
  /** Unused token: consume it and mint its first child. */
  | { type: 'rotate'; familyId: string }
  /** Just-rotated parent inside the grace window. */
  | { type: 'grace'; familyId: string }
  /** Rotation off: the token stays valid and is not replaced. */
  | { type: 'keep'; familyId: string };

/** Everything the apply step may hand out. */
export interface RefreshCandidates {
  /** The token presented, hashed. */
  presentedHash: string;
  /** HMAC-derived child of the presented token: stable, so same-child can hand it out again. */
  derivedChild: MintedToken;
  /** A fresh random child. */
  randomChild: MintedToken;
}

/** Result of a refresh as seen by the transport. */
export type RefreshOutcome =
  | {
      ok: true;
      kind: 'rotated' | 'grace' | 'kept';
      familyId: string;
      sub: string;
      /** The refresh token to set in the cookie: a child, or the presented token when rotation is off. */
      refreshToken: string | null;
      refreshExpiresAt: number;
    }
  | { ok: false; reason: RefreshFailureReason };

function withinGrace(state: ServerState, record: RefreshTokenRecord, now: number): boolean {
  const { graceMs } = state.config;
  if (graceMs <= 0 || record.usedAt === null || now - record.usedAt >= graceMs) return false;
  // One token back only: once any child was itself rotated, the parent is two tokens back.
  return record.childHashes.every((hash) => state.tokens[hash]?.usedAt == null);
}

/** The check step: classifies the presented token against the state. Does not modify the state. */
export function checkRefresh(state: ServerState, presentedHash: string, now: number): RefreshDecision {
  const record = state.tokens[presentedHash];
  if (record === undefined) return { type: 'fail', reason: 'unknown_token', familyId: null };
  const { familyId } = record;
  const family = state.families[familyId];
  if (family === undefined || family.revoked !== null)
    return { type: 'fail', reason: 'family_revoked', familyId };
  if (record.expiresAt <= now) return { type: 'fail', reason: 'expired', familyId };
  if (record.displacedAt !== null) return { type: 'fail', reason: 'displaced', familyId };
  if (!state.config.rotation) return { type: 'keep', familyId };
  if (record.usedAt === null) return { type: 'rotate', familyId };
  if (withinGrace(state, record, now)) return { type: 'grace', familyId };
  return {
    type: 'fail',
    reason: state.config.reuseDetection ? 'reuse_detected' : 'reused',
    familyId,
  };
}

function usesDerivedChild(config: AuthServerConfig): boolean {
  return config.graceMode === 'same-child' && config.graceMs > 0;
}

function addChild(
  state: ServerState,
  parentHash: string,
  parent: RefreshTokenRecord,
  child: MintedToken,
  now: number,
): number {
  const expiresAt = now + state.config.refreshTtlMs;
  if (!parent.childHashes.includes(child.hash)) parent.childHashes.push(child.hash);
  state.tokens[child.hash] ??= {
    familyId: parent.familyId,
    parentHash,
    issuedAt: now,
    expiresAt,
    usedAt: null,
    childHashes: [],
    displacedAt: null,
  };
  return state.tokens[child.hash]!.expiresAt;
}

function fail(state: ServerState, reason: RefreshFailureReason, familyId: string | null): RefreshOutcome {
  bump(state.stats.refreshFailures, reason);
  if (reason === 'reuse_detected') {
    state.stats.reuseDetections += 1;
    const family = familyId === null ? undefined : state.families[familyId];
    if (family !== undefined && family.revoked === null) {
      family.revoked = 'reuse_detected';
      state.stats.familyRevocations += 1;
    }
  }
  return { ok: false, reason };
}

/**
 * The apply step: carries out a decision, mutating `state` (a copy owned by the storage update).
 * With `atomic: false` the decision comes from an earlier snapshot and is applied without re-checking, which
 * is exactly the lost-update bug of read-then-write servers.
 */
export function applyRefresh(
  state: ServerState,
  decision: RefreshDecision,
  candidates: RefreshCandidates,
  now: number,
): RefreshOutcome {
  if (decision.type === 'fail') return fail(state, decision.reason, decision.familyId);
  const { presentedHash } = candidates;
  const parent = state.tokens[presentedHash];
  const family = state.families[decision.familyId];
  if (parent === undefined || family === undefined) return fail(state, 'unknown_token', null);
  const success = (kind: 'rotated' | 'grace' | 'kept', child: MintedToken | null, expiresAt: number) =>
    ({
      ok: true,
      kind,
      familyId: decision.familyId,
      sub: family.sub,
      refreshToken: child?.token ?? null,
      refreshExpiresAt: expiresAt,
    }) as const;

  switch (decision.type) {
    case 'keep':
      return success('kept', null, parent.expiresAt);
    case 'rotate': {
      parent.usedAt ??= now;
      state.stats.rotations += 1;
      const child = usesDerivedChild(state.config) ? candidates.derivedChild : candidates.randomChild;
      return success('rotated', child, addChild(state, presentedHash, parent, child, now));
    }
    case 'grace': {
      state.stats.graceHits += 1;
      const { graceMode } = state.config;
      if (graceMode === 'same-child') {
        const child = candidates.derivedChild;
        return success('grace', child, addChild(state, presentedHash, parent, child, now));
      }
      if (graceMode === 'displace') {
        for (const hash of parent.childHashes) {
          const sibling = state.tokens[hash];
          if (sibling !== undefined) sibling.displacedAt ??= now;
        }
      }
      const child = candidates.randomChild;
      return success('grace', child, addChild(state, presentedHash, parent, child, now));
    }
  }
}
