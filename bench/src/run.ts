/**
`pnpm --filter bench run bench`: measures and prints, asserts nothing.
  1. happy-path overhead: bare fetch vs auth.fetch; bare ky vs ky + a no-op afterResponse hook vs ky + hooks vs
     ky with `fetch: auth.fetch` (Node, local node:http server);
  2. upload memory: the peak memory of uploading a 50 MiB Blob with bare fetch, auth.fetch, bare ky and
     ky + hooks (and with a 401 and a replay), each in its own Node process;
  3. recovery latency at expiry vs its floor: Node (1 instance) and real Chromium (1 and 8 tabs, HTTP/2),
     with the cross-tab propagation time;
  4. the Node door (ky-token-refresh/node, credentialsFile): the coordination's cost per refresh (door vs the
     same refresh() called directly), the fan-out of a commit to 20 processes waiting on the lock, and the
     happy path of its auth.fetch vs bare fetch;
  5. bundle size: ky-token-refresh per its size-limit entries (its size-limit CLI), and its peers (esbuild
     --bundle --minify --format=esm, gzip).
Writes results/bench.json (every sample) and results/bench.md (the Markdown tables).
Flags: --only=overhead,upload,node,browser,door,redis,bundle  --quick (fewer rounds: a smoke run, not figures)  --http1
(also Chromium 8 tabs over HTTP/1.1). CHROMIUM_PATH picks the browser (default /usr/bin/chromium if present).
*/
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type BundleMeasure, bundleTargets, measureBundle, packageOf, versionOf } from './bundle-size.ts';
import { resultsDir } from './lib/library.ts';
import type { RecoverySummary } from './lib/recovery-types.ts';
import { fixed, kilobytes, mebibytes, median, ms, ratio } from './lib/stats.ts';
import { markdownTable, type Row, textTable } from './lib/table.ts';
import { type NodeDoorResult, runNodeDoor } from './node-door.ts';
import { type OverheadResult, runOverhead, variantNames } from './overhead.ts';
import { type Protocol, runRecoveryBrowser } from './recovery-browser.ts';
import { runRecoveryNode } from './recovery-node.ts';
import { type RedisDoorResult, runRedisDoor } from './redis-door.ts';
import { measureSizeLimit, type SizeLimitResult } from './size-limit.ts';
import { runUpload, type UploadResult, uploadVariantNames } from './upload.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    http1: { type: 'boolean', default: false },
  },
});
const parts = new Set(
  (values.only ?? 'overhead,upload,node,browser,door,redis,bundle').split(',').map((part) => part.trim()),
);
const quick = values.quick;
const command = 'pnpm --filter bench run bench';

const settings = {
  overhead: {
    requests: quick ? 2000 : 10_000,
    concurrency: 50,
    rounds: quick ? 1 : 5,
    block: 1000,
    warmup: 1000,
  },
  upload: {
    sizeBytes: 50 * 2 ** 20,
    partBytes: 64 * 1024,
    // The peaks move with the GC's timing: many uploads per process, several processes per variant.
    uploads: quick ? 3 : 10,
    processes: quick ? 1 : 5,
    sampleEveryMs: 5,
    retainedEveryMs: 10,
    uploadTimeoutMs: 60_000,
    processTimeoutMs: 180_000,
  },
  latency: { refreshLatencyMs: 20, apiLatencyMs: 20 },
  node: { requests: 20, rounds: quick ? 3 : 20, warmup: quick ? 1 : 2 },
  browser: {
    scenarios: [
      { tabs: 1, requests: 20, protocol: 'h2' },
      { tabs: 8, requests: 1, protocol: 'h2' },
      { tabs: 8, requests: 20, protocol: 'h2' },
      ...(values.http1 ? [{ tabs: 8, requests: 20, protocol: 'http/1.1' as const }] : []),
    ] as { tabs: number; requests: number; protocol: Protocol }[],
    rounds: quick ? 2 : 10,
    warmup: 1,
  },
  redis: {
    coordination: { refreshes: quick ? 10 : 100, warmup: quick ? 2 : 10 },
    fanOut: { processes: 10, callers: 100, rounds: quick ? 2 : 10, warmup: 1, floorSamples: quick ? 10 : 50 },
  },
  door: {
    coordination: { refreshes: quick ? 10 : 50, warmup: quick ? 2 : 5 },
    fanOut: {
      processes: 20,
      rounds: quick ? 2 : 10,
      warmup: 1,
      stepTimeoutMs: 20_000,
      refreshTimeoutMs: 30_000,
    },
    happyPath: {
      requests: quick ? 1000 : 5000,
      rounds: quick ? 1 : 6,
      block: 250,
      concurrency: 50,
      warmup: quick ? 200 : 1000,
    },
  },
};

