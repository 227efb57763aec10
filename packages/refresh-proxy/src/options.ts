import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError } from './errors.ts';
import type { CoalesceStore, TakeoverAfterSend } from './store/types.ts';

/** What the proxy does when the shared store cannot be reached. */
export type StoreFailurePolicy = 'open' | 'closed';

/** Options of {@link RefreshProxy}; every one but `upstream` has a default. */
export interface RefreshProxyOptions {
  /** Base URL of the auth server (http or https). Every request is forwarded there, path and query kept. */
  upstream: string | URL;
  /** Path of the OAuth token endpoint whose `refresh_token` grants are coalesced. Default `/oauth/token`. */
  tokenPath?: string;
  /** Path of the cookie refresh endpoint (SPAs). Default `/auth/refresh`. */
  cookiePath?: string;
  /** Name of the refresh-token cookie on `cookiePath`. Default `rt`. */
  cookieName?: string;
  /**
   * Attributes of the Set-Cookie the proxy writes when it hands a form-grant answer (token in the body) to a
   * cookie client. Default `Path=/auth; HttpOnly; SameSite=Strict`.
   */
  cookieAttributes?: string;
  /**
   * A cookie refresh is coalesced only when it carries this header (the upstream's CSRF guard), so a
   * request without it can never receive another request's answer: it passes through untouched and the
   * upstream refuses it. Default `x-requested-with`; `''` requires none.
   */
  csrfHeader?: string;
  /** How long an answer is handed to late duplicates after the upstream call. 0: only while in flight. Default 10 000. */
  dedupWindowMs?: number;
  /** Lock lease; renewed every third of it while the upstream call runs. Default 5 000. */
  leaseMs?: number;
  /** Renew the lease while the upstream call runs (default true; false only to show why it is needed). */
  renewLease?: boolean;
  /** Upper bound of one upstream refresh call. Default 10 000. */
  upstreamTimeoutMs?: number;
  /** Upper bound of a duplicate's wait for the answer; then 504. Default upstreamTimeoutMs + leaseMs. */
  waitTimeoutMs?: number;
  /** How often a waiter re-checks the store (missed wake-ups, a dead lease owner). Default min(250, leaseMs / 4). */
  pollMs?: number;
  /** Largest request body read on the refresh paths; larger: 413. Default 16 384. */
  maxBodyBytes?: number;
  /**
   * How long a client may take to send a request's headers; past it the proxy answers 408 and closes the
   * connection (Node's `headersTimeout`). Default 10 000.
   */
  headersTimeoutMs?: number;
  /**
   * How long a client may take, after its headers, to send the rest of the request (a body that stalls or
   * trickles); past it 408 and the connection closed (Node's `requestTimeout`, set to headers + body).
   * Default 10 000.
   */
  bodyTimeoutMs?: number;
  /** Shared state. Default: a new in-memory store (one instance). See `createRedisStore`. */
  store?: CoalesceStore;
  /** When the store fails: `open` forwards directly (default), `closed` answers 503. */
  storeFailure?: StoreFailurePolicy;
  /**
   * Store trouble shorter than this does not end a wait that already saw another request holding the lease
   * (a Redis restart): the waiter keeps polling, and the holder keeps retrying to publish its answer, so
   * both end with the one upstream answer. Longer trouble: the failure policy. Default 1 000.
   */
  storeGraceMs?: number;
  /**
   * HMAC secret of the store keys: every instance on one store needs the same one. Default: random per
   * process (fine in memory, wrong for a shared store: {@link normalizeOptions} refuses that).
   */
  secret?: string;
  /** pino logger; default JSON lines on stdout at level `info`. Tokens are never given to it. */
  logger?: Logger;
  /** prom-client registry for `/metrics`; default a new one per proxy (several proxies per process in tests). */
  registry?: Registry;
  /**
   * A token whose last lease holder died after sending it upstream (its outcome unknown): `fail` (default)
   * answers 504 `refresh_outcome_unknown` and never sends it again, which a strict upstream would take for
   * reuse and revoke the family for; `retry` sends it again, for an upstream with a grace window only.
   */
  takeoverAfterSend?: TakeoverAfterSend;
  /** On close: how long in-flight requests may still run. Default 15 000. */
  drainTimeoutMs?: number;
  /** How long a token's issue and rotation times are remembered (lifetime, reuse after rotation). Default 1 day. */
  trackTtlMs?: number;
  /** Presentations of a rotated token beyond this count log a warning and count an overuse. Default 3. */
  overuseThreshold?: number;
}

