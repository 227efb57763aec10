/** What `node-door.ts` and its child processes (`clients/door-process.ts`) exchange. */

export interface DoorProcessConfig {
  /** File URL of the built `ky-token-refresh/node`. */
  libraryUrl: string;
  /** The credentials file every process names. */
  file: string;
  /** `holder`: refreshes when told (and holds the lock until `go`); `waiter`: waits on the lock for it. */
  role: 'holder' | 'waiter';
  refreshTimeoutMs: number;
}

/** Parent → child. */
export type DoorCommand =
  /** holder: `auth.refresh()`; its `refresh()` says `refreshing`, then waits for `go`. */
  | { type: 'refresh' }
  | { type: 'go' }
  /** waiter: `auth.refresh()`, which waits on the lock the holder holds, and adopts what it commits. */
  | { type: 'wait' }
  | { type: 'exit' };

/**
Child → parent. Times are `process.hrtime` in ms: CLOCK_MONOTONIC on Linux, one clock for every process of
the machine, so times taken in two processes subtract.
*/
export type DoorReport =
  | { type: 'ready'; pid: number }
  | { type: 'refreshing' }
  /** holder: `committedAt`: when the store's compare-and-set write (`update()`) resolved. */
  | { type: 'committed'; committedAt: number; generation: number; refreshes: number }
  /** waiter: its `lock:wait` event (it is waiting on the lock). */
  | { type: 'waiting' }
  /**
  waiter: `heldAt`: its first `token:received` or `refresh:adopted` event since `wait` (the event named by
  `via`); `refreshes`: its own `refresh()` calls so far (0 when it only ever adopted).
  */
  | { type: 'held'; heldAt: number; via: string; generation: number; refreshes: number }
  | { type: 'error'; message: string };
