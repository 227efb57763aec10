/**
Codes carried by every error this package throws. Switch on `error.code` rather than on class names.
*/
export type TokenRefreshErrorCode =
  | 'ERR_SESSION_EXPIRED'
  | 'ERR_REFRESH_FAILED'
  | 'ERR_REFRESH_TIMEOUT'
  | 'ERR_REPLAY_UNAVAILABLE'
  | 'ERR_DISPOSED'
  | 'ERR_CREDENTIALS_FILE'
  | 'ERR_REDIS_RECORD';

/**
Base class of every error thrown by ky-token-refresh. Never carries a token in its message or fields.
*/
export class TokenRefreshError extends Error {
  override name = 'TokenRefreshError';
  readonly code: TokenRefreshErrorCode;

  constructor(code: TokenRefreshErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** `true` when `error` is any error thrown by ky-token-refresh. */
export const isTokenRefreshError = (error: unknown): error is TokenRefreshError =>
  error instanceof TokenRefreshError;
