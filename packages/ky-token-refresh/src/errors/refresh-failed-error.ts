import { TokenRefreshError, type TokenRefreshErrorCode } from './token-refresh-error.js';

/**
The refresh failed for a reason that may pass (network error, 5xx, timeout). The session is kept and the
next 401 tries again. `cause` holds the underlying error.
*/
export class RefreshFailedError extends TokenRefreshError {
  override name = 'RefreshFailedError';
  /** Always `true`: the same request may succeed later. */
  readonly retryable = true;

  constructor(message: string, options?: ErrorOptions, code: TokenRefreshErrorCode = 'ERR_REFRESH_FAILED') {
    super(code, message, options);
  }
}

export const isRefreshFailedError = (error: unknown): error is RefreshFailedError =>
  error instanceof RefreshFailedError;
