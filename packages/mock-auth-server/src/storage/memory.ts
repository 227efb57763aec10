import type { AuthStorage } from '../core/storage.ts';

/**
 * In-process storage (Node, tests). Values are structured-cloned in and out, like IndexedDB, so the server
 * behaves the same over both. `update` is atomic because the updater is synchronous.
 */
export function createMemoryStorage(): AuthStorage {
  const values = new Map<string, unknown>();
  return {
    async get<T>(key: string) {
      return structuredClone(values.get(key)) as T | undefined;
    },
    async update<T>(key: string, updater: (old: T | undefined) => T) {
      const next = updater(structuredClone(values.get(key)) as T | undefined);
      values.set(key, structuredClone(next));
      return next;
    },
    async delete(key: string) {
      values.delete(key);
    },
  };
}
