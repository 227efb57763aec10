/**
The library's bundle size, entry by entry, as its own `size-limit` config (the `size-limit` array of
packages/ky-token-refresh/package.json) defines it, measured by the package's own size-limit CLI (so the
figures are those of `pnpm --filter ky-token-refresh size`): for each entry, esbuild bundles and minifies
`import { X } from '<path>'` from the package's built `dist/` (no code splitting), with the entry's `ignore`
list and the package's peer dependencies external, then gzip -9, minus size-limit's empty-project offset.
The entries are read from package.json at each run, never listed here.

`dist/` is built first (`pnpm --filter ky-token-refresh run build`) when it is missing or older than a file
of `src/`. Each entry is measured three times in one CLI run: as written (the size compared with its limit),
with gzip, and with compression off (the minified size).
*/
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultsDir } from './lib/library.ts';

/** One entry of a `size-limit` config, as the package writes it (the fields the bench reads). */
export interface SizeLimitEntry {
  name?: string;
  /** A file (or glob) relative to the package, or an array of them. */
  path?: string | string[];
  /** What the entry imports from `path`, e.g. `{ createTokenRefresh }`. */
  import?: string;
  /** Modules kept out of the bundle (besides the peer dependencies, which size-limit always keeps out). */
  ignore?: string[];
  /** The size limit as written, e.g. `7.4 KB` (size-limit reads kB, KB as 1000 bytes and KiB as 1024). */
  limit?: string;
  gzip?: boolean;
  brotli?: boolean;
}

export interface SizeLimitMeasure {
  name: string;
  path: string;
  import: string | undefined;
  ignore: string[];
  /** The limit as written in package.json. */
  limit: string | undefined;
  /** The limit in bytes, as size-limit parsed it. */
  limitBytes?: number;
  /** The compression the entry asks for (size-limit's default is brotli): the one its limit applies to. */
  compression: 'gzip' | 'brotli' | 'none';
  /** Minified, bytes (size-limit with gzip and brotli off). */
  min?: number;
  /** Minified + gzip -9, bytes. */
  gzip?: number;
  /** The size size-limit compares with the limit (with the entry's compression: `gzip` when it sets gzip). */
  size?: number;
  /** Whether `size` is within the limit (size-limit's verdict); absent without a limit. */
  passed?: boolean;
  /** Why there is no figure. */
  error?: string;
}

export interface SizeLimitResult {
  packageName: string;
  packageVersion: string;
  sizeLimitVersion: string;
  /** Whether `dist/` was built for this run or was already newer than `src/`. */
  dist: 'built' | 'up to date';
  entries: SizeLimitMeasure[];
}

const packageDir = fileURLToPath(new URL('../../packages/ky-token-refresh/', import.meta.url));
const repositoryDir = fileURLToPath(new URL('../../', import.meta.url));

const run = (
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr: stderr || (error && !stdout ? error.message : '') });
    });
  });

