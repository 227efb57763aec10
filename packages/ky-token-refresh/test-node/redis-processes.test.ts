/**
Real processes on a real Redis (one server, and a 3-master Redis Cluster started by the test on loopback)
against the Node mock's `POST /oauth/token` (strict preset: one-time refresh tokens with reuse detection).
Naive workers lose the family; ky-token-refresh with `createRedisAdapters` makes exactly one rotation per
expiry, every request succeeds, and Redis holds no token in the clear.
*/
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient, createCluster } from '@redis/client';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createTokenRefresh } from '../src/node/index.js';
import { createRedisAdapters, type RedisConnection, RedisStore } from '../src/node/redis/index.js';
import {
  dumpRedis,
  type RunningCluster,
  type RunningRedis,
  startCluster,
  startRedis,
} from './redis-server.js';
import {
  asResult,
  type Child,
  expectOneRotationPerExpiry,
  forkFixture,
  type RoundResults,
  type TokenAnswer,
  tokenGrant,
  useMockAuthServer,
} from './support.js';

const run = promisify(execFile);
const key = 'redis-processes-secret-0123456789';
const running = useMockAuthServer();
let name: string;

beforeEach(async () => {
  name = `svc-${Math.random().toString(36).slice(2, 10)}`;
});

type Connection = RedisConnection & {
  set(key: string, value: string): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
};

const connect = async (redis: string): Promise<Connection> => {
  const connection = (redis.startsWith('cluster:')
    ? await createCluster({
        rootNodes: redis
          .slice('cluster:'.length)
          .split(',')
          .map((url) => ({ url })),
      }).connect()
    : await createClient({ url: redis }).connect()) as unknown as Connection;
  connection.on('error', () => undefined);
  return connection;
};

const login = (): Promise<TokenAnswer> =>
  tokenGrant(running.url, { grant_type: 'password', username: 'ann', password: 'pw' });

/** Log in once and store the answer where the workers read it (sealed record, or the naive plain key). */
const loginInto = async (redis: string, mode: 'library' | 'naive'): Promise<TokenAnswer> => {
  const answer = await login();
  const connection = await connect(redis);
  try {
    if (mode === 'naive') {
      await connection.set(`{${name}}:naive`, JSON.stringify(answer));
      return answer;
    }
    const auth = createTokenRefresh({
      name,
      crossTab: createRedisAdapters(connection, { name, key }),
      isAuthorizedUrl: () => false,
      refresh: () => null,
    });
    await auth.setToken(asResult(answer));
    auth.dispose();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return answer;
  } finally {
    connection.destroy();
  }
};

/** The record as the library stored it (opened with the key): the tokens Redis must not show in the clear. */
const storedRecord = async (redis: string) => {
  const connection = await connect(redis);
  try {
    return await new RedisStore(connection, name, { key }).get();
  } finally {
    connection.destroy();
  }
};

const start = async (count: number, mode: 'library' | 'naive', redis: string): Promise<Child[]> => {
  const children = Array.from({ length: count }, () =>
    forkFixture('redis-worker.ts', [mode, redis, running.url, name, key], { capture: true }),
  );
  await Promise.all(children.map((child) => child.next('ready', 20_000)));
  return children;
};

const round = async (children: Child[], count = 1): Promise<RoundResults[]> => {
  await running.authServer.expireAccessTokens();
  for (const child of children) child.send({ type: 'call', count });
  return (await Promise.all(
    children.map((child) => child.next('results', 30_000)),
  )) as unknown as RoundResults[];
};

const stopAll = async (children: Child[]) => {
  for (const child of children) child.send({ type: 'exit' });
  await Promise.all(children.map((child) => child.exit()));
};

/** Naive workers lose the family; the library rotates once per expiry on `redis` (3 workers × 20 expiries). */
const raceOn = async (redis: string, dumps: () => Promise<string>) => {
  await loginInto(redis, 'naive');
  const naive = await start(3, 'naive', redis);
  const naiveOutcomes: RoundResults[] = [];
  for (let index = 0; index < 20; index++) naiveOutcomes.push(...(await round(naive)));
  const naiveStats = await running.authServer.stats();
  expect(
    naiveOutcomes.flatMap(({ results }) => results).filter(({ status }) => status !== 200).length,
  ).toBeGreaterThan(0);
  expect(naiveStats.familyRevocations).toBeGreaterThan(0);
  await stopAll(naive);

  await running.authServer.reset({ preset: 'strict' });
  const first = await loginInto(redis, 'library');
  const workers = await start(3, 'library', redis);
  const outcomes: RoundResults[][] = [];
  for (let index = 0; index < 20; index++) outcomes.push(await round(workers));
  await expectOneRotationPerExpiry(running, outcomes, 60);

  // No token in the clear in Redis, nor in any worker's output.
  const last = await storedRecord(redis);
  expect(last?.refreshToken).toMatch(/^[\w-]{43}$/);
  const secrets = [
    first.access_token,
    first.refresh_token,
    last?.token as string,
    last?.refreshToken as string,
  ];
  const dump = await dumps();
  expect(dump).toContain(`{${name}}:record`);
  await stopAll(workers);
  const output = workers.map((child) => child.output).join('\n');
  for (const secret of secrets) {
    expect(dump).not.toContain(secret);
    expect(output).not.toContain(secret);
  }
};

