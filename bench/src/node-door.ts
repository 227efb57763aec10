/**
The Node door, `ky-token-refresh/node` with `credentialsFile` (the file adapters: lock, credentials file,
channel), each credentials file in a fresh directory under the OS temporary directory:
1. coordination per refresh: `auth.refresh()` through the door (refresh lock taken, record read, `refresh()`,
   compare-and-set write of the file, notification posted, lock released) beside the same `refresh()` called
   directly, alternating one for one in one process; once with a local `refresh()` (no network: the
   difference is the coordination's), once with a refresh against the Node mock's `POST /oauth/token` on
   127.0.0.1 (strict preset: one rotation per call) for both sides;
2. fan-out: a holder process refreshes while `processes` other processes wait on the refresh lock (all forked,
   all on one credentials file, local `refresh()`); timed from the holder's commit (its store write resolved)
   to each waiter's first `token:received` / `refresh:adopted` event, one clock for all (`process.hrtime`);
3. happy path: requests with a valid token through the door's `auth.fetch` beside bare `fetch` with the header
   set by hand, against the local node:http server of `overhead.ts` (its own process), alternating in blocks.
*/
import { type ChildProcess, fork } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from './lib/child.ts';
import type { DoorCommand, DoorProcessConfig, DoorReport } from './lib/door-types.ts';
import { fakeJwt } from './lib/fake-jwt.ts';
import { buildNodeLibrary, loadNodeLibrary, type NodeLibrary } from './lib/library.ts';
import { startMock } from './lib/mock.ts';
import { max, median, percentile, sleep } from './lib/stats.ts';
import { runVariant, type Send } from './overhead.ts';

export interface NodeDoorOptions {
  coordination: { refreshes: number; warmup: number };
  fanOut: {
    /** Waiting processes (besides the holder). */
    processes: number;
    rounds: number;
    warmup: number;
    /** Bound on each step of a round (and on the start of the processes), ms. */
    stepTimeoutMs: number;
    /** The processes' `refreshTimeoutMs` (bounds the lock wait and the holder's `refresh()`). */
    refreshTimeoutMs: number;
  };
  happyPath: { requests: number; rounds: number; block: number; concurrency: number; warmup: number };
}

export interface Spread {
  p50Ms: number;
  p95Ms: number;
}

export interface CoordinationFigure {
  refresh: string;
  door: Spread;
  bare: Spread;
  /** median(door) ÷ median(bare). */
  ratioOfMedians: number;
  /** median(door) − median(bare), ms. */
  addedMs: number;
  /** `refresh()` calls the door made, against the refreshes asked of it (warm-up included). */
  doorRefreshCalls: number;
  expectedRefreshCalls: number;
  failures: number;
  /** With the mock: its rotations and refused refreshes (both sides). */
  server?: { rotations: number; refusals: number };
  samples: { door: number[]; bare: number[] };
}

export interface FanOutRound {
  /** Per waiter: its first token:received / refresh:adopted − the holder's commit, ms. */
  delaysMs: number[];
  /** The last waiter's delay: all hold the new token. */
  allHoldMs: number;
  via: Record<string, number>;
}

export interface FanOutFigure {
  processes: number;
  rounds: FanOutRound[];
  /** Over the rounds, of `allHoldMs`. */
  allHold: Spread & { maxMs: number };
  /** Over every waiter of every round. */
  perProcess: Spread & { maxMs: number; samples: number };
  via: Record<string, number>;
  /** `refresh()` calls: the holder's (one per round expected) and the waiters' (none expected). */
  holderRefreshes: number;
  waiterRefreshes: number;
  /** The holder's expected `refresh()` calls: one per round, warm-up included. */
  expectedHolderRefreshes: number;
  /** Waiters that ended on another generation than the holder committed. */
  generationMismatches: number;
}

export interface HappyPathRound {
  round: number;
  /** Per pair of adjacent blocks (one of each variant): door time ÷ fetch time. */
  blockRatios: number[];
  fetch: { requestsPerSecond: number; p50Ms: number; p95Ms: number; failures: number };
  door: { requestsPerSecond: number; p50Ms: number; p95Ms: number; failures: number };
}

export interface HappyPathFigure {
  rounds: HappyPathRound[];
  fetch: { perRequestUs: number; p50Ms: number; p95Ms: number; failures: number };
  door: { perRequestUs: number; p50Ms: number; p95Ms: number; failures: number };
  /**
  Median over every pair of adjacent blocks (one of each, in alternating order) of the door's wall time ÷
  fetch's for the same number of requests: the two sides of a pair ran within the same ~100 ms.
  */
  timeRatio: number;
  /** Median over the rounds of (door ÷ fetch, time per request): the coarser estimate, for comparison. */
  roundRatio: number;
  blockPairs: number;
  overheadUs: number;
  target: number;
  refreshCalls: number;
}

