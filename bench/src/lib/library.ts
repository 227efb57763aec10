/**
The library under test, always built from its source (packages/ky-token-refresh/src) by esbuild at the start
of a run: the figures never depend on whether `dist/` is present or fresh, and a concurrent rebuild of
`dist/` elsewhere in the workspace cannot break a run. ky stays external (it is a peer dependency); the
library's own dependencies (jose, idb-keyval, broadcast-channel) are bundled in.
*/
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const librarySource = fileURLToPath(
  new URL('../../../packages/ky-token-refresh/src/index.ts', import.meta.url),
);
/** The Node entry, `ky-token-refresh/node` (the file adapters: lock, credentials file, channel). */
export const nodeLibrarySource = fileURLToPath(
  new URL('../../../packages/ky-token-refresh/src/node/index.ts', import.meta.url),
);
/** The Redis adapters, `ky-token-refresh/redis` (built beside the Node entry, sharing its chunks). */
export const redisLibrarySource = fileURLToPath(
  new URL('../../../packages/ky-token-refresh/src/node/redis/index.ts', import.meta.url),
);
export const resultsDir = fileURLToPath(new URL('../../results/', import.meta.url));
const outdir = fileURLToPath(new URL('../../results/.build/lib/', import.meta.url));
const nodeOutdir = fileURLToPath(new URL('../../results/.build/lib-node/', import.meta.url));

type Library = typeof import('ky-token-refresh');
export type NodeLibrary = typeof import('ky-token-refresh/node');
export type RedisLibrary = typeof import('ky-token-refresh/redis');

let built: Promise<string> | undefined;
let builtNode: Promise<string> | undefined;

/**
Build the library for Node (ESM) once per run; resolves to the file URL of the built module (child processes
of the bench import it from there).
*/
export const buildLibrary = (): Promise<string> => {
  built ??= (async () => {
    await mkdir(outdir, { recursive: true });
    await build({
      entryPoints: { 'ky-token-refresh': librarySource },
      bundle: true,
      format: 'esm',
      splitting: true,
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2022',
      external: ['ky'],
      outdir,
      logLevel: 'warning',
    });
    return pathToFileURL(`${outdir}ky-token-refresh.js`).href;
  })();
  return built;
};

/** Build the library for Node (ESM) and import it. */
export const loadLibrary = async (): Promise<Library> => (await import(await buildLibrary())) as Library;

/**
Build `ky-token-refresh/node` for Node (ESM, platform node: its `node:` imports stay imports) once per run, in
a directory of its own; resolves to the file URL of the built module (the door's child processes import it).
*/
export const buildNodeLibrary = (): Promise<string> => {
  builtNode ??= (async () => {
    await mkdir(nodeOutdir, { recursive: true });
    await build({
      entryPoints: {
        'ky-token-refresh-node': nodeLibrarySource,
        'ky-token-refresh-redis': redisLibrarySource,
      },
      bundle: true,
      format: 'esm',
      splitting: true,
      platform: 'node',
      target: 'es2022',
      external: ['ky'],
      outdir: nodeOutdir,
      logLevel: 'warning',
    });
    return pathToFileURL(`${nodeOutdir}ky-token-refresh-node.js`).href;
  })();
  return builtNode;
};

/** Build `ky-token-refresh/node` (from its source) and import it. */
export const loadNodeLibrary = async (): Promise<NodeLibrary> =>
  (await import(await buildNodeLibrary())) as NodeLibrary;

/** The file URL of the built `ky-token-refresh/redis` (built with the Node entry). */
export const buildRedisLibrary = async (): Promise<string> =>
  (await buildNodeLibrary()).replace(/ky-token-refresh-node\.js$/, 'ky-token-refresh-redis.js');

/** Build `ky-token-refresh/redis` (from its source) and import it. */
export const loadRedisLibrary = async (): Promise<RedisLibrary> =>
  (await import(await buildRedisLibrary())) as RedisLibrary;

/** What the bench uses of a node-redis connection (the library package's own node-redis: not a bench dependency). */
export type BenchRedisClient = import('ky-token-refresh/redis').RedisConnection & {
  connect(): Promise<BenchRedisClient>;
  destroy(): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  sSubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
};

/** node-redis's `createClient`, resolved from packages/ky-token-refresh (its dev dependency). */
export const loadRedisClient = async (): Promise<{
  createClient(options: { url: string }): BenchRedisClient;
}> => {
  const from = new URL('../../../packages/ky-token-refresh/package.json', import.meta.url);
  return (await import(pathToFileURL(createRequire(from).resolve('@redis/client')).href)) as {
    createClient(options: { url: string }): BenchRedisClient;
  };
};
