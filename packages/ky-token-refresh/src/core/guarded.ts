import { report } from './report.js';
import type { Adapters, Channel, ChannelMessage, LockGrant, TokenRecord } from './types.js';

/** What a bounded adapter call gives back: its value, or why there is none. Never a rejection. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown; readonly timedOut?: true };

/**
Settle with the outcome of `call` (a synchronous throw included) within `ms`. A call that has not settled by
then is given up: `onGiveUp` runs at that instant, the outcome is `ok: false`, and whatever the call does
later is ignored here.
*/
export const bounded = <T>(
  call: () => Promise<T> | T,
  ms: number,
  what: string,
  onGiveUp?: () => void,
): Promise<Outcome<T>> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      onGiveUp?.();
      resolve({ ok: false, timedOut: true, error: new Error(`${what} did not answer within ${ms} ms.`) });
    }, ms);
    const settle = (outcome: Outcome<T>) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    try {
      Promise.resolve(call()).then(
        (value) => settle({ ok: true, value }),
        (error: unknown) => settle({ ok: false, error }),
      );
    } catch (error) {
      settle({ ok: false, error });
    }
  });

/**
The one place where the coordinator meets its adapters. Lock, channel and store may be remote, slow and
fallible (IndexedDB that cannot open, a quota error, a closed channel, a lock adapter that ignores its
signal); every call goes through here, bounded and caught, so a failure or a time-out is a value the
coordinator reasons about, never a raw rejection reaching a caller and never an unbounded wait.
- store: `read`/`write` settle within `storeTimeoutMs` with an `Outcome`. The store is an optimisation,
  never a gate: the coordinator refreshes when it cannot read, and keeps and broadcasts a token it could
  not write.
- channel: `post`/`subscribe`/`close` never throw (a lost message costs a store read, not a request).
The adapters may be a promise (a chunk loaded on first need): every call then waits for them, and adapters
that fail to load fail each call the same way.
- lock: `request` rejects with `signal.reason` as soon as `signal` aborts before the grant, even when the
  adapter does not honour the signal, and a task granted after that is never run.
*/
export class GuardedAdapters {
  /** The adapters, or (where they come from a chunk loaded on first need) the promise of them. */
  readonly #adapters: Promise<Adapters>;
  readonly #storeTimeoutMs: number;

  constructor(adapters: Adapters | Promise<Adapters>, storeTimeoutMs: number) {
    this.#adapters = Promise.resolve(adapters);
    this.#storeTimeoutMs = storeTimeoutMs;
  }

  /** The shared record (`undefined` when none is stored yet). */
  read(): Promise<Outcome<TokenRecord | undefined>> {
    return this.#reported(
      bounded(
        () => this.#adapters.then((adapters) => adapters.store.get()),
        this.#storeTimeoutMs,
        'store.get()',
      ),
    );
  }

  /** Store errors already reported (by name and message): each is reported once, not at every call. */
  readonly #seen = new Set<string>();

  /**
  Report a store call's failure the first time it is seen: the coordinator goes on without the store, and
  the app still learns why (a corrupt credentials file, a quota error). Time-outs are not reported.
  */
  async #reported<T>(call: Promise<Outcome<T>>): Promise<Outcome<T>> {
    const outcome = await call;
    if (!outcome.ok && !outcome.timedOut) {
      const error = outcome.error;
      const key = error instanceof Error ? `${error.name}:${error.message}` : String(error);
      if (!this.#seen.has(key)) {
        this.#seen.add(key);
        report(error);
      }
    }
    return outcome;
  }

  /**
  Atomic read-modify-write of the shared record. A write given up (past its bound) is fenced: `late` is
  called at the instant it is given up and returns the updater to run instead, should the store run the
  write after all (by default `updater` itself, for compare-and-set updaters that are safe to land late).
  The caller has gone on without the write by then.
  */
  write(
    updater: (current: TokenRecord | undefined) => TokenRecord,
    late: () => (current: TokenRecord | undefined) => TokenRecord = () => updater,
  ): Promise<Outcome<TokenRecord>> {
    let run = updater;
    return this.#reported(
      bounded(
        () => this.#adapters.then((adapters) => adapters.store.update((current) => run(current))),
        this.#storeTimeoutMs,
        'store.update()',
        () => {
          run = late();
        },
      ),
    );
  }

  /**
  Run `use` on the channel once the adapters are there (in call order: posts keep their order, and a close
  comes after the posts before it). What it throws, or adapters that failed to load, cost a message, reported.
  */
  #channel(use: (channel: Channel) => void): void {
    this.#adapters.then((adapters) => use(adapters.channel)).catch(report);
  }

  post(message: ChannelMessage): void {
    this.#channel((channel) => channel.post(message));
  }

  subscribe(listener: (message: ChannelMessage) => void): () => void {
    let stop: (() => void) | undefined;
    let stopped = false;
    this.#channel((channel) => {
      if (!stopped) stop = channel.subscribe(listener);
    });
    return () => {
      stopped = true;
      this.#channel(() => stop?.());
    };
  }

  close(): void {
    this.#channel((channel) => channel.close());
  }

  request<T>(task: (grant: LockGrant) => Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      // Granted after the caller gave up (an adapter that ignores its signal, or a grant racing the abort):
      // the task is not run, so nothing starts under a lock nobody waits for.
      const run = (grant?: LockGrant): Promise<T> => {
        if (signal.aborted) return Promise.reject(signal.reason);
        signal.removeEventListener('abort', onAbort);
        return task(grant ?? {});
      };
      this.#adapters.then((adapters) => adapters.lock.request(run, { signal })).then(resolve, reject);
    });
  }
}