const log = (line: string) => console.log(line);
const startedAt = new Date();
const machine = {
  node: process.version,
  cpus: `${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown'}`,
  loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
  loadAverageAtEnd: [] as number[],
};
log(`ky-token-refresh benchmarks — ${startedAt.toISOString()}, Node ${machine.node}, ${machine.cpus}`);
log(
  `load average at start: ${machine.loadAverageAtStart.join(' ')}${quick ? '  (--quick: smoke run, too few samples for figures)' : ''}`,
);

const results: {
  command: string;
  startedAt: string;
  quick: boolean;
  machine: typeof machine;
  settings: typeof settings;
  overhead?: OverheadResult | { error: string };
  upload?: UploadResult | { error: string };
  recovery: (RecoverySummary | { where: string; error: string })[];
  door?: NodeDoorResult | { error: string };
  redis?: RedisDoorResult | { error: string };
  bundle?: { library: SizeLimitResult | { error: string }; peers: BundleMeasure[] };
  durationMs?: number;
} = { command, startedAt: startedAt.toISOString(), quick, machine, settings, recovery: [] };

/** Whether a ratio meets its target (≤). */
const verdict = (value: number, target: number) =>
  !Number.isFinite(value) ? 'n/a' : value <= target ? 'within' : 'over';

const errorText = (error: unknown) =>
  error instanceof Error ? error.message.split('\n')[0]! : String(error);

if (parts.has('overhead')) {
  const { requests, rounds, concurrency, block } = settings.overhead;
  log(
    `\n[1/5] Happy path: ${requests} requests × ${rounds} rounds per variant, ${concurrency} concurrent, alternating in blocks of ${block}`,
  );
  try {
    results.overhead = await runOverhead(settings.overhead, log);
  } catch (error) {
    results.overhead = { error: errorText(error) };
    log(`  not measured: ${errorText(error)}`);
  }
}

if (parts.has('upload')) {
  const { sizeBytes, uploads, processes } = settings.upload;
  log(
    `\n[2/5] Upload memory: a ${mebibytes(sizeBytes)} Blob, ${uploads} uploads per process, ${processes} process(es) per variant, alternating`,
  );
  try {
    results.upload = await runUpload(settings.upload, log);
  } catch (error) {
    results.upload = { error: errorText(error) };
    log(`  not measured: ${errorText(error)}`);
  }
}

if (parts.has('node') || parts.has('browser')) {
  const { refreshLatencyMs, apiLatencyMs } = settings.latency;
  log(
    `\n[3/5] Recovery at expiry (server latency: refresh ${refreshLatencyMs} ms, API ${apiLatencyMs} ms; strict preset)`,
  );
}
if (parts.has('node')) {
  try {
    results.recovery.push(await runRecoveryNode({ ...settings.node, ...settings.latency }, log));
  } catch (error) {
    results.recovery.push({ where: 'Node (1 instance)', error: errorText(error) });
    log(`  Node: not measured: ${errorText(error)}`);
  }
}
if (parts.has('browser')) {
  const executablePath =
    process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  try {
    results.recovery.push(
      ...(await runRecoveryBrowser({ ...settings.browser, ...settings.latency, executablePath }, log)),
    );
  } catch (error) {
    results.recovery.push({ where: 'Chromium', error: errorText(error) });
    log(`  Chromium: not measured (multi-tab figures missing): ${errorText(error)}`);
  }
}

if (parts.has('door')) {
  const { fanOut, coordination, happyPath } = settings.door;
  log(
    `\n[4/5] Node door (ky-token-refresh/node, credentialsFile): coordination per refresh (${coordination.refreshes} + ${coordination.warmup} warm-up each side), fan-out to ${fanOut.processes} processes (${fanOut.rounds} rounds), happy path (${happyPath.requests} requests × ${happyPath.rounds} rounds per variant, ${happyPath.concurrency} concurrent)`,
  );
  const doorStarted = performance.now();
  try {
    results.door = await runNodeDoor(settings.door, log);
  } catch (error) {
    results.door = { error: errorText(error) };
    log(`  not measured: ${errorText(error)}`);
  }
  log(`  (Node door: ${((performance.now() - doorStarted) / 1000).toFixed(1)} s)`);
}

