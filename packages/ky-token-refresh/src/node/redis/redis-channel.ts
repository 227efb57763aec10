import { randomUUID } from 'node:crypto';
import { deliver, type Listener } from '../../adapters/deliver.js';
import { report } from '../../core/report.js';
import type { Channel, ChannelMessage } from '../../core/types.js';
import { withoutToken as redact } from '../without-token.js';
import { type RedisConnection, type RedisSubscriber, redisKeys } from './connection.js';

/**
A Channel between the processes, on any machine, that use the same Redis and `name`: sharded pub/sub
(`SPUBLISH` / `SSUBSCRIBE`, Redis 7) on `{name}:channel`, so that on Redis Cluster it lives on the node of the
coordination's other keys. Every waiting process hears a new record at once.

- `post()` publishes `{ from, message }` on the app's connection; the subscription runs on a `duplicate()`
  of it, connected by the channel. Its own messages are not delivered back to the sender.
- **Tokens never travel through Redis pub/sub**: a `'token'` message is published without its `token`, so
  receivers read the (encrypted) store. So `persistToken: false` cannot work across processes on Redis.
- A message posted while Redis is unreachable is lost (reported); the coordinator still reads the store
  under the lock, so nothing is refreshed twice for it. `ready` resolves once subscribed.
*/
export class RedisChannel implements Channel {
  readonly #client: RedisConnection;
  readonly #name: string;
  readonly #id = randomUUID();
  readonly #listeners = new Set<Listener>();
  readonly #subscriber: RedisSubscriber;
  #closed = false;
  /** Resolves once the subscription is in place (rejections are reported, never thrown). */
  readonly ready: Promise<void>;

  constructor(client: RedisConnection, name: string) {
    this.#client = client;
    this.#name = redisKeys(name).channel;
    this.#subscriber = client.duplicate();
    // Reported once per outage (node-redis retries, and would say so at every attempt).
    let troubled = false;
    this.#subscriber.on('error', (error) => {
      if (!this.#closed && !troubled) report(error);
      troubled = true;
    });
    this.#subscriber.on('ready', () => {
      troubled = false;
    });
    this.ready = this.#subscriber
      .connect()
      .then(() => this.#subscriber.sSubscribe(this.#name, (text) => this.#receive(text)))
      .then(
        () => {
          if (this.#closed) this.#subscriber.destroy();
        },
        (error: unknown) => {
          if (!this.#closed) report(error);
        },
      );
  }

  post(message: ChannelMessage): void {
    if (this.#closed) return;
    let text: string;
    try {
      text = JSON.stringify({ from: this.#id, message: redact(message) });
    } catch (error) {
      report(error);
      return;
    }
    this.#client.sPublish(this.#name, text).catch(report);
  }

  subscribe(listener: (message: ChannelMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    void this.ready.then(() => this.#subscriber.destroy());
  }

  #receive(text: string): void {
    if (this.#closed) return;
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof envelope !== 'object' || envelope === null) return;
    const { from, message } = envelope as { from?: unknown; message?: unknown };
    if (from === this.#id) return;
    deliver(this.#listeners, message);
  }
}
