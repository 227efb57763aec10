import { TokenRefreshError } from './token-refresh-error.js';

/** The instance was disposed with `dispose()`; it no longer refreshes or stores tokens. */
export class DisposedError extends TokenRefreshError {
  override name = 'DisposedError';

  constructor() {
    super('ERR_DISPOSED', 'This token refresh instance was disposed.');
  }
}

export const isDisposedError = (error: unknown): error is DisposedError => error instanceof DisposedError;
