import { createStore, del, get, type UseStore, update } from 'idb-keyval';
import type { AuthStorage } from '../core/storage.ts';

/** Default IndexedDB database of the browser mock; one per origin, shared by all its tabs. */
export const DEFAULT_IDB_NAME = 'mock-auth-server';

/**
 * Storage over IndexedDB (idb-keyval, own database). idb-keyval's `update()` runs get and put in one
 * readwrite transaction, and IndexedDB serialises readwrite transactions on a store, so an update is atomic
 * across every tab of the origin (a get followed by a set would not be).
 */
export function createIdbStorage(dbName: string = DEFAULT_IDB_NAME, storeName = 'state'): AuthStorage {
  const store: UseStore = createStore(dbName, storeName);
  return {
    get<T>(key: string) {
      return get<T>(key, store);
    },
    async update<T>(key: string, updater: (old: T | undefined) => T) {
      let next: T | undefined;
      await update<T>(
        key,
        (old) => {
          next = updater(old);
          return next;
        },
        store,
      );
      return next as T;
    },
    delete(key: string) {
      return del(key, store);
    },
  };
}