if (parts.has('redis')) {
  const { coordination, fanOut } = settings.redis;
  log(
    `\n[4/5, Redis] Node door on Redis (createRedisAdapters, a redis-server started on loopback): coordination per refresh (${coordination.refreshes} + ${coordination.warmup} warm-up each side), fan-out to ${fanOut.processes} processes × ${fanOut.callers} callers (${fanOut.rounds} rounds)`,
  );
  try {
    results.redis = await runRedisDoor(settings.redis, log);
  } catch (error) {
    results.redis = { error: errorText(error) };
    log(`  not measured: ${errorText(error)}`);
  }
}

if (parts.has('bundle')) {
  log('\n[5/5] Bundle size: ky-token-refresh by its size-limit config; peers by esbuild + gzip');
  let library: SizeLimitResult | { error: string };
  try {
    library = await measureSizeLimit(log);
  } catch (error) {
    library = { error: errorText(error) };
    log(`  ky-token-refresh: not measured: ${errorText(error)}`);
  }
  const peers: BundleMeasure[] = [];
  for (const target of bundleTargets) {
    peers.push(await measureBundle({ ...target, version: await versionOf(packageOf(target.entry)) }));
  }
  results.bundle = { library, peers };
}

machine.loadAverageAtEnd = loadavg().map((value) => Number(value.toFixed(2)));
results.durationMs = Date.now() - startedAt.getTime();

// ---- tables ----
const sections: { title: string; header: Row; rows: Row[]; notes: string[] }[] = [];

if (results.overhead && !('error' in results.overhead)) {
  const o = results.overhead;
  sections.push({
    title: `Happy-path overhead (Node ${machine.node}, ${o.options.requests} requests × ${o.options.rounds} rounds per variant, ${o.options.concurrency} concurrent, 127.0.0.1; medians over rounds)`,
    header: ['variant', 'req/s', 'µs per request', 'mean', 'p50', 'p95', 'failed'],
    rows: variantNames.map((name) => {
      const v = o.variants[name];
      return [
        name,
        fixed(v.requestsPerSecond, 0),
        fixed(v.perRequestUs, 1),
        ms(v.meanMs, 2),
        ms(v.p50Ms, 2),
        ms(v.p95Ms, 2),
        String(v.failures),
      ];
    }),
    notes: [
      ...o.comparisons.map(
        (c) =>
          `${c.subject} ÷ ${c.baseline}: ${ratio(c.timeRatio)} the time per request (${fixed(c.overheadUs, 1)} µs per request)` +
          (c.target === undefined
            ? '.'
            : `; target ≤ ${ratio(c.target)}: ${verdict(c.timeRatio, c.target)}.`),
      ),
      `refresh() calls during the run: ${o.refreshCalls}. Ratios are medians of the per-round ratios (each round runs every variant, alternating in blocks).`,
    ],
  });
} else if (results.overhead) {
  sections.push({
    title: 'Happy-path overhead',
    header: ['not measured'],
    rows: [[results.overhead.error]],
    notes: [],
  });
}

