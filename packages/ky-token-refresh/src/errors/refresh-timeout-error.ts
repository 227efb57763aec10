import { RefreshFailedError } from './refresh-failed-error.js';

/**
Waiting for the refresh lock, or the refresh call itself, took longer than `refreshTimeoutMs`.
A kind of `RefreshFailedError`: the session is kept and the next 401 tries again.
*/
export class RefreshTimeoutError extends RefreshFailedError {
  override name = 'RefreshTimeoutError';
  /** What timed out: waiting for the cross-tab lock, or the `refresh()` call. */
  readonly phase: 'lock' | 'refresh';

  constructor(phase: 'lock' | 'refresh', timeoutMs: number) {
    super(
      phase === 'lock'
        ? `Waited ${timeoutMs} ms for the refresh lock (refreshTimeoutMs) without getting it.`
        : `refresh() did not settle within ${timeoutMs} ms (refreshTimeoutMs).`,
      undefined,
      'ERR_REFRESH_TIMEOUT',
    );
    this.phase = phase;
  }
}

export const isRefreshTimeoutError = (error: unknown): error is RefreshTimeoutError =>
  error instanceof RefreshTimeoutError;
