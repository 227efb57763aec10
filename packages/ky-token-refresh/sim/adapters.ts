/**
Simulated Lock, Channel and Store with the semantics of Web Locks, BroadcastChannel and IndexedDB (through
idb-keyval). Every step that takes time in a browser (a grant, a delivery, a read, a write) waits on
`Steps.step`, which the world answers through the fast-check scheduler; the contract suite answers it
with a short real delay.
*/
import type { Channel, ChannelMessage, Lock, Store, TokenRecord } from '../src/index.js';

/** The identity of a simulated tab, as the adapters need it. */
export interface SimTab {
  readonly id: number;
  /** A dead tab's steps never run, its waits never end, its lock is released and its messages are lost. */
  readonly dead: boolean;
}

/** A fault the world injects into one store call. */
export type StoreFault = 'ok' | 'reject' | 'hang' | { readonly slowMs: number };

export interface Steps {
  /** Resolves when `tab` may take its next step; never for a dead tab. */
  step(tab: SimTab, label: string): Promise<void>;
  /** Extra delay (virtual ms) before a message from `from` to `to` is even queued for delivery. */
  channelDelay?(from: SimTab, to: SimTab): number;
  /** The fault of the next store call of `tab`. */
  storeFault?(tab: SimTab, operation: 'get' | 'update'): StoreFault;
  sleep?(ms: number): Promise<void>;
}

const never = new Promise<never>(() => undefined);

/** Called with each task start and end, to check mutual exclusion from outside. */
export interface LockObserver {
  held(tab: SimTab, holders: number): void;
}

interface Waiter {
  readonly tab: SimTab;
  readonly run: () => void;
  readonly onDead: () => void;
}

/**
One Web Lock name: granted in request order, to at most `capacity` holders (1; the negative control uses
2), released when the task settles or when the holder's tab dies.
*/
export class SimLockHub {
  readonly #steps: Steps;
  readonly #capacity: number;
  readonly #queue: Waiter[] = [];
  readonly #holders = new Set<Waiter>();
  /** Requests that were granted, for the report. */
  grants = 0;
  maxHolders = 0;

  constructor(steps: Steps, capacity = 1) {
    this.#steps = steps;
    this.#capacity = capacity;
  }

  get holders(): number {
    return this.#holders.size;
  }

