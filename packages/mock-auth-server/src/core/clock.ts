/** Time source of the server; tests inject a manual one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** Date.now and setTimeout. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A latency of `base` plus a uniform random jitter in [0, jitter]. */
export function latency(base: number, jitter: number, random: () => number = Math.random): number {
  return base + (jitter > 0 ? random() * jitter : 0);
}