if (results.upload && !('error' in results.upload)) {
  const u = results.upload;
  const comparisonOf = (name: string) => u.comparisons.find((c) => c.subject === name);
  sections.push({
    title: `Upload memory (Node ${machine.node}, a ${mebibytes(u.options.sizeBytes)} Blob uploaded ${u.options.uploads} times per process to node:http on 127.0.0.1, one fresh process per variant × ${u.options.processes}; growth over the baseline taken right after the Blob was created; medians over the processes)`,
    header: [
      'variant',
      'processes ok',
      'peak RSS growth (maxRSS), median (min–max)',
      'sampled RSS growth',
      'sampled arrayBuffers growth',
      'held after GC (arrayBuffers)',
      '÷ without the library (peak RSS growth)',
      'peak RSS (whole process)',
      'upload',
    ],
    rows: uploadVariantNames.map((name) => {
      const v = u.variants[name];
      const c = comparisonOf(name);
      const versus = c
        ? `${ratio(c.peakRssGrowthRatio)} ${c.baseline}${c.target === undefined ? ' (no target)' : ` (target ≤ ${ratio(c.target)}: ${verdict(c.peakRssGrowthRatio, c.target)})`}`
        : '—';
      if (v.processes === 0)
        return [
          name,
          `0/${u.options.processes}`,
          `failed: ${v.failures[0] ?? 'no report'}`,
          '',
          '',
          '',
          '',
          '',
          '',
        ];
      return [
        name,
        `${v.processes}/${v.processes + v.failures.length}`,
        `${mebibytes(v.peakRssGrowth, true)} (${fixed(v.peakRssGrowthRange[0] / 2 ** 20, 0)}–${fixed(v.peakRssGrowthRange[1] / 2 ** 20, 0)})`,
        mebibytes(v.sampledRssGrowth, true),
        mebibytes(v.arrayBuffersGrowth, true),
        mebibytes(v.retainedArrayBuffersGrowth, true),
        versus,
        mebibytes(v.peakRss),
        ms(v.uploadMs, 0),
      ];
    }),
    notes: [
      ...u.comparisons.map(
        (c) =>
          `${c.subject} ÷ ${c.baseline}: peak RSS growth ${ratio(c.peakRssGrowthRatio)}, held after GC ${ratio(c.retainedRatio)}, whole-process peak RSS ${ratio(c.peakRssRatio)}` +
          (c.target === undefined
            ? ' (each upload sent twice: a 401, then the replay; no target).'
            : `; target ≤ ${ratio(c.target)} on the peak RSS growth: ${verdict(c.peakRssGrowthRatio, c.target)}.`),
      ),
      ...uploadVariantNames.flatMap((name) =>
        u.variants[name].failures.map(
          (failure) => `${name}: a process failed (no figure taken from it): ${failure}`,
        ),
      ),
      `The Blob: ${u.options.sizeBytes} random bytes appended in ${u.options.partBytes / 1024} KiB parts, so creating it leaves no transient copy in the high-water mark and it is read in ${u.options.partBytes / 1024} KiB chunks, like a file. Every process imports ky and the library, authorizes the library (setToken), warms its variant up with one 64 KiB upload, creates the Blob, forces a GC and takes the baseline (RSS at the baseline: ${mebibytes(median(uploadVariantNames.map((name) => u.variants[name].baselineRss)))}, median; the runtime, the code and the Blob).`,
      `peak RSS growth: the kernel's high-water mark (process.resourceUsage().maxRSS) after the ${u.options.uploads} uploads − RSS at the baseline (the mark already stood ${mebibytes(median(uploadVariantNames.map((name) => u.variants[name].watermarkSlack)))} above it at the baseline, median: a smaller growth would not show). sampled: the highest process.memoryUsage() seen every ${u.options.sampleEveryMs} ms during the uploads (${fixed(median(uploadVariantNames.map((name) => u.variants[name].samplesPerProcess)), 0)} samples per process, median) − its baseline. Both include the garbage V8 lets pile up between collections (the chunks already sent), so they move with the GC's timing from process to process (see the min–max): a ratio within that spread is noise; held after GC is the stable measure of a copy.`,
      `held after GC: one more upload per process, with a forced GC before each sample (every ${u.options.retainedEveryMs} ms): the ArrayBuffer memory the upload keeps reachable, where a copy of the Blob held anywhere shows as about ${mebibytes(u.options.sizeBytes)}. Bare fetch holds ${mebibytes(u.variants.fetch.retainedArrayBuffersGrowth)}: undici's fetch clones the request for a possible 307/308 redirect (redirect: 'follow', the default), teeing the body, and the branch it does not send keeps every chunk until the upload ends. Bare ky holds ${mebibytes(u.variants.ky.retainedArrayBuffersGrowth)}: the same, plus ky's own clone of the request for its retries (its retry limit is not 0, even for a POST).`,
      "Each answer is checked: status 200, the server read exactly the Blob's size, and in the 401 variants exactly one replay per upload (the server reads the whole body before its 401, so each upload is streamed twice).",
    ],
  });
} else if (results.upload) {
  sections.push({
    title: 'Upload memory',
    header: ['not measured'],
    rows: [[results.upload.error]],
    notes: [],
  });
}