type Failed = { error: string };

export interface NodeDoorResult {
  options: NodeDoorOptions;
  /** Where the credentials files were: the OS temporary directory and its file system (fsync costs differ). */
  directory: { parent: string; fileSystem: string };
  coordination: (CoordinationFigure | (Failed & { refresh: string }))[];
  fanOut: FanOutFigure | Failed;
  happyPath: HappyPathFigure | Failed;
}

/** The file system type of `path`, by its statfs magic number (the common ones by name). */
const fileSystemOf = (path: string): string => {
  const names: Record<number, string> = {
    61267: 'ext2/3/4',
    16914836: 'tmpfs',
    1481003842: 'xfs',
    2435016766: 'btrfs',
    2035054128: 'overlayfs',
    26985: 'nfs',
  };
  try {
    const { type } = statfsSync(path);
    return names[type] ?? `type 0x${type.toString(16)}`;
  } catch {
    return 'unknown';
  }
};

export const errorText = (error: unknown) =>
  error instanceof Error ? error.message.split('\n')[0]! : String(error);

export const spread = (values: readonly number[]): Spread => ({
  p50Ms: percentile(values, 50),
  p95Ms: percentile(values, 95),
});

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  error?: string;
}

/** The refresh_token grant (or, with `password`, the login) of the Node mock, form-encoded. */
export const grant = async (server: string, body: Record<string, string>, signal?: AbortSignal) => {
  const response = await fetch(`${server}/oauth/token`, {
    method: 'POST',
    ...(signal && { signal }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
  const answer = (await response.json()) as TokenAnswer;
  if (!response.ok)
    throw Object.assign(new Error(`/oauth/token answered ${response.status} ${answer.error}`), {
      status: response.status,
    });
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    expiresAt: Date.now() + answer.expires_in * 1000,
  };
};

export type RefreshFn = (context: {
  signal?: AbortSignal;
  refreshToken?: string | undefined;
}) => Promise<{ accessToken: string; refreshToken?: string | undefined; expiresAt: number }>;

/**
Figure 1, for one `refresh()`: the door's `auth.refresh()` and the bare call, one for one. `where`: the
door's coordination, a credentials file in `directory` or the adapters given (Redis).
*/
export const measureCoordination = async (
  library: NodeLibrary,
  where: { directory: string } | { crossTab: import('ky-token-refresh/node').Adapters },
  label: string,
  refresh: RefreshFn,
  login: () => Promise<{ accessToken: string; refreshToken?: string | undefined; expiresAt: number }>,
  options: NodeDoorOptions['coordination'],
): Promise<Omit<CoordinationFigure, 'server'>> => {
  const auth = library.createTokenRefresh({
    name: 'bench-door',
    ...('directory' in where
      ? { credentialsFile: join(where.directory, 'credentials.json') }
      : { crossTab: where.crossTab }),
    isAuthorizedUrl: () => false,
    refreshBeforeExpiryMs: 0,
    refresh: ({ signal, refreshToken }) => refresh({ signal, refreshToken }),
  });
  try {
    await auth.setToken(await login());
    // The bare side keeps its own refresh token, as a client without the library would.
    let bareToken = (await login()).refreshToken;
    const bare = async () => {
      const answer = await refresh({ refreshToken: bareToken });
      bareToken = answer.refreshToken ?? bareToken;
    };
    const door = async () => {
      await auth.refresh();
    };
    const samples = { door: [] as number[], bare: [] as number[] };
    let failures = 0;
    const time = async (run: () => Promise<void>, into: number[] | undefined) => {
      const start = performance.now();
      try {
        await run();
      } catch {
        failures++;
        return;
      }
      into?.push(performance.now() - start);
    };
    const total = options.warmup + options.refreshes;
    for (let index = 0; index < total; index++) {
      const measured = index >= options.warmup;
      // Alternate which side goes first, so drift in the machine's load hits both alike.
      const order: [() => Promise<void>, number[]][] = [
        [door, samples.door],
        [bare, samples.bare],
      ];
      if (index % 2 === 1) order.reverse();
      for (const [run, into] of order) await time(run, measured ? into : undefined);
    }
    const doorMedian = median(samples.door);
    const bareMedian = median(samples.bare);
    return {
      refresh: label,
      door: spread(samples.door),
      bare: spread(samples.bare),
      ratioOfMedians: doorMedian / bareMedian,
      addedMs: doorMedian - bareMedian,
      doorRefreshCalls: auth.stats().refreshes,
      expectedRefreshCalls: total,
      failures,
      samples,
    };
  } finally {
    auth.dispose();
  }
};

/** A forked door process; every report it sends is kept until taken (`next`). */
class DoorChild {
  readonly process: ChildProcess;
  readonly #reports: DoorReport[] = [];
  readonly #wake = new Set<() => void>();
  #exited = false;

  constructor(config: DoorProcessConfig) {
    this.process = fork(new URL('./clients/door-process.ts', import.meta.url), [JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (report: DoorReport) => {
      this.#reports.push(report);
      for (const wake of [...this.#wake]) wake();
    });
    this.process.on('exit', () => {
      this.#exited = true;
      for (const wake of [...this.#wake]) wake();
    });
    this.process.on('error', () => undefined);
  }

  send(command: DoorCommand): void {
    if (!this.#exited && this.process.connected) this.process.send(command);
  }

  /** The next report of `type` (an `error` report rejects), within `timeoutMs`. */
  async next<T extends DoorReport['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<DoorReport, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.#reports.findIndex((report) => report.type === type || report.type === 'error');
      if (index >= 0) {
        const [report] = this.#reports.splice(index, 1) as [DoorReport];
        if (report.type === 'error') throw new Error(report.message);
        return report as Extract<DoorReport, { type: T }>;
      }
      if (this.#exited) throw new Error(`a door process exited before reporting ${type}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no ${type} report from a door process within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#wake.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.#wake.add(done);
      });
    }
  }

  /** Ask it to exit; SIGKILL it (this process's own child) if it has not within 3 s. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.send({ type: 'exit' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/** Figure 2: one holder, `processes` waiters, `rounds` refreshes. */
const measureFanOut = async (
  library: NodeLibrary,
  directory: string,
  options: NodeDoorOptions['fanOut'],
  log: (line: string) => void,
): Promise<FanOutFigure> => {
  const file = join(directory, 'credentials.json');
  // The login, once (what `mycli login` does): the record every process starts from.
  const login = library.createTokenRefresh({
    name: 'bench-door',
    credentialsFile: file,
    isAuthorizedUrl: () => false,
    refresh: () => null,
  });
  await login.setToken({
    accessToken: fakeJwt(3600, 'login'),
    refreshToken: 'login',
    expiresAt: Date.now() + 3_600_000,
  });
  login.dispose();

  const libraryUrl = await buildNodeLibrary();
  const config = (role: DoorProcessConfig['role']): DoorProcessConfig => ({
    libraryUrl,
    file,
    role,
    refreshTimeoutMs: options.refreshTimeoutMs,
  });
  const holder = new DoorChild(config('holder'));
  const waiters = Array.from({ length: options.processes }, () => new DoorChild(config('waiter')));
  const everyone = [holder, ...waiters];
  try {
    const started = performance.now();
    await Promise.all(everyone.map((child) => child.next('ready', options.stepTimeoutMs * 2)));
    log(
      `  fan-out: ${everyone.length} processes ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const step = options.stepTimeoutMs;
    const rounds: FanOutRound[] = [];
    let holderRefreshes = 0;
    let waiterRefreshes = 0;
    let generationMismatches = 0;
    for (let round = -options.warmup; round < options.rounds; round++) {
      holder.send({ type: 'refresh' });
      await holder.next('refreshing', step);
      for (const waiter of waiters) waiter.send({ type: 'wait' });
      await Promise.all(waiters.map((waiter) => waiter.next('waiting', step)));
      holder.send({ type: 'go' });
      const committed = await holder.next('committed', step);
      const held = await Promise.all(waiters.map((waiter) => waiter.next('held', step)));
      holderRefreshes = committed.refreshes;
      waiterRefreshes = held.reduce((sum, report) => sum + report.refreshes, 0);
      if (round < 0) continue;
      generationMismatches += held.filter((report) => report.generation !== committed.generation).length;
      const delaysMs = held.map((report) => report.heldAt - committed.committedAt);
      const via: Record<string, number> = {};
      for (const report of held) via[report.via] = (via[report.via] ?? 0) + 1;
      const entry: FanOutRound = { delaysMs, allHoldMs: max(delaysMs), via };
      rounds.push(entry);
      log(
        `  fan-out round ${round + 1}/${options.rounds}: all ${options.processes} hold the new token ${entry.allHoldMs.toFixed(1)} ms after the commit ` +
          `(per process p50 ${percentile(delaysMs, 50).toFixed(1)} ms; ${Object.entries(via)
            .map(([type, count]) => `${type} ${count}`)
            .join(', ')})`,
      );
      await sleep(50);
    }
    const allHold = rounds.map((entry) => entry.allHoldMs);
    const delays = rounds.flatMap((entry) => entry.delaysMs);
    const via: Record<string, number> = {};
    for (const entry of rounds)
      for (const [type, count] of Object.entries(entry.via)) via[type] = (via[type] ?? 0) + count;
    return {
      processes: options.processes,
      rounds,
      allHold: { ...spread(allHold), maxMs: max(allHold) },
      perProcess: { ...spread(delays), maxMs: max(delays), samples: delays.length },
      via,
      holderRefreshes,
      waiterRefreshes,
      expectedHolderRefreshes: options.warmup + options.rounds,
      generationMismatches,
    };
  } finally {
    await Promise.all(everyone.map((child) => child.stop()));
  }
};

/** Figure 3: the door's `auth.fetch` with a valid token beside bare `fetch`, alternating in blocks. */
const measureHappyPath = async (
  library: NodeLibrary,
  directory: string,
  options: NodeDoorOptions['happyPath'],
  log: (line: string) => void,
): Promise<HappyPathFigure> => {
  const token = fakeJwt(3600);
  const server = await startChild(new URL('./servers/plain-server.ts', import.meta.url), [`Bearer ${token}`]);
  const origin = new URL(server.url).origin;
  const auth = library.createTokenRefresh({
    name: 'bench-door',
    credentialsFile: join(directory, 'credentials.json'),
    isAuthorizedUrl: (url) => url.origin === origin,
    refresh: async () => {
      throw new Error('the happy path must not refresh');
    },
  });
  try {
    await auth.setToken(token);
    const headers = { Authorization: `Bearer ${token}` };
    const okJson = async (response: Response) =>
      response.ok && ((await response.json()) as { ok?: boolean }).ok === true;
    const variants = {
      fetch: (async (path) => okJson(await fetch(`${server.url}/${path}`, { headers }))) as Send,
      door: (async (path) => okJson(await auth.fetch(`${server.url}/${path}`))) as Send,
    };
    const names = ['fetch', 'door'] as const;
    for (const name of names) await runVariant(variants[name], options, options.warmup);
    const rounds: HappyPathRound[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const samples = {
        fetch: { durations: [] as number[], failures: 0, elapsedMs: 0 },
        door: { durations: [] as number[], failures: 0, elapsedMs: 0 },
      };
      const blockRatios: number[] = [];
      for (let block = 0; block * options.block < options.requests; block++) {
        const count = Math.min(options.block, options.requests - block * options.block);
        const order = (block + round) % 2 === 0 ? names : ([...names].reverse() as (typeof names)[number][]);
        const elapsed = { fetch: 0, door: 0 };
        for (const name of order) {
          const sample = await runVariant(variants[name], options, count);
          samples[name].durations.push(...sample.durations);
          samples[name].failures += sample.failures;
          samples[name].elapsedMs += sample.elapsedMs;
          elapsed[name] = sample.elapsedMs;
        }
        blockRatios.push(elapsed.door / elapsed.fetch);
      }
      const figure = (name: (typeof names)[number]) => ({
        requestsPerSecond: (options.requests / samples[name].elapsedMs) * 1000,
        p50Ms: percentile(samples[name].durations, 50),
        p95Ms: percentile(samples[name].durations, 95),
        failures: samples[name].failures,
      });
      const entry: HappyPathRound = { round, blockRatios, fetch: figure('fetch'), door: figure('door') };
      rounds.push(entry);
      log(
        `  happy path round ${round + 1}/${options.rounds}: fetch ${entry.fetch.requestsPerSecond.toFixed(0)} req/s, ` +
          `auth.fetch (node door) ${entry.door.requestsPerSecond.toFixed(0)} req/s, ratio ${(entry.fetch.requestsPerSecond / entry.door.requestsPerSecond).toFixed(3)} ` +
          `(median of ${blockRatios.length} block pairs ${median(blockRatios).toFixed(3)}), ` +
          `failures ${entry.fetch.failures}/${entry.door.failures}`,
      );
    }
    const summary = (name: 'fetch' | 'door') => ({
      perRequestUs: 1e6 / median(rounds.map((entry) => entry[name].requestsPerSecond)),
      p50Ms: median(rounds.map((entry) => entry[name].p50Ms)),
      p95Ms: median(rounds.map((entry) => entry[name].p95Ms)),
      failures: rounds.reduce((sum, entry) => sum + entry[name].failures, 0),
    });
    return {
      rounds,
      fetch: summary('fetch'),
      door: summary('door'),
      timeRatio: median(rounds.flatMap((entry) => entry.blockRatios)),
      roundRatio: median(rounds.map((entry) => entry.fetch.requestsPerSecond / entry.door.requestsPerSecond)),
      blockPairs: rounds.reduce((sum, entry) => sum + entry.blockRatios.length, 0),
      overheadUs: median(
        rounds.map((entry) => 1e6 / entry.door.requestsPerSecond - 1e6 / entry.fetch.requestsPerSecond),
      ),
      target: 1.05,
      refreshCalls: auth.stats().refreshes,
    };
  } finally {
    auth.dispose();
    await server.stop();
  }
};

export const runNodeDoor = async (
  options: NodeDoorOptions,
  log: (line: string) => void,
): Promise<NodeDoorResult> => {
  const library = await loadNodeLibrary();
  const directory = await mkdtemp(join(tmpdir(), 'bench-node-door-'));
  const result: NodeDoorResult = {
    options,
    directory: { parent: tmpdir(), fileSystem: fileSystemOf(tmpdir()) },
    coordination: [],
    fanOut: { error: 'not run' },
    happyPath: { error: 'not run' },
  };
  try {
    // 1. Coordination per refresh.
    const logCoordination = (figure: CoordinationFigure) =>
      log(
        `  coordination, ${figure.refresh}: door p50 ${figure.door.p50Ms.toFixed(2)} ms (p95 ${figure.door.p95Ms.toFixed(2)}), ` +
          `bare p50 ${figure.bare.p50Ms.toFixed(3)} ms (p95 ${figure.bare.p95Ms.toFixed(3)}), ratio of medians ${figure.ratioOfMedians.toFixed(1)}, ` +
          `+${figure.addedMs.toFixed(2)} ms per refresh, refresh() calls ${figure.doorRefreshCalls}/${figure.expectedRefreshCalls}, failures ${figure.failures}`,
      );
    const localLabel = 'local refresh() (no network)';
    try {
      let minted = 0;
      const local: RefreshFn = async () => {
        minted++;
        return {
          accessToken: fakeJwt(3600, `local-${minted}`),
          refreshToken: `rt-${minted}`,
          expiresAt: Date.now() + 3_600_000,
        };
      };
      const figure = await measureCoordination(
        library,
        { directory: join(directory, 'local') },
        localLabel,
        local,
        () => local({}),
        options.coordination,
      );
      result.coordination.push(figure);
      logCoordination(figure);
    } catch (error) {
      result.coordination.push({ refresh: localLabel, error: errorText(error) });
      log(`  coordination, ${localLabel}: not measured: ${errorText(error)}`);
    }
    const mockLabel = 'mock POST /oauth/token (127.0.0.1, strict)';
    try {
      const mock = await startMock({ preset: 'strict', accessTtlMs: 3_600_000 });
      try {
        const figure = await measureCoordination(
          library,
          { directory: join(directory, 'mock') },
          mockLabel,
          ({ signal, refreshToken }) =>
            grant(mock.url, { grant_type: 'refresh_token', refresh_token: refreshToken ?? '' }, signal),
          () => grant(mock.url, { grant_type: 'password', username: 'bench', password: 'bench' }),
          options.coordination,
        );
        const stats = await mock.stats();
        const refusals = Object.values(stats.refreshFailures).reduce((sum, count) => sum + (count ?? 0), 0);
        const withServer: CoordinationFigure = {
          ...figure,
          server: { rotations: stats.rotations, refusals },
        };
        result.coordination.push(withServer);
        logCoordination(withServer);
        log(`    mock: ${stats.rotations} rotations, ${refusals} refused refreshes`);
      } finally {
        await mock.stop();
      }
    } catch (error) {
      result.coordination.push({ refresh: mockLabel, error: errorText(error) });
      log(`  coordination, ${mockLabel}: not measured: ${errorText(error)}`);
    }

    // 2. Fan-out.
    try {
      result.fanOut = await measureFanOut(library, join(directory, 'fan-out'), options.fanOut, log);
    } catch (error) {
      result.fanOut = { error: errorText(error) };
      log(`  fan-out: not measured: ${errorText(error)}`);
    }

    // 3. Happy path.
    try {
      result.happyPath = await measureHappyPath(library, join(directory, 'happy'), options.happyPath, log);
    } catch (error) {
      result.happyPath = { error: errorText(error) };
      log(`  happy path: not measured: ${errorText(error)}`);
    }
    return result;
  } finally {
    await rm(directory, { recursive: true, force: true }).catch(() => undefined);
  }
};
