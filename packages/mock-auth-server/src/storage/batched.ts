import type { AuthStorage } from '../core/storage.ts';

interface Op {
  /** Applied inside the shared transaction to a private copy of the value so far; returns the next value. */
  run(value: unknown): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Queue {
  ops: Op[];
  busy: boolean;
}

/**
A storage whose concurrent operations on one key, in this tab, share one `update` of `inner` (one IndexedDB
readwrite transaction): while one is running, the next ones queue and then run together, in call order.

The browser mock keeps the whole server state under one key, and every request touches it (the API's
counters are written on every answer). Each operation was its own transaction, and IndexedDB runs them one
after the other across every tab: under a burst of N requests the refresh's own read and write queued behind
~2N others (measured: 100-300 ms on top of a 200 ms refresh latency with 2 tabs × 10-30 requests). Here a
tab makes a handful of transactions per burst instead.

Same guarantees as `inner`: the updaters of one batch run in call order, each on a copy of the value its
predecessor returned, inside one atomic `update` (a valid serial order; no other tab interleaves). A batch
commits or fails as a whole; an updater that throws rejects alone (the batch is re-run without it). A `get`
while operations are queued or running joins them, so a tab always reads its own earlier writes.
*/
export function createBatchedStorage(inner: AuthStorage): AuthStorage {
  const queues = new Map<string, Queue>();
  const queueOf = (key: string): Queue => {
    let queue = queues.get(key);
    if (queue === undefined) {
      queue = { ops: [], busy: false };
      queues.set(key, queue);
    }
    return queue;
  };

  const flush = (key: string, queue: Queue): void => {
    if (queue.busy || queue.ops.length === 0) return;
    queue.busy = true;
    const batch = queue.ops.splice(0);
    let results: unknown[] = [];
    let failed: { index: number; error: unknown } | undefined;
    inner
      .update<unknown>(key, (old) => {
        results = [];
        failed = undefined;
        let value = old;
        for (const [index, op] of batch.entries()) {
          try {
            // The first op gets the value as read (a fresh copy already); each next one a copy of its own.
            value = op.run(index === 0 || value === undefined ? value : structuredClone(value));
          } catch (error) {
            failed = { index, error };
            throw error; // abort: nothing of this batch is written; the others are re-run below
          }
          results.push(value);
        }
        return value;
      })
      .then(
        () => {
          for (const [index, op] of batch.entries()) op.resolve(results[index]);
        },
        (error: unknown) => {
          if (failed === undefined) {
            for (const op of batch) op.reject(error);
            return;
          }
          batch[failed.index]?.reject(failed.error);
          queue.ops.unshift(...batch.filter((_, index) => index !== failed?.index));
        },
      )
      .finally(() => {
        queue.busy = false;
        flush(key, queue);
      });
  };

  const enqueue = <T>(key: string, run: (value: T | undefined) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const queue = queueOf(key);
      queue.ops.push({ run: run as Op['run'], resolve: resolve as Op['resolve'], reject });
      flush(key, queue);
    });

  return {
    get<T>(key: string): Promise<T | undefined> {
      const queue = queues.get(key);
      if (queue === undefined || (!queue.busy && queue.ops.length === 0)) return inner.get<T>(key);
      // Behind this tab's own pending writes: read inside their batch (a copy, never changed later).
      return enqueue<T | undefined>(key, (value) => value).then((value) =>
        value === undefined ? undefined : structuredClone(value),
      );
    },
    update<T>(key: string, updater: (old: T | undefined) => T): Promise<T> {
      return enqueue(key, updater);
    },
    async delete(key: string): Promise<void> {
      // After this tab's pending writes to the key.
      if (queues.get(key)?.busy || queues.get(key)?.ops.length) await enqueue(key, (value) => value);
      await inner.delete(key);
    },
  };
}
