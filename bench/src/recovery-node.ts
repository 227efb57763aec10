/**
Recovery latency, one tab, in Node: a burst of N requests right after the server expired the token, timed
from the burst's start to the last request settled, beside the floor measured in the same round against the
same server (mock-auth-server's Node adapter, real cookies, the same latency knobs).
*/
import ky from 'ky';
import type { AuthServerStats } from 'mock-auth-server';
import { loadLibrary } from './lib/library.ts';
import { startMock } from './lib/mock.ts';
import type { RecoveryRound, RecoverySummary } from './lib/recovery-types.ts';
import { sleep } from './lib/stats.ts';
import { summarizeRecovery } from './lib/summarize.ts';

export interface RecoveryOptions {
  requests: number;
  rounds: number;
  warmup: number;
  refreshLatencyMs: number;
  apiLatencyMs: number;
}

const failuresOf = (stats: AuthServerStats) =>
  Object.values(stats.refreshFailures).reduce((sum, count) => sum + (count ?? 0), 0);

export const runRecoveryNode = async (
  options: RecoveryOptions,
  log: (line: string) => void,
): Promise<RecoverySummary> => {
  const { createTokenRefresh } = await loadLibrary();
  const mock = await startMock({
    preset: 'strict',
    accessTtlMs: 3_600_000,
    latencyMs: options.refreshLatencyMs,
    apiLatencyMs: options.apiLatencyMs,
  });
  try {
    // Node's fetch has no cookie jar: keep the HttpOnly refresh cookie by hand, as a browser would.
    let cookie = '';
    const keepCookie = (response: Response) => {
      for (const header of response.headers.getSetCookie()) {
        const pair = header.split(';')[0] ?? '';
        if (pair.startsWith('rt=')) cookie = pair;
      }
    };
    const callRefresh = async (signal?: AbortSignal): Promise<string> => {
      const response = await ky.post(`${mock.url}/auth/refresh`, {
        headers: { 'X-Requested-With': 'bench', cookie },
        retry: 0,
        timeout: false,
        ...(signal && { signal }),
      });
      keepCookie(response);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const login = await ky.post(`${mock.url}/auth/login`, { json: { username: 'bench', password: 'bench' } });
    keepCookie(login);

    let sessionExpiredCalls = 0;
    const auth = createTokenRefresh({
      name: 'bench-recovery',
      crossTab: false,
      refreshBeforeExpiryMs: 0,
      isAuthorizedUrl: (url) => url.origin === new URL(mock.url).origin,
      refresh: ({ signal }) => callRefresh(signal),
      onSessionExpired: () => {
        sessionExpiredCalls++;
      },
    });
    let successes = 0;
    auth.subscribe((event) => {
      if (event.type === 'refresh:success') successes++;
    });
    await auth.setToken(((await login.json()) as { access_token: string }).access_token);
    const api = ky.create({ prefix: `${mock.url}/api`, hooks: auth.hooks, retry: 0 });
    const bare = ky.create({ prefix: `${mock.url}/api`, retry: 0 });

    const burst = async () => {
      const start = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: options.requests }, (_, index) =>
          api.get(`items/${index}`).json<{ ok: boolean }>(),
        ),
      );
      const ok = results.filter((result) => result.status === 'fulfilled' && result.value.ok).length;
      return { ms: performance.now() - start, ok };
    };

    const rounds: RecoveryRound[] = [];
    for (let round = -options.warmup; round < options.rounds; round++) {
      let start = performance.now();
      await callRefresh();
      const refreshRttMs = performance.now() - start;
      start = performance.now();
      await bare.get('items/0', { headers: { Authorization: `Bearer ${auth.getToken()}` } }).json();
      const requestRttMs = performance.now() - start;
      const burstMs = (await burst()).ms;

      const before = await mock.stats();
      const refreshesBefore = successes;
      await mock.expire();
      const recovery = await burst();
      const after = await mock.stats();
      if (round < 0) continue;
      rounds.push({
        refreshRttMs,
        requestRttMs,
        burstMs,
        recoveryMs: recovery.ms,
        requests: options.requests,
        ok: recovery.ok,
        refreshes: successes - refreshesBefore,
        serverRotations: after.rotations - before.rotations,
        serverRefreshFailures: failuresOf(after) - failuresOf(before),
        propagationMs: [],
      });
      await sleep(20);
    }
    auth.dispose();
    const summary = summarizeRecovery(
      {
        where: 'Node (1 instance)',
        tabs: 1,
        requestsPerTab: options.requests,
        serverLatency: { refreshMs: options.refreshLatencyMs, apiMs: options.apiLatencyMs },
        notes: ['Node fetch (undici) opens as many connections as needed: no per-host limit.'],
      },
      rounds,
      sessionExpiredCalls,
    );
    log(
      `  node 1 tab: recovery p50 ${summary.median.recoveryMs.toFixed(1)} ms, floor ${summary.median.floorMs.toFixed(1)} ms, ` +
        `ratio ${summary.ratio.toFloor.toFixed(2)}, ${summary.totals.ok}/${summary.totals.requests} ok`,
    );
    return summary;
  } finally {
    await mock.stop();
  }
};
