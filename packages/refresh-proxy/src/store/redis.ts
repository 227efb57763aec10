import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { createClient, createCluster } from 'redis';
import { StoreUnavailableError } from '../errors.ts';
import type {
  AcquireResult,
  CoalesceStore,
  CompleteRequest,
  CompleteResult,
  TakeoverAfterSend,
} from './types.ts';

/** What the store uses of a node-redis client or cluster client. */
interface RedisClient {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: 'error' | 'ready', listener: (error?: unknown) => void): unknown;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  pSubscribe(pattern: string, listener: (message: string, channel: string) => void): Promise<unknown>;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * `redis://host:port[/db]`; with `cluster`, the seed nodes of a Redis Cluster, comma-separated
   * (`redis://a:7000,redis://b:7001`).
   */
  url: string;
  /** `url` names the nodes of a Redis Cluster: every key of one token is in one hash slot (`{<key>}`). */
  cluster?: boolean;
  /** Upper bound of every Redis call; past it the call fails as unavailable. Default 500 ms. */
  commandTimeoutMs?: number;
  /** Key prefix. Default `rp:`. */
  prefix?: string;
  /** Connection trouble is logged here (rate-limited); default silent. */
  logger?: Logger;
}

/** A Lua script, sent by its SHA-1 (`EVALSHA`); its body only when the server does not know it yet. */
interface Script {
  body: string;
  sha1: string;
}

const script = (body: string): Script => ({ body, sha1: createHash('sha1').update(body).digest('hex') });

const ACQUIRE = script(`
local function late()
  if redis.call('HEXISTS', KEYS[3], 'rotatedAt') == 1 then
    local n = redis.call('HINCRBY', KEYS[3], 'late', 1)
    redis.call('PEXPIRE', KEYS[3], ARGV[3])
    return n
  end
  return 0
end
local res = redis.call('GET', KEYS[1])
if res then return {0, res, late()} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {2} end
if ARGV[4] == '0' then return {3} end
if ARGV[5] == 'fail' and redis.call('EXISTS', KEYS[5]) == 1 then return {5} end
local fence = redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
local lease = fence .. ':' .. ARGV[2]
redis.call('SET', KEYS[2], lease, 'NX', 'PX', ARGV[1])
redis.call('SET', KEYS[5], '1', 'PX', ARGV[3])
local issued = redis.call('HGET', KEYS[3], 'issuedAt') or ''
return {1, lease, fence, issued, late()}
`);

const RENEW = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

// On a Redis Cluster the child token's issue time lives in its own hash slot: a second script (one slot per
// script); on one Redis, COMPLETE records it in the same round trip.
const ISSUED = script(`
redis.call('HSETNX', KEYS[1], 'issuedAt', ARGV[1]); redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

const COMPLETE = script(`
local owned = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]); owned = 1 end
local stored = 0
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  if owned == 1 then redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl); stored = 1
  elseif redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ttl) then stored = 1 end
end
if ARGV[5] == '1' then
  redis.call('HSETNX', KEYS[3], 'rotatedAt', ARGV[6]); redis.call('PEXPIRE', KEYS[3], ARGV[7])
end
-- One Redis: the child's issue time too (on a cluster it is in another slot: a second script, ISSUED).
if KEYS[5] then
  redis.call('HSETNX', KEYS[5], 'issuedAt', ARGV[6]); redis.call('PEXPIRE', KEYS[5], ARGV[7])