if (results.recovery.length > 0) {
  const rows: Row[] = [];
  const notes = new Set<string>();
  for (const entry of results.recovery) {
    if ('error' in entry) {
      rows.push([entry.where, `not measured: ${entry.error}`, '', '', '', '', '', '', '', '', '']);
      continue;
    }
    const perExpiry = (value: number) => fixed(value / entry.totals.expiries, 2);
    rows.push([
      entry.where,
      `${entry.tabs} × ${entry.requestsPerTab}`,
      String(entry.rounds.length),
      `${ms(entry.median.recoveryMs, 0)} / ${ms(entry.median.recoveryP95Ms, 0)}`,
      ms(entry.median.floorMs, 1),
      ratio(entry.ratio.toFloor),
      ms(entry.median.reactiveFloorMs, 0),
      ratio(entry.ratio.toReactiveFloor),
      `${perExpiry(entry.totals.refreshes)} / ${perExpiry(entry.totals.serverRotations)}`,
      `${entry.totals.failed}/${entry.totals.requests}, ${entry.totals.serverRefreshFailures}, ${entry.totals.sessionExpiredCalls}`,
      entry.propagation
        ? `${fixed(entry.propagation.p50Ms, 0)} / ${fixed(entry.propagation.p95Ms, 0)} / ${fixed(entry.propagation.maxMs, 0)} ms (n=${entry.propagation.samples})`
        : '—',
    ]);
    for (const note of entry.notes) notes.add(`${entry.where}: ${note}`);
  }
  sections.push({
    title: `Recovery at expiry (server latency: refresh ${settings.latency.refreshLatencyMs} ms, API ${settings.latency.apiLatencyMs} ms; strict preset; medians over the rounds of each row)`,
    header: [
      'where',
      'tabs × requests',
      'rounds',
      'recovery p50 / p95',
      'floor',
      '÷ floor',
      'reactive floor',
      '÷ reactive floor',
      'refreshes / rotations per expiry',
      'failed, invalid_grant, logouts',
      'propagation p50 / p95 / max',
    ],
    rows,
    notes: [
      'recovery: from the burst start (the server has just expired the token) to the last request settled, every tab.',
      'floor: one refresh round trip + one request round trip, measured in the same round against the same server.',
      'reactive floor: the same burst with a valid token + one refresh round trip + the burst again — the 401s, the refresh and the replays that any client that recovers on 401 must wait for; the burst includes the mock server verifying every ES256 token on one core and, with 8 tabs, 8 renderer processes taking turns on 2 busy cores (even 8 plain fetches, one per tab, no library, finish ~25 ms apart here), which is why the multi-tab rows are far above the floor.',
      "propagation: the holder's `refresh:success` `at` to each other tab's first `refresh:adopted` / `token:received` `at` (Date.now, 1 ms resolution, one browser clock; the holder emits after posting, so 0 or -1 ms can occur).",
      ...notes,
    ],
  });
}

