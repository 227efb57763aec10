/** What the upload benchmark's parent process (`upload.ts`) and its child processes (`clients/upload-client.ts`) share. */

/**
The variants, each measured in its own child process:
- `fetch`: bare `fetch(url, { method: 'POST', body: blob })`, Authorization set by hand;
- `auth.fetch`: the library's fetch door with the same arguments;
- `ky`: bare `ky.post(url, { body: blob })`, Authorization set by hand;
- `ky + hooks`: ky with `auth.hooks`;
- the two `401 → replay` variants: the same two doors, but each upload is first sent with a token the server
  rejects (after reading the whole body), so the library refreshes and replays the upload once.
*/
export const uploadVariantNames = [
  'fetch',
  'auth.fetch',
  'ky',
  'ky + hooks',
  'auth.fetch, 401 → replay',
  'ky + hooks, 401 → replay',
] as const;
export type UploadVariantName = (typeof uploadVariantNames)[number];

/** The variants whose every upload meets a 401 first and is replayed once. */
export const replayVariants: readonly UploadVariantName[] = [
  'auth.fetch, 401 → replay',
  'ky + hooks, 401 → replay',
];

/** What the server answers (200 or 401): the byte count it read from the request body. */
export interface UploadAnswer {
  bytes: number;
  error?: string;
}

/** The child's argument (JSON). */
export interface UploadChildConfig {
  variant: UploadVariantName;
  /** The upload endpoint (node:http on 127.0.0.1, in another process). */
  url: string;
  /** The token the server accepts. */
  token: string;
  /** A well-formed token the server rejects with 401 (the replay variants start each upload with it). */
  staleToken: string;
  /** The file URL of the library as built for Node by `lib/library.ts`. */
  libraryUrl: string;
  /** Size of the Blob, in bytes. */
  sizeBytes: number;
  /** The Blob is built from parts of this many bytes (see `clients/upload-client.ts`). */
  partBytes: number;
  /** Uploads of the Blob, one after the other, all measured. */
  uploads: number;
  /** The memory is sampled every this many ms during the uploads. */
  sampleEveryMs: number;
  /** During the extra probe upload, a forced GC and a sample every this many ms. */
  retainedEveryMs: number;
  /** Deadline of one upload, in ms. */
  uploadTimeoutMs: number;
}

/** `process.memoryUsage()` figures, in bytes. */
export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  /** Memory of C++ objects bound to JS objects, array buffers included. */
  external: number;
  /** Memory of ArrayBuffers and SharedArrayBuffers (Buffers and Uint8Arrays included). */
  arrayBuffers: number;
}

/** One measured upload. */
export interface UploadSample {
  ms: number;
  /** Bytes the server said it read for the request that got the final answer. */
  bytes: number;
  status: number;
  /** Replays the library counted during this upload (`auth.stats().replays`). */
  replays: number;
}

/** What the child sends back over IPC, once. */
export interface UploadChildReport {
  variant: UploadVariantName;
  /** Absent when every upload succeeded with the expected byte count (and, for a replay variant, one replay). */
  error?: string;
  uploads: UploadSample[];
  /** Right after the Blob was created (after a warm-up upload and a forced GC). */
  baseline: MemorySnapshot & {
    /** `process.resourceUsage().maxRSS` at that point, in bytes: the process's high-water mark so far. */
    maxRss: number;
  };
  /** The highest value of each figure, sampled during the uploads; `maxRss` read from the kernel at the end. */
  peak: MemorySnapshot & { maxRss: number };
  /** Memory samples taken during the uploads. */
  samples: number;
  /**
  The highest value of each figure sampled right after a forced GC, during one extra upload (after the peaks
  were read): the memory the upload keeps reachable, without the garbage awaiting collection.
  */
  retained: MemorySnapshot;
  retainedSamples: number;
}
