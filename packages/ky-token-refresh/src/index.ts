export { FallbackChannel, NativeChannel } from './adapters/channel.js';
export { createDefaultAdapters, detectFeatures } from './adapters/defaults.js';
export { IdbStore } from './adapters/idb-store.js';
export { LeaseLock, type LeaseLockOptions } from './adapters/lease-lock.js';
export { createMemoryAdapters, MemoryChannel, MemoryLock, MemoryStore } from './adapters/memory.js';
export { WebLock } from './adapters/web-lock.js';
export type {
  Adapters,
  Channel,
  ChannelMessage,
  Lock,
  RefreshResult,
  Store,
  TokenRecord,
  TokenRefreshEvent,
  TokenRefreshEventType,
  TokenRefreshStats,
} from './core/types.js';
export { createTokenRefresh, type TokenRefresh } from './create-token-refresh.js';
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
