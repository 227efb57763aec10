/**
The cross-client cell of `pnpm race` (prints a Markdown table; nothing is asserted):

  pnpm --filter refresh-proxy race         # RACE_ROUNDS=5 by default

2 CLI-style clients (OAuth form grant) and 1 cookie client share one refresh token and hit expiry at once,
against the strict mock (refresh latency 100 ms), each round with a fresh login:
- direct to the auth server;
- through 3 proxy instances on one Redis (what the proxy is for);
- through 3 proxy instances with in-memory stores (the negative control: no shared state, no coalescing).
Starts its own redis-server on a free loopback port and the mock auth server in process.
*/
import type { RunningMockAuthServer } from 'mock-auth-server/node';
import {
  type ClientRun,
  cliLogin,
  type RunningProxy,
  raceAtExpiry,
  startMock,
  startProxy,
  TestRedis,
} from '../test/helpers.ts';

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 5);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 100) {
  throw new RangeError(`RACE_ROUNDS must be an integer from 1 to 100, got ${process.env.RACE_ROUNDS}`);
}

interface Totals {
  clients: number;
  ok: number;
  refreshCalls: number;
  rotations: number;
  invalidGrant: number;
  familiesRevoked: number;
}

const paths = ['direct', '3 proxies, one Redis', '3 proxies, in-memory stores (control)'] as const;
type Path = (typeof paths)[number];

const redis = await new TestRedis().start();
const mock: RunningMockAuthServer = await startMock();
const rows: [Path, Totals][] = [];
try {
  for (const path of paths) {
    const proxies: RunningProxy[] =
      path === 'direct'
        ? []
        : await Promise.all(
            [0, 1, 2].map(() =>
              startProxy({
                upstream: mock.url,
                ...(path === '3 proxies, one Redis' && { redisUrl: redis.url }),
              }),
            ),
          );
    const totals: Totals = {
      clients: 0,
      ok: 0,
      refreshCalls: 0,
      rotations: 0,
      invalidGrant: 0,
      familiesRevoked: 0,
    };
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        await mock.authServer.reset({ preset: 'strict', latencyMs: 100 });
        await redis.flush();
        const bases = (
          proxies.length === 3 ? proxies.map((proxy) => proxy.url) : [mock.url, mock.url, mock.url]
        ) as [string, string, string];
        const runs: ClientRun[] = await raceAtExpiry(mock.url, bases, await cliLogin(bases[0]));
        const stats = await mock.authServer.stats();
        totals.clients += runs.length;
        totals.ok += runs.filter((run) => run.apiStatus === 200).length;
        totals.refreshCalls += stats.refreshRequests;
        totals.rotations += stats.rotations;
        totals.invalidGrant += runs.filter((run) => run.refresh?.body.error === 'invalid_grant').length;
        // Reuse detection revokes the whole family: the winner's new token is dead too.
        const revoked = stats.reuseDetections > 0;
        totals.familiesRevoked += revoked ? 1 : 0;
      }
    } finally {
      await Promise.all(proxies.map((proxy) => proxy.close()));
    }
    rows.push([path, totals]);
  }
} finally {
  await mock.close();
  await redis.stop();
}

console.log(
  `\n**Cross-client race** (2 CLI clients + 1 cookie client, one refresh token, at expiry; strict mock, refresh latency 100 ms; ${ROUNDS} rounds; totals)\n`,
);
console.log('| path | clients ok | refresh calls upstream | rotations | invalid_grant | families revoked |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [path, t] of rows) {
  console.log(
    `| ${path} | ${t.ok}/${t.clients} | ${t.refreshCalls} | ${t.rotations} | ${t.invalidGrant} | ${t.familiesRevoked}/${ROUNDS} |`,
  );
}
console.log('\nReproduce: `pnpm --filter refresh-proxy race` (part of `pnpm race`).');