if (results.door && !('error' in results.door)) {
  const d = results.door;
  const rows: Row[] = [];
  const bigRatio = (value: number) => ratio(value, value >= 100 ? 0 : 2);
  const pair = (p50: number, p95: number, digits = 2) => `${ms(p50, digits)} / ${ms(p95, digits)}`;
  for (const c of d.coordination) {
    const figure = `coordination per refresh: ${c.refresh}`;
    if ('error' in c) {
      rows.push([figure, `not measured: ${c.error}`, '', '', '']);
      continue;
    }
    rows.push([
      figure,
      `auth.refresh(): ${pair(c.door.p50Ms, c.door.p95Ms)}`,
      `refresh() called directly: ${pair(c.bare.p50Ms, c.bare.p95Ms, c.bare.p50Ms < 0.1 ? 3 : 2)}`,
      bigRatio(c.ratioOfMedians),
      `+${ms(c.addedMs, 2)} per refresh; door refresh() calls ${c.doorRefreshCalls}/${c.expectedRefreshCalls}, failures ${c.failures}` +
        (c.server ? `; server: ${c.server.rotations} rotations, ${c.server.refusals} refused` : ''),
    ]);
  }
  if ('error' in d.fanOut) rows.push(['fan-out', `not measured: ${d.fanOut.error}`, '', '', '']);
  else {
    const f = d.fanOut;
    rows.push([
      `fan-out: ${f.processes} processes waiting on the lock hold the new token, after the holder's commit`,
      `all hold: ${pair(f.allHold.p50Ms, f.allHold.p95Ms, 1)} (max ${ms(f.allHold.maxMs, 1)}, ${f.rounds.length} rounds)`,
      `each process: ${pair(f.perProcess.p50Ms, f.perProcess.p95Ms, 1)} (max ${ms(f.perProcess.maxMs, 1)}, n=${f.perProcess.samples})`,
      '—',
      `${Object.entries(f.via)
        .map(([type, count]) => `${type} ${count}`)
        .join(
          ', ',
        )}; refresh() calls: holder ${f.holderRefreshes}/${f.expectedHolderRefreshes}, waiters ${f.waiterRefreshes}; waiters on another generation: ${f.generationMismatches}`,
    ]);
  }
  if ('error' in d.happyPath) rows.push(['happy path', `not measured: ${d.happyPath.error}`, '', '', '']);
  else {
    const h = d.happyPath;
    rows.push([
      'happy path: auth.fetch (node door, valid token) vs bare fetch',
      `${fixed(h.door.perRequestUs, 1)} µs per request, ${pair(h.door.p50Ms, h.door.p95Ms)}`,
      `fetch: ${fixed(h.fetch.perRequestUs, 1)} µs per request, ${pair(h.fetch.p50Ms, h.fetch.p95Ms)}`,
      ratio(h.timeRatio),
      `target ≤ ${ratio(h.target)}: ${verdict(h.timeRatio, h.target)}; ${h.overheadUs >= 0 ? '+' : ''}${fixed(h.overheadUs, 1)} µs per request; per-round ratio ${ratio(h.roundRatio)}; failures ${h.fetch.failures}/${h.door.failures}; refresh() calls ${h.refreshCalls}`,
    ]);
  }
  const { coordination, fanOut, happyPath } = d.options;
  sections.push({
    title: `Node door: ky-token-refresh/node with credentialsFile (file lock, credentials file, file channel; a fresh directory under ${d.directory.parent}, ${d.directory.fileSystem}; Node ${machine.node})`,
    header: ['figure', 'Node door p50 / p95', 'baseline p50 / p95', 'ratio', 'checks'],
    rows,
    notes: [
      `coordination per refresh: \`auth.refresh()\` of the door (the refresh lock taken, the record read, refresh(), the compare-and-set write of the credentials file — its own write lock, a temporary file fsynced and renamed, the directory fsynced —, the notification posted, the lock released) beside the same refresh() called directly, alternating one for one in one process, ${coordination.refreshes} each after ${coordination.warmup} warm-up; ratio = median ÷ median. With the local refresh() (a token made in memory, no network) the difference is the coordination's alone, and the bare call is a few µs, so the ratio only says that the cost is all coordination (absolute: the added ms; it moves with the disk's fsync latency); with the mock's POST /oauth/token (its own process, 127.0.0.1, ES256 signing, one rotation per call) both sides pay the same round trip.`,
      `fan-out: 1 holder + ${fanOut.processes} waiters, each its own process (forked, the door on one credentials file, local refresh()). Each round, the holder's refresh() starts and stalls; each waiter calls auth.refresh() and reports its \`lock:wait\`; then the holder's refresh() returns. Timed from the holder's commit (its store's update() resolved: the file renamed and the directory fsynced) to each waiter's first \`token:received\` or \`refresh:adopted\` event (taken in the listener), on one clock: process.hrtime (CLOCK_MONOTONIC, shared by every process). all hold: the last waiter of a round, p50 / p95 over ${fanOut.rounds} rounds (after ${fanOut.warmup} warm-up); each process: over every waiter of every round. ${fanOut.processes + 1} processes on ${availableParallelism()} cores: each waiter must be scheduled to take its fs.watch event, read the message file and then the credentials file, so the last one waits for the others.`,
      `happy path: ${happyPath.requests} requests × ${happyPath.rounds} rounds per variant, ${happyPath.concurrency} concurrent, alternating in blocks of ${happyPath.block}, against the node:http server of the happy-path benchmark (its own process, 127.0.0.1, checks the header); the door holds a valid token (set with setToken, so written to the file once) and should touch no file per request. Ratio: the median, over the ${d.happyPath && !('error' in d.happyPath) ? d.happyPath.blockPairs : 'n'} pairs of adjacent blocks (one of each variant, order alternating), of the door's wall time ÷ bare fetch's for the same requests (per-round ratio: the happy-path benchmark's estimate, time per request over a whole round); target as the main entry's auth.fetch, ≤ 1.05×.`,
    ],
  });
} else if (results.door) {
  sections.push({ title: 'Node door', header: ['not measured'], rows: [[results.door.error]], notes: [] });
}

