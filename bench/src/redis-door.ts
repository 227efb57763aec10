/**
The Node door on Redis (`createRedisAdapters`: Redis lock, sealed record, sharded pub/sub), on a
redis-server started here on a free loopback port, with the Node mock (strict) as the token endpoint:
1. coordination per refresh: `auth.refresh()` through the door (lock taken, record read, `refresh()`,
   compare-and-set script, publish, lock released) beside the same grant called directly, one for one in one
   process (node-door.ts's measure);
2. fan-out: `processes` processes × `callers` concurrent `auth.refresh()` each, started at one moment: the
   time until every caller holds the new token (the last process's last caller), against its floor measured
   in the same run: one bare refresh round trip + one publish delivered (`SPUBLISH` to a subscriber of
   another connection).
*/
import { type ChildProcess, fork } from 'node:child_process';
import { startRedis } from '../../packages/ky-token-refresh/test-node/redis-server.ts';
import type { RedisDoorProcessConfig, RedisDoorReport } from './clients/redis-door-process.ts';
import {
  buildNodeLibrary,
  buildRedisLibrary,
  loadNodeLibrary,
  loadRedisClient,
  loadRedisLibrary,
} from './lib/library.ts';
import { startMock } from './lib/mock.ts';
import { median } from './lib/stats.ts';
import {
  type CoordinationFigure,
  errorText,
  grant,
  measureCoordination,
  type Spread,
  spread,
} from './node-door.ts';

export interface RedisDoorOptions {
  coordination: { refreshes: number; warmup: number };
  fanOut: { processes: number; callers: number; rounds: number; warmup: number; floorSamples: number };
}

export interface RedisFanOutFigure {
  processes: number;
  callers: number;
  /** Per round: from the first process's `go` to the last caller holding the new token, ms. */
  allHold: Spread;
  /** One bare refresh round trip + one publish delivered, medians, ms. */
  floor: { refreshMs: number; publishMs: number; totalMs: number };
  rotationsPerRound: number[];
  failures: number;
  generationMismatches: number;
}

export interface RedisDoorResult {
  options: RedisDoorOptions;
  coordination: CoordinationFigure | { error: string };
  fanOut: RedisFanOutFigure | { error: string };
}

const KEY = 'bench-redis-door-record-key';

/** Median time for a message published on one connection to reach a sharded subscriber on another. */
const measurePublish = async (url: string, samples: number): Promise<number> => {
  const { createClient } = await loadRedisClient();
  const publisher = await createClient({ url }).connect();
  const subscriber = await createClient({ url }).connect();
  try {
    let arrived: (() => void) | undefined;
    await subscriber.sSubscribe('{bench}:ping', () => arrived?.());
    const times: number[] = [];
    for (let index = 0; index < samples; index++) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        arrived = resolve;
        void publisher.sPublish('{bench}:ping', 'x');
      });
      times.push(performance.now() - started);
    }
    return median(times);
  } finally {
    subscriber.destroy();
    publisher.destroy();
  }
};

