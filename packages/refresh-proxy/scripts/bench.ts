/**
 * Figures for the README (prints a Markdown table; nothing is asserted):
 *
 *   pnpm --filter refresh-proxy bench            # BENCH_FAMILIES=500 BENCH_SEQUENTIAL=1000 by default
 *
 * 1. Overhead per forwarded refresh, the deployed way: client (this process), proxy and upstream each a
 *    process of its own, keep-alive on both sides, the proxies logging at info to a pipe this process drains.
 *    Sequential refreshes of distinct tokens against a constant upstream, direct vs through one proxy
 *    (memory store, Redis store), interleaved: p50 / p99 and the added p50. Beside them, the floors measured
 *    in the same run: one loopback hop (a request to a trivial server), a bare Node forwarder (the least a
 *    proxy on Node's HTTP stack adds), and with Redis one round trip (acquire; the holder stores the answer
 *    after answering its client).
 * 2. Coalesced-answer latency vs the upstream latency: 20 duplicates over 3 instances on Redis, upstream
 *    latency 100 ms.
 * 3. The load figure: BENCH_FAMILIES families × 20 duplicates over 3 instances on Redis: upstream calls,
 *    conflicts, throughput.
 *
 * Starts its own redis-server on a free loopback port and the mock auth server in process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { RunningMockAuthServer } from 'mock-auth-server/node';
import { createClient } from 'redis';
import { createLogger, RefreshProxy } from '../src/index.ts';
import { createRedisStore } from '../src/store/redis.ts';
import { childToken, cookieRefresh, formRefresh, SECRET, startMock, TestRedis } from '../test/helpers.ts';

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

/**
A Node script in a process of its own; resolves with the URL of its first line (`{"url":…}`). The rest of
its output is drained, unparsed, as a log collector would.
*/
async function processOf(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [new URL(script, import.meta.url).pathname, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 10_000);
    lines.once('line', (text) => {
      clearTimeout(timer);
      resolve(text);
    });
  });
  lines.close();
  child.stdout!.resume();
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

/** The median round trip of one Redis script (`EVAL "return 1"`) from this process. */
async function redisRtt(url: string): Promise<number> {
  const client = await createClient({ url }).connect();
  const times: number[] = [];
  for (let i = 0; i < 300; i += 1) {
    const started = performance.now();
    await client.eval('return 1', { keys: [], arguments: [] });
    if (i >= 30) times.push(performance.now() - started);
  }
  client.destroy();
  return percentile(times, 50);
}

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
  // 1. Overhead per forwarded refresh, the deployed way: every party a process of its own, against a
  //    constant upstream (so the upstream's own cost is tiny and the same for every path).
  const upstream = await processOf('./fake-upstream.ts', []);
  const echo = await processOf('./fake-upstream.ts', ['echo']);
  const forwarder = await processOf('./fake-upstream.ts', ['forward', upstream.url]);
  const env = { UPSTREAM: upstream.url, PORT: '0', SECRET, LOG_LEVEL: 'info' };
  const memory = await processOf('../src/start.ts', [], env);
  const onRedis = await processOf('../src/start.ts', [], { ...env, REDIS_URL: redis.url });
  const [direct = [], hop = [], bare = [], viaMemory = [], viaRedis = []] = await sequential([
    upstream.url,
    echo.url,
    forwarder.url,
    memory.url,
    onRedis.url,
  ]);
  const redisRoundTrip = await redisRtt(redis.url);
  const p50 = percentile(direct, 50);
  const hopMs = percentile(hop, 50);
  const bareMs = percentile(bare, 50) - p50;
  const added = (times: number[]) => percentile(times, 50) - p50;
  rows.push([
    `forwarded refresh, direct to the upstream (${direct.length} sequential, interleaved with the rows below; separate processes)`,
    `p50 ${ms(p50)}, p99 ${ms(percentile(direct, 99))}`,
  ]);
  rows.push([
    'floor: one loopback hop (a request to a trivial Node server)',
    `p50 ${ms(hopMs)}, p99 ${ms(percentile(hop, 99))}`,
  ]);
  rows.push([
    'floor: through a bare Node forwarder (keep-alive, nothing else)',
    `p50 ${ms(percentile(bare, 50))}, p99 ${ms(percentile(bare, 99))}: **+${ms(bareMs)}**`,
  ]);
  rows.push([
    'through the proxy, memory store',
    `p50 ${ms(percentile(viaMemory, 50))}, p99 ${ms(percentile(viaMemory, 99))}: **+${ms(added(viaMemory))}**; ` +
      `the proxy's own, above the bare forwarder: ${ms(added(viaMemory) - bareMs)}`,
  ]);
  rows.push([
    'through the proxy, Redis store',
    `p50 ${ms(percentile(viaRedis, 50))}, p99 ${ms(percentile(viaRedis, 99))}: **+${ms(added(viaRedis))}**; ` +
      `floor +${ms(bareMs + redisRoundTrip)} (the bare forwarder + 1 Redis round trip of ${ms(redisRoundTrip)}); ` +
      `the proxy's own, above it: ${ms(added(viaRedis) - bareMs - redisRoundTrip)}`,
  ]);
  for (const party of [memory, onRedis, upstream, echo, forwarder]) party.child.kill('SIGTERM');

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
