/**
The repository's own commands as a newcomer meets them: `scripts/start.sh` refuses what it does not know and
names a taken port, and the lint step (`pnpm run lint`, part of the test command) lints what git tracks only.
No browser: every test spawns the real script and bounds its own time.
*/
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const root = new URL('../..', import.meta.url).pathname;
const children: ChildProcess[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded: killed after `timeoutMs`). */
function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, detached: true });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => killGroup(child), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

test.afterEach(() => {
  for (const child of children.splice(0)) killGroup(child);
});

test.describe('scripts/start.sh', () => {
  test('an unknown job, or more than one, is refused with the usage (exit 2), before anything runs', async () => {
    const unknown = await run('bash', ['scripts/start.sh', 'exmaple'], {}, 20_000);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown job 'exmaple'");
    expect(unknown.stderr).toContain('Usage: bash scripts/start.sh [demo | example | --help]');
    expect(unknown.stderr).not.toContain('[bootstrap]');
    const two = await run('bash', ['scripts/start.sh', 'demo', 'example'], {}, 20_000);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('one job at most');
    const help = await run('bash', ['scripts/start.sh', '--help'], {}, 20_000);
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('PORT=5180 bash scripts/start.sh')]);
  });

  test('PORT that is not a port number is refused, naming it', async () => {
    const bad = await run('bash', ['scripts/start.sh'], { PORT: '51a3' }, 20_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("PORT must be a port number (1-65535), got '51a3'");
  });

  test('a taken port: one line naming it and how to choose another, no stack trace; PORT=<free> starts the demo there', async () => {
    test.setTimeout(150_000);
    const taken = await listen();
    const port = (taken.address() as { port: number }).port;
    try {
      const refused = await run('bash', ['scripts/start.sh'], { PORT: String(port) });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `start.sh: port ${port} on 127.0.0.1 is in use; choose another with PORT=<port> bash scripts/start.sh`,
      );
      expect(refused.stderr).not.toMatch(/\n\s+at /);
      expect(refused.stdout).not.toContain('Starting the demo');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }

    const free = await listen();
    const freePort = (free.address() as { port: number }).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const demo = spawn('bash', ['scripts/start.sh'], {
      cwd: root,
      env: { ...process.env, PORT: String(freePort) },
      detached: true,
      stdio: 'ignore',
    });
    children.push(demo);
    const until = Date.now() + 120_000;
    let status = 0;
    while (Date.now() < until && status !== 200) {
      status = await fetch(`http://127.0.0.1:${freePort}/`, { signal: AbortSignal.timeout(2_000) })
        .then((response) => response.status)
        .catch(() => 0);
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status).toBe(200);
  });
});

test.describe('the lint step lints what git tracks', () => {
  test('an untracked scratch file does not fail it; a tracked file that fails still does; a deleted tracked file is skipped', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'lint-'));
    try {
      mkdirSync(join(repo, 'scripts'));
      cpSync(join(root, 'scripts/lint.mjs'), join(repo, 'scripts/lint.mjs'));
      cpSync(join(root, 'biome.json'), join(repo, 'biome.json'));
      // The repository's own biome (its bin resolves relative to node_modules).
      symlinkSync(join(root, 'node_modules'), join(repo, 'node_modules'));
      writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
      writeFileSync(join(repo, 'good.ts'), 'export const a = 1;\n');
      writeFileSync(join(repo, 'gone.ts'), 'export const b = 2;\n');
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });
      git('init', '-q');
      git('add', '.');
      git('commit', '-qm', 'start');
      const lint = () => run('node', [join(repo, 'scripts/lint.mjs')], {}, 30_000);

      writeFileSync(join(repo, 'notes.ts'), 'var  x=1\n');
      rmSync(join(repo, 'gone.ts'));
      expect((await lint()).code).toBe(0);

      writeFileSync(join(repo, 'good.ts'), 'var  y=1\n');
      const failing = await lint();
      expect(failing.code).not.toBe(0);
      expect(failing.stdout + failing.stderr).toContain('good.ts');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