export const runRedisDoor = async (
  options: RedisDoorOptions,
  log: (line: string) => void,
): Promise<RedisDoorResult> => {
  const result: RedisDoorResult = {
    options,
    coordination: { error: 'not run' },
    fanOut: { error: 'not run' },
  };
  const redis = await startRedis();
  const mock = await startMock({ preset: 'strict', accessTtlMs: 3_600_000 });
  const node = await loadNodeLibrary();
  const { createRedisAdapters } = await loadRedisLibrary();
  const { createClient } = await loadRedisClient();
  try {
    // 1. Coordination per refresh.
    const client = await createClient({ url: redis.url }).connect();
    try {
      const label = 'mock POST /oauth/token (127.0.0.1, strict)';
      const figure = await measureCoordination(
        node,
        { crossTab: createRedisAdapters(client, { name: 'bench-coordination', key: KEY }) },
        label,
        ({ signal, refreshToken }) =>
          grant(mock.url, { grant_type: 'refresh_token', refresh_token: refreshToken ?? '' }, signal),
        () => grant(mock.url, { grant_type: 'password', username: 'bench', password: 'bench' }),
        options.coordination,
      );
      result.coordination = figure;
      log(
        `  Redis coordination, ${label}: door p50 ${figure.door.p50Ms.toFixed(2)} ms (p95 ${figure.door.p95Ms.toFixed(2)}), bare p50 ${figure.bare.p50Ms.toFixed(2)} ms (p95 ${figure.bare.p95Ms.toFixed(2)}), ratio of medians ${figure.ratioOfMedians.toFixed(2)}, +${figure.addedMs.toFixed(2)} ms per refresh, refresh() calls ${figure.doorRefreshCalls}/${figure.expectedRefreshCalls}, failures ${figure.failures}`,
      );
    } catch (error) {
      result.coordination = { error: errorText(error) };
      log(`  Redis coordination: not measured: ${errorText(error)}`);
    } finally {
      client.destroy();
    }

    // 2. Fan-out.
    const children: ChildProcess[] = [];
    try {
      const { processes, callers, rounds, warmup, floorSamples } = options.fanOut;
      const name = 'bench-fan-out';
      const login = await grant(mock.url, { grant_type: 'password', username: 'bench', password: 'bench' });
      const setup = await createClient({ url: redis.url }).connect();
      const seed = node.createTokenRefresh({
        name,
        crossTab: createRedisAdapters(setup, { name, key: KEY }),
        isAuthorizedUrl: () => false,
        refresh: () => null,
      });
      await seed.setToken(login);
      seed.dispose();
      setTimeout(() => setup.destroy(), 200);
      const config: RedisDoorProcessConfig = {
        libraryUrl: await buildNodeLibrary(),
        redisLibraryUrl: await buildRedisLibrary(),
        redisUrl: redis.url,
        name,
        key: KEY,
        server: mock.url,
        callers,
      };
      const reports = new Map<ChildProcess, RedisDoorReport[]>();
      const next = (child: ChildProcess, type: RedisDoorReport['type']) =>
        new Promise<RedisDoorReport>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${type} from a Redis door process`)), 60_000);
          const check = () => {
            const queue = reports.get(child) ?? [];
            const index = queue.findIndex((report) => report.type === type || report.type === 'error');
            if (index < 0) return;
            const [report] = queue.splice(index, 1) as [RedisDoorReport];
            clearTimeout(timer);
            child.off('message', check);
            if (report.type === 'error') reject(new Error(report.message));
            else resolve(report);
          };
          child.on('message', check);
          check();
        });
      for (let index = 0; index < processes; index++) {
        const child = fork(
          new URL('./clients/redis-door-process.ts', import.meta.url),
          [JSON.stringify(config)],
          {
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          },
        );
        reports.set(child, []);
        child.on('message', (report: RedisDoorReport) => reports.get(child)?.push(report));
        children.push(child);
      }
      await Promise.all(children.map((child) => next(child, 'ready')));
      const allHold: number[] = [];
      const rotationsPerRound: number[] = [];
      let failures = 0;
      let generationMismatches = 0;
      for (let round = -warmup; round < rounds; round++) {
        const before = (await mock.stats()).rotations;
        const done = children.map((child) => next(child, 'done'));
        for (const child of children) child.send({ type: 'go' });
        const reported = (await Promise.all(done)) as Extract<RedisDoorReport, { type: 'done' }>[];
        const rotations = (await mock.stats()).rotations - before;
        if (round < 0) continue;
        const took =
          Math.max(...reported.map((report) => report.doneAt)) -
          Math.min(...reported.map((report) => report.goAt));
        allHold.push(took);
        rotationsPerRound.push(rotations);
        failures += reported.reduce((sum, report) => sum + report.failures, 0);
        const generations = new Set(reported.map((report) => report.generation));
        generationMismatches += generations.size - 1;
        log(
          `  Redis fan-out round ${round + 1}/${rounds}: ${processes} × ${callers} callers hold the new token ${took.toFixed(1)} ms after go (${rotations} rotation)`,
        );
      }
      // The floor, in the same run: one bare refresh round trip, one publish delivered.
      const refreshTimes: number[] = [];
      let token = (await grant(mock.url, { grant_type: 'password', username: 'bench', password: 'bench' }))
        .refreshToken;
      for (let index = 0; index < floorSamples; index++) {
        const started = performance.now();
        token = (await grant(mock.url, { grant_type: 'refresh_token', refresh_token: token ?? '' }))
          .refreshToken;
        refreshTimes.push(performance.now() - started);
      }
      const refreshMs = median(refreshTimes);
      const publishMs = await measurePublish(redis.url, floorSamples);
      const figure: RedisFanOutFigure = {
        processes,
        callers,
        allHold: spread(allHold),
        floor: { refreshMs, publishMs, totalMs: refreshMs + publishMs },
        rotationsPerRound,
        failures,
        generationMismatches,
      };
      result.fanOut = figure;
      log(
        `  Redis fan-out: ${processes * callers} callers in ${processes} processes hold the new token p50 ${figure.allHold.p50Ms.toFixed(1)} ms / p95 ${figure.allHold.p95Ms.toFixed(1)} ms after go; floor ${figure.floor.totalMs.toFixed(2)} ms (refresh ${refreshMs.toFixed(2)} + publish ${publishMs.toFixed(2)}); rotations per round ${rotationsPerRound.join(',')}; failures ${failures}`,
      );
    } catch (error) {
      result.fanOut = { error: errorText(error) };
      log(`  Redis fan-out: not measured: ${errorText(error)}`);
    } finally {
      for (const child of children) if (child.connected) child.send({ type: 'exit' });
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const child of children) child.kill('SIGKILL');
    }
    return result;
  } finally {
    await mock.stop();
    await redis.stop();
  }
};
