/** Pure parts: start-up validation, crypto, shape translation, the in-memory store's lease and fencing. */
import { describe, expect, it } from 'vitest';
import { parseStartConfig } from '../src/config.ts';
import { type Answer, ConfigError, MemoryStore, renderFor, TokenCrypto } from '../src/index.ts';

describe('start-up settings (flags and environment), validated up front', () => {
  const base = { UPSTREAM: 'http://127.0.0.1:4010' };

  it('reads the environment, flags win, defaults apply', () => {
    const config = parseStartConfig(['--dedup-window-ms', '0', '--port', '0'], {
      ...base,
      DEDUP_WINDOW_MS: '5000',
      LEASE_MS: '900',
      STORE_FAILURE: 'closed',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      redisUrl: null,
      storeTimeoutMs: 500,
      logLevel: 'info',
    });
    expect(config.options).toMatchObject({
      upstream: base.UPSTREAM,
      dedupWindowMs: 0,
      leaseMs: 900,
      storeFailure: 'closed',
      renewLease: true,
    });
  });

  it('accepts the `--` that `pnpm start -- --flag` passes through', () => {
    expect(parseStartConfig(['--', '--lease-ms', '700'], base).options.leaseMs).toBe(700);
  });

  it.each([
    [[], {}, 'UPSTREAM (--upstream)'],
    [[], { UPSTREAM: 'ftp://x' }, 'UPSTREAM (--upstream)'],
    [[], { ...base, PORT: '70000' }, 'PORT (--port)'],
    [[], { ...base, DEDUP_WINDOW_MS: '-1' }, 'DEDUP_WINDOW_MS (--dedup-window-ms)'],
    [['--lease-ms', 'soon'], base, 'LEASE_MS (--lease-ms)'],
    [[], { ...base, REDIS_URL: 'localhost:6379' }, 'REDIS_URL (--redis-url)'],
    [[], { ...base, REDIS_URL: 'redis://127.0.0.1:6379' }, 'SECRET (--secret)'],
    [[], { ...base, STORE_FAILURE: 'maybe' }, 'STORE_FAILURE (--store-failure)'],
    [[], { ...base, TOKEN_PATH: 'oauth/token' }, 'TOKEN_PATH (--token-path)'],
    [[], { ...base, COOKIE_NAME: 'a b' }, 'COOKIE_NAME (--cookie-name)'],
    [[], { ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL (--log-level)'],
    [['--no-such-flag', 'x'], base, 'arguments'],
  ])('%j %j → names %s', (argv, env, option) => {
    let caught: unknown;
    try {
      parseStartConfig(argv, env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ code: 'INVALID_CONFIG', option });
    expect((caught as Error).message).toContain(option);
  });
});

describe('TokenCrypto', () => {
  const crypto = new TokenCrypto('server-secret-0123456789');

  it('keys are HMACs: stable, distinct per token and per client binding, never the token', () => {
    const key = crypto.key('token-a');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(crypto.key('token-a')).toBe(key);
    expect(crypto.key('token-b')).not.toBe(key);
    expect(crypto.key('token-a', 'client-x')).not.toBe(key);
    expect(new TokenCrypto('another-secret-0123456').key('token-a')).not.toBe(key);
  });

  it('seals with the token: only the same token and key open it; tampering is detected', () => {
    const key = crypto.key('token-a');
    const sealed = crypto.seal('token-a', key, '{"secret":"answer"}');
    expect(sealed).not.toContain('answer');
    expect(crypto.open('token-a', key, sealed)).toBe('{"secret":"answer"}');
    expect(crypto.open('token-b', key, sealed)).toBeNull();
    expect(crypto.open('token-a', crypto.key('token-b'), sealed)).toBeNull();
    const parts = sealed.split('.');
    parts[3] = `${parts[3]!.slice(0, -2)}AA`;
    expect(crypto.open('token-a', key, parts.join('.'))).toBeNull();
    expect(crypto.open('token-a', key, 'garbage')).toBeNull();
  });
});

describe('renderFor: one answer, two shapes', () => {
  const cookie = { name: 'rt', attributes: 'Path=/auth; HttpOnly; SameSite=Strict' };
  const formAnswer: Answer = {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"access_token":"A","token_type":"Bearer","expires_in":60,"refresh_token":"CHILD"}',
    setCookies: [],
    shape: 'form',
    cacheable: true,
  };
  const cookieAnswer: Answer = {
    ...formAnswer,
    body: '{"access_token":"A","token_type":"Bearer","expires_in":60}',
    setCookies: ['rt=CHILD; Path=/auth; Max-Age=86400; HttpOnly; SameSite=Strict'],
    shape: 'cookie',
  };

  it('same shape: as it came', () => {
    expect(renderFor(formAnswer, 'form', cookie)).toBe(formAnswer);
    expect(renderFor(cookieAnswer, 'cookie', cookie)).toBe(cookieAnswer);
  });

  it('form answer for a cookie client: the token leaves the body for an HttpOnly cookie', () => {
    const rendered = renderFor(formAnswer, 'cookie', cookie);
    expect(JSON.parse(rendered.body)).toEqual({ access_token: 'A', token_type: 'Bearer', expires_in: 60 });
    expect(rendered.setCookies).toEqual(['rt=CHILD; Path=/auth; HttpOnly; SameSite=Strict']);
  });

  it('cookie answer for a form client: the token moves into the body, no Set-Cookie', () => {
    const rendered = renderFor(cookieAnswer, 'form', cookie);
    expect(JSON.parse(rendered.body)).toMatchObject({ refresh_token: 'CHILD' });
    expect(rendered.setCookies).toEqual([]);
  });

  it('error answers keep their body and status', () => {
    const error: Answer = { ...formAnswer, status: 400, body: '{"error":"invalid_grant"}' };
    expect(renderFor(error, 'cookie', cookie)).toMatchObject({
      status: 400,
      body: '{"error":"invalid_grant"}',
      setCookies: [],
    });
  });
});

describe('MemoryStore: lease, takeover, fencing', () => {
  it('a stale owner (lease expired, taken over) cannot overwrite the new owner’s answer', async () => {
    let now = 1_000;
    const store = new MemoryStore({ now: () => now });
    const published: string[] = [];
    await store.start((_key, sealed) => published.push(sealed));
    const first = await store.acquire('k', 100, 60_000);
    expect(first.kind).toBe('lease');
    expect((await store.acquire('k', 100, 60_000)).kind).toBe('busy');
    now += 150; // the first owner stalls past its lease
    // (Taking over a lease whose holder sent the token and never completed: the `retry` policy.)
    const second = await store.acquire('k', 100, 60_000, true, 'retry');
    expect(second.kind).toBe('lease');
    if (first.kind !== 'lease' || second.kind !== 'lease') throw new Error('unreachable');
    expect(second.fence).toBeGreaterThan(first.fence);
    expect(await store.renew('k', first.lease, 100)).toBe(false);
    const base = { key: 'k', ttlMs: 10_000, rotatedTo: null, trackTtlMs: 60_000, now };
    expect(await store.complete({ ...base, lease: second.lease, sealed: 'new' })).toEqual({
      owned: true,
      stored: true,
    });
    expect(await store.complete({ ...base, lease: first.lease, sealed: 'stale' })).toEqual({
      owned: false,
      stored: false,
    });
    expect(await store.acquire('k', 100, 60_000)).toMatchObject({ kind: 'answer', sealed: 'new' });
    expect(published).toEqual(['new', 'stale']);
  });

  it('ttl 0 publishes without storing; answers expire with their ttl', async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    await store.start(() => undefined);
    const lease = await store.acquire('a', 1_000, 60_000);
    if (lease.kind !== 'lease') throw new Error('no lease');
    await store.complete({
      key: 'a',
      lease: lease.lease,
      sealed: 's',
      ttlMs: 0,
      rotatedTo: null,
      trackTtlMs: 1,
      now,
    });
    expect((await store.acquire('a', 1_000, 60_000)).kind).toBe('lease');
    const b = await store.acquire('b', 1_000, 60_000);
    if (b.kind !== 'lease') throw new Error('no lease');
    await store.complete({
      key: 'b',
      lease: b.lease,
      sealed: 's',
      ttlMs: 500,
      rotatedTo: null,
      trackTtlMs: 1,
      now,
    });
    expect((await store.acquire('b', 1_000, 60_000)).kind).toBe('answer');
    now += 501;
    expect((await store.acquire('b', 1_000, 60_000)).kind).toBe('lease');
  });
});
