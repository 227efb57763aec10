import { type Clock, latency, systemClock } from './clock.ts';
import {
  type AuthServerConfig,
  applyConfigPatch,
  type ConfigError,
  type ConfigPatch,
  DEFAULT_CONFIG,
  validateConfigPatch,
} from './config.ts';
import {
  generateKeyMaterial,
  importKeyMaterial,
  type KeyMaterial,
  type SigningKeys,
  signAccessToken,
  type TokenIdentity,
  verifyAccessToken,
} from './jwt.ts';
import {
  applyRefresh,
  checkRefresh,
  type MintedToken,
  type RefreshCandidates,
  type RefreshDecision,
  type RefreshFailureReason,
} from './refresh-rules.ts';
import { hmac, randomToken, sha256 } from './secrets.ts';
import { initialState, prune, type ServerState } from './state.ts';
import { type ApiFailureReason, type AuthServerStats, bump } from './stats.ts';
import type { AuthStorage } from './storage.ts';

/** Storage key of the server state. */
export const STATE_KEY = 'server-state';
/** Storage key of the signing keys (kept across resets). */
export const KEYS_KEY = 'signing-keys';

/** Options of {@link createAuthServer}. */
export interface AuthServerOptions {
  /** Where the state lives; share one storage between server instances to share one server. */
  storage: AuthStorage;
  /** Configuration of a fresh state (when the storage holds none yet) and after a reset. Default: strict. */
  config?: ConfigPatch;
  clock?: Clock;
  /** Source of randomness for jitter, in [0, 1). */
  random?: () => number;
  /** `iss` claim. Default `mock-auth-server`. */
  issuer?: string;
  /** `aud` claim. Default `mock-api`. */
  audience?: string;
}

/** Tokens handed out by a login or a refresh. */
export interface IssuedTokens {
  accessToken: string;
  /** Seconds until the access token's `exp` (OAuth `expires_in`). */
  expiresIn: number;
  /** The refresh token to put in the cookie, or null to leave the cookie as it is (rotation off). */
  refreshToken: string | null;
  /** When that refresh token expires (ms since the epoch). */
  refreshExpiresAt: number;
  /** Seconds from now until then: the cookie's Max-Age. */
  refreshMaxAge: number;
  sid: string;
  sub: string;
}

/** Result of {@link AuthServer.login}. */
export type LoginResult = ({ ok: true } & IssuedTokens) | { ok: false; reason: 'invalid_credentials' };

/** What a refresh request carries that the rules look at. */
export interface RefreshRequest {
  /** The refresh token from the cookie; null when there was no cookie. */
  refreshToken: string | null;
  /** The `X-Requested-With` header (CSRF guard); null when absent. Not looked at for `grant: 'form'`. */
  requestedWith: string | null;
  /**
   * How the token came: `cookie` (POST /auth/refresh, the default: ambient authority, so the CSRF guard
   * applies) or `form` (POST /oauth/token, RFC 6749 §6: the client sent the token itself, no CSRF guard).
   */
  grant?: 'cookie' | 'form';
}

/** Result of {@link AuthServer.refresh}. `kind` tells how the refresh was honoured. */
export type RefreshResult =
  | ({ ok: true; kind: 'rotated' | 'grace' | 'kept' } & IssuedTokens)
  | { ok: false; reason: RefreshFailureReason }
  /** No `X-Requested-With` header: answered 403, the token is not looked at. */
  | { ok: false; reason: 'csrf' };

/** Result of {@link AuthServer.authorize}. */
export type AuthorizeResult =
  | { ok: true; sub: string; sid: string }
  | { ok: false; reason: ApiFailureReason; description: string };

/** Result of {@link AuthServer.configure} and {@link AuthServer.reset}. */
export type ConfigureResult = { ok: true; config: AuthServerConfig } | { ok: false; error: ConfigError };

/** The auth server state machine, independent of any transport. */
export interface AuthServer {
  /** Any non-empty username and password log in; starts a new family (`sid`). */
  login(username: unknown, password: unknown): Promise<LoginResult>;
  /** Applies the CSRF guard (cookie grant only), then the refresh rules to the presented token. */
  refresh(request: RefreshRequest): Promise<RefreshResult>;
  /** Revokes the family of the token, if it is known. */
  logout(refreshToken: string | null): Promise<void>;
  /** Checks an `Authorization` header value for /api/* (after the configured API latency). */
  authorize(authorization: string | null): Promise<AuthorizeResult>;
  /** Makes every access token issued so far answer as expired. */
  expireAccessTokens(): Promise<void>;
  stats(): Promise<AuthServerStats>;
  config(): Promise<AuthServerConfig>;
  /** Validates and applies a patch from untrusted input. */
  configure(patch: unknown): Promise<ConfigureResult>;
  /** Forgets every session and counter and restores the initial configuration, then applies `patch`. */
  reset(patch?: unknown): Promise<ConfigureResult>;
}

