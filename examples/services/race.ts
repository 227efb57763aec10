/**
The race of examples/services: N workers (separate processes, as on separate machines) share one service
account's rotating refresh token through Redis and meet an access-token expiry together, naive vs
ky-token-refresh with `createRedisAdapters`, on one Redis and on a 3-master Redis Cluster (both started here
on free loopback ports, with the Node mock auth server; strict preset: one-time refresh tokens, a reused one
revokes the family; refresh latency 100 ms). Each round: a fresh login, every access token expired at the
server, then every worker calls at once. Prints a Markdown table of totals per topology.

  node examples/services/race.ts [--workers 3] [--rounds 10] [--json]

--rounds defaults to $RACE_ROUNDS, else 10 (`pnpm race` runs it so). Nothing is asserted here.
*/
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster, startRedis } from '../../packages/ky-token-refresh/test-node/redis-server.ts';
import { ensureBuilt } from '../../packages/mock-auth-server/scripts/ensure-built.mjs';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '3' },
    rounds: { type: 'string', default: process.env.RACE_ROUNDS ?? '10' },
    json: { type: 'boolean', default: false },
  },
});
const WORKERS = Number(values.workers);
const ROUNDS = Number(values.rounds);
for (const [option, value, max] of [
  ['--workers', WORKERS, 20],
  ['--rounds', ROUNDS, 100],
] as const) {
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new RangeError(`${option} must be an integer from 1 to ${max}, got ${value}`);
}
const LATENCY_MS = 100;
const KEY = 'examples-services-race-record-key';
const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
const modes = ['naive', 'library'] as const;
type Mode = (typeof modes)[number];
const LABEL: Record<Mode, string> = {
  naive: 'naive (read the refresh token from Redis, refresh on 401, write back)',
  library: 'ky-token-refresh + createRedisAdapters',
};

/** A forked worker and the next message of each type. */
const start = (args: string[]) => {
  const child: ChildProcess = fork(worker, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = (type: string, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${type}" from worker ${child.pid}`)), timeoutMs);
      const onMessage = (message: Record<string, unknown>) => {
        if (message.type !== type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
    });
  return { child, next };
};

interface Row {
  topology: string;
  mode: Mode;
  requests: number;
  ok: number;
  refreshCalls: number;
  rotations: number;
  invalidGrant: number;
  reuseDetected: number;
  familiesRevoked: number;
}

ensureBuilt();
const { startMockAuthServer } = await import('../../packages/mock-auth-server/dist/node/index.js');
const mock = await startMockAuthServer({ host: '127.0.0.1', port: 0 });
const single = await startRedis();
const cluster = await startCluster();
const started = Date.now();
const rows: Row[] = [];
try {
  const topologies = [
    { topology: 'processes on Redis', redis: single.url },
    {
      topology: 'processes on Redis Cluster (3 masters)',
      redis: `cluster:${cluster.rootNodes.map(({ url }) => url).join(',')}`,
    },
  ];
  for (const { topology, redis } of topologies) {
    for (const mode of modes) {
      const row: Row = {
        topology,
        mode,
        requests: 0,
        ok: 0,
        refreshCalls: 0,
        rotations: 0,
        invalidGrant: 0,
        reuseDetected: 0,
        familiesRevoked: 0,
      };
      const name = `race-${mode}-${Math.random().toString(36).slice(2, 8)}`;
      const workers = Array.from({ length: WORKERS }, () => start([mode, redis, mock.url, name, KEY]));
      await Promise.all(workers.map(({ next }) => next('ready')));
      for (let round = 0; round < ROUNDS; round += 1) {
        const reset = await mock.authServer.reset({ preset: 'strict', latencyMs: LATENCY_MS });
        if (!reset.ok) throw new Error(`reset: ${JSON.stringify(reset.error)}`);
        const loggedIn = workers[0]?.next('logged-in');
        workers[0]?.child.send({ type: 'login' });
        await loggedIn;
        await new Promise((resolve) => setTimeout(resolve, 50));
        await mock.authServer.expireAccessTokens();
        const answers = workers.map(({ next }) => next('results'));
        for (const { child } of workers) child.send({ type: 'call' });
        const results = (await Promise.all(answers)).flatMap(
          (answer) => answer.results as { status: number }[],
        );
        const stats = await mock.authServer.stats();
        row.requests += results.length;
        row.ok += results.filter(({ status }) => status === 200).length;
        row.refreshCalls += stats.refreshRequests;
        row.rotations += stats.rotations;
        row.invalidGrant += Object.values(stats.refreshFailures).reduce(
          (sum, count) => sum + (count ?? 0),
          0,
        );
        row.reuseDetected += stats.reuseDetections;
        row.familiesRevoked += stats.familyRevocations > 0 ? 1 : 0;
      }
      for (const { child } of workers) child.send({ type: 'exit' });
      await Promise.all(workers.map(({ child }) => new Promise((resolve) => child.once('exit', resolve))));
      rows.push(row);
    }
  }
} finally {
  await mock.close();
  await Promise.all([single.stop(), cluster.stop()]);
}
const seconds = Math.round((Date.now() - started) / 1000);

if (values.json) {
  console.log(
    JSON.stringify({ workers: WORKERS, rounds: ROUNDS, preset: 'strict', latencyMs: LATENCY_MS, rows }),
  );
} else {
  console.log(
    `\n**Services on many machines** (${WORKERS} worker processes sharing one refresh token through Redis, at expiry; strict mock, refresh latency ${LATENCY_MS} ms; ${ROUNDS} rounds per row; totals; ${seconds} s)\n`,
  );
  console.log(
    '| where | client | requests ok | refresh calls | rotations | invalid_grant | reuse detected | families revoked |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.topology} | ${LABEL[row.mode]} | ${row.ok}/${row.requests} | ${row.refreshCalls} | ${row.rotations} | ${row.invalidGrant} | ${row.reuseDetected} | ${row.familiesRevoked}/${ROUNDS} |`,
    );
  }
  console.log(`\nReproduce: \`node examples/services/race.ts --rounds ${ROUNDS}\` (part of \`pnpm race\`).`);
}
