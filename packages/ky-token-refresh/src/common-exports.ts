/** What both entry points export besides their `createTokenRefresh`: the error classes and the types. */
export type {
  Adapters,
  Channel,
  ChannelMessage,
  Lock,
  LockGrant,
  RefreshResult,
  Store,
  TokenRecord,
  TokenRefreshEvent,
  TokenRefreshEventType,
  TokenRefreshStats,
} from './core/types.js';
export { DisposedError, isDisposedError } from './errors/disposed-error.js';
export { isRefreshFailedError, RefreshFailedError } from './errors/refresh-failed-error.js';
export { isRefreshTimeoutError, RefreshTimeoutError } from './errors/refresh-timeout-error.js';
export { isReplayError, ReplayError } from './errors/replay-error.js';
export { isSessionExpiredError, SessionExpiredError } from './errors/session-expired-error.js';
export {
  isTokenRefreshError,
  TokenRefreshError,
  type TokenRefreshErrorCode,
} from './errors/token-refresh-error.js';
export type { FetchTokenRefresh } from './instance.js';
export type { RefreshContext, TokenRefreshOptions } from './options.js';