if (results.redis && !('error' in results.redis)) {
  const r = results.redis;
  const pair = (p50: number, p95: number, digits = 2) => `${ms(p50, digits)} / ${ms(p95, digits)}`;
  const rows: Row[] = [];
  const c = r.coordination;
  if ('error' in c) rows.push(['coordination per refresh', `not measured: ${c.error}`, '', '', '']);
  else
    rows.push([
      `coordination per refresh: ${c.refresh}`,
      `auth.refresh(): ${pair(c.door.p50Ms, c.door.p95Ms)}`,
      `the grant called directly: ${pair(c.bare.p50Ms, c.bare.p95Ms)}`,
      ratio(c.ratioOfMedians),
      `+${ms(c.addedMs, 2)} per refresh; door refresh() calls ${c.doorRefreshCalls}/${c.expectedRefreshCalls}, failures ${c.failures}`,
    ]);
  const f = r.fanOut;
  if ('error' in f) rows.push(['fan-out', `not measured: ${f.error}`, '', '', '']);
  else
    rows.push([
      `fan-out: ${f.processes * f.callers} callers in ${f.processes} processes hold the new token, from go`,
      `all hold: ${pair(f.allHold.p50Ms, f.allHold.p95Ms, 1)}`,
      `floor: ${ms(f.floor.totalMs, 2)} (one refresh ${ms(f.floor.refreshMs, 2)} + one publish ${ms(f.floor.publishMs, 2)})`,
      ratio(f.allHold.p50Ms / f.floor.totalMs),
      `rotations per round: ${f.rotationsPerRound.join(', ')}; failed callers ${f.failures}; processes on another generation: ${f.generationMismatches}`,
    ]);
  sections.push({
    title: `Node door on Redis: createRedisAdapters (Redis lock, sealed record, sharded pub/sub; redis-server on 127.0.0.1; Node ${machine.node})`,
    header: ['figure', 'Node door p50 / p95', 'baseline', 'ratio', 'checks'],
    rows,
    notes: [
      `coordination per refresh: \`auth.refresh()\` of the door (the Redis lock taken with a script, the sealed record read and opened, the mock's POST /oauth/token, the record sealed and written by a compare-and-set script, the announcement published, the lock released) beside the same grant called directly, alternating one for one, ${r.options.coordination.refreshes} each after ${r.options.coordination.warmup} warm-up; ratio = median ÷ median.`,
      `fan-out: ${r.options.fanOut.processes} processes (forked, each its own node-redis connection), each with ${r.options.fanOut.callers} concurrent auth.refresh() calls started on one \`go\`; timed from the first process's go to the last caller's answer, on process.hrtime (one clock for every process); p50 / p95 over ${r.options.fanOut.rounds} rounds. Floor: one bare refresh round trip (the mock) + one publish delivered to a sharded subscriber on another connection, medians measured in the same run. Ratio: p50 ÷ floor.`,
    ],
  });
} else if (results.redis) {
  sections.push({
    title: 'Node door on Redis',
    header: ['not measured'],
    rows: [[results.redis.error]],
    notes: [],
  });
}

