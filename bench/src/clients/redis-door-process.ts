/**
One process of the Redis fan-out benchmark (forked by `redis-door.ts`): an instance of the Node door on the
Redis adapters (`createRedisAdapters`, its own node-redis connection) with the Node mock's refresh grant.
Argument: `RedisDoorProcessConfig` as JSON. On `go`, `callers` concurrent `auth.refresh()` calls; reports
when it got `go` and when the last of them resolved (`process.hrtime`, one clock for every process), and
the generation it ended on.
*/
import { loadRedisClient, type NodeLibrary, type RedisLibrary } from '../lib/library.ts';

export interface RedisDoorProcessConfig {
  libraryUrl: string;
  redisLibraryUrl: string;
  redisUrl: string;
  name: string;
  key: string;
  server: string;
  callers: number;
}

export type RedisDoorReport =
  | { type: 'ready' }
  | { type: 'done'; goAt: number; doneAt: number; generation: number; refreshes: number; failures: number }
  | { type: 'error'; message: string };

const config = JSON.parse(process.argv[2] ?? '{}') as RedisDoorProcessConfig;
const { createTokenRefresh } = (await import(config.libraryUrl)) as NodeLibrary;
const { createRedisAdapters } = (await import(config.redisLibraryUrl)) as RedisLibrary;
const { createClient } = await loadRedisClient();

const now = () => Number(process.hrtime.bigint()) / 1e6;
const report = (message: RedisDoorReport) => process.send?.(message);

const client = await createClient({ url: config.redisUrl }).connect();
client.on('error', () => undefined);
let generation = -1;
const auth = createTokenRefresh({
  name: config.name,
  crossTab: createRedisAdapters(client, { name: config.name, key: config.key }),
  isAuthorizedUrl: () => false,
  refreshBeforeExpiryMs: 0,
  refreshTimeoutMs: 30_000,
  refresh: async ({ signal, refreshToken }) => {
    const response = await fetch(`${config.server}/oauth/token`, {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' }),
    });
    if (!response.ok)
      throw Object.assign(new Error(`/oauth/token ${response.status}`), { status: response.status });
    const answer = (await response.json()) as {
      access_token: string;
      refresh_token: string;
      expires_in: number;
    };
    return {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      expiresAt: Date.now() + answer.expires_in * 1000,
    };
  },
});
auth.subscribe((event) => {
  if (event.type === 'token:received' || event.type === 'refresh:success' || event.type === 'refresh:adopted')
    generation = Math.max(generation, event.generation);
});

process.on('message', async (command: { type: string }) => {
  if (command.type === 'go') {
    const goAt = now();
    const outcomes = await Promise.allSettled(Array.from({ length: config.callers }, () => auth.refresh()));
    report({
      type: 'done',
      goAt,
      doneAt: now(),
      generation,
      refreshes: auth.stats().refreshes,
      failures: outcomes.filter((outcome) => outcome.status === 'rejected').length,
    });
  } else if (command.type === 'exit') {
    auth.dispose();
    setTimeout(() => {
      client.destroy();
      process.disconnect();
    }, 100);
  }
});
report({ type: 'ready' });
