/**
Happy path: what the hooks cost when nothing needs refreshing. The same ky requests, against the same local
node:http server, with `auth.hooks` (valid JWT, no refresh) and with bare ky setting the same Authorization
header by hand. The variants alternate, round after round, in one process.
*/
import ky, { type KyInstance } from 'ky';
import { startChild } from './lib/child.ts';
import { loadLibrary } from './lib/library.ts';
import { mean, median, percentile } from './lib/stats.ts';

export interface OverheadOptions {
  requests: number;
  concurrency: number;
  rounds: number;
  /** Within a round the variants alternate in blocks of this many requests (finer than a round: less drift). */
  block: number;
  warmup: number;
}

export interface VariantRound {
  variant: 'hooks' | 'bare';
  round: number;
  requests: number;
  failures: number;
  elapsedMs: number;
  requestsPerSecond: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
}

export interface VariantSummary {
  requestsPerSecond: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  failures: number;
}

export interface OverheadResult {
  options: OverheadOptions;
  rounds: VariantRound[];
  /** Medians over the rounds of each figure. */
  hooks: VariantSummary;
  bare: VariantSummary;
  /** Median over the rounds of (bare req/s ÷ hooks req/s) and (hooks mean ÷ bare mean): >1 = hooks slower. */
  throughputRatio: number;
  meanLatencyRatio: number;
  perRequestOverheadMs: number;
  refreshCalls: number;
}

/** An unsigned JWT (the hooks read `exp` with decodeJwt; nothing verifies it here). */
const fakeJwt = (expiresInSeconds: number): string => {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'bench', iat: now, exp: now + expiresInSeconds })}.`;
};

const runVariant = async (api: KyInstance, options: OverheadOptions, count: number) => {
  const durations: number[] = [];
  let failures = 0;
  const begin = performance.now();
  for (let sent = 0; sent < count; sent += options.concurrency) {
    const batch = Math.min(options.concurrency, count - sent);
    await Promise.all(
      Array.from({ length: batch }, async (_, index) => {
        const start = performance.now();
        try {
          const body = await api.get(`items/${(sent + index) % 100}`).json<{ ok: boolean }>();
          if (body.ok !== true) failures++;
        } catch {
          failures++;
        }
        durations.push(performance.now() - start);
      }),
    );
  }
  const elapsedMs = performance.now() - begin;
  return { durations, failures, elapsedMs };
};

export const runOverhead = async (
  options: OverheadOptions,
  log: (line: string) => void,
): Promise<OverheadResult> => {
  const { createTokenRefresh } = await loadLibrary();
  const token = fakeJwt(3600);
  const server = await startChild(new URL('./servers/plain-server.ts', import.meta.url), [`Bearer ${token}`]);
  try {
    const auth = createTokenRefresh({
      name: 'bench-overhead',
      crossTab: false,
      // Node has no `location`: say which URLs are ours. Never called on the happy path (counted below).
      isAuthorizedUrl: (url) => url.origin === new URL(server.url).origin,
      refresh: async () => {
        throw new Error('the happy path must not refresh');
      },
    });
    await auth.setToken(token);
    const variants = {
      hooks: ky.create({ prefix: server.url, hooks: auth.hooks }),
      bare: ky.create({ prefix: server.url, headers: { Authorization: `Bearer ${token}` } }),
    } as const;

    // Warm up both (JIT, sockets) before anything is recorded.
    for (const name of ['hooks', 'bare'] as const) await runVariant(variants[name], options, options.warmup);

    const rounds: VariantRound[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const samples = {
        hooks: { durations: [] as number[], failures: 0, elapsedMs: 0 },
        bare: { durations: [] as number[], failures: 0, elapsedMs: 0 },
      };
      // Alternate the variants block by block (ABBA...), so drift in the machine's load hits both alike.
      for (let block = 0; block * options.block < options.requests; block++) {
        const count = Math.min(options.block, options.requests - block * options.block);
        const order = (block + round) % 2 === 0 ? (['hooks', 'bare'] as const) : (['bare', 'hooks'] as const);
        for (const variant of order) {
          const sample = await runVariant(variants[variant], options, count);
          samples[variant].durations.push(...sample.durations);
          samples[variant].failures += sample.failures;
          samples[variant].elapsedMs += sample.elapsedMs;
        }
      }
      for (const variant of ['hooks', 'bare'] as const) {
        const { durations, failures, elapsedMs } = samples[variant];
        const entry: VariantRound = {
          variant,
          round,
          requests: options.requests,
          failures,
          elapsedMs,
          requestsPerSecond: (options.requests / elapsedMs) * 1000,
          meanMs: mean(durations),
          p50Ms: percentile(durations, 50),
          p95Ms: percentile(durations, 95),
        };
        rounds.push(entry);
        log(
          `  round ${round + 1}/${options.rounds} ${variant.padEnd(5)} ${entry.requestsPerSecond.toFixed(0)} req/s, ` +
            `mean ${entry.meanMs.toFixed(2)} ms, p50 ${entry.p50Ms.toFixed(2)} ms, p95 ${entry.p95Ms.toFixed(2)} ms, failures ${failures}`,
        );
      }
    }
    const summary = (variant: 'hooks' | 'bare'): VariantSummary => {
      const mine = rounds.filter((entry) => entry.variant === variant);
      return {
        requestsPerSecond: median(mine.map((entry) => entry.requestsPerSecond)),
        meanMs: median(mine.map((entry) => entry.meanMs)),
        p50Ms: median(mine.map((entry) => entry.p50Ms)),
        p95Ms: median(mine.map((entry) => entry.p95Ms)),
        failures: mine.reduce((sum, entry) => sum + entry.failures, 0),
      };
    };
    const perRound = (pick: (hooks: VariantRound, bare: VariantRound) => number) =>
      median(
        Array.from({ length: options.rounds }, (_, round) => {
          const hooks = rounds.find((entry) => entry.round === round && entry.variant === 'hooks')!;
          const bare = rounds.find((entry) => entry.round === round && entry.variant === 'bare')!;
          return pick(hooks, bare);
        }),
      );
    const result: OverheadResult = {
      options,
      rounds,
      hooks: summary('hooks'),
      bare: summary('bare'),
      throughputRatio: perRound((hooks, bare) => bare.requestsPerSecond / hooks.requestsPerSecond),
      meanLatencyRatio: perRound((hooks, bare) => hooks.meanMs / bare.meanMs),
      // Wall time per request, hooks minus bare (batches are concurrent, so this is amortised CPU cost).
      perRequestOverheadMs: perRound(
        (hooks, bare) => (1000 / hooks.requestsPerSecond - 1000 / bare.requestsPerSecond) as number,
      ),
      refreshCalls: auth.stats().refreshes,
    };
    auth.dispose();
    return result;
  } finally {
    await server.stop();
  }
};
