/** The Redis store itself: fencing against a stale owner, nothing token-shaped at rest, a bounded call when Redis hangs. */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, StoreUnavailableError } from '../src/index.ts';
import {
  cliLogin,
  formRefresh,
  freePort,
  issuedTokens,
  sleep,
  startMock,
  startProxy,
  TestRedis,
} from './helpers.ts';

let redis: TestRedis;

beforeAll(async () => {
  redis = await new TestRedis().start();
});
afterAll(async () => {
  await redis?.stop();
});

describe('RedisStore', () => {
  it('a stale owner (lease expired, taken over) cannot overwrite; its renewal fails', async () => {
    await redis.flush();
    const one = createRedisStore({ url: redis.url });
    const two = createRedisStore({ url: redis.url });
    const published: string[] = [];
    await one.start((_key, sealed) => published.push(sealed));
    await two.start(() => undefined);
    try {
      const first = await one.acquire('k', 100, 60_000);
      expect((await two.acquire('k', 100, 60_000)).kind).toBe('busy');
      await sleep(150);
      // (Taking over a lease whose holder sent the token and never completed: the `retry` policy.)
      const second = await two.acquire('k', 1_000, 60_000, true, 'retry');
      if (first.kind !== 'lease' || second.kind !== 'lease') throw new Error('no lease');
      expect(second.fence).toBeGreaterThan(first.fence);
      expect(await one.renew('k', first.lease, 100)).toBe(false);
      const base = { key: 'k', ttlMs: 10_000, rotatedTo: null, trackTtlMs: 60_000, now: Date.now() };
      expect(await two.complete({ ...base, lease: second.lease, sealed: 'new' })).toEqual({
        owned: true,
        stored: true,
      });
      expect(await one.complete({ ...base, lease: first.lease, sealed: 'stale' })).toEqual({
        owned: false,
        stored: false,
      });
      expect(await one.acquire('k', 100, 60_000)).toMatchObject({ kind: 'answer', sealed: 'new' });
      const until = Date.now() + 2_000;
      while (published.length < 2 && Date.now() < until) await sleep(10);
      expect(published).toEqual(['new', 'stale']);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('holds nothing token-shaped: keys are HMACs, answers sealed', async () => {
    await redis.flush();
    const mock = await startMock();
    const proxy = await startProxy({ upstream: mock.url, redisUrl: redis.url });
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const { refreshToken } = await cliLogin(proxy.url);
      const answer = await formRefresh(proxy.url, refreshToken);
      expect(answer.status).toBe(200);
      // The holder stores its answer right after answering: once no request is in flight, it is stored.
      for (let i = 0; i < 100 && proxy.proxy.inflight > 0; i += 1) await sleep(10);
      const keys = await client.keys('*');
      expect(keys.some((key) => /^rp:\{[0-9a-f]+\}:res$/.test(key))).toBe(true);
      const dump: string[] = [...keys];
      for (const key of keys) {
        const type = await client.type(key);
        if (type === 'string') dump.push(String(await client.get(key)));
        else if (type === 'hash') dump.push(JSON.stringify(await client.hGetAll(key)));
      }
      const text = dump.join('\n');
      expect(text.length).toBeGreaterThan(100);
      for (const token of issuedTokens) expect(text).not.toContain(token);
    } finally {
      await client.close();
      await proxy.close();
      await mock.close();
    }
  });

  it('sends its scripts by SHA-1; a Redis that does not know them (SCRIPT FLUSH, a restart) gets the body once', async () => {
    await redis.flush();
    const store = createRedisStore({ url: redis.url });
    const client = createClient({ url: redis.url });
    await client.connect();
    await store.start(() => undefined);
    const calls = async () => {
      const info = await client.info('commandstats');
      const count = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return { eval: count('eval'), evalsha: count('evalsha') };
    };
    try {
      await client.scriptFlush();
      await client.configResetStat();
      const lease = await store.acquire('k1', 1_000, 60_000);
      expect(await calls()).toEqual({ eval: 1, evalsha: 1 }); // NOSCRIPT, then the body
      if (lease.kind !== 'lease') throw new Error('no lease');
      await store.acquire('k2', 1_000, 60_000);
      expect(await calls()).toEqual({ eval: 1, evalsha: 2 });
      await client.scriptFlush();
      const base = { key: 'k1', ttlMs: 10_000, rotatedTo: null, trackTtlMs: 60_000, now: Date.now() };
      expect(await store.complete({ ...base, lease: lease.lease, sealed: 'sealed' })).toEqual({
        owned: true,
        stored: true,
      });
      expect(await store.acquire('k1', 1_000, 60_000)).toMatchObject({ kind: 'answer', sealed: 'sealed' });
      expect(await calls()).toEqual({ eval: 3, evalsha: 4 });
    } finally {
      await client.close();
      await store.close();
    }
  });

  it('a hung Redis (SIGSTOP) fails a call within the bound instead of hanging it', async () => {
    const store = createRedisStore({ url: redis.url, commandTimeoutMs: 200 });
    await store.start(() => undefined);
    const pid = redis.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const started = performance.now();
      const error = await store.acquire('hung', 1_000, 60_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
      expect(performance.now() - started).toBeLessThan(600);
    } finally {
      process.kill(pid, 'SIGCONT');
      await store.close();
    }
  });
});

describe('RedisStore connection life', () => {
  async function published(store: ReturnType<typeof createRedisStore>, seen: string[], sealed: string) {
    const lease = await store.acquire(`wake-${sealed}`, 1_000, 60_000);
    if (lease.kind !== 'lease') throw new Error(`no lease: ${lease.kind}`);
    await store.complete({
      key: `wake-${sealed}`,
      lease: lease.lease,
      sealed,
      ttlMs: 0,
      rotatedTo: null,
      trackTtlMs: 60_000,
      now: Date.now(),
    });
    const until = Date.now() + 3_000;
    while (!seen.includes(sealed) && Date.now() < until) await sleep(20);
    return seen.includes(sealed);
  }

  it('a store started while Redis is down serves and receives wake-ups once Redis is up; again after a restart', async () => {
    const late = new TestRedis();
    late.port = await freePort();
    const seen: string[] = [];
    const store = createRedisStore({ url: late.url, commandTimeoutMs: 200 });
    const started = performance.now();
    await store.start((_key, sealed) => seen.push(sealed));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(store.healthy()).toBe(false);
    await expect(store.acquire('x', 1_000, 60_000)).rejects.toBeInstanceOf(StoreUnavailableError);
    try {
      await late.start();
      const until = Date.now() + 5_000;
      while (!store.healthy() && Date.now() < until) await sleep(50);
      await sleep(200); // the subscriber reconnects on its own back-off
      expect(await published(store, seen, 'first')).toBe(true);
      await late.stop();
      await late.start();
      const again = Date.now() + 5_000;
      while (Date.now() < again) {
        if (await published(store, seen, `after-${Date.now()}`).catch(() => false)) break;
        await sleep(100);
      }
      expect(seen.some((s) => s.startsWith('after-'))).toBe(true);
    } finally {
      await store.close();
      await late.stop();
    }
  });
});
