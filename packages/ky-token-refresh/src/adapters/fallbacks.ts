import type { Adapters } from '../core/types.js';
import { NativeChannel } from './channel.js';
import { chooseAdapters, type Features, SETTLE_MS, settleAfterGrant } from './choose.js';
import { FallbackChannel } from './fallback-channel.js';
import { IdbStore } from './idb-store.js';
import { LeaseLock } from './lease-lock.js';
import { createMemoryAdapters } from './memory.js';
import { WebLock } from './web-lock.js';

export { detectFeatures } from './choose.js';
export { createMemoryAdapters } from './memory.js';

/**
The adapters a current browser does not need: the lease lock (no Web Locks), the `broadcast-channel`
fallback (no native BroadcastChannel) and the in-memory adapters (no IndexedDB, Node, SSR, `crossTab:
false`). `createDefaultAdapters` loads this module with `import()` only where one of them is chosen, so the
default browser path does not carry them. Outside a browser the memory adapters are shared by the
instances of this process that use the same `name`.
*/
export const createFallbackAdapters = (name: string, features: Features): Adapters => {
  const choice = chooseAdapters(features);
  let shared: Adapters | undefined;
  const memory = (): Adapters => {
    shared ??= createMemoryAdapters(name);
    return shared;
  };
  const lock =
    choice.lock === 'web-locks'
      ? new WebLock(name)
      : choice.lock === 'lease'
        ? new LeaseLock(name)
        : memory().lock;
  return {
    // Without a shared store the channel is the only way a tab hears of another tab's refresh.
    lock: choice.store === 'memory' && choice.channel !== 'memory' ? settleAfterGrant(lock, SETTLE_MS) : lock,
    channel:
      choice.channel === 'native'
        ? new NativeChannel(name)
        : choice.channel === 'memory'
          ? memory().channel
          : new FallbackChannel(name, choice.channel === 'broadcast-channel:idb' ? 'idb' : 'localstorage'),
    store: choice.store === 'indexeddb' ? new IdbStore(name) : memory().store,
  };
};
