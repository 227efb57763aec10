/**
Stands in for test-browser/support.ts when the browser contract suites (test-browser/{lock,channel,store}
.test.ts) run in Node against the Redis adapters, on a real redis-server and on a 3-master Redis Cluster
started for the file (vitest.redis-contract.config.ts aliases it). Each `create(name)` is one more instance
with its own node-redis connection, so the suites go through Redis, not through shared memory.
*/
import { createClient, createCluster } from '@redis/client';
import { afterAll } from 'vitest';
import { RedisChannel } from '../src/node/redis/redis-channel.js';
import { RedisLock } from '../src/node/redis/redis-lock.js';
import { RedisStore } from '../src/node/redis/redis-store.js';
import type { ChannelTransport, LockTransport, StoreTransport } from '../test-browser/support.js';
import { startCluster, startRedis } from './redis-server.js';

export const uniqueName = (label: string): string => `${label}-${Math.random().toString(36).slice(2, 10)}`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const redis = await startRedis();
const cluster = await startCluster();
const clients: { destroy(): void }[] = [];
const channels: RedisChannel[] = [];
afterAll(async () => {
  for (const channel of channels) channel.close();
  await sleep(50);
  for (const client of clients) client.destroy();
  await Promise.all([redis.stop(), cluster.stop()]);
});

/** A new connection, as another process would have (node-redis queues commands until it is connected). */
const connection = () => {
  const client = createClient({ url: redis.url });
  client.on('error', () => undefined);
  void client.connect();
  clients.push(client);
  return client;
};

/** A new connection to the cluster (it learns the slots once connected; commands wait for that). */
const clusterConnection = () => {
  const client = createCluster({ rootNodes: cluster.rootNodes });
  client.on('error', () => undefined);
  const connecting = client.connect();
  clients.push(client);
  // Commands sent before the slots are known fail: queue them behind the connection.
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'eval' && property !== 'sPublish')
        return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) =>
        connecting.then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
};

const key = 'contract-suite-secret-0123456789';

export const lockTransports: LockTransport[] = [
  { label: 'Redis lock (SET NX PX, renewed)', create: (name) => new RedisLock(connection(), name) },
  { label: 'Redis Cluster lock', create: (name) => new RedisLock(clusterConnection(), name) },
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
  {
    label: 'Redis Cluster channel (sharded pub/sub on the slot of {name})',
    create: (name) => {
      const channel = new RedisChannel(clusterConnection(), name);
      channels.push(channel);
      return channel;
    },
    ready: (channel) => (channel as RedisChannel).ready,
    isolatesListenerErrors: true,
    redactsTokens: true,
  },
];

// No `writeRaw`: a record that does not open with the key is an error (RedisRecordError), never read as empty
// nor overwritten; see test-node/redis-adapters.test.ts.
export const storeTransports: StoreTransport[] = [
  { label: 'Redis store (sealed record)', create: (name) => new RedisStore(connection(), name, { key }) },
  { label: 'Redis Cluster store', create: (name) => new RedisStore(clusterConnection(), name, { key }) },
];
