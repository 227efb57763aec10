/**
What the Redis adapters need of a node-redis connection (`createClient()` or `createCluster()` of `redis` /
`@redis/client` 5 or 6, connected by the app): scripts (`EVAL`), sharded publish, and a duplicate for the
subscription. Typed structurally, so that this package does not import node-redis.
*/
export interface RedisConnection {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  sPublish(channel: string, message: string): Promise<unknown>;
  /** A new connection with the same options (node-redis `duplicate()`), for the subscription. */
  duplicate(): RedisSubscriber;
}

/** The connection a `RedisChannel` subscribes on (a `duplicate()` of the app's). */
export interface RedisSubscriber {
  connect(): Promise<unknown>;
  sSubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: 'error' | 'ready', listener: (error?: unknown) => void): unknown;
  destroy(): void;
}

/**
The Redis keys of the coordination named `name`: one hash tag, `{name}`, so that every key of one
coordination is in one hash slot (Redis Cluster runs each script on one node, and the sharded channel lives
on that node too).
*/
export const redisKeys = (name: string) => {
  const tag = `{${name}}`;
  return {
    record: `${tag}:record`,
    lock: `${tag}:lock`,
    holder: `${tag}:holder`,
    fence: `${tag}:fence`,
    channel: `${tag}:channel`,
  };
};
