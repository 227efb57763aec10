/** refresh-proxy: coalesces refreshes of one refresh token, in one process or across processes (Redis). */
export { type Answer, type CookieShape, renderFor, type Shape } from './answer.ts';
export { Coalescer, type RefreshCall, type Resolution } from './coalescer.ts';
export { keyId, TokenCrypto } from './crypto.ts';
export {
  ConfigError,
  isRefreshProxyError,
  RefreshProxyError,
  StoreUnavailableError,
  UpstreamError,
  WaitTimeoutError,
} from './errors.ts';
export { createLogger, REDACT_PATHS } from './logger.ts';
export { ProxyMetrics, type RefreshOutcome } from './metrics.ts';
export {
  type NormalizedOptions,
  normalizeOptions,
  type RefreshProxyOptions,
  type StoreFailurePolicy,
} from './options.ts';
export { type ListeningAddress, RefreshProxy } from './proxy.ts';
export { MemoryStore } from './store/memory.ts';
export { createRedisStore, RedisStore, type RedisStoreOptions } from './store/redis.ts';
export type { AcquireResult, CoalesceStore, CompleteRequest, CompleteResult } from './store/types.ts';
