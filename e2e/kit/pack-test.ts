/**
The mock-auth-server README's "Reproduce the race in your app", run as written: its `<!-- race-kit: ... -->`
blocks, in order, taken from the README itself (so the README and this test cannot drift):

  <!-- race-kit: repo -->          ```sh   run at the repository root (the packs: `pnpm ... pack`)
  <!-- race-kit: sh -->            ```sh   run in an empty temporary folder (install, copy the template,
                                           build it, `npx playwright test`)
  <!-- race-kit: file NAME -->     ```ts   written to NAME in that folder (playwright.config.ts, the test)

Two substitutions, both printed: `/tmp` (where the README packs to and installs from) is a temporary packs
folder, and `npx playwright test` also writes a JSON report. Then it runs contract.spec.ts in that folder,
against the installed package: apps that each lack one piece of the kit's contract, and the error naming it.

  node e2e/kit/pack-test.ts         KEEP_KIT_DIR=1 keeps the folder; CHROMIUM_PATH as everywhere
Both JSON reports, summed, go to e2e/results/kit-report.json (read by scripts/test.sh's summary).
*/
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumExecutablePath } from '../../chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const readmePath = resolve(root, 'packages/mock-auth-server/README.md');
const report = resolve(root, 'e2e/results/kit-report.json');
const started = performance.now();
const step = (what: string) =>
  console.log(`[pack-test ${((performance.now() - started) / 1000).toFixed(1)}s] ${what}`);

interface Block {
  kind: 'repo' | 'sh' | 'file';
  file?: string;
  body: string;
}

/** The race-kit blocks of the README's "Reproduce the race in your app" section, in order. */
const readmeBlocks = async (): Promise<Block[]> => {
  const readme = await readFile(readmePath, 'utf8');
  const start = readme.indexOf('## Reproduce the race in your app');
  if (start < 0) throw new Error(`${readmePath}: no "## Reproduce the race in your app" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/<!-- race-kit: (repo|sh|file (\S+)) -->\n```\w*\n([\s\S]*?)```/g)].map(
    ([, kind = '', file, body = '']): Block => ({
      kind: kind.startsWith('file') ? 'file' : (kind as 'repo' | 'sh'),
      ...(file !== undefined && { file }),
      body,
    }),
  );
  const markers = section.match(/<!-- race-kit:/g)?.length ?? 0;
  if (markers !== blocks.length)
    throw new Error(`README: ${markers} race-kit markers but ${blocks.length} blocks right after one`);
  for (const kind of ['repo', 'sh', 'file'] as const)
    if (!blocks.some((block) => block.kind === kind)) throw new Error(`README: no race-kit ${kind} block`);
  return blocks;
};

const dir = await mkdtemp(join(tmpdir(), 'mock-auth-server-kit-'));
const packs = join(dir, 'packs');
const app = join(dir, 'app');
const readmeReport = join(dir, 'readme-report.json');
const contractReport = join(dir, 'contract-report.json');
/** `/tmp` as a path in a command (`/tmp`, `/tmp/x.tgz`) → the packs folder. */
const withPacks = (body: string) => body.replace(/(?<=[\s=])\/tmp(?=[/\s]|$)/gm, packs);

const bash = (script: string, cwd: string, env: NodeJS.ProcessEnv = {}) => {
  const command = cwd === root ? ['flock', '/tmp/mas-build.lock', 'bash'] : ['bash'];
  execFileSync(command[0]!, [...command.slice(1), '-euo', 'pipefail', '-c', script], {
    cwd,
    timeout: 240_000,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      // pnpm's setting (the workspace's store), unknown to npm, which warns about it.
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'npm_config_store_dir')),
      CHROMIUM_PATH: chromiumExecutablePath,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      ...env,
    },
  });
};

interface PlaywrightReport {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
}
const readReport = async (file: string): Promise<PlaywrightReport> =>
  JSON.parse(await readFile(file, 'utf8')) as PlaywrightReport;

let failed = false;
try {
  const blocks = await readmeBlocks();
  await mkdir(packs);
  await mkdir(app);
  step(`the README's ${blocks.length} race-kit blocks; /tmp is ${packs}, the empty folder ${app}`);
  for (const block of blocks) {
    if (block.kind === 'file') {
      step(`write ${block.file}`);
      await writeFile(join(app, block.file!), block.body);
      continue;
    }
    let script = withPacks(block.body);
    // The report for scripts/test.sh's summary: the README's command, with a JSON reporter added.
    script = script.replace(/^npx playwright test$/m, 'npx playwright test --reporter=list,json');
    step(`${block.kind === 'repo' ? 'in the repository' : 'in the folder'}:\n${script.trimEnd()}`);
    bash(script, block.kind === 'repo' ? root : app, { PLAYWRIGHT_JSON_OUTPUT_FILE: readmeReport });
  }
  const readmeRun = await readReport(readmeReport).catch(() => {
    throw new Error('the README ran no `npx playwright test`');
  });
  if (readmeRun.stats.expected !== 2 || readmeRun.stats.unexpected !== 0)
    throw new Error(`the README's test: ${JSON.stringify(readmeRun.stats)}, expected 2 passed`);

  step('type-check the copied template (app/app.ts) against the installed packages');
  execFileSync(
    process.execPath,
    [
      resolve(root, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'esnext',
      '--moduleResolution',
      'bundler',
      '--lib',
      'es2022,dom',
      '--skipLibCheck',
      'app/app.ts',
    ],
    { cwd: app, stdio: 'inherit' },
  );

  step('contract.spec.ts with the installed package: an app missing each piece, the error naming it');
  await copyFile(resolve(here, 'contract.spec.ts'), join(app, 'contract.spec.ts'));
  bash('npx playwright test contract.spec.ts --reporter=list,json', app, {
    PLAYWRIGHT_JSON_OUTPUT_FILE: contractReport,
  });
  const contractRun = await readReport(contractReport);
  step('passed');
  await mkdir(dirname(report), { recursive: true });
  const stats = Object.fromEntries(
    (['expected', 'unexpected', 'flaky', 'skipped'] as const).map((key) => [
      key,
      readmeRun.stats[key] + contractRun.stats[key],
    ]),
  );
  await writeFile(report, `${JSON.stringify({ stats, readme: readmeRun, contract: contractRun })}\n`);
} catch (error) {
  failed = true;
  console.error(`[pack-test] failed: ${(error as Error).message}`);
  await rm(report, { force: true });
} finally {
  if (process.env.KEEP_KIT_DIR) console.log(`[pack-test] kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
step(failed ? 'FAILED' : 'done');
process.exitCode = failed ? 1 : 0;
