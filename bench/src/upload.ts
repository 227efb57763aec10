/**
Upload memory: the peak memory of uploading one large Blob, with and without the library. Each variant (see
`lib/upload-types.ts`) runs in its own fresh Node process (`clients/upload-client.ts`), so one variant's
garbage or high-water mark never counts in another's; the server (`servers/upload-server.ts`) is a third
process that reads each body to the end and answers the byte count. Processes alternate between variants,
round after round, with the order rotated each round. Every figure is a growth over the baseline each process
took right after creating its Blob: a copy of the Blob held anywhere (by undici's Request, a tee, the library)
shows up as a growth of about the Blob's size.
*/
import { fork } from 'node:child_process';
import { startChild } from './lib/child.ts';
import { fakeJwt } from './lib/fake-jwt.ts';
import { buildLibrary } from './lib/library.ts';
import { max, mebibytes, median, min } from './lib/stats.ts';
import {
  type UploadChildConfig,
  type UploadChildReport,
  type UploadVariantName,
  uploadVariantNames,
} from './lib/upload-types.ts';

export { type UploadVariantName, uploadVariantNames } from './lib/upload-types.ts';

export interface UploadOptions {
  /** Size of the Blob, in bytes. */
  sizeBytes: number;
  /** The Blob is built from parts of this many bytes (and read back in chunks of this size). */
  partBytes: number;
  /** Uploads per process, one after the other. */
  uploads: number;
  /** Processes per variant (alternating variants). */
  processes: number;
  sampleEveryMs: number;
  /** During the extra probe upload of each process, a forced GC and a sample every this many ms. */
  retainedEveryMs: number;
  uploadTimeoutMs: number;
  /** Deadline of one whole child process (start, warm-up, Blob, uploads), in ms: killed past it. */
  processTimeoutMs: number;
}

/** Medians over the successful processes of one variant; memory figures in bytes. */
export interface UploadVariantSummary {
  processes: number;
  /** One line per failed process: what went wrong (no figure is taken from it). */
  failures: string[];
  /** The kernel's high-water mark (`maxRSS`) at the end − RSS at the baseline: the peak growth. */
  peakRssGrowth: number;
  /** The lowest and the highest `peakRssGrowth` among the processes (how much it moves with the GC's timing). */
  peakRssGrowthRange: [number, number];
  /** Highest sampled RSS − RSS at the baseline. */
  sampledRssGrowth: number;
  /** Highest sampled `arrayBuffers` − its value at the baseline. */
  arrayBuffersGrowth: number;
  /** Highest sampled `external` (which includes array buffers) − its value at the baseline. */
  externalGrowth: number;
  /**
  Highest `arrayBuffers` sampled right after a forced GC during the probe upload − its value at the baseline:
  what the upload keeps reachable (a held copy of the Blob shows here as about its size).
  */
  retainedArrayBuffersGrowth: number;
  /** RSS at the baseline (the runtime, the code and the Blob). */
  baselineRss: number;
  /** The kernel's high-water mark at the end (`maxRSS`): the whole process's peak. */
  peakRss: number;
  /**
  `maxRSS` − RSS, both at the baseline: how far the high-water mark already stood above the baseline (the
  warm-up's garbage before the GC); a growth smaller than this cannot show in `peakRssGrowth`.
  */
  watermarkSlack: number;
  /** Median duration of one upload, ms (every upload of every process). */
  uploadMs: number;
  samplesPerProcess: number;
}

export interface UploadComparison {
  subject: UploadVariantName;
  baseline: UploadVariantName;
  /** subject's median peak RSS growth ÷ baseline's. */
  peakRssGrowthRatio: number;
  /** subject's median peak RSS ÷ baseline's (whole process: runtime, Blob and upload). */
  peakRssRatio: number;
  /** subject's median sampled arrayBuffers growth ÷ baseline's. */
  arrayBuffersGrowthRatio: number;
  /** subject's median arrayBuffers held after GC ÷ baseline's. */
  retainedRatio: number;
  /** The ratio the library aims at for `peakRssGrowthRatio`, where there is one (the happy path). */
  target?: number;
}

export interface UploadResult {
  options: UploadOptions;
  /** Every child's report, in the order they ran. */
  processes: (UploadChildReport & { round: number })[];
  variants: Record<UploadVariantName, UploadVariantSummary>;
  comparisons: UploadComparison[];
}

/** `[subject, baseline, target?]`: the library ÷ the same client without it. */
export const uploadComparisons: readonly (readonly [UploadVariantName, UploadVariantName, number?])[] = [
  ['auth.fetch', 'fetch', 1.1],
  ['ky + hooks', 'ky', 1.1],
  ['auth.fetch, 401 → replay', 'fetch'],
  ['ky + hooks, 401 → replay', 'ky'],
];

const clientScript = new URL('./clients/upload-client.ts', import.meta.url);

