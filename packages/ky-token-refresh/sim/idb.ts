/**
IndexedDB as idb-keyval uses it (`indexedDB.open`, one object store, readwrite transactions of one `get`
and one `put`), each request a step of the tab that made it, so the library's `LeaseLock` runs unchanged
(its own idb-keyval `update` on its own database) under the world's scheduler. A tab is bound to the
connection it opens: the world names the tab around the synchronous part of each `LeaseLock.request`
call, where idb-keyval opens the database on first use.

Transactions: the updater idb-keyval runs in the `get`'s success handler and the `put` it makes happen in
one step (as IndexedDB runs readwrite transactions on one object store one at a time), the commit
(`oncomplete`) in a later step of the same tab. Values are structured-cloned in and out.
*/
import type { SimTab, Steps } from './adapters.js';

type Handler = ((this: unknown) => void) | null;

interface SimRequest {
  result: unknown;
  error: unknown;
  onsuccess: Handler;
  onerror: Handler;
  onupgradeneeded?: Handler;
  oncomplete?: Handler;
  onabort?: Handler;
}

const request = (): SimRequest => ({ result: undefined, error: null, onsuccess: null, onerror: null });

export class SimIdb {
  readonly #steps: Steps;
  /** Every value, by `database/objectStore/key`. */
  readonly values = new Map<string, unknown>();
  /** The tab whose code runs now (set by the world around a synchronous call into the library). */
  current: SimTab | undefined;
  transactions = 0;

  constructor(steps: Steps) {
    this.#steps = steps;
  }

  /** What to install as `globalThis.indexedDB` while a schedule runs. */
  readonly factory = {
    open: (name: string): SimRequest => {
      const tab = this.current;
      if (!tab) throw new Error('sim: indexedDB.open outside of a tab');
      const opening = request();
      void this.#steps.step(tab, 'idb:open').then(() => {
        opening.result = this.#database(tab, name);
        opening.onsuccess?.call(opening);
      });
      return opening;
    },
  };

  #database(tab: SimTab, name: string) {
    return {
      onclose: null as Handler,
      createObjectStore: () => undefined,
      transaction: (storeName: string) => this.#transaction(tab, `${name}/${storeName}`),
    };
  }

  #transaction(tab: SimTab, prefix: string) {
    this.transactions++;
    const transaction = request();
    let pending = 0;
    const settle = () => {
      if (--pending > 0) return;
      void this.#steps.step(tab, 'idb:commit').then(() => transaction.oncomplete?.call(transaction));
    };
    const objectStore = {
      transaction,
      get: (key: string) => {
        pending++;
        const reading = request();
        void this.#steps.step(tab, 'idb:get').then(() => {
          const value = this.values.get(`${prefix}/${key}`);
          reading.result = value === undefined ? undefined : structuredClone(value);
          // idb-keyval's `update` puts in this handler: the read and the write are one step.
          reading.onsuccess?.call(reading);
          settle();
        });
        return reading;
      },
      put: (value: unknown, key: string) => {
        this.values.set(`${prefix}/${key}`, structuredClone(value));
        return request();
      },
    };
    return { objectStore: () => objectStore };
  }
}
