/**
 * Figures for the README (prints a Markdown table; nothing is asserted):
 *
 *   pnpm --filter refresh-proxy bench            # BENCH_FAMILIES=500 BENCH_SEQUENTIAL=1000 by default
 *
 * 1. Overhead per forwarded refresh: sequential refreshes of distinct tokens against a constant upstream,
 *    direct vs through one proxy (memory store, Redis store), interleaved: p50 / p99 and the ratio of p50s, measured in the same run.
 * 2. Coalesced-answer latency vs the upstream latency: 20 duplicates over 3 instances on Redis, upstream
 *    latency 100 ms.
 * 3. The load figure: BENCH_FAMILIES families × 20 duplicates over 3 instances on Redis: upstream calls,
 *    conflicts, throughput.
 *
 * Starts its own redis-server on a free loopback port and the mock auth server in process.
 */
import { randomUUID } from 'node:crypto';
import type { RunningMockAuthServer } from 'mock-auth-server/node';
import { createLogger, RefreshProxy } from '../src/index.ts';
import { createRedisStore } from '../src/store/redis.ts';
import {
  childToken,
  cookieRefresh,
  formRefresh,
  SECRET,
  startFakeUpstream,
  startMock,
  TestRedis,
} from '../test/helpers.ts';

const FAMILIES = Number(process.env.BENCH_FAMILIES ?? 500);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 1000);
const DUPLICATES = 20;

const quiet = () => createLogger({ level: 'warn' });

async function proxyOn(upstream: string, redisUrl?: string): Promise<{ url: string; proxy: RefreshProxy }> {
  const logger = quiet();
  const store =
    redisUrl === undefined ? undefined : createRedisStore({ url: redisUrl, commandTimeoutMs: 2_000, logger });
  const proxy = new RefreshProxy({ upstream, secret: SECRET, logger, ...(store && { store }) });
  const { url } = await proxy.listen(0);
  return { url, proxy };
}

async function logins(mock: RunningMockAuthServer, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const login = await mock.authServer.login(`bench${i}`, 'pw');
    if (!login.ok || login.refreshToken === null) throw new Error('login failed');
    tokens.push(login.refreshToken);
  }
  return tokens;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (value: number) => `${value.toFixed(2)} ms`;

/** Sequential refreshes of distinct tokens, interleaved over the bases so load changes hit all alike. */
async function sequential(bases: string[]): Promise<number[][]> {
  const times: number[][] = bases.map(() => []);
  for (let i = 0; i < SEQUENTIAL; i += 1) {
    for (const [b, base] of bases.entries()) {
      const answer = await formRefresh(base, `bench-token-${i}-${b}-${randomUUID()}`);
      if (answer.status !== 200) throw new Error(`refresh failed: ${answer.status}`);
      if (i >= SEQUENTIAL / 10) times[b]!.push(answer.ms); // drop the warm-up tenth
    }
  }
  return times;
}

const redis = await new TestRedis().start();
const mock = await startMock();
const rows: string[][] = [];
try {
  // 1. Overhead per forwarded refresh, against a constant upstream (so the upstream's own cost is tiny
  //    and the same for every path).
  const upstream = await startFakeUpstream((_req, res, call) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(
      `{"access_token":"bench-access-${call}","token_type":"Bearer","expires_in":60,"refresh_token":"bench-child-${call}-${randomUUID()}"}`,
    );
  });
  const memory = await proxyOn(upstream.url);
  const onRedis = await proxyOn(upstream.url, redis.url);
  const [direct = [], viaMemory = [], viaRedis = []] = await sequential([
    upstream.url,
    memory.url,
    onRedis.url,
  ]);
  const p50 = percentile(direct, 50);
  for (const [name, times] of [
    ['direct to the upstream', direct],
    ['through the proxy, memory store', viaMemory],
    ['through the proxy, Redis store', viaRedis],
  ] as const) {
    const own = percentile(times, 50);
    rows.push([
      `forwarded refresh, ${name} (${times.length} sequential, interleaved)`,
      `p50 ${ms(own)}, p99 ${ms(percentile(times, 99))}; p50 ${(own / p50).toFixed(2)}× direct (+${ms(own - p50)})`,
    ]);
  }
  await Promise.all([memory.proxy.close(), onRedis.proxy.close()]);
  await upstream.close();

  // 2. Coalesced answers vs the upstream latency.
  await mock.authServer.reset({ preset: 'strict', latencyMs: 100 });
  const three = await Promise.all([0, 1, 2].map(() => proxyOn(mock.url, redis.url)));
  const coalesced: number[] = [];
  const forwarded: number[] = [];
  for (const token of await logins(mock, 20)) {
    const answers = await Promise.all(
      Array.from({ length: DUPLICATES }, (_, d) => formRefresh(three[d % 3]!.url, token)),
    );
    const first = Math.min(...answers.map((a) => a.ms));
    for (const answer of answers) (answer.ms === first ? forwarded : coalesced).push(answer.ms);
  }
  rows.push([
    `coalesced answer, 20 duplicates × 20 tokens over 3 instances (upstream latency 100 ms)`,
    `coalesced p50 ${ms(percentile(coalesced, 50))}, p99 ${ms(percentile(coalesced, 99))}; the forwarded one p50 ${ms(percentile(forwarded, 50))}; coalesced p50 = ${(percentile(coalesced, 50) / 100).toFixed(2)}× the upstream latency, ${(percentile(coalesced, 50) / percentile(forwarded, 50)).toFixed(2)}× the forwarded answer`,
  ]);

  // 3. The load figure.
  await mock.authServer.reset({ preset: 'strict', latencyMs: 20 });
  const tokens = await logins(mock, FAMILIES);
  const started = performance.now();
  const results: Array<Array<Awaited<ReturnType<typeof formRefresh>>>> = [];
  for (let first = 0; first < FAMILIES; first += 10) {
    results.push(
      ...(await Promise.all(
        tokens.slice(first, first + 10).map((token, f) =>
          Promise.all(
            Array.from({ length: DUPLICATES }, (_, d) => {
              const base = three[(first + f + d) % 3]!.url;
              return d % 5 === 4 ? cookieRefresh(base, token) : formRefresh(base, token);
            }),
          ),
        ),
      )),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const flat = results.flat();
  const stats = await mock.authServer.stats();
  const consistent = results.every((family) => new Set(family.map(childToken)).size === 1);
  rows.push([
    `${flat.length} refresh requests, ${FAMILIES} families × ${DUPLICATES} duplicates, 3 instances, Redis`,
    `${stats.refreshRequests} upstream calls, ${stats.reuseDetections} conflicts, ${flat.filter((a) => a.status !== 200).length} failed, one child per family: ${consistent}; ${seconds.toFixed(1)} s (${Math.round(flat.length / seconds)} req/s)`,
  ]);
  await Promise.all(three.map((p) => p.proxy.close()));
} finally {
  await mock.close();
  await redis.stop();
}

console.log('| what | figure |\n| --- | --- |');
for (const [what, figure] of rows) console.log(`| ${what} | ${figure} |`);
process.exit(0);
