export { FallbackChannel, NativeChannel } from './adapters/channel.js';
export { createDefaultAdapters, detectFeatures } from './adapters/defaults.js';
export { IdbStore } from './adapters/idb-store.js';
export { LeaseLock, type LeaseLockOptions } from './adapters/lease-lock.js';
export { createMemoryAdapters, MemoryChannel, MemoryLock, MemoryStore } from './adapters/memory.js';
export { WebLock } from './adapters/web-lock.js';
export * from './common-exports.js';
export { createTokenRefresh, type TokenRefresh } from './create-token-refresh.js';
