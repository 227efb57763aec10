/**
The steps the library's and refresh-proxy's pack tests share: a timed step log, a bounded command, and
"pack this package from the repository and install the tarball in an empty folder outside it" (`pnpm pack`,
whose `prepack` builds `dist/`, then `npm install`, the other dependencies from the registry). The folder
is removed afterwards unless KEEP_PACK_DIR is set. Also the oldest Node the packages claim, when the test
command installed it (`OLDEST_NODE`, `scripts/bootstrap.sh --oldest-node`).
*/
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Pack tests' shared tools, their log lines prefixed with `[label <seconds>s]`. */
export function packTest(label: string) {
  const started = performance.now();
  const step = (what: string) =>
    console.log(`[${label} ${((performance.now() - started) / 1000).toFixed(1)}s] ${what}`);
  /** Runs a command to its end (bounded: 180 s) and returns its stdout; stderr goes to ours. */
  const run = (command: string, args: string[], cwd: string) =>
    execFileSync(command, args, {
      cwd,
      timeout: 180_000,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });

  /**
   * Packs `packageDir` into a new empty folder, writes `app` as its package.json, installs the tarball and
   * `extra` registry packages there, then runs `use(dir)`. Resolves true when all of it passed.
   */
  async function installed(
    packageDir: string,
    app: Record<string, unknown>,
    extra: string[],
    use: (dir: string, tarball: string) => Promise<void>,
  ): Promise<boolean> {
    const dir = await mkdtemp(join(tmpdir(), `${label}-`));
    try {
      step(`pnpm pack into ${dir} (prepack builds dist/)`);
      run('pnpm', ['pack', '--pack-destination', dir], packageDir);
      const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'));
      if (tarball === undefined) throw new Error('pnpm pack made no tarball');
      await writeFile(join(dir, 'package.json'), `${JSON.stringify(app, null, 2)}\n`);
      step(`npm install ${[...extra, `./${tarball}`].join(' ')} (the rest from the registry)`);
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...extra, `./${tarball}`], dir);
      await use(dir, tarball);
      step('passed');
      return true;
    } catch (error) {
      step(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    } finally {
      if (process.env.KEEP_PACK_DIR) step(`kept ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    }
  }

  /** The oldest supported Node binary and its version, when the test command installed it; else null. */
  const oldestNode = (): { path: string; version: string } | null => {
    const path = process.env.OLDEST_NODE;
    if (path === undefined || path === '') return null;
    return { path, version: run(path, ['--version'], process.cwd()).trim() };
  };

  return { step, run, installed, oldestNode };
}
