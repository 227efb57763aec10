/**
The Redis adapters' specifics, on a real redis-server: the record sealed at rest (and never overwritten when
it does not open), its TTL, the lock's takeover, lease and fencing under a dead holder, a skewed clock, a
paused Redis and a dropped connection, and the whole door while Redis restarts.
*/
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type RunningMockAuthServer, startMockAuthServer } from '../../mock-auth-server/dist/node/index.js';
import { createTokenRefresh } from '../src/node/index.js';
import {
  createRedisAdapters,
  isRedisRecordError,
  type RedisConnection,
  RedisLock,
  RedisStore,
  redisKeys,
} from '../src/node/redis/index.js';
import { dumpRedis, type RunningRedis, startRedis } from './redis-server.js';
import { asResult, forkFixture, sleep } from './support.js';

const run = promisify(execFile);
const key = 'redis-adapters-secret-0123456789';
let redis: RunningRedis;
let name: string;
const clients: { destroy(): void }[] = [];

type Client = RedisConnection & {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  pTTL(key: string): Promise<number>;
  destroy(): void;
};

const connect = async (url = redis.url): Promise<Client> => {
  const client = createClient({
    url,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) },
  });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client as unknown as Client;
};

const cli = (...args: string[]) => run('redis-cli', ['-p', String(redis.port), ...args], { timeout: 10_000 });

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await redis.stop();
});
beforeEach(() => {
  name = `t-${Math.random().toString(36).slice(2, 10)}`;
});

const record = {
  generation: 3,
  token: 'access-token-in-the-clear',
  refreshToken: 'refresh-token-in-the-clear',
  epoch: 7,
};

describe('RedisStore', () => {
  test('the record is sealed at rest: Redis holds neither token, the key carries a TTL, and only the same key opens it', async () => {
    const store = new RedisStore(await connect(), name, { key, ttlMs: 60_000 });
    await store.update(() => record);
    const dump = await dumpRedis(redis.port);
    expect(dump).toContain(redisKeys(name).record);
    expect(dump).not.toContain(record.token);
    expect(dump).not.toContain(record.refreshToken);
    const ttl = await (await connect()).pTTL(redisKeys(name).record);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await new RedisStore(await connect(), name, { key }).get()).toEqual(record);
  });

  test('a record that does not open with the key (another key, or altered) is a RedisRecordError from get() and update(), and is left untouched', async () => {
    const client = await connect();
    await new RedisStore(client, name, { key }).update(() => record);
    const sealed = await client.get(redisKeys(name).record);
    const other = new RedisStore(client, name, { key: 'another-secret-of-sixteen-bytes' });
    const error = await other.get().catch((caught: unknown) => caught);
    expect(isRedisRecordError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_REDIS_RECORD', reason: 'undecryptable' });
    await expect(other.update(() => ({ ...record, generation: 4 }))).rejects.toMatchObject({
      reason: 'undecryptable',
    });
    expect(await client.get(redisKeys(name).record)).toBe(sealed);
    // Altered by a byte: authenticated encryption refuses it.
    const altered = `${sealed?.slice(0, -2)}${sealed?.endsWith('A') ? 'B' : 'A'}${sealed?.slice(-1)}`;
    await client.set(redisKeys(name).record, altered);
    await expect(new RedisStore(client, name, { key }).get()).rejects.toMatchObject({
      reason: 'undecryptable',
    });
    expect(String(error)).not.toContain(record.token);
  });

  test('a key shorter than 16 bytes is refused with a TypeError naming the option', async () => {
    expect(() => new RedisStore({} as RedisConnection, name, { key: 'short' })).toThrow(
      /`key` must be a secret of at least 16 bytes/,
    );
    expect(() => createRedisAdapters({} as RedisConnection, { name: 'a{b}', key })).toThrow(/`name`/);
  });
});

