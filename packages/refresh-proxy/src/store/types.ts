/**
 * Shared state of the coalescing protocol, per store key (the HMAC of a refresh token):
 *
 * - lock    `rp:lock:<key>`  the lease of the request that goes upstream: `SET NX PX lease`, value = a fencing
 *                             token (a store-wide counter) and a random owner id; renewed while upstream runs.
 * - result  `rp:res:<key>`   the sealed answer, kept for the dedup window.
 * - wake    `rp:done:<key>`  published with the sealed answer when the upstream call ends.
 * - track   `rp:tok:<key>`   when the token was issued (seen in an answer) and rotated, and how often it was
 *                             presented after its rotation.
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
   * free lease is reported as `free` and left alone.
   */
  acquire(key: string, leaseMs: number, trackTtlMs: number, take?: boolean): Promise<AcquireResult>;
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
  | { kind: 'free' };

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
