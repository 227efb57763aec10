import { TokenRefreshError } from './token-refresh-error.js';

/**
A request got a 401, the token was refreshed, but the request could not be sent again because its body
could not be kept for replay. The request was not replayed with an empty body; `cause` says why.
*/
export class ReplayError extends TokenRefreshError {
  override name = 'ReplayError';
  /** Method and URL of the request that could not be replayed (no headers, no token). */
  readonly request: { method: string; url: string };

  constructor(request: { method: string; url: string }, options?: ErrorOptions) {
    super(
      'ERR_REPLAY_UNAVAILABLE',
      `${request.method} ${request.url} got 401 and could not be replayed: its body could not be cloned.`,
      options,
    );
    this.request = request;
  }
}

export const isReplayError = (error: unknown): error is ReplayError => error instanceof ReplayError;
