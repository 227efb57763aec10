/**
ky-token-refresh as the README tells a user to install it today (it is not on npm): packed from the
repository (`pnpm pack`, whose `prepack` builds `dist/`), installed with ky from its tarball into an empty
folder outside the workspace (`npm install ky <tarball>`), and used there: every entry point imports, and
20 ky requests that meet an expired token share one refresh against a local HTTP server; on Node 22 too
when the test command installed it. Exits 1 on any failure.

  node packages/ky-token-refresh/scripts/pack-test.ts      KEEP_PACK_DIR=1 keeps the folder
*/
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packTest } from '../../../scripts/pack-install.ts';

const { step, run, installed, oldestNode } = packTest('library-pack-test');

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

const passed = await installed(
  fileURLToPath(new URL('..', import.meta.url)),
  { name: 'an-app', private: true, type: 'module' },
  ['ky@^2'],
  async (dir) => {
    await writeFile(join(dir, 'app.mjs'), PROGRAM);
    step(`run the program with the installed package (Node ${process.versions.node})`);
    console.log(run(process.execPath, ['app.mjs'], dir).trim());
    const oldest = oldestNode();
    if (oldest !== null) {
      step(`run it again on Node ${oldest.version} (engines: >=22)`);
      console.log(run(oldest.path, ['app.mjs'], dir).trim());
    }
  },
);
process.exit(passed ? 0 : 1);
