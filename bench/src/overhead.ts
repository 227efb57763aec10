/**
Happy path: what the library costs when nothing needs refreshing. The same requests, against the same local
node:http server (its own process), through six variants that alternate block by block, round after round,
in one process:
- `fetch`: bare fetch, Authorization set by hand; `auth.fetch`: the library's fetch door;
- `ky`: bare ky, Authorization set by hand; `ky + no-op afterResponse`: the same with one afterResponse hook
  that does nothing (ky clones each response for it); `ky + hooks`: ky with `auth.hooks`; `ky + auth.fetch`:
  ky with `fetch: auth.fetch` and no hooks.
*/
import ky from 'ky';
import { startChild } from './lib/child.ts';
import { fakeJwt } from './lib/fake-jwt.ts';
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

export const variantNames = [
  'fetch',
  'auth.fetch',
  'ky',
  'ky + no-op afterResponse',
  'ky + hooks',
  'ky + auth.fetch',
] as const;
export type VariantName = (typeof variantNames)[number];

/**
The comparisons the bench reports: `[subject, baseline, target?]`, as time per request subject ÷ baseline;
`target`: the ratio the library aims at (issue 11), where there is one.
*/
export const comparisons: readonly (readonly [VariantName, VariantName, number?])[] = [
  ['auth.fetch', 'fetch', 1.05],
  ['ky + hooks', 'ky + no-op afterResponse', 1.1],
  ['ky + hooks', 'ky'],
  ['ky + auth.fetch', 'ky'],
];

export interface VariantRound {
  variant: VariantName;
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
  /** Wall time per request at this concurrency (1 / throughput), in µs. */
  perRequestUs: number;
  failures: number;
}

export interface Comparison {
  subject: VariantName;
  baseline: VariantName;
  /** Median over the rounds of (subject time per request ÷ baseline's): >1 = subject slower. */
  timeRatio: number;
  /** Median over the rounds of the difference in time per request, µs. */
  overheadUs: number;
  /** The ratio the library aims at, where there is one. */
  target?: number;
}

export interface OverheadResult {
  options: OverheadOptions;
  rounds: VariantRound[];
  /** Medians over the rounds of each figure, per variant. */
  variants: Record<VariantName, VariantSummary>;
  comparisons: Comparison[];
  refreshCalls: number;
}

/** One request of a variant, to `path` on the server: whether it succeeded. */
export type Send = (path: string) => Promise<boolean>;

/** `count` requests of one variant, `options.concurrency` at a time: every duration, failures, wall time. */
export const runVariant = async (
  send: Send,
  options: Pick<OverheadOptions, 'concurrency'>,
  count: number,
) => {
  const durations: number[] = [];
  let failures = 0;
  const begin = performance.now();
  for (let sent = 0; sent < count; sent += options.concurrency) {
    const batch = Math.min(options.concurrency, count - sent);
    await Promise.all(
      Array.from({ length: batch }, async (_, index) => {
        const start = performance.now();
        try {
          if (!(await send(`items/${(sent + index) % 100}`))) failures++;
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
    const origin = new URL(server.url).origin;
    const auth = createTokenRefresh({
      name: 'bench-overhead',
      crossTab: false,
      // Node has no `location`: say which URLs are ours.
      isAuthorizedUrl: (url) => url.origin === origin,
      refresh: async () => {
        throw new Error('the happy path must not refresh');
      },
    });
    await auth.setToken(token);
    const headers = { Authorization: `Bearer ${token}` };
    const okJson = async (response: Response) =>
      response.ok && ((await response.json()) as { ok?: boolean }).ok === true;
    const kyJson = async (request: Promise<{ ok?: boolean }>) => (await request).ok === true;
    const bareKy = ky.create({ prefix: server.url, headers });
    const noopKy = ky.create({ prefix: server.url, headers, hooks: { afterResponse: [() => undefined] } });
    const hooksKy = ky.create({ prefix: server.url, hooks: auth.hooks });
    const fetchKy = ky.create({ prefix: server.url, fetch: auth.fetch });
    const variants: Record<VariantName, Send> = {
      fetch: async (path) => okJson(await fetch(`${server.url}/${path}`, { headers })),
      'auth.fetch': async (path) => okJson(await auth.fetch(`${server.url}/${path}`)),
      ky: (path) => kyJson(bareKy.get(path).json()),
      'ky + no-op afterResponse': (path) => kyJson(noopKy.get(path).json()),
      'ky + hooks': (path) => kyJson(hooksKy.get(path).json()),
      'ky + auth.fetch': (path) => kyJson(fetchKy.get(path).json()),
    };

    // Warm up every variant (JIT, sockets) before anything is recorded.
    for (const name of variantNames) await runVariant(variants[name], options, options.warmup);

    const rounds: VariantRound[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const samples = new Map(
        variantNames.map((name) => [name, { durations: [] as number[], failures: 0, elapsedMs: 0 }]),
      );
      // Alternate the variants block by block, rotating the order, so drift in the machine's load hits all alike.
      for (let block = 0; block * options.block < options.requests; block++) {
        const count = Math.min(options.block, options.requests - block * options.block);
        const shift = (block + round) % variantNames.length;
        const order = [...variantNames.slice(shift), ...variantNames.slice(0, shift)];
        for (const variant of order) {
          const sample = await runVariant(variants[variant], options, count);
          const into = samples.get(variant)!;
          into.durations.push(...sample.durations);
          into.failures += sample.failures;
          into.elapsedMs += sample.elapsedMs;
        }
      }
      for (const variant of variantNames) {
        const { durations, failures, elapsedMs } = samples.get(variant)!;
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
          `  round ${round + 1}/${options.rounds} ${variant.padEnd(26)} ${entry.requestsPerSecond.toFixed(0)} req/s, ` +
            `mean ${entry.meanMs.toFixed(2)} ms, p50 ${entry.p50Ms.toFixed(2)} ms, p95 ${entry.p95Ms.toFixed(2)} ms, failures ${failures}`,
        );
      }
    }
    const of = (variant: VariantName, round: number) =>
      rounds.find((entry) => entry.round === round && entry.variant === variant)!;
    const summary = (variant: VariantName): VariantSummary => {
      const mine = rounds.filter((entry) => entry.variant === variant);
      const requestsPerSecond = median(mine.map((entry) => entry.requestsPerSecond));
      return {
        requestsPerSecond,
        meanMs: median(mine.map((entry) => entry.meanMs)),
        p50Ms: median(mine.map((entry) => entry.p50Ms)),
        p95Ms: median(mine.map((entry) => entry.p95Ms)),
        perRequestUs: 1e6 / requestsPerSecond,
        failures: mine.reduce((sum, entry) => sum + entry.failures, 0),
      };
    };
    const perRound = (pick: (round: number) => number) =>
      median(Array.from({ length: options.rounds }, (_, round) => pick(round)));
    const result: OverheadResult = {
      options,
      rounds,
      variants: Object.fromEntries(variantNames.map((name) => [name, summary(name)])) as Record<
        VariantName,
        VariantSummary
      >,
      comparisons: comparisons.map(([subject, baseline, target]) => ({
        subject,
        baseline,
        timeRatio: perRound(
          (round) => of(baseline, round).requestsPerSecond / of(subject, round).requestsPerSecond,
        ),
        overheadUs: perRound(
          (round) => 1e6 / of(subject, round).requestsPerSecond - 1e6 / of(baseline, round).requestsPerSecond,
        ),
        ...(target !== undefined && { target }),
      })),
      refreshCalls: auth.stats().refreshes,
    };
    auth.dispose();
    return result;
  } finally {
    await server.stop();
  }
};
