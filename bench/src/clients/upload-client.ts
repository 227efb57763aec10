/**
One variant of the upload benchmark, alone in a fresh Node process (forked by `upload.ts` with --expose-gc),
so its memory peak mixes with no other variant's. Argument: `UploadChildConfig` as JSON. It
1. imports ky and the library (every variant does, so every process carries the same code), authorizes the
   library (`setToken` with a token the server accepts; `refresh` returns that same token);
2. warms the variant up with one small upload (JIT, undici's lazy modules, the connection);
3. creates the Blob once: `sizeBytes` random bytes, appended as `partBytes` parts (each part is a copy into the
   Blob's store; the source buffer is reused), so building it leaves no transient copy of the whole in the
   process's high-water mark, and reading it yields `partBytes` chunks like a file-backed Blob;
4. forces a GC and takes the baseline (`process.memoryUsage()`, `process.resourceUsage().maxRSS`);
5. uploads the Blob `uploads` times, one after the other, sampling `process.memoryUsage()` every
   `sampleEveryMs` ms, and checks each answer: status 200 and exactly `sizeBytes` bytes read by the server
   (and, for a replay variant, one replay per upload);
6. uploads it once more, forcing a GC before each sample (every `retainedEveryMs` ms): what stays reachable
   during an upload, apart from the garbage that piles up between collections;
7. sends an `UploadChildReport` over IPC and exits.
*/
import { randomFillSync } from 'node:crypto';
import ky from 'ky';
import type {
  MemorySnapshot,
  UploadAnswer,
  UploadChildConfig,
  UploadChildReport,
  UploadSample,
  UploadVariantName,
} from '../lib/upload-types.ts';
import { replayVariants } from '../lib/upload-types.ts';

type Library = typeof import('ky-token-refresh');

const config = JSON.parse(process.argv[2] ?? '{}') as UploadChildConfig;
const { createTokenRefresh } = (await import(config.libraryUrl)) as Library;

const origin = new URL(config.url).origin;
const auth = createTokenRefresh({
  name: 'bench-upload',
  crossTab: false,
  // Node has no `location`: say which URLs are ours.
  isAuthorizedUrl: (url) => url.origin === origin,
  refresh: () => config.token,
});
await auth.setToken(config.token);

const headers = { Authorization: `Bearer ${config.token}` };
// No ky timeout (a busy machine may take seconds per upload): every upload has the deadline below instead.
const bareKy = ky.create({ headers, timeout: false });
const hooksKy = ky.create({ hooks: auth.hooks, timeout: false });

/** Status and server-side byte count of one upload. */
type Outcome = { status: number; bytes: number };
const fromFetch = async (response: Response): Promise<Outcome> => ({
  status: response.status,
  bytes: ((await response.json()) as UploadAnswer).bytes,
});
const post = { method: 'POST' } as const;
const senders: Record<UploadVariantName, (blob: Blob) => Promise<Outcome>> = {
  fetch: async (blob) => fromFetch(await fetch(config.url, { ...post, headers, body: blob })),
  'auth.fetch': async (blob) => fromFetch(await auth.fetch(config.url, { ...post, body: blob })),
  ky: async (blob) => fromFetch(await bareKy.post(config.url, { body: blob })),
  'ky + hooks': async (blob) => fromFetch(await hooksKy.post(config.url, { body: blob })),
  'auth.fetch, 401 → replay': async (blob) =>
    fromFetch(await auth.fetch(config.url, { ...post, body: blob })),
  'ky + hooks, 401 → replay': async (blob) => fromFetch(await hooksKy.post(config.url, { body: blob })),
};
const send = senders[config.variant];
const replays = replayVariants.includes(config.variant);

/** `promise`, or a rejection after `ms` (the process exits right after, dropping whatever still runs). */
const withDeadline = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });

