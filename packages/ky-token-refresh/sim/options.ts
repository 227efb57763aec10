/** The runner's knobs, read from the environment (test code only; nothing here ships). */
import { type FaultClass, parseDisabled } from './arbitraries.js';
import type { Sabotage } from './model.js';

export const SABOTAGES: Record<string, Sabotage> = {
  'no-cross-tab': { noCrossTab: true },
  'double-lock': { lockCapacity: 2 },
  'stale-store': { staleReads: true },
  // The world's global fetch drops `x-trace` only when called as auth.fetch's fast path calls it.
  'fast-path-header': { fastPathDropsHeader: true },
  // The channel loses every logout message: the other tabs keep the logged-out session's token.
  'lost-logout': { lostLogout: true },
  // holdRefreshToken: refresh() presents the tab's own last-known refresh token, not the one read under the lock.
  'stale-refresh-token': { staleRefreshToken: true },
  // holdRefreshToken: token messages carry the refresh token of the record they announce.
  'leak-refresh-token': { leakRefreshToken: true },
  // lease lock: the library is not told that a frozen holder's lease ran out (nor of a takeover).
  'deaf-lease': { deafLease: true },
};

/**
The fault classes of the defects of issue 8 that main had at fdf6127 (before its fixes): `store`/
`slow-store` (defects 1 and 2), `logout` and `open` (item 5), `dispose` (item 7), `freeze`.
Kept for measuring that version (measure.test.ts); `SIM_DISABLE=issue8`.
*/
export const ISSUE_8_CLASSES = 'store,slow-store,logout,open,dispose,freeze';

const aliases: Record<string, string> = { issue8: ISSUE_8_CLASSES };

export interface RunnerEnv {
  runs: number;
  seed: number;
  path: string | undefined;
  disabled: Set<FaultClass>;
  disabledText: string;
  sabotage: Sabotage;
  sabotageName: string | undefined;
  /** SIM_KNOWN_DEFECTS (comma list), counted instead of reported. */
  knownText: string;
}

export const readEnv = (defaultRuns: number, env: NodeJS.ProcessEnv = process.env): RunnerEnv => {
  const sabotageName = env.SIM_SABOTAGE || undefined;
  const sabotage = sabotageName === undefined ? {} : SABOTAGES[sabotageName];
  if (!sabotage)
    throw new Error(`SIM_SABOTAGE: unknown "${sabotageName}" (${Object.keys(SABOTAGES).join(', ')})`);
  const disabledText = aliases[env.SIM_DISABLE ?? ''] ?? env.SIM_DISABLE ?? '';
  // SIM_DISABLE=issue8 also counts (instead of reporting) the issue-8 defect no fault class isolates.
  // (F3, counted the same way under SIM_KNOWN_DEFECTS=F3 while it was open, is fixed.)
  const known = env.SIM_KNOWN_DEFECTS ?? (env.SIM_DISABLE === 'issue8' ? 'item5' : '');
  const knownDefects = new Set(known.split(',').filter(Boolean));
  for (const name of knownDefects) {
    if (name !== 'item5' && name !== 'F3' && name !== 'during' && name !== 'hold-store')
      throw new Error(`SIM_KNOWN_DEFECTS: unknown "${name}" (known: item5, F3, during, hold-store)`);
  }
  return {
    runs: Number(env.SIM_RUNS ?? defaultRuns),
    seed: env.SIM_SEED ? Number(env.SIM_SEED) : Math.floor(Math.random() * 2 ** 31),
    path: env.SIM_PATH || undefined,
    disabled: parseDisabled(disabledText),
    disabledText,
    sabotage: knownDefects.size > 0 ? { ...sabotage, knownDefects } : sabotage,
    sabotageName,
    knownText: known,
  };
};

/** The one command that replays a failure. */
export const replayCommand = (env: RunnerEnv, seed: number, path: string | undefined): string =>
  [
    `SIM_SEED=${seed}`,
    path ? `SIM_PATH='${path}'` : '',
    env.disabledText === ISSUE_8_CLASSES
      ? 'SIM_DISABLE=issue8'
      : env.disabledText
        ? `SIM_DISABLE=${env.disabledText}`
        : '',
    env.sabotageName ? `SIM_SABOTAGE=${env.sabotageName}` : '',
    env.knownText && !(env.disabledText === ISSUE_8_CLASSES && env.knownText === 'item5')
      ? `SIM_KNOWN_DEFECTS=${env.knownText}`
      : '',
    'pnpm sim',
  ]
    .filter(Boolean)
    .join(' ');
