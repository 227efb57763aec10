import type { Lock } from '../core/types.js';

/** The part of `navigator.locks` this adapter uses (lets tests pass their own). */
export interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T>;
}

/**
A Lock over the Web Locks API (`navigator.locks`), shared by every tab and worker of the origin. The lock
is called `${name}:refresh`. The browser releases it when the task settles, and when the tab that holds it
closes or crashes, so the next waiter is granted it.
*/
export class WebLock implements Lock {
  readonly name: string;
  readonly #locks: LockManagerLike | undefined;

  constructor(name: string, locks?: LockManagerLike) {
    this.name = `${name}:refresh`;
    this.#locks = locks;
  }

  async request<T>(task: () => Promise<T>, { signal }: { signal: AbortSignal }): Promise<T> {
    if (signal.aborted) throw signal.reason;
    // Looked up per call, never at import time: importing the package must not touch browser globals.
    const locks = this.#locks ?? (globalThis.navigator as unknown as { locks: LockManagerLike }).locks;
    let granted = false;
    try {
      return await locks.request(this.name, { signal }, () => {
        granted = true;
        return task();
      });
    } catch (error) {
      // Browsers reject an aborted request with an AbortError of their own; the contract is signal.reason.
      if (!granted && signal.aborted) throw signal.reason;
      throw error;
    }
  }
}

/** Whether `navigator.locks` is usable here (it is missing in insecure contexts and old browsers). */
export const hasWebLocks = (): boolean =>
  typeof navigator !== 'undefined' &&
  'locks' in navigator &&
  typeof (navigator as { locks?: { request?: unknown } }).locks?.request === 'function';
