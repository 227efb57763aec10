import { randomUUID } from 'node:crypto';
import { abortableSleep } from '../../adapters/abortable-sleep.js';
import { callSafely } from '../../core/report.js';
import type { Lock, LockGrant } from '../../core/types.js';
import { type RedisConnection, redisKeys } from './connection.js';

export interface RedisLockOptions {
  /**
  The lease, kept by Redis (`SET NX PX`, judged by Redis's clock): a holder that dies, or whose connection
  drops, frees the lock this long after its last renewal, never sooner.
  @default 10_000
  */
  leaseMs?: number;
  /** How often the holder renews its lease while the task runs. @default a third of `leaseMs` */
  renewMs?: number;
  /** First delay between attempts while the lock is taken; doubles (jittered) up to `maxPollMs`. @default 10 */
  minPollMs?: number;
  /** Longest delay between attempts (never past the lease's end, which Redis tells). @default 250 */
  maxPollMs?: number;
  /** Upper bound on waiting, whatever the signal: rejects with an Error naming the lock. @default 60_000 */
  maxWaitMs?: number;
  /** Called when the holder learns, while its task runs, that it lost the lock (see `LockGrant.lost`). */
  onLost?: (error: Error) => void;
}

// Take the lock if free; then note the owner in `holder` (with a long TTL: a day, or 100 leases), which only a
// release removes: found there at the next take, it is a holder that never released (a takeover). The fencing
// counter gets the same TTL: no key of the lock lives forever.
const TAKE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local previous = redis.call('GET', KEYS[2])
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
  local fence = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  return {fence, previous and 1 or 0}
end
return redis.call('PTTL', KEYS[1])
`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`;

/**
An exclusive lock between the processes, on any machine, that use the same Redis and `name`: the key
`{name}:lock` set with `SET NX PX` to a random owner id, renewed (`PEXPIRE`, only by its owner, in a script)
every `renewMs` while the task runs, deleted (only by its owner) when it settles.

- **Lease**: judged by Redis's clock (the key's TTL), never by the processes' clocks. The holder tells its
  task the lock is `held()` while less than `leaseMs` has passed on its own monotonic clock since it sent the
  last renewal Redis accepted (a duration, so a wall clock that is wrong or jumps changes nothing), and
  aborts `lost` when a renewal finds another owner or the lease ran out.
- **Takeover**: `tookOver` when the previous holder never released (its owner id is still in `{name}:holder`):
  it died or stalled holding the lock. Each take also increments `{name}:fence` (a fencing token).
- **Waiting**: attempts with a jittered exponential backoff from `minPollMs` to `maxPollMs`, never sleeping past
  the current lease's end (Redis answers its remaining TTL); the coordinator also stops waiting as soon as a
  newer record is announced on the channel. `signal` aborts the wait at once; `maxWaitMs` bounds it. Every key
  is in the hash slot of `{name}` (Redis Cluster).
*/
export class RedisLock implements Lock {
  readonly #client: RedisConnection;
  readonly #keys: ReturnType<typeof redisKeys>;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #minPollMs: number;
  readonly #maxPollMs: number;
  readonly #maxWaitMs: number;
  readonly #onLost: ((error: Error) => void) | undefined;

  constructor(client: RedisConnection, name: string, options: RedisLockOptions = {}) {
    this.#client = client;
    this.#keys = redisKeys(name);
    this.#leaseMs = options.leaseMs ?? 10_000;
    this.#renewMs = options.renewMs ?? Math.max(1, Math.floor(this.#leaseMs / 3));
    this.#minPollMs = options.minPollMs ?? 10;
    this.#maxPollMs = Math.max(this.#minPollMs, options.maxPollMs ?? 250);
    this.#maxWaitMs = options.maxWaitMs ?? 60_000;
    this.#onLost = options.onLost;
    for (const [option, value] of Object.entries({
      leaseMs: this.#leaseMs,
      renewMs: this.#renewMs,
      maxWaitMs: this.#maxWaitMs,
    })) {
      if (!Number.isSafeInteger(value) || value <= 0)
        throw new TypeError(`\`${option}\` of the Redis lock must be a positive whole number of ms.`);
    }
  }

  async request<T>(
    task: (grant: Required<LockGrant>) => Promise<T>,
    { signal }: { signal: AbortSignal },
  ): Promise<T> {
    if (signal.aborted) throw signal.reason;
    const owner = randomUUID();
    const { lock, holder, fence } = this.#keys;
    const deadline = performance.now() + this.#maxWaitMs;
    let delay = this.#minPollMs;
    let taken: { at: number; tookOver: boolean } | undefined;
    while (!taken) {
      const sentAt = performance.now();
      const reply = await this.#client.eval(TAKE, {
        keys: [lock, holder, fence],
        arguments: [owner, String(this.#leaseMs), String(Math.max(this.#leaseMs * 100, 86_400_000))],
      });
      if (Array.isArray(reply)) taken = { at: sentAt, tookOver: Number(reply[1]) === 1 };
      if (signal.aborted) {
        if (taken) await this.#release(owner).catch(() => undefined);
        throw signal.reason;
      }
      if (taken) break;
      const now = performance.now();
      if (now >= deadline)
        throw new Error(`Timed out after ${this.#maxWaitMs} ms waiting for the Redis lock ${lock}.`);
      const leaseLeft = Number(reply) > 0 ? Number(reply) : delay;
      await abortableSleep(Math.min(delay * (0.5 + Math.random()), leaseLeft + 1, deadline - now), signal);
      delay = Math.min(this.#maxPollMs, delay * 2);
    }

    const lost = new AbortController();
    let renewedAt = taken.at;
    let done = false;
    const lose = (why: string) => {
      if (done || lost.signal.aborted) return;
      clearInterval(renewal);
      const error = new Error(`Lost the Redis lock ${lock}: ${why}.`);
      lost.abort(error);
      if (this.#onLost) callSafely(this.#onLost, error);
    };
    // By this holder's monotonic clock since the last renewal Redis accepted was sent: Redis, which set the
    // TTL later, frees the lock no sooner than this says.
    const held = () => {
      if (performance.now() - renewedAt >= this.#leaseMs)
        lose(`its lease (${this.#leaseMs} ms) ran out before it was renewed`);
      return !done && !lost.signal.aborted;
    };
    const renewal = setInterval(() => {
      if (!held()) return;
      const sentAt = performance.now();
      this.#client.eval(RENEW, { keys: [lock], arguments: [owner, String(this.#leaseMs)] }).then(
        (renewed) => {
          if (Number(renewed) === 1) renewedAt = sentAt;
          else lose('another owner holds it, or its lease ran out');
        },
        // Redis unreachable: try again at the next renewal; `held()` says when the lease may be gone.
        () => undefined,
      );
    }, this.#renewMs);
    renewal.unref?.();
    try {
      return await task({ lost: lost.signal, held, tookOver: taken.tookOver });
    } finally {
      done = true;
      clearInterval(renewal);
      await this.#release(owner).catch(() => undefined);
    }
  }

  #release(owner: string): Promise<unknown> {
    return this.#client.eval(RELEASE, { keys: [this.#keys.lock, this.#keys.holder], arguments: [owner] });
  }
}
