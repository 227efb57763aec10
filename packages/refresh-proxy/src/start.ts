#!/usr/bin/env node
/**
 * Starts the refresh proxy.
 *
 *   node src/start.ts --upstream http://127.0.0.1:4010 [--port 8080] [--redis-url redis://127.0.0.1:6379 --secret ...]
 *
 * Every flag has an environment variable (UPSTREAM, PORT, REDIS_URL, SECRET, DEDUP_WINDOW_MS, ...; see
 * `--help`). Settings are validated before anything starts; a bad one exits 2 with a message naming it.
 * Logs are pino JSON lines on stdout; the first is `{"event":"listening","url":...}`. SIGTERM / SIGINT:
 * graceful shutdown (in-flight refreshes finish, bounded by DRAIN_TIMEOUT_MS).
 */
import { parseStartConfig, usage } from './config.ts';
import { isRefreshProxyError } from './errors.ts';
import { createLogger } from './logger.ts';
import { RefreshProxy } from './proxy.ts';
import { createRedisStore } from './store/redis.ts';

if (process.argv.includes('--help')) {
  console.log(usage());
  process.exit(0);
}

let config: ReturnType<typeof parseStartConfig>;
try {
  config = parseStartConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (!isRefreshProxyError(error)) throw error;
  console.error(`refresh-proxy: ${error.message}\n\n${usage()}`);
  process.exit(2);
}

const logger = createLogger({ level: config.logLevel });
const store =
  config.redisUrl === null
    ? undefined
    : createRedisStore({
        url: config.redisUrl,
        cluster: config.redisCluster,
        commandTimeoutMs: config.storeTimeoutMs,
        logger,
      });
const proxy = new RefreshProxy({ ...config.options, logger, ...(store && { store }) });
await proxy.listen(config.port, config.host);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ event: 'shutdown', signal, inflight: proxy.inflight }, 'draining');
  proxy
    .close()
    .then(() => process.exit(0))
    .catch(() => process.exit(1));
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