/** Fork one child for `config`; resolves with its report, or a report carrying the reason it has none. */
const runClient = (config: UploadChildConfig, timeoutMs: number): Promise<UploadChildReport> =>
  new Promise((resolve) => {
    const none = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0, maxRss: 0 };
    let report: UploadChildReport | undefined;
    let settled = false;
    const finish = (fallbackError: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(
        report ?? {
          variant: config.variant,
          error: fallbackError,
          uploads: [],
          baseline: none,
          peak: none,
          samples: 0,
          retained: none,
          retainedSamples: 0,
        },
      );
    };
    const child = fork(clientScript, [JSON.stringify(config)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(`killed after ${timeoutMs} ms`);
    }, timeoutMs);
    child.on('message', (message) => {
      report = message as UploadChildReport;
    });
    child.once('error', (error) => finish(`could not run: ${error.message}`));
    child.once('exit', (code, signal) => finish(`exited (${signal ?? code}) without a report`));
  });

const summarize = (reports: UploadChildReport[]): UploadVariantSummary => {
  const ok = reports.filter((report) => report.error === undefined);
  const of = (pick: (report: UploadChildReport) => number) => median(ok.map(pick));
  return {
    processes: ok.length,
    failures: reports.flatMap((report) => (report.error === undefined ? [] : [report.error])),
    peakRssGrowth: of((report) => report.peak.maxRss - report.baseline.rss),
    peakRssGrowthRange: [
      min(ok.map((report) => report.peak.maxRss - report.baseline.rss)),
      max(ok.map((report) => report.peak.maxRss - report.baseline.rss)),
    ],
    sampledRssGrowth: of((report) => report.peak.rss - report.baseline.rss),
    arrayBuffersGrowth: of((report) => report.peak.arrayBuffers - report.baseline.arrayBuffers),
    externalGrowth: of((report) => report.peak.external - report.baseline.external),
    retainedArrayBuffersGrowth: of((report) => report.retained.arrayBuffers - report.baseline.arrayBuffers),
    baselineRss: of((report) => report.baseline.rss),
    peakRss: of((report) => report.peak.maxRss),
    watermarkSlack: of((report) => report.baseline.maxRss - report.baseline.rss),
    uploadMs: median(ok.flatMap((report) => report.uploads.map((upload) => upload.ms))),
    samplesPerProcess: of((report) => report.samples),
  };
};

export const runUpload = async (
  options: UploadOptions,
  log: (line: string) => void,
): Promise<UploadResult> => {
  const libraryUrl = await buildLibrary();
  const token = fakeJwt(3600);
  const staleToken = fakeJwt(3600, 'stale');
  const server = await startChild(new URL('./servers/upload-server.ts', import.meta.url), [
    `Bearer ${token}`,
  ]);
  try {
    const processes: UploadResult['processes'] = [];
    for (let round = 0; round < options.processes; round++) {
      // Rotate the order each round, so drift in the machine's load hits every variant alike.
      const shift = round % uploadVariantNames.length;
      const order = [...uploadVariantNames.slice(shift), ...uploadVariantNames.slice(0, shift)];
      for (const variant of order) {
        const report = await runClient(
          {
            variant,
            url: `${server.url}/upload`,
            token,
            staleToken,
            libraryUrl,
            sizeBytes: options.sizeBytes,
            partBytes: options.partBytes,
            uploads: options.uploads,
            sampleEveryMs: options.sampleEveryMs,
            retainedEveryMs: options.retainedEveryMs,
            uploadTimeoutMs: options.uploadTimeoutMs,
          },
          options.processTimeoutMs,
        );
        processes.push({ ...report, round });
        const prefix = `  round ${round + 1}/${options.processes} ${variant.padEnd(26)}`;
        if (report.error !== undefined) {
          log(`${prefix} FAILED: ${report.error}`);
          continue;
        }
        const times = report.uploads.map((upload) => `${upload.ms.toFixed(0)}`).join('/');
        log(
          `${prefix} peak RSS ${mebibytes(report.peak.maxRss - report.baseline.rss, true)} ` +
            `(sampled ${mebibytes(report.peak.rss - report.baseline.rss, true)}), ` +
            `arrayBuffers ${mebibytes(report.peak.arrayBuffers - report.baseline.arrayBuffers, true)}, ` +
            `held after GC ${mebibytes(report.retained.arrayBuffers - report.baseline.arrayBuffers, true)}, ` +
            `baseline RSS ${mebibytes(report.baseline.rss)}, uploads ${times} ms`,
        );
      }
    }
    const variants = Object.fromEntries(
      uploadVariantNames.map((name) => [
        name,
        summarize(processes.filter((report) => report.variant === name)),
      ]),
    ) as Record<UploadVariantName, UploadVariantSummary>;
    return {
      options,
      processes,
      variants,
      comparisons: uploadComparisons.map(([subject, baseline, target]) => ({
        subject,
        baseline,
        peakRssGrowthRatio: variants[subject].peakRssGrowth / variants[baseline].peakRssGrowth,
        peakRssRatio: variants[subject].peakRss / variants[baseline].peakRss,
        arrayBuffersGrowthRatio: variants[subject].arrayBuffersGrowth / variants[baseline].arrayBuffersGrowth,
        retainedRatio:
          variants[subject].retainedArrayBuffersGrowth / variants[baseline].retainedArrayBuffersGrowth,
        ...(target !== undefined && { target }),
      })),
    };
  } finally {
    await server.stop();
  }
};
