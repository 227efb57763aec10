/**
 * Shared state of the coalescing protocol, per store key (the HMAC of a refresh token):
 *
 * - lock    `rp:lock:<key>`  the lease of the request that goes upstream: `SET NX PX lease`, value = a fencing
 *                             token (a store-wide counter) and a random owner id; renewed while upstream runs.
 * - result  `rp:res:<key>`   the sealed answer, kept for the dedup window.
 * - wake    `rp:done:<key>`  published with the sealed answer when the upstream call ends.
 * - track   `rp:tok:<key>`   when the token was issued (seen in an answer) and rotated, and how often it was
 *                             presented after its rotation.
 * - sent    `rp:sent:<key>`  set with the lease (its holder sends the token upstream next), removed when an
 *                             answer completes it: found with no lease and no answer, its holder died after
 *                             (or while) sending, and the upstream may have rotated the token.
 *
 * Every method may throw {@link StoreUnavailableError}; none may hang (implementations bound every call).
 */
export interface CoalesceStore {
  /** `memory` (one process) or `redis`. */
  readonly kind: string;
  /** True when several processes can share it (then they must share the HMAC secret too). */
  readonly shared: boolean;
  /** Starts delivering wake-ups: `onDone(key, sealed)` for every answer published by any instance. */
  start(onDone: (key: string, sealed: string) => void): Promise<void>;
  /**
   * One step of a request: the stored answer if there is one, else the lease if it is free (taking it), else
   * `busy`. Counts the presentation when the token is known to be rotated already. With `take: false` a
   * free lease is reported as `free` and left alone. A free lease whose previous holder sent the token and
   * never completed is `unknown` (left alone) unless `afterSend` is `retry` (then taken, as any).
   */
  acquire(
    key: string,
    leaseMs: number,
    trackTtlMs: number,
    take?: boolean,
    afterSend?: TakeoverAfterSend,
  ): Promise<AcquireResult>;
  /** Extends the lease if `lease` still holds it; false when it was lost (expired, taken over). */
  renew(key: string, lease: string, leaseMs: number): Promise<boolean>;
  /**
   * Ends a lease: releases the lock if still held, stores `sealed` for `ttlMs` (0: do not store; a stale
   * owner never overwrites an answer stored by the owner that fenced it off), and publishes it. With
   * `rotatedTo`, records the rotation of `key` and the issue of the child key (for lifetimes).
   */
  complete(request: CompleteRequest): Promise<CompleteResult>;
  /** True when the last call succeeded (for /healthz). */
  healthy(): boolean;
  close(): Promise<void>;
}

export type AcquireResult =
  /** An answer is stored; `lateCount` counts presentations after the rotation (0 when not rotated). */
  | { kind: 'answer'; sealed: string; lateCount: number }
  /** The lease is ours. `issuedAt`: when the token was seen issued (null if never); `lateCount` as above. */
  | { kind: 'lease'; lease: string; fence: number; issuedAt: number | null; lateCount: number }
  | { kind: 'busy' }
  /** Only with `take: false`: no answer and no lease holder. */
  | { kind: 'free' }
  /** No answer, no lease holder, and the last holder sent the token upstream without completing. */
  | { kind: 'unknown' };

/**
What a request does with a token whose last holder died after sending it upstream (its outcome unknown):
`fail` answers 504 `refresh_outcome_unknown` and never sends it again (a strict upstream would see a reused
token and revoke the family); `retry` sends it again (only for an upstream with a grace window for a
just-rotated token: Okta, Auth0, Supabase).
*/
export type TakeoverAfterSend = 'fail' | 'retry';

export interface CompleteRequest {
  key: string;
  lease: string;
  sealed: string;
  /** How long to store the answer; 0 publishes only. */
  ttlMs: number;
  /** The store key of the refresh token the answer issued, when it rotated. */
  rotatedTo: string | null;
  trackTtlMs: number;
  now: number;
}

export interface CompleteResult {
  /** The lease was still ours (false: it expired or was taken over: a stale owner, fenced off). */
  owned: boolean;
  stored: boolean;
}