end
redis.call('DEL', KEYS[4])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return {owned, stored}
`);

/**
 * The shared store on Redis: one primary, or a Redis Cluster (`cluster`): every key of one token carries the
 * hash tag `{<key>}`, so each script touches one slot.
 * Every command goes through {@link RedisStore.#call}, the one place that bounds it in time and turns any
 * failure into a {@link StoreUnavailableError}; the offline queue is off, so a command sent while Redis is
 * down fails at once instead of waiting for a reconnect. Wake-ups come from one pattern subscription
 * (`rp:done:*`) per instance, re-subscribed by node-redis after a reconnect.
 */
export class RedisStore implements CoalesceStore {
  readonly kind = 'redis';
  readonly shared = true;
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  /** A Redis Cluster: a script touches one hash slot. */
  readonly #cluster: boolean;
  readonly #owner = randomBytes(8).toString('hex');
  readonly #logger: Logger | undefined;
  #healthy = false;
  #closed = false;
  #lastWarnAt = 0;

  constructor(options: RedisStoreOptions) {
    this.#timeoutMs = options.commandTimeoutMs ?? 500;
    this.#prefix = options.prefix ?? 'rp:';
    this.#logger = options.logger;
    const socket = {
      connectTimeout: Math.max(1_000, this.#timeoutMs * 2),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000),
    };
    this.#cluster = options.cluster === true;
    if (this.#cluster) {
      const rootNodes = options.url.split(',').map((url) => ({ url: url.trim() }));
      this.#client = createCluster({
        rootNodes,
        defaults: { socket, disableOfflineQueue: true },
      }) as unknown as RedisClient;
      // Classic pub/sub is broadcast to every node of a cluster: one pattern subscription hears every key.
      this.#subscriber = createCluster({ rootNodes, defaults: { socket } }) as unknown as RedisClient;
    } else {
      this.#client = createClient({
        url: options.url,
        socket,
        disableOfflineQueue: true,
      }) as unknown as RedisClient;
      // The subscriber keeps its queue so PSUBSCRIBE waits for the connection; it is never awaited unbounded.
      this.#subscriber = createClient({ url: options.url, socket }) as unknown as RedisClient;
    }
    for (const client of [this.#client, this.#subscriber]) {
      client.on('error', (error: unknown) => this.#warn('redis connection error', error));
      client.on('ready', () => {
        this.#healthy = true;
      });
    }
  }

  async start(onDone: (key: string, sealed: string) => void): Promise<void> {
    const done = `${this.#prefix}done:`;
    const connect = this.#client
      .connect()
      .catch((error: unknown) => this.#warn('redis connect failed', error));
    const subscribed = this.#subscriber
      .connect()
      .then(() =>
        this.#subscriber.pSubscribe(`${done}*`, (message, channel) => {
          onDone(channel.slice(done.length), message);
        }),
      )
      .catch((error: unknown) => this.#warn('redis subscribe failed', error));
    // Bounded: a proxy starts (and fails open or closed) even when Redis is down; node-redis keeps trying.
    await Promise.race([Promise.all([connect, subscribed]), delay(this.#timeoutMs * 4)]);
  }

  async acquire(
    key: string,
    leaseMs: number,
    trackTtlMs: number,
    take = true,
    afterSend: TakeoverAfterSend = 'fail',
  ): Promise<AcquireResult> {
    const reply = (await this.#run(
      'acquire',
      ACQUIRE,
      [
        this.#k('res', key),
        this.#k('lock', key),
        this.#k('tok', key),
        this.#k('fence', key),
        this.#k('sent', key),
      ],
      [String(leaseMs), this.#owner, String(trackTtlMs), take ? '1' : '0', afterSend],
    )) as unknown[];
    const kind = Number(reply[0]);
    if (kind === 5) return { kind: 'unknown' };
    if (kind === 0) return { kind: 'answer', sealed: String(reply[1]), lateCount: Number(reply[2]) };
    if (kind === 2) return { kind: 'busy' };
    if (kind === 3) return { kind: 'free' };
    const issued = String(reply[3] ?? '');
    return {
      kind: 'lease',
      lease: String(reply[1]),
      fence: Number(reply[2]),
      issuedAt: issued === '' ? null : Number(issued),
      lateCount: Number(reply[4]),
    };
  }

  async renew(key: string, lease: string, leaseMs: number): Promise<boolean> {
    const reply = await this.#run('renew', RENEW, [this.#k('lock', key)], [lease, String(leaseMs)]);
    return Number(reply) === 1;
  }

  async complete(request: CompleteRequest): Promise<CompleteResult> {
    const { key } = request;
    const child = request.rotatedTo === null ? null : this.#k('tok', request.rotatedTo);
    const keys = [this.#k('lock', key), this.#k('res', key), this.#k('tok', key), this.#k('sent', key)];
    const reply = (await this.#run(
      'complete',
      COMPLETE,
      child !== null && !this.#cluster ? [...keys, child] : keys,
      [
        request.lease,
        request.sealed,
        String(request.ttlMs),
        `${this.#prefix}done:${key}`,
        request.rotatedTo === null ? '0' : '1',
        String(request.now),
        String(request.trackTtlMs),
      ],
    )) as unknown[];
    if (child !== null && this.#cluster) {
      await this.#run('complete', ISSUED, [child], [String(request.now), String(request.trackTtlMs)]);
    }
    return { owned: Number(reply[0]) === 1, stored: Number(reply[1]) === 1 };
  }

  healthy(): boolean {
    return this.#healthy && this.#client.isReady;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.race([
      Promise.allSettled([this.#client.close(), this.#subscriber.close()]),
      delay(this.#timeoutMs * 2),
    ]);
    for (const client of [this.#client, this.#subscriber]) {
      try {
        if (client.isOpen) client.destroy();
      } catch {
        // already closed
      }
    }
  }

  /**
   * Runs a script by its SHA-1 (a few bytes on the wire instead of the body); a server that does not know it
   * yet (a fresh or restarted Redis, another cluster node) answers NOSCRIPT, and the body goes once.
   */
  #run(operation: string, script: Script, keys: string[], args: string[]): Promise<unknown> {
    return this.#call(operation, async (client) => {
      try {
        return await client.evalSha(script.sha1, { keys, arguments: args });
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
        return client.eval(script.body, { keys, arguments: args });
      }
    });
  }

  /** The one bounded, caught door to Redis: a failure or a time-out becomes StoreUnavailableError. */
  async #call<T>(operation: string, run: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError(operation, 'the store is closed');
    if (!this.#client.isReady) {
      this.#healthy = false;
      throw new StoreUnavailableError(operation, 'not connected to Redis');
    }
    let timer: NodeJS.Timeout | undefined;
    const pending = run(this.#client);
    pending.catch(() => undefined);
    try {
      const result = await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          // When the timer fires late because the event loop was busy, a reply may already be waiting in
          // the socket: setImmediate runs after the I/O phase, so it gets one chance before the time-out.
          timer = setTimeout(
            () =>
              setImmediate(() =>
                reject(new StoreUnavailableError(operation, `no answer within ${this.#timeoutMs} ms`)),
              ),
            this.#timeoutMs,
          );
        }),
      ]);
      this.#healthy = true;
      return result;
    } catch (error) {
      this.#healthy = false;
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(operation, error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The Redis key of `kind` for a store key: `rp:{<key>}:<kind>`, all of one token in one hash slot. */
  #k(kind: string, key: string): string {
    return `${this.#prefix}{${key}}:${kind}`;
  }

  #warn(message: string, error: unknown): void {
    this.#healthy = false;
    const now = Date.now();
    if (now - this.#lastWarnAt < 5_000) return;
    this.#lastWarnAt = now;
    this.#logger?.warn(
      { event: 'store_error', error: error instanceof Error ? error.message : String(error) },
      message,
    );
  }
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** A Redis store; `url` like `redis://127.0.0.1:6379`. */
export const createRedisStore = (options: RedisStoreOptions): RedisStore => new RedisStore(options);
