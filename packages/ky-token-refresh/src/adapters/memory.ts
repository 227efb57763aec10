import { report } from '../core/report.js';
import type { Adapters, Channel, ChannelMessage, Lock, Store, TokenRecord } from '../core/types.js';

/** A FIFO lock for one JavaScript realm. Waiters whose signal aborts leave the queue at once. */
export class MemoryLock implements Lock {
  #tail: Promise<void> = Promise.resolve();

  request<T>(task: () => Promise<T>, { signal }: { signal: AbortSignal }): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise((resolve) => {
      release = resolve;
    });
    return new Promise<T>((resolve, reject) => {
      let waiting = true;
      const onAbort = () => {
        waiting = false;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void previous.then(async () => {
        signal.removeEventListener('abort', onAbort);
        if (!waiting) return release();
        waiting = false;
        try {
          resolve(await task());
        } catch (error) {
          reject(error);
        } finally {
          release();
        }
      });
    });
  }
}

/** A store for one JavaScript realm. `update` is atomic because it runs synchronously. */
export class MemoryStore implements Store {
  #value: TokenRecord | undefined;

  async get(): Promise<TokenRecord | undefined> {
    return this.#value;
  }

  async update(updater: (current: TokenRecord | undefined) => TokenRecord): Promise<TokenRecord> {
    this.#value = updater(this.#value);
    return this.#value;
  }
}

type Listener = (message: ChannelMessage) => void;

/** A channel between the instances of one JavaScript realm that share a hub. Delivery is asynchronous. */
export class MemoryChannel implements Channel {
  readonly #hub: Set<MemoryChannel>;
  readonly #listeners = new Set<Listener>();
  #closed = false;

  constructor(hub: Set<MemoryChannel> = new Set()) {
    this.#hub = hub;
    hub.add(this);
  }

  post(message: ChannelMessage): void {
    // Like a closed BroadcastChannel: nothing leaves it any more.
    if (this.#closed) return;
    const copy = structuredClone(message);
    for (const peer of this.#hub) {
      if (peer === this) continue;
      queueMicrotask(() => {
        for (const listener of peer.#listeners) {
          try {
            listener(copy);
          } catch (error) {
            // One bad listener must not stop delivery to the others (as with BroadcastChannel).
            report(error);
          }
        }
      });
    }
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#hub.delete(this);
  }
}

const scopes = new Map<string, { lock: MemoryLock; store: MemoryStore; hub: Set<MemoryChannel> }>();

/**
In-memory adapters. Without `scope` they are private to one instance (one tab, no coordination). With a
`scope`, every instance created with the same scope in this realm shares the lock, store and channel, and
they coordinate like tabs.
*/
export const createMemoryAdapters = (scope?: string): Adapters => {
  if (scope === undefined) {
    return { lock: new MemoryLock(), store: new MemoryStore(), channel: new MemoryChannel() };
  }
  let shared = scopes.get(scope);
  if (!shared) {
    shared = { lock: new MemoryLock(), store: new MemoryStore(), hub: new Set() };
    scopes.set(scope, shared);
  }
  return { lock: shared.lock, store: shared.store, channel: new MemoryChannel(shared.hub) };
};
