/**
 * Figures for the README (prints a Markdown table; nothing is asserted):
 *
 *   pnpm --filter refresh-proxy bench            # BENCH_FAMILIES=500 BENCH_SEQUENTIAL=400 by default
 *
 * 1. Overhead per forwarded refresh: sequential refreshes of distinct tokens, direct vs through one proxy
 *    (memory store, then Redis): p50 / p99 and the ratio of p50s, measured in the same run.
 * 2. Coalesced-answer latency vs the upstream latency: 20 duplicates over 3 instances on Redis, upstream
 *    latency 100 ms.
 * 3. The load figure: BENCH_FAMILIES families × 20 duplicates over 3 instances on Redis: upstream calls,
 *    conflicts, throughput.
 *
 * Starts its own redis-server on a free loopback port and the mock auth server in process.
 */
import type { RunningMockAuthServer } from 'mock-auth-server/node';
import { createLogger, RefreshProxy } from '../src/index.ts';
import { createRedisStore } from '../src/store/redis.ts';
import { childToken, cookieRefresh, formRefresh, SECRET, startMock, TestRedis } from '../test/helpers.ts';

const FAMILIES = Number(process.env.BENCH_FAMILIES ?? 500);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 400);
const DUPLICATES = 20;

const quiet = () => createLogger({ level: 'warn' });

async function proxyOn(
  mock: RunningMockAuthServer,
  redisUrl?: string,
): Promise<{ url: string; proxy: RefreshProxy }> {
  const logger = quiet();
  const store =
    redisUrl === undefined ? undefined : createRedisStore({ url: redisUrl, commandTimeoutMs: 2_000, logger });
  const proxy = new RefreshProxy({ upstream: mock.url, secret: SECRET, logger, ...(store && { store }) });
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

async function sequential(mock: RunningMockAuthServer, base: string): Promise<number[]> {
  const tokens = await logins(mock, SEQUENTIAL);
  const times: number[] = [];
  for (const token of tokens) {
    const answer = await formRefresh(base, token);
    if (answer.status !== 200) throw new Error(`refresh failed: ${answer.status}`);
    times.push(answer.ms);
  }
  return times.slice(Math.floor(times.length / 10)); // drop the warm-up tenth
}

const redis = await new TestRedis().start();
const mock = await startMock();
const rows: string[][] = [];
try {
  // 1. Overhead per forwarded refresh.
  await mock.authServer.reset({ preset: 'strict', latencyMs: 0 });
  const memory = await proxyOn(mock);
  const onRedis = await proxyOn(mock, redis.url);
  const direct = await sequential(mock, mock.url);
  const viaMemory = await sequential(mock, memory.url);
  const viaRedis = await sequential(mock, onRedis.url);
  const p50 = percentile(direct, 50);
  for (const [name, times] of [
    ['direct to the mock', direct],
    ['through the proxy, memory store', viaMemory],
    ['through the proxy, Redis store', viaRedis],
  ] as const) {
    rows.push([
      `forwarded refresh, ${name} (${times.length} sequential)`,
      `p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))}, p50 ${(percentile(times, 50) / p50).toFixed(2)}× direct`,
    ]);
  }
  await Promise.all([memory.proxy.close(), onRedis.proxy.close()]);

  // 2. Coalesced answers vs the upstream latency.
  await mock.authServer.reset({ preset: 'strict', latencyMs: 100 });
  const three = await Promise.all([0, 1, 2].map(() => proxyOn(mock, redis.url)));
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
    `coalesced p50 ${ms(percentile(coalesced, 50))}, p99 ${ms(percentile(coalesced, 99))}; the forwarded one p50 ${ms(percentile(forwarded, 50))}; ${(percentile(coalesced, 50) / 100).toFixed(2)}× the upstream latency`,
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