describe('on one Redis', () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  test('3 workers, 20 expiries: naive workers lose the family; the library rotates once per expiry, every request succeeds, Redis holds no token in the clear', async () => {
    await raceOn(redis.url, () => dumpRedis(redis.port));
  }, 180_000);

  test('10 workers × 100 concurrent callers at one expiry: one rotation, 1,000 answered', async () => {
    await loginInto(redis.url, 'library');
    const workers = await start(10, 'library', redis.url);
    const outcomes = await round(workers, 100);
    const stats = await running.authServer.stats();
    expect(outcomes.flatMap(({ results }) => results).filter(({ status }) => status === 200)).toHaveLength(
      1000,
    );
    expect(stats.rotations).toBe(1);
    expect(stats.refreshFailures).toEqual({});
    expect(new Set(outcomes.map(({ token }) => token)).size).toBe(1);
    await stopAll(workers);
  }, 120_000);
});

describe('a worker killed (SIGKILL) while it holds the refresh lock on Redis', () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  /** Log in, start a holder whose refresh() meets `fault` and two others (leases of 1 s), expire, have the holder call. */
  const startWithFault = async (fault: 'stall-before' | 'stall-after') => {
    await loginInto(redis.url, 'library');
    const worker = (with_: string) =>
      forkFixture('redis-worker.ts', ['library', redis.url, running.url, name, key, '1000', with_], {
        capture: true,
      });
    const holder = worker(fault);
    const others = [worker('none'), worker('none')];
    await Promise.all([holder, ...others].map((child) => child.next('ready', 20_000)));
    await running.authServer.expireAccessTokens();
    holder.send({ type: 'call', count: 1 });
    await holder.next(fault === 'stall-after' ? 'rotated' : 'refreshing', 20_000);
    return { holder, others };
  };
  const callEach = async (children: Child[]) => {
    for (const child of children) child.send({ type: 'call', count: 1 });
    return (await Promise.all(
      children.map((child) => child.next('results', 30_000)),
    )) as unknown as (RoundResults & {
      stats?: { lostRotations: number };
    })[];
  };

  test('before its refresh reached the server: another worker takes over after the lease, one rotation, every request succeeds', async () => {
    const { holder, others } = await startWithFault('stall-before');
    holder.process.kill('SIGKILL');
    const outcomes = await callEach(others);
    expect(outcomes.flatMap(({ results }) => results)).toEqual([{ status: 200 }, { status: 200 }]);
    const stats = await running.authServer.stats();
    expect(stats.rotations).toBe(1);
    expect(stats.refreshFailures).toEqual({});
    await stopAll(others);
  }, 60_000);

  test('after the server rotated, before the write: on a strict server the rotation is lost, counted (lostRotations) and the session ends with a typed error; nothing hangs', async () => {
    const { holder, others } = await startWithFault('stall-after');
    holder.process.kill('SIGKILL');
    const outcomes = await callEach(others);
    for (const result of outcomes.flatMap(({ results }) => results))
      expect(result).toMatchObject({ status: 0, error: 'ERR_SESSION_EXPIRED' });
    expect(outcomes.map((outcome) => outcome.stats?.lostRotations).sort()).toEqual([0, 1]);
    await stopAll(others);
  }, 60_000);

  test('after the server rotated, before the write: a server with a grace window (okta) answers the takeover, every request succeeds', async () => {
    await running.authServer.reset({ preset: 'okta' });
    const { holder, others } = await startWithFault('stall-after');
    holder.process.kill('SIGKILL');
    const outcomes = await callEach(others);
    expect(outcomes.flatMap(({ results }) => results)).toEqual([{ status: 200 }, { status: 200 }]);
    expect((await running.authServer.stats()).graceHits).toBe(1);
    await stopAll(others);
  }, 60_000);
});

describe('on a 3-master Redis Cluster', () => {
  let cluster: RunningCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('3 workers, 20 expiries: naive workers lose the family; the library rotates once per expiry, every request succeeds, no node holds a token in the clear', async () => {
    const urls = `cluster:${cluster.rootNodes.map(({ url }) => url).join(',')}`;
    await raceOn(urls, async () =>
      (await Promise.all(cluster.nodes.map((node) => dumpRedis(node.port)))).join('\n'),
    );
  }, 180_000);

  test('the master that holds the coordination’s slot restarted between two expiries (its data lost): the workers go on, one rotation per expiry, every request succeeds', async () => {
    const urls = `cluster:${cluster.rootNodes.map(({ url }) => url).join(',')}`;
    await loginInto(urls, 'library');
    const workers = await start(3, 'library', urls);
    const before = await round(workers);
    expect(before.flatMap(({ results }) => results)).toEqual(
      Array.from({ length: 3 }, () => ({ status: 200 })),
    );
    // The node that holds `{name}:record`: SIGKILL it and start it again on its port with its cluster config.
    const owners = await Promise.all(
      cluster.nodes.map(async (node) =>
        (await run('redis-cli', ['-p', String(node.port), 'EXISTS', `{${name}}:record`])).stdout.trim(),
      ),
    );
    const index = owners.indexOf('1');
    expect(index).toBeGreaterThanOrEqual(0);
    const node = cluster.nodes[index] as RunningRedis;
    await node.stop();
    cluster.nodes[index] = await startRedis(node.extra, node.port);
    for (let attempt = 0; ; attempt++) {
      const { stdout } = await run('redis-cli', ['-p', String(node.port), 'CLUSTER', 'INFO']);
      if (stdout.includes('cluster_state:ok')) break;
      if (attempt > 100) throw new Error('the restarted node did not rejoin');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after: RoundResults[][] = [];
    for (let index = 0; index < 5; index++) after.push(await round(workers));
    expect(after.flat().flatMap(({ results }) => results)).toEqual(
      Array.from({ length: 15 }, () => ({ status: 200 })),
    );
    const stats = await running.authServer.stats();
    expect(stats.rotations).toBe(6);
    expect(stats.refreshFailures).toEqual({});
    await stopAll(workers);
  }, 120_000);
});
