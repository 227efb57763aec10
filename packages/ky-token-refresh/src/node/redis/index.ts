/**
`ky-token-refresh/redis`: the adapters for services on many machines that share one rotating refresh token
(workers, microservices, functions acting for one user or service account), coordinated on Redis (one
server or a Redis Cluster): the refresh lock, the record (encrypted) and the announcements of a new record.
Pass them as `crossTab` to `createTokenRefresh` of `ky-token-refresh/node`.

@example
```
import { createClient } from 'redis';
import { createTokenRefresh } from 'ky-token-refresh/node';
import { createRedisAdapters } from 'ky-token-refresh/redis';

const redis = await createClient({ url: process.env.REDIS_URL }).connect();
const auth = createTokenRefresh({
  name: 'service-account-42',
  crossTab: createRedisAdapters(redis, { name: 'service-account-42', key: process.env.TOKEN_RECORD_KEY! }),
  isAuthorizedUrl: (url) => url.origin === 'https://api.example.com',
  refresh: async ({ signal, refreshToken }) => { … },
});
```
*/
import type { Adapters } from '../../core/types.js';
import type { RedisConnection } from './connection.js';
import { RedisChannel } from './redis-channel.js';
import { RedisLock, type RedisLockOptions } from './redis-lock.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';

export {
  isRedisRecordError,
  RedisRecordError,
  type RedisRecordErrorReason,
} from '../../errors/redis-record-error.js';
export { type RedisConnection, type RedisSubscriber, redisKeys } from './connection.js';
export { RedisChannel } from './redis-channel.js';
export { RedisLock, type RedisLockOptions } from './redis-lock.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';

export interface RedisAdaptersOptions extends RedisStoreOptions {
  /**
  The coordination's name: every key is `{name}:…` (one hash slot). Processes that share one refresh token
  use the same name (and `key`); use one name per token (per user, per service account).
  */
  name: string;
  /** Options of the refresh lock (see {@link RedisLock}). */
  lock?: RedisLockOptions;
}

/**
The three adapters on the app's node-redis connection (`createClient()` or `createCluster()`, connected):
{@link RedisLock}, {@link RedisStore} (encrypted with `key`) and {@link RedisChannel} (which subscribes on a
`duplicate()` of the connection).

When Redis cannot be reached, a request whose token is valid goes on; a refresh fails with a transient
`RefreshFailedError` (its `cause` is the Redis error): refreshing without the lock would present a refresh
token another process may have rotated. Every adapter call is bounded (`refreshTimeoutMs`), so nothing
hangs, and coordination resumes when node-redis has reconnected.
*/
export const createRedisAdapters = (client: RedisConnection, options: RedisAdaptersOptions): Adapters => {
  if (typeof options?.name !== 'string' || options.name === '' || /[{}]/.test(options.name))
    throw new TypeError('`name` of the Redis adapters must be a non-empty string without braces.');
  return {
    lock: new RedisLock(client, options.name, options.lock),
    store: new RedisStore(client, options.name, options),
    channel: new RedisChannel(client, options.name),
  };
};
