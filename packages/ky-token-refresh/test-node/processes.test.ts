/**
Real processes sharing one credentials file against the Node mock's `POST /oauth/token` (form grant, strict
preset: one-time refresh tokens with reuse detection). Naive CLIs lose the race; ky-token-refresh/node makes
exactly one rotation per expiry.
*/

import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTokenRefresh, type TokenRefreshStats } from '../src/node/index.js';
import {
  asResult,
  type Child,
  expectOneRotationPerExpiry,
  forkFixture,
  type RoundResults,
  type TokenAnswer,
  tokenGrant,
  useMockAuthServer,
  waitStopped,
} from './support.js';

const running = useMockAuthServer();
let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'ktr-processes-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A password login: what `mycli login` does once. */
const login = (): Promise<TokenAnswer> =>
  tokenGrant(running.url, { grant_type: 'password', username: 'ann', password: 'pw' });

/** Log in and keep the answer in `file`, as the library (or a naive CLI) would. */
const loginInto = async (file: string, mode: 'library' | 'naive'): Promise<TokenAnswer> => {
  const answer = await login();
  if (mode === 'naive') {
    writeFileSync(
      file,
      JSON.stringify({ access_token: answer.access_token, refresh_token: answer.refresh_token }),
    );
    return answer;
  }
  const auth = createTokenRefresh({
    credentialsFile: file,
    isAuthorizedUrl: () => false,
    refresh: () => null,
  });
  await auth.setToken(asResult(answer));
  auth.dispose();
  return answer;
};

interface Results extends RoundResults {
  stats?: TokenRefreshStats;
}

const start = async (count: number, mode: 'library' | 'naive', file: string): Promise<Child[]> => {
  const children = Array.from({ length: count }, () =>
    forkFixture('cli.ts', [mode, file, running.url], { capture: true }),
  );
  await Promise.all(children.map((child) => child.next('ready', 15_000)));
  return children;
};

/** Have each of `children` call `count` times, and collect what they report. */
const callEach = async (children: Child[], count: number): Promise<Results[]> => {
  for (const child of children) child.send({ type: 'call', count });
  return (await Promise.all(children.map((child) => child.next('results', 20_000)))) as unknown as Results[];
};

/** Expire every access token at the server, then have every process call at once. */
const round = async (children: Child[], count = 1): Promise<Results[]> => {
  await running.authServer.expireAccessTokens();
  return callEach(children, count);
};

test('3 processes (2 CLIs and a tool) on one credentials file, 20 expiries: naive ones lose the race, the library rotates once per expiry', async () => {
  // Naive: each refreshes on its own with the refresh token it read.
  const naiveFile = join(directory, 'naive.json');
  await loginInto(naiveFile, 'naive');
  const naive = await start(3, 'naive', naiveFile);
  const naiveOutcomes: Results[] = [];
  for (let index = 0; index < 20; index++) naiveOutcomes.push(...(await round(naive)));
  const naiveStats = await running.authServer.stats();
  const naiveFailed = naiveOutcomes.flatMap(({ results }) => results).filter(({ status }) => status !== 200);
  expect(naiveFailed.length).toBeGreaterThan(0);
  expect(naiveStats.reuseDetections + (naiveStats.refreshFailures.reused ?? 0)).toBeGreaterThan(0);
  expect(naiveStats.familyRevocations).toBeGreaterThan(0);
  for (const child of naive) child.send({ type: 'exit' });

  // ky-token-refresh/node: one refresh for the three, every request succeeds, all end on one token.
  await running.authServer.reset({ preset: 'strict' });
  const file = join(directory, 'credentials.json');
  const first = await loginInto(file, 'library');
  const processes = await start(3, 'library', file);
  const outcomes: Results[][] = [];
  for (let index = 0; index < 20; index++) outcomes.push(await round(processes));
  await expectOneRotationPerExpiry(running, outcomes, 60);
  // The file holds the refresh token the server issued last, and no process ever logged a token.
  const stored = JSON.parse(await readFile(file, 'utf8')) as { record: { refreshToken?: string } };
  expect(stored.record.refreshToken).toMatch(/^[\w-]{43}$/);
  for (const child of processes) child.send({ type: 'exit' });
  await Promise.all(processes.map((child) => child.exit()));
  const output = processes.map((child) => child.output).join('\n');
  for (const token of [first.access_token, first.refresh_token, stored.record.refreshToken as string])
    expect(output).not.toContain(token);
}, 120_000);

test('20 processes × 10 requests at one expiry: one rotation, 200 successes', async () => {
  const file = join(directory, 'credentials.json');
  await loginInto(file, 'library');
  const processes = await start(20, 'library', file);
  const started = Date.now();
  const outcomes = await round(processes, 10);
  const tookMs = Date.now() - started;
  const stats = await running.authServer.stats();
  expect(outcomes.flatMap(({ results }) => results).filter(({ status }) => status === 200)).toHaveLength(200);
  expect(stats.rotations).toBe(1);
  expect(stats.refreshFailures).toEqual({});
  expect(new Set(outcomes.map(({ token }) => token)).size).toBe(1);
  // Bounded: well inside the refresh timeout of each process.
  expect(tookMs).toBeLessThan(15_000);
  for (const child of processes) child.send({ type: 'exit' });
  await Promise.all(processes.map((child) => child.exit()));
}, 120_000);

type Fault = 'stall-before' | 'stall-after' | 'pause-point';

