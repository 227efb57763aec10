/**
Three proxy instances on a 3-master Redis Cluster started on loopback: every key of one token in one hash
slot, the scripts cluster-safe, the wake-ups heard across nodes. One upstream call per refresh token, the
same answer to every duplicate on every instance.
*/
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RunningMockAuthServer } from 'mock-auth-server/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningCluster, startCluster } from '../../ky-token-refresh/test-node/redis-server.ts';
import {
  childToken,
  cliLogin,
  cookieRefresh,
  formRefresh,
  type RunningProxy,
  startMock,
  startProxy,
} from './helpers.ts';

const run = promisify(execFile);
let mock: RunningMockAuthServer;
let cluster: RunningCluster;
let proxies: RunningProxy[] = [];

beforeAll(async () => {
  mock = await startMock();
  cluster = await startCluster();
  const redisUrl = cluster.rootNodes.map(({ url }) => url).join(',');
  proxies = await Promise.all(
    [0, 1, 2].map(() => startProxy({ upstream: mock.url, redisUrl, redisCluster: true })),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await cluster?.stop();
  await mock?.close();
});

it('3 instances, 3 clients presenting one refresh token (2 form, 1 cookie): one upstream call, one child for all, every key of the token on one node', async () => {
  await mock.authServer.reset({ preset: 'strict', latencyMs: 100 });
  const { refreshToken } = await cliLogin(proxies[0]!.url);
  const [a, b, c] = await Promise.all([
    formRefresh(proxies[0]!.url, refreshToken),
    formRefresh(proxies[1]!.url, refreshToken),
    cookieRefresh(proxies[2]!.url, refreshToken),
  ]);
  expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
  expect(new Set([childToken(a), childToken(b), childToken(c)]).size).toBe(1);
  const stats = await mock.authServer.stats();
  expect(stats.refreshRequests).toBe(1);
  expect(stats.refreshFailures).toEqual({});
  // The keys of that token: all on one node (one hash slot).
  const perNode = await Promise.all(
    cluster.nodes.map(async (node) =>
      (await run('redis-cli', ['-p', String(node.port), '--scan', '--pattern', 'rp:{*}:*'])).stdout
        .trim()
        .split('\n')
        .filter(Boolean),
    ),
  );
  const tags = perNode.flat().map((key) => key.slice(0, key.indexOf('}') + 1));
  for (const tag of new Set(tags))
    expect(perNode.filter((keys) => keys.some((key) => key.startsWith(tag))).length).toBe(1);
}, 30_000);

it('40 families × 6 duplicates spread over the 3 instances: exactly 40 upstream calls, no conflict', async () => {
  await mock.authServer.reset({ preset: 'strict', latencyMs: 20 });
  const logins = await Promise.all(Array.from({ length: 40 }, () => cliLogin(proxies[0]!.url)));
  const answers = await Promise.all(
    logins.flatMap(({ refreshToken }) =>
      Array.from({ length: 6 }, (_, index) => formRefresh(proxies[index % 3]!.url, refreshToken)),
    ),
  );
  expect(answers.filter(({ status }) => status === 200)).toHaveLength(240);
  const stats = await mock.authServer.stats();
  expect(stats.refreshRequests).toBe(40);
  expect(stats.refreshFailures).toEqual({});
}, 60_000);