/** One upload of `blob`, checked: the error text when it failed. */
const upload = async (blob: Blob, what: string): Promise<UploadSample | string> => {
  // The replay variants start each upload with a token the server rejects: a 401, a refresh, one replay.
  if (replays) await auth.setToken(config.staleToken);
  const replaysBefore = auth.stats().replays;
  const start = performance.now();
  let outcome: Outcome;
  try {
    outcome = await withDeadline(send(blob), config.uploadTimeoutMs, what);
  } catch (error) {
    return `${what}: ${error instanceof Error ? error.message : String(error)}`;
  }
  const ms = performance.now() - start;
  const sample: UploadSample = { ms, ...outcome, replays: auth.stats().replays - replaysBefore };
  if (sample.status !== 200) return `${what}: status ${sample.status}`;
  if (sample.bytes !== blob.size) return `${what}: the server read ${sample.bytes} bytes, not ${blob.size}`;
  const expectedReplays = replays ? 1 : 0;
  if (sample.replays !== expectedReplays)
    return `${what}: ${sample.replays} replay(s), expected ${expectedReplays}`;
  return sample;
};

/** A Blob of `size` random bytes, appended `partBytes` at a time from one reused buffer. */
const randomBlob = (size: number, partBytes: number): Blob => {
  const buffer = new Uint8Array(partBytes);
  const parts: Blob[] = [];
  for (let offset = 0; offset < size; offset += partBytes) {
    const length = Math.min(partBytes, size - offset);
    parts.push(new Blob([randomFillSync(buffer.subarray(0, length))]));
  }
  return new Blob(parts);
};

const snapshot = (): MemorySnapshot => {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
};
const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;
const collectGarbage = async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let pass = 0; pass < 2; pass++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const report = (fields: Omit<UploadChildReport, 'variant'>): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send({ variant: config.variant, ...fields } satisfies UploadChildReport, () => resolve());
  });

const empty: MemorySnapshot & { maxRss: number } = {
  rss: 0,
  heapUsed: 0,
  external: 0,
  arrayBuffers: 0,
  maxRss: 0,
};

const warmup = await upload(randomBlob(64 * 1024, 64 * 1024), 'warm-up upload (64 KiB)');
if (typeof warmup === 'string') {
  await report({
    error: warmup,
    uploads: [],
    baseline: empty,
    peak: empty,
    samples: 0,
    retained: empty,
    retainedSamples: 0,
  });
  process.exit(1);
}

const blob = randomBlob(config.sizeBytes, config.partBytes);
await collectGarbage();
const baseline = { ...snapshot(), maxRss: maxRssBytes() };

const peak = { ...baseline };
let samples = 0;
const sample = () => {
  const now = snapshot();
  peak.rss = Math.max(peak.rss, now.rss);
  peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
  peak.external = Math.max(peak.external, now.external);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
  samples++;
};
// Stopped after the last upload (or the first failure); each upload has its deadline, so this is bounded.
const sampler = setInterval(sample, config.sampleEveryMs);
const uploads: UploadSample[] = [];
let error: string | undefined;
for (let index = 0; index < config.uploads; index++) {
  const result = await upload(blob, `upload ${index + 1}/${config.uploads}`);
  sample();
  if (typeof result === 'string') {
    error = result;
    break;
  }
  uploads.push(result);
}
clearInterval(sampler);
peak.maxRss = maxRssBytes();

// One more upload, after the peaks were read: a forced GC before each sample, so only what is still reachable
// counts (what the upload holds, without the garbage V8 lets pile up between collections).
const retained = { ...baseline };
let retainedSamples = 0;
if (error === undefined) {
  await collectGarbage();
  const gc = (globalThis as { gc?: () => void }).gc;
  const probe = () => {
    gc?.();
    const now = snapshot();
    retained.rss = Math.max(retained.rss, now.rss);
    retained.heapUsed = Math.max(retained.heapUsed, now.heapUsed);
    retained.external = Math.max(retained.external, now.external);
    retained.arrayBuffers = Math.max(retained.arrayBuffers, now.arrayBuffers);
    retainedSamples++;
  };
  const prober = setInterval(probe, config.retainedEveryMs);
  const result = await upload(blob, 'probe upload (GC before each sample)');
  clearInterval(prober);
  if (typeof result === 'string') error = result;
}

await report({
  ...(error !== undefined && { error }),
  uploads,
  baseline,
  peak,
  samples,
  retained,
  retainedSamples,
});
auth.dispose();
process.exit(error === undefined ? 0 : 1);
