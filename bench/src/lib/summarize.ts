import type { RecoveryRound, RecoverySummary } from './recovery-types.ts';
import { max, median, percentile } from './stats.ts';

export const summarizeRecovery = (
  base: Pick<RecoverySummary, 'where' | 'tabs' | 'requestsPerTab' | 'serverLatency' | 'notes'>,
  rounds: RecoveryRound[],
  sessionExpiredCalls: number,
  propagationResolutionMs?: number,
): RecoverySummary => {
  const pick = (key: keyof Omit<RecoveryRound, 'propagationMs'>) => rounds.map((round) => round[key]);
  const total = (key: keyof Omit<RecoveryRound, 'propagationMs'>) =>
    rounds.reduce((sum, round) => sum + round[key], 0);
  const propagation = rounds.flatMap((round) => round.propagationMs);
  const summary: RecoverySummary = {
    ...base,
    rounds,
    median: {
      recoveryMs: median(pick('recoveryMs')),
      recoveryP95Ms: percentile(pick('recoveryMs'), 95),
      refreshRttMs: median(pick('refreshRttMs')),
      requestRttMs: median(pick('requestRttMs')),
      burstMs: median(pick('burstMs')),
      floorMs: median(rounds.map((round) => round.refreshRttMs + round.requestRttMs)),
      reactiveFloorMs: median(rounds.map((round) => round.refreshRttMs + 2 * round.burstMs)),
    },
    ratio: {
      toFloor: median(rounds.map((round) => round.recoveryMs / (round.refreshRttMs + round.requestRttMs))),
      toReactiveFloor: median(
        rounds.map((round) => round.recoveryMs / (round.refreshRttMs + 2 * round.burstMs)),
      ),
    },
    totals: {
      requests: total('requests'),
      ok: total('ok'),
      failed: total('requests') - total('ok'),
      expiries: rounds.length,
      refreshes: total('refreshes'),
      serverRotations: total('serverRotations'),
      serverRefreshFailures: total('serverRefreshFailures'),
      sessionExpiredCalls,
    },
  };
  if (propagationResolutionMs !== undefined)
    summary.propagation = {
      samples: propagation.length,
      p50Ms: percentile(propagation, 50),
      p95Ms: percentile(propagation, 95),
      maxMs: max(propagation),
      resolutionMs: propagationResolutionMs,
    };
  return summary;
};
