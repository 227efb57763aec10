/**
A virtual clock for the simulation. While installed it replaces `setTimeout`, `clearTimeout`, `setInterval`,
`clearInterval` and `Date.now` (the library and ky use nothing else for time; the lease lock renews on an
interval), so no schedule ever sleeps: the world advances the clock to
the next timer only when every scheduled task has run (time passes only while everything waits).
*/

/** 2026-01-01T00:00:00Z: the start of every schedule. */
export const EPOCH = 1_767_225_600_000;

interface Timer {
  readonly id: number;
  at: number;
  readonly run: () => void;
  /** An interval's period; it fires again until cleared. */
  readonly every?: number;
}

export class VirtualClock {
  now = EPOCH;
  #next = 0;
  readonly #timers = new Map<number, Timer>();
  #saved:
    | {
        setTimeout: unknown;
        clearTimeout: unknown;
        setInterval: unknown;
        clearInterval: unknown;
        now: () => number;
      }
    | undefined;

  /**
  One-shot timers waiting to fire. Intervals do not count: they alone do not keep a schedule going (a lease
  holder that died keeps its renewal interval here, as its process would, but nothing waits for it).
  */
  get pending(): number {
    let count = 0;
    for (const timer of this.#timers.values()) if (timer.every === undefined) count++;
    return count;
  }

  setInterval(run: () => void, ms = 0): number {
    const id = ++this.#next;
    const every = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : 1;
    this.#timers.set(id, { id, at: this.now + every, run, every });
    return id;
  }

  setTimeout(run: () => void, ms = 0): number {
    const id = ++this.#next;
    const delay = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : 0;
    this.#timers.set(id, { id, at: this.now + delay, run });
    return id;
  }

  clearTimeout(id: unknown): void {
    if (typeof id === 'number') this.#timers.delete(id);
  }

  /** A promise that resolves after `ms` on this clock. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Move to the earliest timer and fire every timer due then, in creation order. False when none is left. */
  advance(): boolean {
    let at = Number.POSITIVE_INFINITY;
    for (const timer of this.#timers.values()) if (timer.at < at) at = timer.at;
    if (at === Number.POSITIVE_INFINITY) return false;
    this.now = Math.max(this.now, at);
    const due = [...this.#timers.values()]
      .filter((timer) => timer.at <= this.now)
      .sort((a, b) => a.id - b.id);
    for (const timer of due) {
      if (!this.#timers.has(timer.id)) continue;
      if (timer.every === undefined) this.#timers.delete(timer.id);
      else timer.at = this.now + timer.every;
      timer.run();
    }
    return true;
  }

  /** Replace the global timers and `Date.now` with this clock's. */
  install(): void {
    if (this.#saved) return;
    const g = globalThis as unknown as Record<string, unknown>;
    this.#saved = {
      setTimeout: g.setTimeout,
      clearTimeout: g.clearTimeout,
      setInterval: g.setInterval,
      clearInterval: g.clearInterval,
      now: Date.now,
    };
    g.setTimeout = (run: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      this.setTimeout(() => run(...args), ms);
    g.clearTimeout = (id: unknown) => this.clearTimeout(id);
    g.setInterval = (run: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      this.setInterval(() => run(...args), ms);
    g.clearInterval = (id: unknown) => this.clearTimeout(id);
    Date.now = () => this.now;
  }

  uninstall(): void {
    if (!this.#saved) return;
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = this.#saved.setTimeout;
    g.clearTimeout = this.#saved.clearTimeout;
    g.setInterval = this.#saved.setInterval;
    g.clearInterval = this.#saved.clearInterval;
    Date.now = this.#saved.now;
    this.#saved = undefined;
    this.#timers.clear();
  }
}
