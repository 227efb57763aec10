import type { AuthStorage } from '../core/storage.ts';

interface Op {
  /** Applied inside the shared transaction to a private copy of the value so far; returns the next value. */
  run(value: unknown): unknown;
  /** A `get`: returns its copy unchanged (a batch of reads only needs no write). */
  read: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Queue {
  ops: Op[];
  busy: boolean;
}

/**
A storage whose concurrent operations on one key, in this tab, share one transaction of `inner`: while one
is running, the next ones queue and then run together, in call order, reads and writes alike (one `update`,
one IndexedDB readwrite transaction; a batch of reads alone is one `get`, a readonly one).

The browser mock keeps the whole server state under one key, and every request touches it twice: it reads
the state (the configuration: latencies, TTLs), then writes it (the API's counters are written on every
answer). Each of those was its own transaction, and IndexedDB runs them one after the other across every
tab: under a burst of N requests the refresh's own read and write queued behind ~2N others (measured:
100-300 ms on top of a 200 ms refresh latency with 2 tabs × 10-30 requests), and so did each replayed
request. Here a tab makes a handful of transactions per burst instead: the reads of a burst are folded into
the batches of its writes.

Same guarantees as `inner`: the operations of one batch run in call order, each on a copy of the value its
predecessor returned, inside one atomic `update` (a valid serial order; no other tab interleaves). A batch
commits or fails as a whole; an updater that throws rejects alone (the batch is re-run without it). A `get`
returns a copy that later writes never change, and sees this tab's earlier writes.
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

  /** Reads only: one `get`, each reader its own copy. */
  const readAll = (key: string, batch: Op[]): Promise<void> =>
    inner.get<unknown>(key).then(
      (value) => {
        for (const [index, op] of batch.entries())
          op.resolve(index === 0 || value === undefined ? value : structuredClone(value));
      },
      (error: unknown) => {
        for (const op of batch) op.reject(error);
      },
    );

  const writeAll = (key: string, queue: Queue, batch: Op[]): Promise<void> => {
    let results: unknown[] = [];
    let failed: { index: number; error: unknown } | undefined;
    return inner
      .update<unknown>(key, (old) => {
        results = [];
        failed = undefined;
        let value = old;
        for (const [index, op] of batch.entries()) {
          try {
            // The first op gets the value as read (a fresh copy already); each next one a copy of its own,
            // so what an op returned (a read's result too) is never changed by the ones after it.
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
      );
  };

  const flush = (key: string, queue: Queue): void => {
    if (queue.busy || queue.ops.length === 0) return;
    queue.busy = true;
    const batch = queue.ops.splice(0);
    (batch.every((op) => op.read) ? readAll(key, batch) : writeAll(key, queue, batch)).finally(() => {
      queue.busy = false;
      flush(key, queue);
    });
  };

  const enqueue = <T>(key: string, run: (value: T | undefined) => T, read = false): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const queue = queueOf(key);
      queue.ops.push({ run: run as Op['run'], read, resolve: resolve as Op['resolve'], reject });
      flush(key, queue);
    });

  return {
    get<T>(key: string): Promise<T | undefined> {
      return enqueue<T | undefined>(key, (value) => value, true);
    },
    update<T>(key: string, updater: (old: T | undefined) => T): Promise<T> {
      return enqueue(key, updater);
    },
    async delete(key: string): Promise<void> {
      // After this tab's pending operations on the key.
      if (queues.get(key)?.busy || queues.get(key)?.ops.length) await enqueue(key, (value) => value, true);
      await inner.delete(key);
    },
  };
}