/** The newest modification time of the library's sources (tests excluded), ms since the epoch. */
const newestSource = async (): Promise<number> => {
  const sourceDir = join(packageDir, 'src');
  let newest = 0;
  for (const entry of await readdir(sourceDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
};

/** Build `dist/` with the package's own script when it is missing or older than `src/`. */
const ensureDist = async (log: (line: string) => void): Promise<'built' | 'up to date'> => {
  const builtAt = await stat(join(packageDir, 'dist/index.js')).then(
    (file) => file.mtimeMs,
    () => undefined,
  );
  if (builtAt !== undefined && builtAt >= (await newestSource())) return 'up to date';
  log('  building dist/: pnpm --filter ky-token-refresh run build');
  const pnpm = process.env.npm_execpath;
  const [command, args] =
    pnpm && /pnpm/.test(pnpm) && /\.c?js$/.test(pnpm)
      ? [process.execPath, [pnpm, '--filter', 'ky-token-refresh', 'run', 'build']]
      : ['pnpm', ['--filter', 'ky-token-refresh', 'run', 'build']];
  const result = await run(command, args, repositoryDir, 180_000);
  if (result.code !== 0)
    throw new Error(
      `pnpm --filter ky-token-refresh run build failed (${result.code}): ${result.stderr.trim() || result.stdout.trim()}`,
    );
  return 'built';
};

/** Measure every entry of the package's `size-limit` config with its size-limit CLI. */
export const measureSizeLimit = async (log: (line: string) => void): Promise<SizeLimitResult> => {
  const pkg = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    'size-limit'?: SizeLimitEntry[];
  };
  const entries = pkg['size-limit'];
  if (!Array.isArray(entries) || entries.length === 0)
    throw new Error(`no "size-limit" array in ${pkg.name}'s package.json`);
  const require = createRequire(join(packageDir, 'package.json'));
  const cliDir = dirname(require.resolve('size-limit/package.json'));
  const cli = JSON.parse(await readFile(join(cliDir, 'package.json'), 'utf8')) as {
    version: string;
    bin: string | Record<string, string>;
  };
  const bin = typeof cli.bin === 'string' ? cli.bin : (cli.bin['size-limit'] ?? 'bin.js');
  const dist = await ensureDist(log);

  // The entries as written (paths made absolute: the config lives elsewhere), then each one with compression
  // off. Run from the package's directory, so size-limit finds its plugins and peer dependencies there.
  const absolute = (path: string) => (isAbsolute(path) ? path : join(packageDir, path));
  const asWritten = entries.map((entry) => ({
    ...entry,
    ...(entry.path !== undefined && {
      path: Array.isArray(entry.path) ? entry.path.map(absolute) : absolute(entry.path),
    }),
  }));
  const withoutLimit = asWritten.map(({ limit: _limit, ...entry }) => entry);
  const config = [
    ...asWritten,
    ...withoutLimit.map((entry) => ({ ...entry, gzip: true, brotli: undefined })),
    ...withoutLimit.map((entry) => ({ ...entry, gzip: false, brotli: false })),
  ];
  const configDir = join(resultsDir, '.build');
  await mkdir(configDir, { recursive: true });
  const configPath = join(configDir, 'size-limit.json');
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const result = await run(
    process.execPath,
    [join(cliDir, bin), '--json', '--config', configPath],
    packageDir,
    120_000,
  );
  // size-limit exits with 1 when an entry is over its limit: its JSON is still the answer.
  let checks: { name?: string; size?: number; sizeLimit?: number; passed?: boolean; error?: string }[];
  try {
    const parsed = JSON.parse(result.stdout) as typeof checks | { error: string };
    if (!Array.isArray(parsed)) throw new Error(parsed.error.split('\n')[0]);
    checks = parsed;
  } catch (error) {
    throw new Error(
      `size-limit (exit ${result.code}): ${error instanceof Error ? error.message : String(error)} ${result.stderr.trim()}`.trim(),
    );
  }
  return {
    packageName: pkg.name,
    packageVersion: pkg.version,
    sizeLimitVersion: cli.version,
    dist,
    entries: entries.map((entry, index): SizeLimitMeasure => {
      const [written, gzip, min] = [0, 1, 2].map((group) => checks[group * entries.length + index]);
      const measure: SizeLimitMeasure = {
        name: entry.name ?? String(entry.path),
        path: Array.isArray(entry.path) ? entry.path.join(', ') : String(entry.path),
        import: entry.import,
        ignore: entry.ignore ?? [],
        limit: entry.limit,
        compression: entry.gzip === true ? 'gzip' : entry.brotli === false ? 'none' : 'brotli',
      };
      if (written?.size === undefined || gzip?.size === undefined || min?.size === undefined) {
        measure.error = `size-limit gave no size for this entry (exit ${result.code})`;
        return measure;
      }
      measure.size = written.size;
      measure.gzip = gzip.size;
      measure.min = min.size;
      if (written.sizeLimit !== undefined) measure.limitBytes = written.sizeLimit;
      if (written.passed !== undefined) measure.passed = written.passed;
      return measure;
    }),
  };
};
