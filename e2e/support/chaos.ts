/** The chaos test's seeded randomness: each round's parameters depend on (seed, round) only, so one round replays alone. */
import type { ConfigPatch } from 'mock-auth-server';

/** mulberry32: small, fast, good enough for test parameters. */
export const rng = (seed: number) => {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const chance = (p: number): boolean => next() < p;
  return { next, int, pick, chance };
};

/** FNV-1a over the text: a 32-bit seed from anything (a date, a word). */
export const hashSeed = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
};

/** CHAOS_SEED (a number or any text), else the UTC date: the same seed all day, a new one every day. */
export const chaosSeed = (): number => {
  const raw = process.env.CHAOS_SEED ?? new Date().toISOString().slice(0, 10);
  return /^\d+$/.test(raw) ? Number(raw) >>> 0 : hashSeed(raw);
};

export interface RoundPlan {
  round: number;
  tabs: number;
  perTab: number;
  config: ConfigPatch & { accessTtlMs: number; latencyMs: number; jitterMs: number };
  /** `expire`: POST /__mock/expire then the wave; `proactive`: wait until the token is half spent, no expiry. */
  mode: 'expire' | 'proactive';
  /** Per tab, ms added to the common start. */
  skewMs: number[];
  /** Per tab, per request: abort after this many ms, or null. */
  aborts: (number | null)[][];
  /** Close this tab (index) this many ms after the start; only where the server has a grace window. */
  close: { tab: number; afterMs: number } | null;
}

const PRESETS = ['strict', 'strict', 'okta', 'supabase', 'supertokens'] as const;

export const planRound = (seed: number, round: number): RoundPlan => {
  const r = rng(hashSeed(`${seed}:${round}`));
  const preset = r.pick(PRESETS);
  const atomic = preset === 'strict' ? !r.chance(0.15) : true;
  const tabs = r.int(1, 6);
  const perTab = r.pick([1, 2, 5, 10, 15, 25]);
  const latencyMs = r.int(0, 250);
  const jitterMs = r.pick([0, 0, 50, 120]);
  const apiLatencyMs = r.int(0, 30);
  const apiJitterMs = r.pick([0, 20, 40]);
  const mode = r.chance(0.1) ? 'proactive' : 'expire';
  // Expiry rounds replay a whole burst on the refreshed token, so that token must outlive the replays: a JWT
  // with whole-second claims may be refused up to 1 s before the `exp - iat` the client counts, and a token of
  // 2 s then expired under a loaded CI machine before the last replays were answered (their second 401 is
  // handed back by design: one replay per request). Short tokens are the proactive rounds' subject.
  const accessTtlMs = mode === 'proactive' ? r.pick([2_000, 3_000]) : r.pick([5_000, 10_000, 60_000, 60_000]);
  const abortSome = r.chance(0.3);
  const aborts = Array.from({ length: tabs }, () =>
    Array.from({ length: perTab }, () =>
      abortSome && r.chance(0.25) ? r.int(0, latencyMs + apiLatencyMs + 100) : null,
    ),
  );
  // A tab closed mid-refresh loses the rotated cookie: only a server with a grace window survives that (the
  // existing multi-tab test explains why), and a non-atomic server may rotate twice meanwhile.
  const close =
    preset !== 'strict' && tabs > 1 && r.chance(0.35)
      ? { tab: r.int(0, tabs - 1), afterMs: r.int(0, latencyMs + 150) }
      : null;
  const skewMs = Array.from({ length: tabs }, () => r.pick([0, 0, r.int(0, 80)]));
  return {
    round,
    tabs,
    perTab,
    config: { preset, atomic, accessTtlMs, latencyMs, jitterMs, apiLatencyMs, apiJitterMs },
    mode,
    skewMs,
    aborts,
    close,
  };
};
