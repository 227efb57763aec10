/**
The race of examples/cli: N `mycli call` processes sharing one credentials file meet an access-token expiry
together, naive vs ky-token-refresh/node, against the Node mock auth server (started here on a free loopback
port; strict preset: one-time refresh tokens, a reused one revokes the family; refresh latency 100 ms).
Each round: a fresh server state, `mycli login`, every access token expired at the server, then N
`mycli call --at <t>` started together, each one real process. Prints a Markdown table of totals.

  node examples/cli/race.ts [--processes 3] [--rounds 10] [--json]

--rounds defaults to $RACE_ROUNDS, else 10 (`pnpm race` runs it so, after the proxy's cell). --json prints
the settings and rows as one JSON object instead of the table (e2e/tests/cli-race.spec.ts reads it). Nothing
is asserted here.
*/
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuilt } from '../../packages/mock-auth-server/scripts/ensure-built.mjs';

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '3' },
    rounds: { type: 'string', default: process.env.RACE_ROUNDS ?? '10' },
    json: { type: 'boolean', default: false },
  },
});
const PROCESSES = Number(values.processes);
const ROUNDS = Number(values.rounds);
for (const [name, value, max] of [
  ['--processes', PROCESSES, 20],
  ['--rounds', ROUNDS, 100],
] as const) {
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new RangeError(`${name} must be an integer from 1 to ${max}, got ${value}`);
}
const LATENCY_MS = 100;

const mycli = fileURLToPath(new URL('./mycli.ts', import.meta.url));
const modes = ['naive', 'library'] as const;
type Mode = (typeof modes)[number];
const LABEL: Record<Mode, string> = {
  naive: 'naive (read the file, call, on 401 refresh and write back)',
  library: 'ky-token-refresh/node (credentialsFile)',
};

interface Outcome {
  status: number;
  error?: string;
  /** `call --at`: when the process was ready to call (ms after it started), and how late it called. */
  readyMs?: number;
  lateMs?: number;
}

/** Runs `mycli <args> --json` as its own process; resolves with what it printed. */
const run = (args: string[]): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mycli, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(stdout) as Outcome);
      } catch {
        reject(new Error(`mycli ${args[0]} exited ${code} without its JSON line:\n${stdout}${stderr}`));
      }
    });
  });

export interface Row {
  mode: Mode;
  label: string;
  requests: number;
  ok: number;
  failed: number;
  refreshCalls: number;
  rotations: number;
  invalidGrant: number;
  reuseDetected: number;
  /** Rounds in which the server revoked the family. */
  familiesRevoked: number;
  /** The latest start of a `call` after the agreed moment, over every round (ms). */
  maxLateMs: number;
}

ensureBuilt();
const { startMockAuthServer } = await import('../../packages/mock-auth-server/dist/node/index.js');
const mock = await startMockAuthServer({ host: '127.0.0.1', port: 0 });
const directory = await mkdtemp(join(tmpdir(), 'mycli-race-'));
const started = Date.now();
const rows: Row[] = [];
try {
  for (const mode of modes) {
    const row: Row = {
      mode,
      label: LABEL[mode],
      requests: 0,
      ok: 0,
      failed: 0,
      refreshCalls: 0,
      rotations: 0,
      invalidGrant: 0,
      reuseDetected: 0,
      familiesRevoked: 0,
      maxLateMs: 0,
    };
    let readyMs: number | undefined;
    for (let round = 0; round < ROUNDS; round += 1) {
      const reset = await mock.authServer.reset({ preset: 'strict', latencyMs: LATENCY_MS });
      if (!reset.ok) throw new Error(`reset: ${JSON.stringify(reset.error)}`);
      const common = [
        '--server',
        mock.url,
        '--file',
        join(directory, mode, `round-${round}`, 'credentials.json'),
      ];
      if (mode === 'naive') common.push('--naive');
      const loginStarted = Date.now();
      const login = await run(['login', ...common]);
      if (login.status !== 200) throw new Error(`login: ${JSON.stringify(login)}`);
      // The common start: far enough ahead for every process to have started (on a shared machine too). The
      // first round guesses from the login; the next ones from when the last round's processes were ready.
      const ahead = readyMs === undefined ? (PROCESSES + 1) * (Date.now() - loginStarted) : 2 * readyMs + 100;
      const at = Date.now() + Math.max(300, Math.round(ahead));
      await mock.authServer.expireAccessTokens();
      const calls = await Promise.all(
        Array.from({ length: PROCESSES }, () => run(['call', ...common, '--at', String(at)])),
      );
      const stats = await mock.authServer.stats();
      row.requests += calls.length;
      row.ok += calls.filter((call) => call.status === 200).length;
      row.failed += calls.filter((call) => call.status !== 200).length;
      row.refreshCalls += stats.refreshRequests;
      row.rotations += stats.rotations;
      // Every refused refresh_token grant is a 400 invalid_grant (its reason: reuse_detected, family_revoked…).
      row.invalidGrant += Object.values(stats.refreshFailures).reduce((sum, count) => sum + (count ?? 0), 0);
      row.reuseDetected += stats.reuseDetections;
      row.familiesRevoked += stats.familyRevocations > 0 ? 1 : 0;
      row.maxLateMs = Math.max(row.maxLateMs, ...calls.map((call) => call.lateMs ?? 0));
      readyMs = Math.max(...calls.map((call) => call.readyMs ?? 0));
    }
    rows.push(row);
  }
} finally {
  await mock.close();
  await rm(directory, { recursive: true, force: true });
}
const seconds = Math.round((Date.now() - started) / 1000);

if (values.json) {
  console.log(
    JSON.stringify({ processes: PROCESSES, rounds: ROUNDS, preset: 'strict', latencyMs: LATENCY_MS, rows }),
  );
} else {
  console.log(
    `\n**Processes sharing a credentials file** (${PROCESSES} \`mycli call\` processes, one credentials file, at expiry; strict mock, refresh latency ${LATENCY_MS} ms; ${ROUNDS} rounds; totals; ${seconds} s)\n`,
  );
  console.log(
    '| client | requests ok | failed | refresh calls | rotations | invalid_grant | reuse detected | families revoked |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.label} | ${row.ok}/${row.requests} | ${row.failed} | ${row.refreshCalls} | ${row.rotations} | ${row.invalidGrant} | ${row.reuseDetected} | ${row.familiesRevoked}/${ROUNDS} |`,
    );
  }
  const late = Math.max(...rows.map((row) => row.maxLateMs));
  console.log(
    `\nEach round is one expiry: a fresh login, then the ${PROCESSES} calls started at one agreed moment (the latest started ${late} ms after it).` +
      `\nReproduce: \`node examples/cli/race.ts --rounds ${ROUNDS}\` (part of \`pnpm race\`).`,
  );
}
