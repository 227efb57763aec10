/**
ky-token-refresh as the README tells a user to install it today (it is not on npm): packed from the
repository (`pnpm pack`, whose `prepack` builds `dist/`), installed with ky from its tarball into an empty
folder outside the workspace (`npm install ky <tarball>`), and used there: every entry point imports, and
20 ky requests that meet an expired token share one refresh against a local HTTP server. Exits 1 on any
failure.

  node packages/ky-token-refresh/scripts/pack-test.ts      KEEP_PACK_DIR=1 keeps the folder
*/
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const started = performance.now();
const step = (what: string) =>
  console.log(`[library-pack-test ${((performance.now() - started) / 1000).toFixed(1)}s] ${what}`);
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, {
    cwd,
    timeout: 180_000,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });

/** The user's program: the README's first example against a local server (no mock library needed). */
const PROGRAM = `
import { createServer } from 'node:http';
import ky from 'ky';
import { createTokenRefresh } from 'ky-token-refresh';
import * as fetchDoor from 'ky-token-refresh/fetch';
import * as node from 'ky-token-refresh/node';
import * as redis from 'ky-token-refresh/redis';

if (typeof fetchDoor.createTokenRefresh !== 'function' || Object.keys(node).length === 0 || Object.keys(redis).length === 0)
  throw new Error('an entry point is empty');

let valid = 'token-0';
let refreshCalls = 0;
const server = createServer((req, res) => {
  if (req.url === '/auth/refresh' && req.method === 'POST') {
    refreshCalls += 1;
    valid = 'token-' + refreshCalls;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: valid })), 50);
    return;
  }
  const ok = req.headers.authorization === 'Bearer ' + valid;
  res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { item: req.url } : { error: 'invalid_token' }));
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const origin = 'http://127.0.0.1:' + server.address().port;

const auth = createTokenRefresh({
  refresh: async ({ signal }) => (await ky.post(origin + '/auth/refresh', { signal }).json()).access_token,
  isAuthorizedUrl: (url) => url.origin === origin,
});
const api = ky.create({ prefix: origin + '/api', hooks: auth.hooks });
await auth.setToken('expired-token');
const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => api.get('item-' + i).json()));
const ok = results.filter((result) => result.status === 'fulfilled').length;
console.log(ok + ' of 20 requests succeeded, ' + refreshCalls + ' refresh call(s)');
server.close();
process.exit(ok === 20 && refreshCalls === 1 ? 0 : 1);
`;

const dir = await mkdtemp(join(tmpdir(), 'ky-token-refresh-install-'));
let failed = false;
try {
  step(`pnpm pack into ${dir} (prepack builds dist/)`);
  run('pnpm', ['pack', '--pack-destination', dir], packageDir);
  const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('pnpm pack made no tarball');
  await writeFile(join(dir, 'package.json'), '{ "name": "an-app", "private": true, "type": "module" }\n');
  step(`npm install ky ./${tarball} (ky from the registry)`);
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'ky@^2', `./${tarball}`], dir);
  await writeFile(join(dir, 'app.mjs'), PROGRAM);
  step(`run the program with the installed package (Node ${process.versions.node})`);
  console.log(run(process.execPath, ['app.mjs'], dir).trim());
  // The oldest Node the package claims (engines), when the test command installed it (bootstrap).
  const oldest = process.env.OLDEST_NODE;
  if (oldest !== undefined && oldest !== '') {
    step(`run it again on Node ${run(oldest, ['--version'], dir).trim()} (engines: >=22)`);
    console.log(run(oldest, ['app.mjs'], dir).trim());
  }
} catch (error) {
  failed = true;
  console.error(`[library-pack-test] failed: ${(error as Error).message}`);
} finally {
  if (process.env.KEEP_PACK_DIR) console.log(`[library-pack-test] kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
step(failed ? 'FAILED' : 'passed');
process.exit(failed ? 1 : 0);