  lockFor(tab: SimTab): Lock {
    return { request: (task, options) => this.#request(tab, task, options.signal) };
  }

  #request<T>(tab: SimTab, task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (tab.dead) return never;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#holders.delete(waiter);
        this.#pump();
      };
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index === -1) return; // already granted: an abort no longer matters
        this.#queue.splice(index, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        tab,
        onDead: release,
        run: () => {
          signal.removeEventListener('abort', onAbort);
          this.#steps.step(tab, 'lock:grant').then(() => {
            let result: Promise<T>;
            try {
              result = Promise.resolve(task());
            } catch (error) {
              result = Promise.reject(error);
            }
            result.then(
              (value) => {
                release();
                if (!tab.dead) resolve(value);
              },
              (error: unknown) => {
                release();
                if (!tab.dead) reject(error);
              },
            );
          });
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#holders.size < this.#capacity && this.#queue.length > 0) {
      const waiter = this.#queue.shift() as Waiter;
      if (waiter.tab.dead) continue;
      this.#holders.add(waiter);
      this.maxHolders = Math.max(this.maxHolders, this.#holders.size);
      this.grants++;
      waiter.run();
    }
  }

  /** Whether `tab` holds the lock now. */
  holds(tab: SimTab): boolean {
    return [...this.#holders].some((waiter) => waiter.tab === tab);
  }

  /** The tab died: its queued requests vanish, and a lock it holds is released (as Web Locks do). */
  tabDied(tab: SimTab): void {
    for (let index = this.#queue.length - 1; index >= 0; index--) {
      if (this.#queue[index]?.tab === tab) this.#queue.splice(index, 1);
    }
    for (const waiter of [...this.#holders]) if (waiter.tab === tab) waiter.onDead();
  }
}

type Listener = (message: ChannelMessage) => void;

interface Endpoint {
  readonly tab: SimTab;
  readonly listeners: Set<Listener>;
  closed: boolean;
}

/**
One BroadcastChannel name: a message is cloned when posted, delivered asynchronously to every other open
endpoint (never the sender), in order per sender-receiver pair, each delivery a step of the receiving
tab (held while it is frozen, lost when it is dead).
*/
export class SimChannelHub {
  readonly #steps: Steps;
  readonly #endpoints = new Set<Endpoint>();
  readonly #queues = new Map<Endpoint, Map<Endpoint, unknown[]>>();
  posted = 0;
  delivered = 0;

  constructor(steps: Steps) {
    this.#steps = steps;
  }

  channelFor(tab: SimTab): Channel {
    const self: Endpoint = { tab, listeners: new Set(), closed: false };
    this.#endpoints.add(self);
    return {
      post: (message) => this.#post(self, message),
      subscribe: (listener) => {
        if (self.closed) return () => undefined;
        self.listeners.add(listener);
        return () => self.listeners.delete(listener);
      },
      close: () => {
        self.closed = true;
        self.listeners.clear();
        this.#endpoints.delete(self);
      },
    };
  }

  #post(from: Endpoint, message: ChannelMessage): void {
    if (from.closed || from.tab.dead) return;
    this.posted++;
    const copy = structuredClone(message) as unknown;
    for (const to of this.#endpoints) {
      if (to === from || to.closed) continue;
      let byReceiver = this.#queues.get(from);
      if (!byReceiver) {
        byReceiver = new Map();
        this.#queues.set(from, byReceiver);
      }
      const queue = byReceiver.get(to);
      if (queue) {
        queue.push(copy);
        continue;
      }
      const fresh = [copy];
      byReceiver.set(to, fresh);
      void this.#drain(from, to, fresh);
    }
  }

  async #drain(from: Endpoint, to: Endpoint, queue: unknown[]): Promise<void> {
    while (queue.length > 0) {
      const delay = this.#steps.channelDelay?.(from.tab, to.tab) ?? 0;
      if (delay > 0 && this.#steps.sleep) await this.#steps.sleep(delay);
      await this.#steps.step(to.tab, 'channel:deliver');
      const message = queue.shift();
      if (to.closed || to.tab.dead) continue;
      this.delivered++;
      for (const listener of [...to.listeners]) {
        try {
          listener(message as ChannelMessage);
        } catch (error) {
          // As with BroadcastChannel: a throwing listener is reported, the others still get the message.
          (globalThis as { reportError?: (error: unknown) => void }).reportError?.(error);
        }
      }
    }
    this.#queues.get(from)?.delete(to);
  }
}

/**
One IndexedDB record (idb-keyval's `get` and `update`): values are structured-cloned in and out, `update`
runs its updater atomically at the step where the transaction commits. `staleReads` is the negative
control: `get` answers the record as it was one write earlier.
*/
export class SimStoreHub {
  readonly #steps: Steps;
  readonly #staleReads: boolean;
  value: TokenRecord | undefined;
  #previous: TokenRecord | undefined;
  writes = 0;

  constructor(steps: Steps, options: { staleReads?: boolean } = {}) {
    this.#steps = steps;
    this.#staleReads = options.staleReads ?? false;
  }

  async #fault(tab: SimTab, operation: 'get' | 'update'): Promise<void> {
    const fault = this.#steps.storeFault?.(tab, operation) ?? 'ok';
    if (fault === 'hang') return never;
    if (typeof fault === 'object' && this.#steps.sleep) await this.#steps.sleep(fault.slowMs);
    await this.#steps.step(tab, `store:${operation}`);
    if (fault === 'reject') throw new Error(`sim: IndexedDB ${operation} failed`);
  }

  storeFor(tab: SimTab): Store {
    return {
      get: async () => {
        await this.#fault(tab, 'get');
        const value = this.#staleReads ? this.#previous : this.value;
        return value === undefined ? undefined : structuredClone(value);
      },
      update: async (updater) => {
        await this.#fault(tab, 'update');
        const next = updater(this.value === undefined ? undefined : structuredClone(this.value));
        this.#previous = this.value;
        this.value = structuredClone(next);
        this.writes++;
        return next;
      },
    };
  }
}