/**
Log in, start a holder whose refresh() meets `fault` and two other processes (leases of 1 s), expire the
access tokens and have the holder call: it is then inside its refresh(), holding the lock.
*/
const startWithFault = async (fault: Fault) => {
  const file = join(directory, 'credentials.json');
  await loginInto(file, 'library');
  const holder = forkFixture('cli.ts', ['library', file, running.url, fault, '1000']);
  const others = [0, 1].map(() => forkFixture('cli.ts', ['library', file, running.url, 'none', '1000']));
  await Promise.all([holder, ...others].map((child) => child.next('ready', 15_000)));
  await running.authServer.expireAccessTokens();
  holder.send({ type: 'call', count: 1 });
  await holder.next(fault === 'stall-after' ? 'rotated' : 'refreshing');
  return { file, holder, others };
};

describe('a process killed (SIGKILL) while it holds the refresh lock', () => {
  test('before its refresh reached the server: another process takes over after the lease, one rotation, every request succeeds', async () => {
    const { holder, others } = await startWithFault('stall-before');
    const calls = callEach(others, 2);
    holder.process.kill('SIGKILL');
    const started = Date.now();
    const outcomes = await calls;
    expect(outcomes.flatMap(({ results }) => results)).toEqual(
      Array.from({ length: 4 }, () => ({ status: 200 })),
    );
    const stats = await running.authServer.stats();
    expect(stats.rotations).toBe(1);
    expect(stats.refreshFailures).toEqual({});
    // Taken over once the 1 s lease ran out, within the waiters' refreshTimeoutMs (5 s).
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 60_000);

  test('after the server rotated, before the write: on a strict server the rotation is lost and the others end the session with a typed error, nothing hangs', async () => {
    const { holder, others } = await startWithFault('stall-after');
    holder.process.kill('SIGKILL');
    const outcomes = await callEach(others, 1);
    for (const result of outcomes.flatMap(({ results }) => results))
      expect(result).toMatchObject({ status: 0, error: 'ERR_SESSION_EXPIRED' });
    const stats = await running.authServer.stats();
    expect(stats.rotations).toBe(1);
    expect(stats.refreshRequests).toBe(2);
    // Detected and counted by the process that took the lock over and was refused: a lost rotation.
    expect(outcomes.map((outcome) => outcome.stats?.lostRotations).sort()).toEqual([0, 1]);
  }, 60_000);

  test('after the server rotated, before the write: a server with a grace window (okta) answers the takeover, every request succeeds', async () => {
    await running.authServer.reset({ preset: 'okta' });
    const { holder, others } = await startWithFault('stall-after');
    holder.process.kill('SIGKILL');
    const outcomes = await callEach(others, 1);
    expect(outcomes.flatMap(({ results }) => results)).toEqual([{ status: 200 }, { status: 200 }]);
    const stats = await running.authServer.stats();
    expect(stats.graceHits).toBe(1);
    expect(stats.refreshFailures).toEqual({});
    expect(outcomes.map((outcome) => outcome.stats?.lostRotations)).toEqual([0, 0]);
  }, 60_000);
});

test('a lock holder paused (SIGSTOP) past its lease: another process takes over and refreshes, and the paused one, resumed, never writes over the newer record', async () => {
  await running.authServer.reset({ preset: 'okta' });
  const { file, holder, others } = await startWithFault('pause-point');
  holder.process.kill('SIGSTOP');
  await waitStopped(holder.pid);
  const outcomes = await callEach(others, 1);
  expect(outcomes.flatMap(({ results }) => results)).toEqual([{ status: 200 }, { status: 200 }]);
  const taken = JSON.parse(await readFile(file, 'utf8')) as { record: { generation: number; token: string } };
  // Resumed: its refresh goes on (a server with a grace window answers it), its compare-and-set finds a newer
  // record and drops its own; its call settles.
  holder.process.kill('SIGCONT');
  const late = (await holder.next('results', 20_000)) as unknown as Results;
  expect(late.results).toHaveLength(1);
  const after = JSON.parse(await readFile(file, 'utf8')) as { record: { generation: number; token: string } };
  expect(after.record.generation).toBeGreaterThanOrEqual(taken.record.generation);
  if (after.record.generation === taken.record.generation)
    expect(after.record.token).toBe(taken.record.token);
}, 60_000);

test('a lock holder paused (SIGSTOP) past its lease, before its request, on a strict server: resumed, it sends nothing (its lease is gone) and takes the newer record; the grant stays alive', async () => {
  const { holder, others } = await startWithFault('pause-point');
  holder.process.kill('SIGSTOP');
  await waitStopped(holder.pid);
  const outcomes = await callEach(others, 1);
  expect(outcomes.flatMap(({ results }) => results)).toEqual([{ status: 200 }, { status: 200 }]);
  holder.process.kill('SIGCONT');
  // It learns at its first timer after the pause that its lease ran out: its refresh() gets an aborted
  // signal, so the rotated refresh token is never presented again (a strict server would revoke the grant).
  const late = (await holder.next('results', 20_000)) as unknown as Results;
  expect(late.results).toEqual([{ status: 200 }]);
  const stats = await running.authServer.stats();
  expect(stats.rotations).toBe(1);
  expect(stats.refreshFailures).toEqual({});
  // Everyone goes on: the next expiry is one rotation, every request succeeds.
  const next = await round([holder, ...others]);
  expect(next.flatMap(({ results }) => results)).toEqual([{ status: 200 }, { status: 200 }, { status: 200 }]);
  expect((await running.authServer.stats()).rotations).toBe(2);
}, 60_000);
