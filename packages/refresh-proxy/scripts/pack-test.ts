/**
refresh-proxy as an operator installs it: built, packed (`pnpm pack`), installed from the tarball into an
empty folder outside the workspace (`npm install`, its dependencies from the registry), and started there
with its `bin` (`refresh-proxy --upstream … --port 0`) in front of the Node mock auth server. Checks the
first line of output (the `listening` event), `/healthz`, a login and a refresh through it, and a graceful
SIGTERM (exit 0). Exits 1 on any failure.

  node packages/refresh-proxy/scripts/pack-test.ts      KEEP_PACK_DIR=1 keeps the folder
*/
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { packTest } from '../../../scripts/pack-install.ts';

const { step, installed, oldestNode } = packTest('proxy-pack-test');

/** Starts the installed proxy with `command`, checks its first line, /healthz, a refresh through it, SIGTERM. */
async function startAndRefresh(dir: string, label: string, command: string, args: string[]): Promise<void> {
  step(`start it with ${label}: --upstream <mock> --port 0`);
  const child = spawn(command, [...args, '--upstream', mock.url, '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise<string>((done) => lines.once('line', done)),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no output within 15 s')), 15_000)),
  ]);
  const listening = JSON.parse(first) as { event?: string; url?: string };
  if (listening.event !== 'listening' || typeof listening.url !== 'string')
    throw new Error(`the first line is not the listening event: ${first}`);
  const url = listening.url;
  step(`listening on ${url}`);
  const health = await fetch(`${url}/healthz`);
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);
  const form = (body: Record<string, string>) =>
    fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });
  const login = (await (await form({ grant_type: 'password', username: 'ann', password: 'pw' })).json()) as {
    refresh_token: string;
  };
  const refreshed = await form({ grant_type: 'refresh_token', refresh_token: login.refresh_token });
  if (refreshed.status !== 200) throw new Error(`a refresh through the proxy answered ${refreshed.status}`);
  step('a login and a refresh through it: 200');
  child.kill('SIGTERM');
  const code = await Promise.race([
    exited,
    new Promise<string>((done) => setTimeout(() => done('timeout'), 10_000)),
  ]);
  if (code !== 0) throw new Error(`SIGTERM: exit ${code}`);
  step('SIGTERM: drained, exit 0');
}

const { startMockAuthServer } = await import('../../mock-auth-server/dist/node/index.js');
const mock = await startMockAuthServer({ host: '127.0.0.1', port: 0 });
const passed = await installed(
  fileURLToPath(new URL('..', import.meta.url)),
  { name: 'proxy-operator', private: true },
  [],
  async (dir) => {
    await startAndRefresh(dir, 'its bin (refresh-proxy)', join(dir, 'node_modules/.bin/refresh-proxy'), []);
    const oldest = oldestNode();
    if (oldest !== null) {
      await startAndRefresh(dir, `Node ${oldest.version} (engines: >=22)`, oldest.path, [
        join(dir, 'node_modules/refresh-proxy/dist/start.js'),
      ]);
    }
  },
);
await mock.close();
process.exit(passed ? 0 : 1);