if (results.bundle) {
  const { library, peers } = results.bundle;
  if ('error' in library) {
    sections.push({
      title: 'Bundle size: ky-token-refresh (its size-limit entries)',
      header: ['not measured'],
      rows: [[library.error]],
      notes: [],
    });
  } else {
    sections.push({
      title: `Bundle size: ${library.packageName} ${library.packageVersion}, one row per entry of its size-limit config (size-limit ${library.sizeLimitVersion}: esbuild --bundle --minify of \`import { X } from '<path>'\` from dist/, peers and the entry's ignore list external, gzip -9; kB = 1000 bytes)`,
      header: ['entry', 'min', 'gzip', 'limit', 'within', 'ignored', 'size-limit name'],
      rows: library.entries.map((entry) => {
        const what = `${entry.import ?? '*'} from ${entry.path}`;
        if (entry.error !== undefined)
          return [what, `not measured: ${entry.error}`, '', '', '', '', entry.name];
        const compared =
          entry.compression === 'gzip' || entry.size === undefined
            ? ''
            : ` (its ${entry.compression} size: ${kilobytes(entry.size)})`;
        return [
          what,
          kilobytes(entry.min ?? Number.NaN),
          kilobytes(entry.gzip ?? Number.NaN),
          entry.limitBytes === undefined ? '—' : `${entry.limit} (${kilobytes(entry.limitBytes)})`,
          entry.passed === undefined ? '—' : `${entry.passed ? 'yes' : 'NO'}${compared}`,
          entry.ignore.length === 0 ? '—' : entry.ignore.join(', '),
          entry.name,
        ];
      }),
      notes: [
        `Read from the "size-limit" array of packages/ky-token-refresh/package.json and measured by the package's own size-limit CLI, so the gzip figures are those of \`pnpm --filter ky-token-refresh size\` (which subtracts esbuild's empty-project bytes; min is the same build with compression off). dist/ ${library.dist === 'built' ? 'was built for this run' : 'was newer than src/'}. The peer dependency ky is external in every entry.`,
      ],
    });
  }
  const peerRows: Row[] = peers.map((measure) => {
    const name = `${measure.label}${measure.version ? ` ${measure.version}` : ''}`;
    const imported = measure.entry.replace(/^import\s+/, '').replace(/\s+from.*/, '');
    if (measure.error || !measure.initial || !measure.lazy)
      return [name, imported, `cannot be bundled: ${measure.error}`, '', '', ''];
    return [
      name,
      imported,
      kilobytes(measure.initial.minified),
      kilobytes(measure.initial.gzip9),
      kilobytes(measure.initial.gzipDefault),
      measure.lazy.chunks === 0
        ? '—'
        : `${kilobytes(measure.lazy.minified)} / ${kilobytes(measure.lazy.gzip9)}`,
    ];
  });
  sections.push({
    title:
      'Bundle size: peers (esbuild --bundle --minify --format=esm --platform=browser, splitting on; gzip via node:zlib; kB = 1000 bytes)',
    header: [
      'package',
      'import',
      'initial min',
      'initial gzip -9',
      'initial gzip (default)',
      'lazy chunks min / gzip -9',
    ],
    rows: peerRows,
    notes: [
      'Entry: `import { X } from "pkg"; console.log(X)` for each package (a default import where the package has no named main export). initial: the entry chunk and the chunks it imports statically; lazy: what only dynamic import() reaches.',
    ],
  });
}

const footer = [
  `Reproduce: \`${command}\` (Node ${machine.node}, ${machine.cpus}; Chromium ${results.recovery.some((entry) => entry.where.startsWith('Chromium') && !('error' in entry)) ? 'headless' : 'not used'}).`,
  `Load average ${machine.loadAverageAtStart.join(' ')} at start, ${machine.loadAverageAtEnd.join(' ')} at end: the machine was shared, timings are noisy; figures are medians of several rounds, compare ratios (both sides measured in the same run), not absolute times.`,
];

console.log('\n==================== results ====================');
for (const section of sections) {
  console.log(`\n${section.title}\n`);
  console.log(textTable(section.header, section.rows));
  for (const note of section.notes) console.log(`  · ${note}`);
}
console.log(`\n${footer.join('\n')}`);

const markdown = [
  ...sections.flatMap((section) => [
    `**${section.title}**`,
    '',
    markdownTable(section.header, section.rows),
    '',
    ...section.notes.map((note) => `- ${note}`),
    '',
  ]),
  ...footer,
  '',
].join('\n');
console.log('\n==================== Markdown (for the README) ====================\n');
console.log(markdown);

await mkdir(resultsDir, { recursive: true });
await writeFile(`${resultsDir}bench.json`, `${JSON.stringify(results, null, 2)}\n`);
await writeFile(`${resultsDir}bench.md`, markdown);
console.log(`Wrote ${resultsDir}bench.json and bench.md (${fixed(results.durationMs / 1000, 0)} s).`);
