import { TokenRefreshError } from './token-refresh-error.js';

/**
The session is over: the refresh endpoint answered definitively (400 `invalid_grant` or 401), or the user
logged out in this or another tab. Not retryable: the user must log in again.
*/
export class SessionExpiredError extends TokenRefreshError {
  override name = 'SessionExpiredError';

  constructor(message = 'The session has expired; log in again.', options?: ErrorOptions) {
    super('ERR_SESSION_EXPIRED', message, options);
  }
}

export const isSessionExpiredError = (error: unknown): error is SessionExpiredError =>
  error instanceof SessionExpiredError;
