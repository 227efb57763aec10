/**
 * The key-value storage the server keeps its state in. Values must be structured-clonable.
 * `update` is an atomic read-modify-write: no other `update` on the same key interleaves with it, even from
 * another tab (IndexedDB) — that is what makes the refresh check-and-rotate step race-free.
 */
export interface AuthStorage {
  get<T>(key: string): Promise<T | undefined>;
  /**
   * Atomically replaces the value at `key` with `updater(old)`. The updater must be synchronous and may be
   * called with a fresh copy of the value; it may mutate that copy and return it. Resolves to the new value.
   */
  update<T>(key: string, updater: (old: T | undefined) => T): Promise<T>;
  delete(key: string): Promise<void>;
}
