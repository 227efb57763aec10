/**
The README's "Reproduce the race in your app" test, run from outside the workspace: packs mock-auth-server,
installs the tarball with @playwright/test into a temporary folder (from the pnpm store when it has them,
else from the registry), builds a stand-in app (kit/app.ts: a naive client and ky-token-refresh) into its
dist/, and runs the README's test there with that folder's Playwright against the Node server.

  node e2e/kit/pack-test.ts         KEEP_KIT_DIR=1 keeps the folder; CHROMIUM_PATH as everywhere
The JSON report goes to e2e/results/kit-report.json (read by scripts/test.sh's summary).
*/
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromiumArgs, chromiumExecutablePath } from '../../chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const packageDir = resolve(root, 'packages/mock-auth-server');
const report = resolve(root, 'e2e/results/kit-report.json');
const started = performance.now();
const step = (what: string) =>
  console.log(`[pack-test ${((performance.now() - started) / 1000).toFixed(1)}s] ${what}`);
const run = (command: string, args: string[], cwd: string, timeout = 120_000) =>
  execFileSync(command, args, { cwd, timeout, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

/** The README's test: the ```ts block after the `race-test` marker. */
const readmeTest = async (): Promise<string> => {
  const readme = await readFile(resolve(packageDir, 'README.md'), 'utf8');
  const match = readme.match(/<!-- race-test -->\s*```ts\n([\s\S]*?)```/);
  if (!match?.[1])
    throw new Error('packages/mock-auth-server/README.md: no ```ts block after <!-- race-test -->');
  return match[1];
};

const dir = await mkdtemp(join(tmpdir(), 'mock-auth-server-kit-'));
let failed = false;
try {
  step(`build and pack mock-auth-server into ${dir}`);
  run('pnpm', ['run', 'build'], packageDir);
  run('pnpm', ['pack', '--pack-destination', dir], packageDir);
  const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('pnpm pack made no tarball');

  const playwrightVersion = JSON.parse(
    await readFile(resolve(root, 'node_modules/@playwright/test/package.json'), 'utf8'),
  ).version as string;
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'kit-consumer',
        private: true,
        type: 'module',
        devDependencies: { '@playwright/test': playwrightVersion, 'mock-auth-server': `file:./${tarball}` },
      },
      null,
      2,
    )}\n`,
  );
  step(`install ${tarball} and @playwright/test@${playwrightVersion}`);
  // From the pnpm store when it has every package (the workspace installed them), else from the registry.
  run('pnpm', ['install', '--ignore-workspace', '--prefer-offline', '--reporter=silent'], dir, 300_000);

  step('build the stand-in app into dist/');
  await mkdir(join(dir, 'dist'), { recursive: true });
  await build({
    entryPoints: [resolve(here, 'app.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outfile: join(dir, 'dist/app.js'),
    logLevel: 'warning',
    alias: { 'ky-token-refresh': resolve(root, 'packages/ky-token-refresh/src/index.ts') },
  });
  await copyFile(resolve(here, 'index.html'), join(dir, 'dist/index.html'));

  await writeFile(join(dir, 'race.spec.ts'), await readmeTest());
  await writeFile(
    join(dir, 'playwright.config.ts'),
    `import { defineConfig } from '@playwright/test';
export default defineConfig({
  testMatch: 'race.spec.ts',
  reporter: [['list'], ['json', { outputFile: ${JSON.stringify(report)} }]],
  use: { launchOptions: ${JSON.stringify({ executablePath: chromiumExecutablePath, args: chromiumArgs })} },
});
`,
  );
  step("run the README's test with the installed package");
  await mkdir(dirname(report), { recursive: true });
  try {
    process.stdout.write(run(join(dir, 'node_modules/.bin/playwright'), ['test'], dir, 180_000));
  } catch (error) {
    process.stdout.write(String((error as { stdout?: string }).stdout ?? ''));
    throw error;
  }
  step('passed');
} catch (error) {
  failed = true;
  console.error(`[pack-test] failed: ${(error as Error).message}`);
} finally {
  if (process.env.KEEP_KIT_DIR) console.log(`[pack-test] kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
