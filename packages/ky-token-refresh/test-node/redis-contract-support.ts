/**
Stands in for test-browser/support.ts when the browser contract suites (test-browser/{lock,channel,store}
.test.ts) run in Node against the Redis adapters on a real redis-server started for the file
(vitest.redis-contract.config.ts aliases it). Each `create(name)` is one more instance with its own
node-redis connection, so the suites go through Redis, not through shared memory.
*/
import { createClient } from '@redis/client';
import { afterAll } from 'vitest';
import { RedisChannel } from '../src/node/redis/redis-channel.js';
import { RedisLock } from '../src/node/redis/redis-lock.js';
import { RedisStore } from '../src/node/redis/redis-store.js';
import type { ChannelTransport, LockTransport, StoreTransport } from '../test-browser/support.js';
import { startRedis } from './redis-server.js';

export const uniqueName = (label: string): string => `${label}-${Math.random().toString(36).slice(2, 10)}`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const redis = await startRedis();
const clients: { destroy(): void }[] = [];
const channels: RedisChannel[] = [];
afterAll(async () => {
  for (const channel of channels) channel.close();
  await sleep(50);
  for (const client of clients) client.destroy();
  await redis.stop();
});

/** A new connection, as another process would have (node-redis queues commands until it is connected). */
const connection = () => {
  const client = createClient({ url: redis.url });
  client.on('error', () => undefined);
  void client.connect();
  clients.push(client);
  return client;
};

const key = 'contract-suite-secret-0123456789';

export const lockTransports: LockTransport[] = [
  { label: 'Redis lock (SET NX PX, renewed)', create: (name) => new RedisLock(connection(), name) },
];

export const channelTransports: ChannelTransport[] = [
  {
    label: 'Redis channel (sharded pub/sub)',
    create: (name) => {
      const channel = new RedisChannel(connection(), name);
      channels.push(channel);
      return channel;
    },
    ready: (channel) => (channel as RedisChannel).ready,
    isolatesListenerErrors: true,
    // By design: a 'token' message is published without its token.
    redactsTokens: true,
  },
];

// No `writeRaw`: a record that does not open with the key is an error (RedisRecordError), never read as empty
// nor overwritten; see test-node/redis-adapters.test.ts.
export const storeTransports: StoreTransport[] = [
  { label: 'Redis store (sealed record)', create: (name) => new RedisStore(connection(), name, { key }) },
];