describe('RedisLock', () => {
  test('a holder process killed (SIGKILL) is taken over once Redis expires its lease, never before, and the new holder is told it took over; a released lock is no takeover', async () => {
    const leaseMs = 1000;
    const holder = forkFixture('redis-lock-holder.ts', [redis.url, name, String(leaseMs), '0']);
    expect(await holder.next('held', 15_000)).toMatchObject({ tookOver: false });
    holder.process.kill('SIGKILL');
    const killedAt = performance.now();
    const lock = new RedisLock(await connect(), name, { leaseMs });
    const { tookOver, at } = await lock.request(
      async (grant) => ({ tookOver: grant.tookOver, at: performance.now() }),
      {
        signal: new AbortController().signal,
      },
    );
    expect(tookOver).toBe(true);
    // Its last renewal was at most a third of the lease before the kill: the lease ends 2/3 to 1 lease later.
    expect(at - killedAt).toBeGreaterThan(leaseMs / 2);
    expect(at - killedAt).toBeLessThan(leaseMs + 1000);
    expect(
      await lock.request(async (grant) => grant.tookOver, { signal: new AbortController().signal }),
    ).toBe(false);
    // Every key of the lock carries a TTL (released: the lock and holder keys are gone; the fence expires).
    const client = await connect();
    for (const key of [redisKeys(name).lock, redisKeys(name).holder]) expect(await client.pTTL(key)).toBe(-2);
    expect(await client.pTTL(redisKeys(name).fence)).toBeGreaterThan(0);
  }, 30_000);

  test('a holder whose wall clock is an hour off holds and loses its lease by Redis’s clock, like any other', async () => {
    const leaseMs = 1000;
    for (const skew of [3_600_000, -3_600_000]) {
      const holder = forkFixture('redis-lock-holder.ts', [
        redis.url,
        `${name}${skew}`,
        String(leaseMs),
        String(skew),
      ]);
      await holder.next('held', 15_000);
      const lock = new RedisLock(await connect(), `${name}${skew}`, { leaseMs, maxWaitMs: 30_000 });
      // Renewed while it lives: a waiter does not get in for 2.5 leases.
      const waiting = lock.request(async () => performance.now(), { signal: new AbortController().signal });
      await sleep(2.5 * leaseMs);
      const killedAt = performance.now();
      holder.process.kill('SIGKILL');
      const at = await waiting;
      expect(at).toBeGreaterThan(killedAt);
      expect(at - killedAt).toBeLessThan(leaseMs + 1000);
    }
  }, 60_000);

  test('Redis paused (CLIENT PAUSE) past the lease: the holder learns it lost the lock by its own clock, without an answer from Redis', async () => {
    const leaseMs = 600;
    const lock = new RedisLock(await connect(), name, { leaseMs });
    const outcome = await lock.request(
      async ({ lost, held }) => {
        await cli('CLIENT', 'PAUSE', String(3 * leaseMs), 'ALL');
        const pausedAt = performance.now();
        await new Promise((resolve) => lost.addEventListener('abort', resolve, { once: true }));
        return { after: performance.now() - pausedAt, held: held(), reason: String(lost.reason) };
      },
      { signal: new AbortController().signal },
    );
    expect(outcome.held).toBe(false);
    expect(outcome.after).toBeLessThan(2 * leaseMs);
    expect(outcome.reason).toMatch(/Lost the Redis lock/);
    await sleep(3 * leaseMs);
  }, 30_000);

  test('a holder whose connection drops (CLIENT KILL) reconnects and keeps its lease: no one else gets the lock meanwhile', async () => {
    const leaseMs = 1000;
    const holderClient = await connect();
    const holder = new RedisLock(holderClient, name, { leaseMs });
    const waiter = new RedisLock(await connect(), name, { leaseMs, maxPollMs: 50 });
    let holding = true;
    let overlapped = false;
    const held = holder.request(
      async ({ lost }) => {
        await cli('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'no');
        await sleep(3 * leaseMs);
        holding = false;
        return lost.aborted;
      },
      { signal: new AbortController().signal },
    );
    await sleep(50);
    await waiter.request(
      async () => {
        overlapped = holding;
      },
      { signal: new AbortController().signal },
    );
    expect(await held).toBe(false);
    expect(overlapped).toBe(false);
  }, 30_000);
});

describe('the door on Redis', () => {
  let running: RunningMockAuthServer;
  beforeAll(async () => {
    running = await startMockAuthServer();
  });
  afterAll(async () => {
    await running.close();
  });

  test('Redis restarted mid-run: while it is down a refresh fails with a typed, transient error that names the cause, nothing hangs; when it is back, coordination resumes', async () => {
    await running.authServer.reset({ preset: 'strict' });
    const client = await connect();
    const auth = createTokenRefresh({
      name,
      crossTab: createRedisAdapters(client, { name, key }),
      isAuthorizedUrl: (url) => url.origin === running.url,
      refreshBeforeExpiryMs: 0,
      refreshTimeoutMs: 2000,
      refresh: async ({ refreshToken, signal }) => {
        const response = await fetch(`${running.url}/oauth/token`, {
          method: 'POST',
          signal,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' }),
        });
        if (!response.ok)
          throw Object.assign(new Error(`token endpoint ${response.status}`), { status: response.status });
        const answer = (await response.json()) as {
          access_token: string;
          refresh_token: string;
          expires_in: number;
        };
        return asResult(answer);
      },
    });
    try {
      const login = (await (
        await fetch(`${running.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=password&username=ann&password=pw',
        })
      ).json()) as { access_token: string; refresh_token: string; expires_in: number };
      await auth.setToken(asResult(login));
      expect((await auth.fetch(`${running.url}/api/me`)).status).toBe(200);

      // Down: the valid token still works; a refresh fails, typed, within its bound.
      const port = redis.port;
      await redis.stop();
      expect((await auth.fetch(`${running.url}/api/me`)).status).toBe(200);
      await running.authServer.expireAccessTokens();
      const started = performance.now();
      const error = await auth.fetch(`${running.url}/api/me`).catch((caught: unknown) => caught);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(error).toMatchObject({ code: expect.stringMatching(/^ERR_REFRESH_(FAILED|TIMEOUT)$/) });
      expect((await running.authServer.stats()).refreshRequests).toBe(0);

      // Back (empty: no persistence): node-redis reconnects; the instance refreshes from the token it holds.
      redis = await startRedis([], port);
      await sleep(1000);
      expect((await auth.fetch(`${running.url}/api/me`)).status).toBe(200);
      const stats = await running.authServer.stats();
      expect(stats.rotations).toBe(1);
      expect(stats.refreshFailures).toEqual({});
    } finally {
      auth.dispose();
    }
  }, 60_000);
});
