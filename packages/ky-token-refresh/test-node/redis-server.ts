/**
Real redis-server processes for the tests: each on a free loopback port, `--save ''`, stopped by PID. A
3-master Redis Cluster made with `redis-cli --cluster create`, when a test needs one.
*/
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

export interface RunningRedis {
  /** The extra arguments it was started with (a restart uses them again). */
  readonly extra: string[];
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  /** SIGKILL, then wait for the exit. */
  stop(): Promise<void>;
}

/** Start `redis-server` on a free port (or `onPort`: a restart); resolves once it accepts connections (bounded: 10 s). */
export const startRedis = async (extra: string[] = [], onPort?: number): Promise<RunningRedis> => {
  const port = onPort ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`redis-server on ${port} did not start: ${output}`)),
      10_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited (${code}): ${output}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    extra,
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
};

export interface RunningCluster {
  readonly nodes: RunningRedis[];
  readonly rootNodes: { url: string }[];
  stop(): Promise<void>;
}

/** Three masters on loopback, joined with `redis-cli --cluster create` (bounded: 30 s). */
export const startCluster = async (): Promise<RunningCluster> => {
  const directory = mkdtempSync(join(tmpdir(), 'ktr-redis-cluster-'));
  const nodes: RunningRedis[] = [];
  try {
    for (let index = 0; index < 3; index++) {
      const config = join(directory, `nodes-${index}.conf`);
      nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', config]));
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    // Wait until every node agrees the cluster is up.
    for (const node of nodes) {
      for (let attempt = 0; ; attempt++) {
        const { stdout } = await run('redis-cli', ['-p', String(node.port), 'cluster', 'info'], {
          timeout: 5_000,
        });
        if (stdout.includes('cluster_state:ok')) break;
        if (attempt > 100) throw new Error(`the cluster did not come up on ${node.port}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes,
    rootNodes: nodes.map((node) => ({ url: node.url })),
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
};

/** Every key and value in a Redis (or a cluster node): `DUMP`-free, as `redis-cli --scan` and `GET` see them. */
export const dumpRedis = async (port: number): Promise<string> => {
  const { stdout: keys } = await run('redis-cli', ['-p', String(port), '--scan'], { timeout: 10_000 });
  let dump = keys;
  for (const key of keys.split('\n').filter(Boolean)) {
    const { stdout } = await run('redis-cli', ['-p', String(port), '-c', 'GET', key], {
      timeout: 5_000,
    }).catch(() => ({
      stdout: '',
    }));
    dump += `${key} ${stdout}`;
  }
  return dump;
};
