import { randomBytes } from 'node:crypto';
import type {
  AcquireResult,
  CoalesceStore,
  CompleteRequest,
  CompleteResult,
  TakeoverAfterSend,
} from './types.ts';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

interface Track {
  issuedAt: number | null;
  rotatedAt: number | null;
  late: number;
}

/** Entries kept at most per map; the oldest go first (bounds memory under a flood of distinct tokens). */
const MAX_ENTRIES = 200_000;

/**
 * The embedded store for one instance: the same protocol as Redis over Maps, with the same expiry rules.
 * Not shared: N instances with N memory stores coalesce nothing between them.
 */
export class MemoryStore implements CoalesceStore {
  readonly kind = 'memory';
  readonly shared = false;
  readonly #locks = new Map<string, Expiring<string>>();
  readonly #results = new Map<string, Expiring<string>>();
  readonly #tracks = new Map<string, Expiring<Track>>();
  /** Keys whose lease holder took the token upstream and has not completed (see `CoalesceStore`). */
  readonly #sent = new Map<string, Expiring<true>>();
  readonly #now: () => number;
  #fence = 0;
  /** Leases are `<fence>:<owner>`: the fence alone is unique in one store; the owner marks this store's. */
  readonly #owner = randomBytes(8).toString('hex');
  #onDone: ((key: string, sealed: string) => void) | undefined;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async start(onDone: (key: string, sealed: string) => void): Promise<void> {
    this.#onDone = onDone;
  }

  async acquire(
    key: string,
    leaseMs: number,
    trackTtlMs: number,
    take = true,
    afterSend: TakeoverAfterSend = 'fail',
  ): Promise<AcquireResult> {
    const now = this.#now();
    const result = this.#live(this.#results, key, now);
    if (result !== undefined)
      return { kind: 'answer', sealed: result, lateCount: this.#late(key, now, trackTtlMs) };
    if (this.#live(this.#locks, key, now) !== undefined) return { kind: 'busy' };
    if (!take) return { kind: 'free' };
    if (afterSend === 'fail' && this.#live(this.#sent, key, now) !== undefined) return { kind: 'unknown' };
    this.#set(this.#sent, key, true, now + trackTtlMs);
    this.#fence += 1;
    const lease = `${this.#fence}:${this.#owner}`;
    this.#set(this.#locks, key, lease, now + leaseMs);
    const track = this.#live(this.#tracks, key, now);
    return {
      kind: 'lease',
      lease,
      fence: this.#fence,
      issuedAt: track?.issuedAt ?? null,
      lateCount: this.#late(key, now, trackTtlMs),
    };
  }

  async renew(key: string, lease: string, leaseMs: number): Promise<boolean> {
    const now = this.#now();
    if (this.#live(this.#locks, key, now) !== lease) return false;
    this.#set(this.#locks, key, lease, now + leaseMs);
    return true;
  }

  async complete(request: CompleteRequest): Promise<CompleteResult> {
    const { key, lease, sealed, ttlMs, now } = request;
    const owned = this.#live(this.#locks, key, now) === lease;
    if (owned) this.#locks.delete(key);
    let stored = false;
    if (ttlMs > 0 && (owned || this.#live(this.#results, key, now) === undefined)) {
      this.#set(this.#results, key, sealed, now + ttlMs);
      stored = true;
    }
    if (request.rotatedTo !== null) {
      const expiresAt = now + request.trackTtlMs;
      const parent = this.#live(this.#tracks, key, now) ?? { issuedAt: null, rotatedAt: null, late: 0 };
      parent.rotatedAt ??= now;
      this.#set(this.#tracks, key, parent, expiresAt);
      const child = this.#live(this.#tracks, request.rotatedTo, now) ?? {
        issuedAt: null,
        rotatedAt: null,
        late: 0,
      };
      child.issuedAt ??= now;
      this.#set(this.#tracks, request.rotatedTo, child, expiresAt);
    }
    this.#sent.delete(key);
    this.#onDone?.(key, sealed);
    return { owned, stored };
  }

  healthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.#onDone = undefined;
  }

  #late(key: string, now: number, trackTtlMs: number): number {
    const track = this.#live(this.#tracks, key, now);
    if (track === undefined || track.rotatedAt === null) return 0;
    track.late += 1;
    this.#set(this.#tracks, key, track, now + trackTtlMs);
    return track.late;
  }

  #live<T>(map: Map<string, Expiring<T>>, key: string, now: number): T | undefined {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #set<T>(map: Map<string, Expiring<T>>, key: string, value: T, expiresAt: number): void {
    map.delete(key);
    map.set(key, { value, expiresAt });
    if (map.size > MAX_ENTRIES) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}