/** Creates an auth server over a storage. Several instances over one storage behave as one server. */
export function createAuthServer(options: AuthServerOptions): AuthServer {
  const { storage, clock = systemClock, random = Math.random } = options;
  const identity: TokenIdentity = {
    issuer: options.issuer ?? 'mock-auth-server',
    audience: options.audience ?? 'mock-api',
  };
  const startConfig = (): AuthServerConfig => applyConfigPatch({ ...DEFAULT_CONFIG }, options.config ?? {});

  async function mutate<R>(fn: (state: ServerState) => R): Promise<R> {
    let result: R | undefined;
    let ran = false;
    await storage.update<ServerState>(STATE_KEY, (old) => {
      const state = old ?? initialState(startConfig());
      result = fn(state);
      ran = true;
      return state;
    });
    if (!ran) throw new Error('storage.update did not run the updater');
    return result as R;
  }

  async function read(): Promise<ServerState> {
    return (await storage.get<ServerState>(STATE_KEY)) ?? initialState(startConfig());
  }

  let keysPromise: Promise<SigningKeys> | undefined;
  function keys(): Promise<SigningKeys> {
    keysPromise ??= (async () => {
      let material = await storage.get<KeyMaterial>(KEYS_KEY);
      if (material === undefined) {
        const generated = await generateKeyMaterial();
        // Set-if-absent: when several tabs start at once, the first write wins and all use it.
        material = await storage.update<KeyMaterial>(KEYS_KEY, (old) => old ?? generated);
      }
      return importKeyMaterial(material);
    })();
    keysPromise.catch(() => {
      keysPromise = undefined;
    });
    return keysPromise;
  }

  async function issue(
    signing: SigningKeys,
    session: { sid: string; sub: string; epoch: number; accessTtlMs: number },
    refreshToken: string | null,
    refreshExpiresAt: number,
  ): Promise<IssuedTokens> {
    const { token, expiresIn } = await signAccessToken(
      signing,
      identity,
      { sub: session.sub, sid: session.sid, ep: session.epoch },
      clock.now(),
      session.accessTtlMs,
    );
    const refreshMaxAge = Math.max(0, Math.ceil((refreshExpiresAt - clock.now()) / 1000));
    return {
      accessToken: token,
      expiresIn,
      refreshToken,
      refreshExpiresAt,
      refreshMaxAge,
      sid: session.sid,
      sub: session.sub,
    };
  }

  async function mint(token: string): Promise<MintedToken> {
    return { token, hash: await sha256(token) };
  }

  function endInFlight(state: ServerState, familyId: string | null): void {
    const family = familyId === null ? undefined : state.families[familyId];
    if (family !== undefined && family.inFlight > 0) family.inFlight -= 1;
  }

  const server: AuthServer = {
    async login(username, password) {
      if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
        return { ok: false, reason: 'invalid_credentials' };
      }
      const signing = await keys();
      const sid = randomToken(16);
      const refresh = await mint(randomToken());
      const session = await mutate((state) => {
        const now = clock.now();
        prune(state, now);
        state.stats.logins += 1;
        state.families[sid] = { sub: username, createdAt: now, revoked: null, inFlight: 0 };
        const expiresAt = now + state.config.refreshTtlMs;
        state.tokens[refresh.hash] = {
          familyId: sid,
          parentHash: null,
          issuedAt: now,
          expiresAt,
          usedAt: null,
          childHashes: [],
          displacedAt: null,
        };
        return { epoch: state.accessEpoch, accessTtlMs: state.config.accessTtlMs, expiresAt };
      });
      const tokens = await issue(
        signing,
        { sid, sub: username, ...session },
        refresh.token,
        session.expiresAt,
      );
      return { ok: true, ...tokens };
    },

    async refresh({ refreshToken, requestedWith, grant = 'cookie' }) {
      const early = grant === 'cookie' && !requestedWith ? 'csrf' : !refreshToken ? 'missing_token' : null;
      if (early !== null || !refreshToken) {
        const reason = early ?? 'missing_token';
        await mutate((state) => {
          state.stats.refreshRequests += 1;
          bump(state.stats.refreshFailures, reason);
        });
        return { ok: false, reason };
      }
      const signing = await keys();
      const [presentedHash, derivedChild, randomChild] = await Promise.all([
        sha256(refreshToken),
        hmac(signing.hmacSecret, `child:${refreshToken}`).then(mint),
        mint(randomToken()),
      ]);
      const candidates: RefreshCandidates = { presentedHash, derivedChild, randomChild };

      const begin = await mutate((state) => {
        state.stats.refreshRequests += 1;
        const familyId = state.tokens[presentedHash]?.familyId ?? null;
        const family = familyId === null ? undefined : state.families[familyId];
        if (family !== undefined) {
          family.inFlight += 1;
          state.stats.maxInFlightRefreshPerFamily = Math.max(
            state.stats.maxInFlightRefreshPerFamily,
            family.inFlight,
          );
        }
        return { familyId: family === undefined ? null : familyId, config: state.config };
      });
      const delay = latency(begin.config.latencyMs, begin.config.jitterMs, random);

      const finish = (state: ServerState, decision: RefreshDecision | null) => {
        const now = clock.now();
        const outcome = applyRefresh(
          state,
          decision ?? checkRefresh(state, presentedHash, now),
          candidates,
          now,
        );
        endInFlight(state, begin.familyId);
        return { outcome, epoch: state.accessEpoch, accessTtlMs: state.config.accessTtlMs };
      };
      let result: ReturnType<typeof finish>;
      try {
        if (begin.config.atomic) {
          await clock.sleep(delay);
          result = await mutate((state) => finish(state, null));
        } else {
          // Read, work, write: the decision is taken on a snapshot that may be stale by the time it is applied.
          const decision = checkRefresh(await read(), presentedHash, clock.now());
          await clock.sleep(delay);
          result = await mutate((state) => finish(state, decision));
        }
      } catch (error) {
        await mutate((state) => endInFlight(state, begin.familyId)).catch(() => undefined);
        throw error;
      }

      const { outcome } = result;
      if (!outcome.ok) return outcome;
      const tokens = await issue(
        signing,
        { sid: outcome.familyId, sub: outcome.sub, epoch: result.epoch, accessTtlMs: result.accessTtlMs },
        outcome.refreshToken,
        outcome.refreshExpiresAt,
      );
      return { ok: true, kind: outcome.kind, ...tokens };
    },

    async logout(refreshToken) {
      const hash = refreshToken ? await sha256(refreshToken) : null;
      await mutate((state) => {
        state.stats.logouts += 1;
        const familyId = hash === null ? undefined : state.tokens[hash]?.familyId;
        const family = familyId === undefined ? undefined : state.families[familyId];
        if (family !== undefined && family.revoked === null) {
          family.revoked = 'logout';
          state.stats.familyRevocations += 1;
        }
      });
    },

    async authorize(authorization) {
      const { config } = await read();
      await clock.sleep(latency(config.apiLatencyMs, config.apiJitterMs, random));
      const token = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '')?.[1];
      const verified =
        token === undefined
          ? ({ ok: false, reason: 'missing_token', description: 'No bearer token in the request' } as const)
          : await verifyAccessToken(await keys(), identity, token, clock.now());
      return mutate((state): AuthorizeResult => {
        let result: AuthorizeResult;
        if (!verified.ok) result = verified;
        else if (verified.claims.ep < state.accessEpoch) {
          result = { ok: false, reason: 'expired', description: 'The access token was expired by the mock' };
        } else result = { ok: true, sub: verified.claims.sub, sid: verified.claims.sid };
        if (result.ok) state.stats.api200s += 1;
        else bump(state.stats.api401s, result.reason);
        return result;
      });
    },

    async expireAccessTokens() {
      await mutate((state) => {
        state.accessEpoch += 1;
      });
    },

    async stats() {
      return (await read()).stats;
    },

    async config() {
      return (await read()).config;
    },

    async configure(input) {
      const validation = validateConfigPatch(input);
      if (!validation.ok) return validation;
      const config = await mutate((state) => {
        state.config = applyConfigPatch(state.config, validation.patch);
        return state.config;
      });
      return { ok: true, config };
    },

    async reset(input = {}) {
      const validation = validateConfigPatch(input);
      if (!validation.ok) return validation;
      const config = applyConfigPatch(startConfig(), validation.patch);
      await storage.update<ServerState>(STATE_KEY, () => initialState(config));
      return { ok: true, config };
    },
  };
  return server;
}
