/**
A virtual clock for the simulation. While installed it replaces `setTimeout`, `clearTimeout` and `Date.now`
(the library and ky use nothing else for time), so no schedule ever sleeps: the world advances the clock to
the next timer only when every scheduled task has run (time passes only while everything waits).
*/

/** 2026-01-01T00:00:00Z: the start of every schedule. */
export const EPOCH = 1_767_225_600_000;

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly run: () => void;
}

export class VirtualClock {
  now = EPOCH;
  #next = 0;
  readonly #timers = new Map<number, Timer>();
  #saved: { setTimeout: unknown; clearTimeout: unknown; now: () => number } | undefined;

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
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
      if (!this.#timers.delete(timer.id)) continue;
      timer.run();
    }
    return true;
  }

  /** Replace the global timers and `Date.now` with this clock's. */
  install(): void {
    if (this.#saved) return;
    const g = globalThis as unknown as Record<string, unknown>;
    this.#saved = { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, now: Date.now };
    g.setTimeout = (run: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      this.setTimeout(() => run(...args), ms);
    g.clearTimeout = (id: unknown) => this.clearTimeout(id);
    Date.now = () => this.now;
  }

  uninstall(): void {
    if (!this.#saved) return;
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = this.#saved.setTimeout;
    g.clearTimeout = this.#saved.clearTimeout;
    Date.now = this.#saved.now;
    this.#saved = undefined;
    this.#timers.clear();
  }
}