/** The options after defaults and validation; read-only. */
export interface NormalizedOptions {
  readonly upstream: URL;
  readonly tokenPath: string;
  readonly cookiePath: string;
  readonly cookieName: string;
  readonly cookieAttributes: string;
  readonly csrfHeader: string;
  readonly dedupWindowMs: number;
  readonly leaseMs: number;
  readonly renewLease: boolean;
  readonly upstreamTimeoutMs: number;
  readonly waitTimeoutMs: number;
  readonly pollMs: number;
  readonly maxBodyBytes: number;
  readonly headersTimeoutMs: number;
  readonly takeoverAfterSend: TakeoverAfterSend;
  readonly bodyTimeoutMs: number;
  readonly storeFailure: StoreFailurePolicy;
  readonly storeGraceMs: number;
  readonly secret: string;
  readonly drainTimeoutMs: number;
  readonly trackTtlMs: number;
  readonly overuseThreshold: number;
}

/** Checks that `value` is an integer in [min, max]; `name` is how the user spelled the option. */
export function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ConfigError(name, `expected an integer ${range}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** Checks an http(s) URL. */
export function httpUrl(name: string, value: unknown): URL {
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    url = undefined;
  }
  if (value === undefined || value === '' || url === undefined || !/^https?:$/.test(url.protocol)) {
    throw new ConfigError(name, `expected an http(s) URL, got ${JSON.stringify(value ?? null)}`);
  }
  return url;
}

function path(name: string, value: string): string {
  if (!value.startsWith('/')) throw new ConfigError(name, `expected a path starting with /, got "${value}"`);
  return value;
}

/** Applies the defaults once and validates; throws {@link ConfigError} naming the bad option. */
export function normalizeOptions(options: RefreshProxyOptions, store: CoalesceStore): NormalizedOptions {
  const leaseMs = integer('leaseMs', options.leaseMs ?? 5_000, 50);
  const upstreamTimeoutMs = integer('upstreamTimeoutMs', options.upstreamTimeoutMs ?? 10_000, 1);
  const cookieName = options.cookieName ?? 'rt';
  if (!/^[!#$%&'*+\-.^_`|~\w]+$/.test(cookieName)) {
    throw new ConfigError('cookieName', `not a cookie name: "${cookieName}"`);
  }
  const takeoverAfterSend = options.takeoverAfterSend ?? 'fail';
  if (takeoverAfterSend !== 'fail' && takeoverAfterSend !== 'retry') {
    throw new ConfigError(
      'takeoverAfterSend',
      `expected "fail" or "retry", got "${String(takeoverAfterSend)}"`,
    );
  }
  const storeFailure = options.storeFailure ?? 'open';
  if (storeFailure !== 'open' && storeFailure !== 'closed') {
    throw new ConfigError('storeFailure', `expected "open" or "closed", got "${String(storeFailure)}"`);
  }
  if (store.shared && options.secret === undefined) {
    throw new ConfigError('secret', 'a shared store needs the same secret on every instance (SECRET)');
  }
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  if (secret.length < 16) throw new ConfigError('secret', 'use at least 16 characters');
  return {
    upstream: httpUrl('upstream', options.upstream),
    tokenPath: path('tokenPath', options.tokenPath ?? '/oauth/token'),
    cookiePath: path('cookiePath', options.cookiePath ?? '/auth/refresh'),
    cookieName,
    cookieAttributes: options.cookieAttributes ?? 'Path=/auth; HttpOnly; SameSite=Strict',
    csrfHeader: (options.csrfHeader ?? 'x-requested-with').toLowerCase(),
    dedupWindowMs: integer('dedupWindowMs', options.dedupWindowMs ?? 10_000, 0),
    leaseMs,
    renewLease: options.renewLease ?? true,
    upstreamTimeoutMs,
    waitTimeoutMs: integer('waitTimeoutMs', options.waitTimeoutMs ?? upstreamTimeoutMs + leaseMs, 1),
    pollMs: integer('pollMs', options.pollMs ?? Math.min(250, Math.floor(leaseMs / 4)), 5),
    maxBodyBytes: integer('maxBodyBytes', options.maxBodyBytes ?? 16 * 1024, 64),
    headersTimeoutMs: integer('headersTimeoutMs', options.headersTimeoutMs ?? 10_000, 1),
    takeoverAfterSend,
    bodyTimeoutMs: integer('bodyTimeoutMs', options.bodyTimeoutMs ?? 10_000, 1),
    storeFailure,
    storeGraceMs: integer('storeGraceMs', options.storeGraceMs ?? 1_000, 0),
    secret,
    drainTimeoutMs: integer('drainTimeoutMs', options.drainTimeoutMs ?? 15_000, 0),
    trackTtlMs: integer('trackTtlMs', options.trackTtlMs ?? 86_400_000, 1_000),
    overuseThreshold: integer('overuseThreshold', options.overuseThreshold ?? 3, 0),
  };
}
