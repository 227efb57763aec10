import { report } from '../core/report.js';
import type { Adapters, Channel, ChannelMessage, Lock, Store } from '../core/types.js';
import { hasNativeBroadcastChannel, NativeChannel } from './channel.js';
import { detectFeatures, type Features } from './choose.js';
import { hasIndexedDb, IdbStore } from './idb-store.js';
import { hasWebLocks, WebLock } from './web-lock.js';

export {
  type AdapterChoice,
  chooseAdapters,
  detectFeatures,
  type Features,
  SETTLE_MS,
  settleAfterGrant,
} from './choose.js';

type Fallbacks = typeof import('./fallbacks.js');
let fallbacks: Promise<Fallbacks> | undefined;
/** The fallback adapters, loaded once, on first need (a separate chunk: see `fallbacks.ts`). */
export const loadFallbacks = (): Promise<Fallbacks> => {
  fallbacks ??= import('./fallbacks.js');
  return fallbacks;
};

/**
Adapters that are loaded (and created) on first use: lock and store calls wait for them; the channel keeps
its listeners and queues what is posted, in order, until it is there. Adapters that fail to load make each
call reject (the coordinator treats that like any failing adapter) and cost the channel its messages.
*/
const deferAdapters = (load: () => Promise<Adapters>): Adapters => {
  let adapters: Promise<Adapters> | undefined;
  const open = () => {
    adapters ??= load();
    return adapters;
  };
  const listeners = new Set<(message: ChannelMessage) => void>();
  let channel: Channel | undefined;
  let queue: ChannelMessage[] | undefined = [];
  let closed = false;
  let connecting = false;
  const connect = () => {
    if (connecting) return;
    connecting = true;
    void open().then(
      (real) => {
        if (closed) return;
        channel = real.channel;
        channel.subscribe((message) => {
          for (const listener of listeners) listener(message);
        });
        for (const message of queue ?? []) channel.post(message);
        queue = undefined;
      },
      (error: unknown) => {
        queue = undefined;
        report(error);
      },
    );
  };
  const lock: Lock = { request: (task, options) => open().then((real) => real.lock.request(task, options)) };
  const store: Store = {
    get: () => open().then((real) => real.store.get()),
    update: (updater) => open().then((real) => real.store.update(updater)),
  };
  return {
    lock,
    store,
    channel: {
      post: (message) => {
        connect();
        if (channel) channel.post(message);
        else queue?.push(message);
      },
      subscribe: (listener) => {
        connect();
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: () => {
        closed = true;
        listeners.clear();
        queue = undefined;
        channel?.close();
      },
    },
  };
};

/** The adapters of a current browser: Web Locks, the native BroadcastChannel and IndexedDB. */
const nativeAdapters = (name: string): Adapters => ({
  lock: new WebLock(name),
  channel: new NativeChannel(name),
  store: new IdbStore(name),
});

/** Whether this global scope is a browser (a document or a worker) with everything `nativeAdapters` needs. */
const hasNativeAdapters = (): boolean =>
  (typeof document !== 'undefined' ||
    typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') &&
  hasWebLocks() &&
  hasNativeBroadcastChannel() &&
  hasIndexedDb();

/**
The adapters `createTokenRefresh` runs on when `crossTab` is `true` (coordination between every tab and
instance that shares `name`), chosen by feature detection when called (never at import). A current browser
gets the native ones at once; anything else (an insecure context, an old browser, Node, SSR) gets what
`chooseAdapters` picks, from a chunk loaded only then (so the promise of them).
*/
export const resolveDefaultAdapters = (name: string): Adapters | Promise<Adapters> =>
  hasNativeAdapters()
    ? nativeAdapters(name)
    : loadFallbacks().then((module) => module.createFallbackAdapters(name, module.detectFeatures()));

/**
The default adapters (see `resolveDefaultAdapters`), returned at once: where they come from the fallback
chunk, lock and store calls wait for it and the channel queues what is posted until it is there.
*/
export const createDefaultAdapters = (name: string, features: Features = detectFeatures()): Adapters => {
  if (features.browser && features.webLocks && features.broadcastChannel && features.indexedDb) {
    return nativeAdapters(name);
  }
  return deferAdapters(async () => (await loadFallbacks()).createFallbackAdapters(name, features));
};
