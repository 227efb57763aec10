import { createStore, type UseStore, update } from 'idb-keyval';
import type { Lock, LockGrant } from '../core/types.js';
import { abortableSleep } from './abortable-sleep.js';

interface Lease {
  readonly owner: string | null;
  /** `Date.now()` after which the lease is free, whoever holds it. */
  readonly expires: number;
}

export interface LeaseLockOptions {
  /** How long a lease lasts without renewal; a holder that dies frees the lock after this long. */
  leaseMs?: number;
  /** How often the holder renews its lease while the task runs. Default: a third of `leaseMs`. */
  renewMs?: number;
  /** First and last delay between attempts while the lock is taken (exponential backoff, jittered). */
  minPollMs?: number;
  maxPollMs?: number;
  /** Upper bound on waiting, whatever the signal: rejects with an Error after this long. */
  maxWaitMs?: number;
}

const KEY = 'lease';

const randomId = (): string => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;

/**
A Lock for where `navigator.locks` is missing (insecure context, old browsers): a lease in IndexedDB
(database `${name}-lock-db`), taken with an atomic compare-and-set (one readwrite transaction, idb-keyval
`update()`): free or expired → mine for `leaseMs`. The holder renews it while the task runs and frees it
when the task settles; a holder that dies stops renewing and the lease expires. Waiters poll with a
jittered exponential backoff, stop at once when their signal aborts, and give up after `maxWaitMs`.

Mutual exclusion holds as long as the holder's renewal timer runs at least once per `leaseMs` (a frozen
tab whose timers stop longer than that loses its lease).
*/
export class LeaseLock implements Lock {
  readonly #name: string;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #minPollMs: number;
  readonly #maxPollMs: number;
  readonly #maxWaitMs: number;
  #db: UseStore | undefined;

  constructor(name: string, options: LeaseLockOptions = {}) {
    this.#name = name;
    this.#leaseMs = options.leaseMs ?? 5000;
    this.#renewMs = options.renewMs ?? Math.max(50, Math.floor(this.#leaseMs / 3));
    this.#minPollMs = options.minPollMs ?? 15;
    this.#maxPollMs = options.maxPollMs ?? 300;
    this.#maxWaitMs = options.maxWaitMs ?? 60_000;
  }

  #store(): UseStore {
    this.#db ??= createStore(`${this.#name}-lock-db`, 'lease');
    return this.#db;
  }

  /**
  Compare-and-set: take the lease if it is free, expired, or already `owner`'s. Resolves to the expiry it
  set and whether it took the lease over from a holder whose lease ran out (`undefined`: not taken).
  */
  async #tryTake(owner: string): Promise<{ expires: number; tookOver: boolean } | undefined> {
    let taken: { expires: number; tookOver: boolean } | undefined;
    await update<Lease>(
      KEY,
      (current) => {
        const now = Date.now();
        const tookOver = !!current?.owner && current.owner !== owner && current.expires <= now;
        taken =
          !current || current.owner === null || current.owner === owner || tookOver
            ? { expires: now + this.#leaseMs, tookOver }
            : undefined;
        return taken ? { owner, expires: taken.expires } : (current as Lease);
      },
      this.#store(),
    );
    return taken;
  }

  /** Renew the lease if `owner` still holds it: the new expiry, else `undefined` (another owner has it). */
  async #renew(owner: string): Promise<number | undefined> {
    let expires: number | undefined;
    await update<Lease>(
      KEY,
      (current) => {
        if (current?.owner !== owner) return current as Lease;
        expires = Date.now() + this.#leaseMs;
        return { owner, expires };
      },
      this.#store(),
    );
    return expires;
  }

  async #release(owner: string): Promise<void> {
    await update<Lease>(
      KEY,
      (current) => (current?.owner === owner ? { owner: null, expires: 0 } : (current as Lease)),
      this.#store(),
    );
  }

  /**
  Run `task` holding the lease. It is told `tookOver` (the lease was taken from a holder whose lease ran out)
  and `lost`, which aborts when a renewal finds the lease gone: another owner has it, or this holder's timers
  stopped (a frozen tab) until it expired (told at the first tick after, before any I/O).
  */
  async request<T>(
    task: (grant: Required<LockGrant>) => Promise<T>,
    { signal }: { signal: AbortSignal },
  ): Promise<T> {
    if (signal.aborted) throw signal.reason;
    const owner = randomId();
    const deadline = Date.now() + this.#maxWaitMs;
    let delay = this.#minPollMs;
    let taken: { expires: number; tookOver: boolean } | undefined;
    for (;;) {
      try {
        taken = await this.#tryTake(owner);
      } catch {
        // A failed transaction took nothing; try again after the backoff.
      }
      if (signal.aborted) {
        if (taken) await this.#release(owner).catch(() => undefined);
        throw signal.reason;
      }
      if (taken) break;
      if (Date.now() >= deadline) {
        throw new Error(`Timed out after ${this.#maxWaitMs} ms waiting for the lease lock "${this.#name}".`);
      }
      await abortableSleep(delay * (0.5 + Math.random()), signal);
      delay = Math.min(this.#maxPollMs, delay * 2);
    }

    const lost = new AbortController();
    let expires = taken.expires;
    const lose = (why: string) => {
      clearInterval(renewal);
      lost.abort(new Error(`Lost the lease lock "${this.#name}": ${why}.`));
    };
    const held = () => {
      if (!lost.signal.aborted && Date.now() >= expires) lose('its lease ran out before it was renewed');
      return !lost.signal.aborted;
    };
    const renewal = setInterval(() => {
      if (!held()) return;
      this.#renew(owner).then(
        (renewed) => {
          if (renewed === undefined) lose('another owner holds it');
          else expires = renewed;
        },
        () => undefined,
      );
    }, this.#renewMs);
    try {
      return await task({ lost: lost.signal, held, tookOver: taken.tookOver });
    } finally {
      clearInterval(renewal);
      await this.#release(owner).catch(() => undefined);
    }
  }
}
