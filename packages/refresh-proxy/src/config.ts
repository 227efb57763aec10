import { parseArgs } from 'node:util';
import { ConfigError } from './errors.ts';
import { httpUrl, integer, type RefreshProxyOptions, type StoreFailurePolicy } from './options.ts';

/** One command-line setting: its flag, its environment variable, and how it is checked. */
interface Setting {
  flag: string;
  env: string;
  help: string;
}

/** Every setting of `start.ts`, flag and environment variable; the flag wins. */
export const SETTINGS = {
  upstream: { flag: 'upstream', env: 'UPSTREAM', help: 'base URL of the auth server (required)' },
  port: { flag: 'port', env: 'PORT', help: 'port to listen on (default 8080; 0 picks one)' },
  host: { flag: 'host', env: 'HOST', help: 'interface (default 127.0.0.1)' },
  redisUrl: {
    flag: 'redis-url',
    env: 'REDIS_URL',
    help: 'redis://host:port for shared state (default: in memory)',
  },
  redisCluster: {
    flag: 'redis-cluster',
    env: 'REDIS_CLUSTER',
    help: 'true: REDIS_URL lists seed nodes of a Redis Cluster, comma-separated (default false)',
  },
  secret: {
    flag: 'secret',
    env: 'SECRET',
    help: 'HMAC secret of the store keys, the same on every instance (required with Redis)',
  },
  dedupWindowMs: {
    flag: 'dedup-window-ms',
    env: 'DEDUP_WINDOW_MS',
    help: 'answer late duplicates for this long (default 10000; 0: in flight only)',
  },
  leaseMs: {
    flag: 'lease-ms',
    env: 'LEASE_MS',
    help: 'lock lease, renewed while upstream runs (default 5000)',
  },
  waitTimeoutMs: {
    flag: 'wait-timeout-ms',
    env: 'WAIT_TIMEOUT_MS',
    help: 'bound of a duplicate wait, then 504 (default upstream timeout + lease)',
  },
  upstreamTimeoutMs: {
    flag: 'upstream-timeout-ms',
    env: 'UPSTREAM_TIMEOUT_MS',
    help: 'bound of one upstream refresh (default 10000)',
  },
  storeTimeoutMs: {
    flag: 'store-timeout-ms',
    env: 'STORE_TIMEOUT_MS',
    help: 'bound of one Redis call (default 500)',
  },
  storeFailure: {
    flag: 'store-failure',
    env: 'STORE_FAILURE',
    help: 'open (forward, default) or closed (503) when Redis is down',
  },
  storeGraceMs: {
    flag: 'store-grace-ms',
    env: 'STORE_GRACE_MS',
    help: 'store trouble a waiter rides out before the policy applies (default 1000)',
  },
  tokenPath: {
    flag: 'token-path',
    env: 'TOKEN_PATH',
    help: 'OAuth token endpoint path (default /oauth/token)',
  },
  cookiePath: {
    flag: 'cookie-path',
    env: 'COOKIE_PATH',
    help: 'cookie refresh endpoint path (default /auth/refresh)',
  },
  cookieName: { flag: 'cookie-name', env: 'COOKIE_NAME', help: 'refresh cookie name (default rt)' },
  cookieAttributes: {
    flag: 'cookie-attributes',
    env: 'COOKIE_ATTRIBUTES',
    help: 'attributes of a cookie the proxy writes (default "Path=/auth; HttpOnly; SameSite=Strict")',
  },
  csrfHeader: {
    flag: 'csrf-header',
    env: 'CSRF_HEADER',
    help: 'header a cookie refresh needs to be coalesced (default x-requested-with; "" none)',
  },
  maxBodyBytes: {
    flag: 'max-body-bytes',
    env: 'MAX_BODY_BYTES',
    help: 'largest refresh body (default 16384)',
  },
  takeoverAfterSend: {
    flag: 'takeover-after-send',
    env: 'TAKEOVER_AFTER_SEND',
    help: 'fail (504, default) or retry (grace-window upstreams) when a holder died after sending a token',
  },
  headersTimeoutMs: {
    flag: 'headers-timeout-ms',
    env: 'HEADERS_TIMEOUT_MS',
    help: 'time a client may take to send its headers, then 408 (default 10000)',
  },
  bodyTimeoutMs: {
    flag: 'body-timeout-ms',
    env: 'BODY_TIMEOUT_MS',
    help: 'time a client may take to send its body after the headers, then 408 (default 10000)',
  },
  drainTimeoutMs: {
    flag: 'drain-timeout-ms',
    env: 'DRAIN_TIMEOUT_MS',
    help: 'graceful shutdown bound (default 15000)',
  },
  renewLease: { flag: 'renew-lease', env: 'RENEW_LEASE', help: 'true (default) or false' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', help: 'pino level (default info)' },
} as const satisfies Record<string, Setting>;

type Name = keyof typeof SETTINGS;

/** What `start.ts` runs with. */
export interface StartConfig {
  options: Omit<RefreshProxyOptions, 'store' | 'logger' | 'registry'>;
  port: number;
  host: string;
  redisUrl: string | null;
  /** `redisUrl` lists the seed nodes of a Redis Cluster. */
  redisCluster: boolean;
  storeTimeoutMs: number;
  logLevel: string;
}

const label = (name: Name) => `${SETTINGS[name].env} (--${SETTINGS[name].flag})`;

/** The usage text. */
export function usage(): string {
  const lines = Object.values(SETTINGS).map((s) => `  --${s.flag.padEnd(20)} ${s.env.padEnd(20)} ${s.help}`);
  return [
    'Usage: node src/start.ts --upstream URL [options]   (flags or environment variables)',
    ...lines,
  ].join('\n');
}

/** Reads flags, then the environment; validates everything up front. Throws {@link ConfigError}. */
export function parseStartConfig(argv: readonly string[], env: NodeJS.ProcessEnv): StartConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      // `pnpm start -- --flag` hands the `--` through: a leading one is not an end of options here.
      args: argv[0] === '--' ? argv.slice(1) : [...argv],
      options: Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigError('arguments', error instanceof Error ? error.message : String(error));
  }
  const raw = (name: Name): string | undefined => {
    const value = values[SETTINGS[name].flag] ?? env[SETTINGS[name].env];
    return typeof value === 'string' ? value : undefined;
  };
  const int = (name: Name, min: number, fallback?: number, max?: number): number | undefined => {
    const value = raw(name);
    if (value === undefined || value === '') return fallback;
    return integer(label(name), value, min, max);
  };
  const text = (name: Name): string | undefined => raw(name);

  const upstream = raw('upstream');
  if (upstream === undefined || upstream === '') throw new ConfigError(label('upstream'), 'is required');
  httpUrl(label('upstream'), upstream);
  const redisUrl = raw('redisUrl') || null;
  const cluster = raw('redisCluster') ?? 'false';
  if (cluster !== 'true' && cluster !== 'false')
    throw new ConfigError(label('redisCluster'), `expected true or false, got "${cluster}"`);
  if (redisUrl !== null && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError(label('redisUrl'), `expected redis://host:port, got "${redisUrl}"`);
  }
  const secret = text('secret');
  if (redisUrl !== null && (secret === undefined || secret.length < 16)) {
    throw new ConfigError(
      label('secret'),
      'is required with REDIS_URL: at least 16 characters, the same on every instance',
    );
  }
  if (secret !== undefined && secret.length < 16)
    throw new ConfigError(label('secret'), 'use at least 16 characters');
  const storeFailure = raw('storeFailure') ?? 'open';
  if (storeFailure !== 'open' && storeFailure !== 'closed') {
    throw new ConfigError(label('storeFailure'), `expected "open" or "closed", got "${storeFailure}"`);
  }
  const takeoverAfterSend = raw('takeoverAfterSend') ?? 'fail';
  if (takeoverAfterSend !== 'fail' && takeoverAfterSend !== 'retry') {
    throw new ConfigError(
      label('takeoverAfterSend'),
      `expected "fail" or "retry", got "${takeoverAfterSend}"`,
    );
  }
  const renew = raw('renewLease') ?? 'true';
  if (renew !== 'true' && renew !== 'false')
    throw new ConfigError(label('renewLease'), `expected true or false, got "${renew}"`);
  for (const name of ['tokenPath', 'cookiePath'] as const) {
    const value = raw(name);
    if (value !== undefined && !value.startsWith('/'))
      throw new ConfigError(label(name), `expected a path starting with /, got "${value}"`);
  }
  const cookieName = raw('cookieName');
  if (cookieName !== undefined && !/^[!#$%&'*+\-.^_`|~\w]+$/.test(cookieName)) {
    throw new ConfigError(label('cookieName'), `not a cookie name: "${cookieName}"`);
  }
  const logLevel = raw('logLevel') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(label('logLevel'), `expected a pino level, got "${logLevel}"`);
  }
  const options: StartConfig['options'] = {
    upstream,
    storeFailure: storeFailure as StoreFailurePolicy,
    takeoverAfterSend,
    renewLease: renew === 'true',
  };
  const optional = {
    secret,
    dedupWindowMs: int('dedupWindowMs', 0),
    leaseMs: int('leaseMs', 50),
    waitTimeoutMs: int('waitTimeoutMs', 1),
    storeGraceMs: int('storeGraceMs', 0),
    upstreamTimeoutMs: int('upstreamTimeoutMs', 1),
    maxBodyBytes: int('maxBodyBytes', 64),
    headersTimeoutMs: int('headersTimeoutMs', 1),
    bodyTimeoutMs: int('bodyTimeoutMs', 1),
    drainTimeoutMs: int('drainTimeoutMs', 0),
    tokenPath: text('tokenPath'),
    cookiePath: text('cookiePath'),
    cookieName,
    cookieAttributes: text('cookieAttributes'),
    csrfHeader: text('csrfHeader'),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(options, { [key]: value });
  }
  return {
    options,
    port: int('port', 0, 8080, 65535) ?? 8080,
    host: raw('host') || '127.0.0.1',
    redisUrl,
    redisCluster: cluster === 'true',
    storeTimeoutMs: int('storeTimeoutMs', 1, 500) ?? 500,
    logLevel,
  };
}
