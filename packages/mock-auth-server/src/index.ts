/** Environment-agnostic core: the state machine, its rules, storages and the transport-neutral router. */
export {
  type AuthorizeResult,
  type AuthServer,
  type AuthServerOptions,
  type ConfigureResult,
  createAuthServer,
  type IssuedTokens,
  KEYS_KEY,
  type LoginResult,
  type RefreshRequest,
  type RefreshResult,
  STATE_KEY,
} from './core/auth-server.ts';
export { type Clock, systemClock } from './core/clock.ts';
export {
  type AuthServerConfig,
  applyConfigPatch,
  type ConfigError,
  type ConfigPatch,
  DEFAULT_CONFIG,
  type GraceMode,
  PRESETS,
  type PresetKnobs,
  type PresetName,
  validateConfigPatch,
} from './core/config.ts';
export type { AccessClaims } from './core/jwt.ts';
export type { RefreshFailureReason } from './core/refresh-rules.ts';
export type { ApiFailureReason, AuthServerStats } from './core/stats.ts';
export type { AuthStorage } from './core/storage.ts';
export { MAX_BODY_BYTES } from './http/body.ts';
export { refreshCookieName } from './http/cookies.ts';
export { type AuthRouter, type AuthRouterOptions, createAuthRouter } from './http/router.ts';
export type { AuthRequest, AuthResponse, BodyReadResult, SetCookie } from './http/types.ts';
export { createIdbStorage, DEFAULT_IDB_NAME } from './storage/idb.ts';
export { createMemoryStorage } from './storage/memory.ts';
