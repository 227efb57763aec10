/**
Bundle size of the peers (and of ky, for reference), measured the same way for every package: an entry
`import { X } from 'pkg'; console.log(X)`, esbuild --bundle --minify --format=esm (browser platform, code
splitting on so lazy chunks stay apart), then gzip (node:zlib) at level 9 and at the default level. "initial"
is the entry chunk plus the chunks it imports statically; "lazy" is what is only reached through dynamic
import(). ky-token-refresh itself is measured by its own size-limit config instead (`size-limit.ts`).
*/
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

export interface BundleTarget {
  label: string;
  /** The import line (what the entry imports). */
  entry: string;
  external: string[];
  version?: string | undefined;
}

export interface BundleMeasure {
  label: string;
  entry: string;
  external: string[];
  version: string | undefined;
  /** Set when the package could not be bundled for the browser: the reason, instead of numbers. */
  error?: string;
  initial?: { minified: number; gzip9: number; gzipDefault: number };
  lazy?: { minified: number; gzip9: number; gzipDefault: number; chunks: number };
  warnings?: string[];
}

const benchDir = fileURLToPath(new URL('..', import.meta.url));

const sizes = (contents: Uint8Array[]) => ({
  minified: contents.reduce((sum, bytes) => sum + bytes.length, 0),
  gzip9: contents.reduce((sum, bytes) => sum + gzipSync(bytes, { level: 9 }).length, 0),
  gzipDefault: contents.reduce(
    (sum, bytes) => sum + gzipSync(bytes, { level: constants.Z_DEFAULT_COMPRESSION }).length,
    0,
  ),
});

export const measureBundle = async (target: BundleTarget): Promise<BundleMeasure> => {
  const base = {
    label: target.label,
    entry: target.entry,
    external: target.external,
    version: target.version,
  };
  const name = /^import\s+(?:\{\s*(\w+)\s*\}|(\w+))/.exec(target.entry);
  const binding = name?.[1] ?? name?.[2];
  try {
    const result = await build({
      stdin: {
        contents: `${target.entry}\nconsole.log(${binding});\n`,
        resolveDir: benchDir,
        sourcefile: 'entry.js',
      },
      bundle: true,
      minify: true,
      format: 'esm',
      splitting: true,
      platform: 'browser',
      target: 'es2022',
      external: target.external,
      absWorkingDir: benchDir,
      outdir: `${benchDir}results/.build/bundle`,
      entryNames: 'entry',
      write: false,
      metafile: true,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    const metafile = result.metafile as Metafile;
    const outputs = Object.entries(metafile.outputs).filter(([path]) => path.endsWith('.js'));
    const entryPath = outputs.find(([, output]) => output.entryPoint !== undefined)?.[0];
    // The entry plus everything it imports statically, transitively.
    const initial = new Set<string>();
    const visit = (path: string) => {
      if (initial.has(path)) return;
      initial.add(path);
      for (const imported of metafile.outputs[path]?.imports ?? [])
        if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    };
    if (entryPath) visit(entryPath);
    const byPath = new Map(
      result.outputFiles.map((file) => [file.path.slice(benchDir.length), file.contents]),
    );
    const contentsOf = (paths: string[]) => paths.map((path) => byPath.get(path) ?? new Uint8Array());
    const lazyPaths = outputs.map(([path]) => path).filter((path) => !initial.has(path));
    return {
      ...base,
      initial: sizes(contentsOf([...initial])),
      lazy: { ...sizes(contentsOf(lazyPaths)), chunks: lazyPaths.length },
      warnings: result.warnings.map((warning) => warning.text),
    };
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file?: string } | null }[] }).errors;
    const reason = errors?.length
      ? `${errors.length} esbuild error(s), e.g. ${errors
          .slice(0, 3)
          .map((entry) => `${entry.text}${entry.location?.file ? ` (${entry.location.file})` : ''}`)
          .join('; ')}`
      : String(error);
    return { ...base, error: reason };
  }
};

/** The installed version of a dependency of the bench package, from its package.json. */
export const versionOf = async (pkg: string): Promise<string | undefined> => {
  try {
    const { createRequire } = await import('node:module');
    const require = createRequire(`${benchDir}package.json`);
    // Packages with an `exports` map may hide package.json: walk up from the resolved entry instead.
    let dir = dirname(require.resolve(pkg));
    const { readFile } = await import('node:fs/promises');
    for (let depth = 0; depth < 6; depth++) {
      try {
        const json = JSON.parse(await readFile(`${dir}/package.json`, 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (json.name === pkg) return json.version;
      } catch {}
      dir = dirname(dir);
    }
  } catch {}
  return undefined;
};

export const bundleTargets: BundleTarget[] = [
  { label: 'ky (reference)', entry: "import ky from 'ky';", external: [] },
  {
    label: 'axios-auth-refresh (axios external)',
    entry: "import createAuthRefreshInterceptor from 'axios-auth-refresh';",
    external: ['axios'],
  },
  {
    label: 'axios-auth-refresh + axios',
    entry: "import createAuthRefreshInterceptor from 'axios-auth-refresh';",
    external: [],
  },
  { label: 'browser-tabs-lock', entry: "import SuperTokensLock from 'browser-tabs-lock';", external: [] },
  { label: 'supertokens-website', entry: "import SuperTokens from 'supertokens-website';", external: [] },
  {
    label: '@auth0/auth0-spa-js',
    entry: "import { createAuth0Client } from '@auth0/auth0-spa-js';",
    external: [],
  },
  { label: '@okta/okta-auth-js', entry: "import { OktaAuth } from '@okta/okta-auth-js';", external: [] },
];

export const packageOf = (entry: string): string => /from '([^']+)'/.exec(entry)?.[1] ?? '';
