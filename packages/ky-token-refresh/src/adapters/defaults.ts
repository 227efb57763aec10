import type { Adapters, Channel, ChannelMessage, Lock, Store, TokenRecord } from '../core/types.js';
import { FallbackChannel, hasNativeBroadcastChannel, NativeChannel } from './channel.js';
import { hasIndexedDb, IdbStore } from './idb-store.js';
import { LeaseLock } from './lease-lock.js';
import { createMemoryAdapters } from './memory.js';
import { hasWebLocks, WebLock } from './web-lock.js';

/** What the environment offers; `detectFeatures()` reads it, tests may pass their own. */
export interface Features {
  /** A browser-like global (a document or a worker): elsewhere (Node, SSR) everything stays in memory. */
  browser: boolean;
  webLocks: boolean;
  broadcastChannel: boolean;
  indexedDb: boolean;
  localStorage: boolean;
}

const hasLocalStorage = (): boolean => {
  try {
    return typeof localStorage !== 'undefined' && localStorage !== null;
  } catch {
    // Reading `localStorage` throws where storage is blocked.
    return false;
  }
};

/** Read what this global scope supports. Reads globals only when called, never at import time. */
export const detectFeatures = (): Features => ({
  browser:
    typeof document !== 'undefined' ||
    typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined',
  webLocks: hasWebLocks(),
  broadcastChannel: hasNativeBroadcastChannel(),
  indexedDb: hasIndexedDb(),
  localStorage: hasLocalStorage(),
});

/** Which implementation each default adapter uses, for a set of features. */
export interface AdapterChoice {
  lock: 'web-locks' | 'lease' | 'memory';
  channel: 'native' | 'broadcast-channel:idb' | 'broadcast-channel:localstorage' | 'memory';
  store: 'indexeddb' | 'memory';
}

/**
Pick the adapters:
- lock: Web Locks; else a lease lock in IndexedDB; else (no Web Locks and no IndexedDB) the in-memory lock,
  which excludes only within this tab: two tabs may then refresh at once. The channel still makes a tab that
  waits adopt a token another tab announced, which narrows that window without closing it.
- channel: native BroadcastChannel; else the `broadcast-channel` package over IndexedDB, else over
  localStorage; else in memory (this tab only).
- store: IndexedDB; else in memory (this tab only; new tabs start without a token and learn it from the
  channel). Then the double check under the lock sees only what the channel delivered, so the lock waits
  `SETTLE_MS` after each grant for messages posted before the release (a timing margin, not a guarantee).
Outside a browser (Node, SSR) everything is in memory, shared by the instances of this process that use the
same `name`.
*/
export const chooseAdapters = (features: Features): AdapterChoice => {
  if (!features.browser) return { lock: 'memory', channel: 'memory', store: 'memory' };
  return {
    lock: features.webLocks ? 'web-locks' : features.indexedDb ? 'lease' : 'memory',
    channel: features.broadcastChannel
      ? 'native'
      : features.indexedDb
        ? 'broadcast-channel:idb'
        : features.localStorage
          ? 'broadcast-channel:localstorage'
          : 'memory',
    store: features.indexedDb ? 'indexeddb' : 'memory',
  };
};

/** A Lock that creates the real one on first use. */
const lazyLock = (create: () => Lock): Lock => {
  let lock: Lock | undefined;
  return {
    request: (task, options) => {
      lock ??= create();
      return lock.request(task, options);
    },
  };
};

/**
Run the task `settleMs` after the lock is granted. Used when the store is per tab (no IndexedDB): a tab that
gets the lock right after another tab refreshed can only learn the new token from the channel, and the
holder's message, posted before it released the lock, travels apart from the grant; waiting lets it land
first (the coordinator adopts a token heard while it waits), instead of a second refresh.
*/
export const settleAfterGrant = (lock: Lock, settleMs: number): Lock => ({
  request: (task, options) =>
    lock.request(async () => {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      return task();
    }, options),
});

/** How long a lock holder waits before its task when the store is per tab (see `settleAfterGrant`). */
export const SETTLE_MS = 100;

/** A Store that creates the real one (and opens its database) on first use. */
const lazyStore = (create: () => Store): Store => {
  let store: Store | undefined;
  return {
    get: () => {
      store ??= create();
      return store.get();
    },
    update: (updater: (current: TokenRecord | undefined) => TokenRecord) => {
      store ??= create();
      return store.update(updater);
    },
  };
};

/** A Channel that opens the real one when first posted to or subscribed. */
const lazyChannel = (create: () => Channel): Channel => {
  let channel: Channel | undefined;
  let closed = false;
  const open = (): Channel | undefined => {
    if (!closed) channel ??= create();
    return channel;
  };
  return {
    post: (message: ChannelMessage) => open()?.post(message),
    subscribe: (listener) => open()?.subscribe(listener) ?? (() => undefined),
    close: () => {
      closed = true;
      channel?.close();
    },
  };
};

/**
The adapters used when `crossTab` is `true`: coordination between every tab and instance that shares
`name`. Chosen by feature detection when called (not at import), each created on first use.
*/
export const createDefaultAdapters = (name: string, features: Features = detectFeatures()): Adapters => {
  const choice = chooseAdapters(features);
  // Only what is used of the memory adapters is created (an unused memory channel would join the hub).
  let shared: Adapters | undefined;
  const memory = (): Adapters => {
    shared ??= createMemoryAdapters(name);
    return shared;
  };
  const lock =
    choice.lock === 'web-locks'
      ? lazyLock(() => new WebLock(name))
      : choice.lock === 'lease'
        ? lazyLock(() => new LeaseLock(name))
        : memory().lock;
  return {
    // Without a shared store the channel is the only way a tab hears of another tab's refresh.
    lock: choice.store === 'memory' && choice.channel !== 'memory' ? settleAfterGrant(lock, SETTLE_MS) : lock,
    channel:
      choice.channel === 'native'
        ? lazyChannel(() => new NativeChannel(name))
        : choice.channel === 'memory'
          ? memory().channel
          : lazyChannel(
              () =>
                new FallbackChannel(
                  name,
                  choice.channel === 'broadcast-channel:idb' ? 'idb' : 'localstorage',
                ),
            ),
    store: choice.store === 'indexeddb' ? lazyStore(() => new IdbStore(name)) : memory().store,
  };
};
