/** Base of every error the proxy throws on purpose; `code` is stable, the message is for people. */
export class RefreshProxyError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option (flag or environment variable) has a value the proxy cannot run with. */
export class ConfigError extends RefreshProxyError {
  /** The option's name as the user spelled it, e.g. `DEDUP_WINDOW_MS`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('INVALID_CONFIG', `Invalid ${option}: ${message}`);
    this.option = option;
  }
}

/** The shared store (Redis) did not answer in time or refused; the store failure policy decides what next. */
export class StoreUnavailableError extends RefreshProxyError {
  /** The store operation that failed, e.g. `acquire`. */
  readonly operation: string;
  constructor(operation: string, message: string, options?: ErrorOptions) {
    super('STORE_UNAVAILABLE', `store ${operation}: ${message}`, options);
    this.operation = operation;
  }
}

/** The upstream token endpoint could not be reached or did not answer within the upstream timeout. */
export class UpstreamError extends RefreshProxyError {
  constructor(code: 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT', message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A waiter's bounded wait for another request's answer ran out. */
export class WaitTimeoutError extends RefreshProxyError {
  constructor(waitedMs: number) {
    super('WAIT_TIMEOUT', `no answer for this refresh token within ${waitedMs} ms`);
  }
}

export const isRefreshProxyError = (error: unknown): error is RefreshProxyError =>
  error instanceof RefreshProxyError;
