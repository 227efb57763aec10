import { createStore, get, type UseStore, update } from 'idb-keyval';
import type { Store, TokenRecord } from '../core/types.js';

const KEY = 'record';

/** A stored value from another tab (or another version of the package): only a sane record is used. */
const asRecord = (value: unknown): TokenRecord | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const { generation, token } = value as Partial<TokenRecord>;
  if (!Number.isSafeInteger(generation) || (generation as number) < 0) return undefined;
  if (token !== null && typeof token !== 'string') return undefined;
  return value as TokenRecord;
};

/**
The Store shared by every tab of the origin: one record in IndexedDB (database `${name}-db`, object store
`token`). `update` is one readwrite transaction (idb-keyval `update()`), and IndexedDB runs readwrite
transactions on the same object store one at a time, so concurrent writers in any tab never interleave.
The database is opened on first use.
*/
export class IdbStore implements Store {
  readonly #name: string;
  #db: UseStore | undefined;

  constructor(name: string) {
    this.#name = name;
  }

  #store(): UseStore {
    this.#db ??= createStore(`${this.#name}-db`, 'token');
    return this.#db;
  }

  async get(): Promise<TokenRecord | undefined> {
    return asRecord(await get(KEY, this.#store()));
  }

  async update(updater: (current: TokenRecord | undefined) => TokenRecord): Promise<TokenRecord> {
    let next: TokenRecord | undefined;
    await update(
      KEY,
      (current: unknown) => {
        next = updater(asRecord(current));
        return next;
      },
      this.#store(),
    );
    // The transaction committed, so the updater ran (once) and `next` is what was written.
    return next as TokenRecord;
  }
}

/** Whether IndexedDB exists here (it does not in Node, and may be missing in some private modes). */
export const hasIndexedDb = (): boolean => typeof indexedDB !== 'undefined' && indexedDB !== null;
