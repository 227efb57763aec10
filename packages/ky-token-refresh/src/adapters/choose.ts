import type { Lock } from '../core/types.js';
import { hasNativeBroadcastChannel } from './channel.js';
import { hasIndexedDb } from './idb-store.js';
import { hasWebLocks } from './web-lock.js';

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
