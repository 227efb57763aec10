import { describe, expect, it } from 'vitest';
import { lockTransports, sleep, uniqueName } from './support.js';

describe.each(lockTransports)('Lock contract: $label', ({ create }) => {
  it('gives mutual exclusion under contention: 5 instances × 4 concurrent requests, one holder at a time', async () => {
    const name = uniqueName('lock');
    const locks = Array.from({ length: 5 }, () => create(name));
    let active = 0;
    let maxActive = 0;
    let completed = 0;
    const order: number[] = [];
    const signal = new AbortController().signal;
    await Promise.all(
      locks.flatMap((lock, index) =>
        Array.from({ length: 4 }, () =>
          lock.request(
            async () => {
              active++;
              maxActive = Math.max(maxActive, active);
              order.push(index);
              await sleep(2 + Math.random() * 6);
              active--;
              completed++;
              return index;
            },
            { signal },
          ),
        ),
      ),
    );
    expect(completed).toBe(20);
    expect(maxActive).toBe(1);
    expect(new Set(order).size).toBe(5);
  });

  it('resolves with the value the task resolves to', async () => {
    const lock = create(uniqueName('lock'));
    await expect(lock.request(async () => 42, { signal: new AbortController().signal })).resolves.toBe(42);
  });

  it('rejects with signal.reason when aborted while waiting, never runs the task, and does not hold the lock', async () => {
    const name = uniqueName('lock');
    const holder = create(name);
    const waiter = create(name);
    const third = create(name);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let granted!: () => void;
    const grantedPromise = new Promise<void>((resolve) => {
      granted = resolve;
    });
    const holding = holder.request(
      async () => {
        granted();
        await held;
        return 'holder';
      },
      { signal: new AbortController().signal },
    );
    await grantedPromise;

    const controller = new AbortController();
    let waiterRan = false;
    const waiting = waiter.request(
      async () => {
        waiterRan = true;
      },
      { signal: controller.signal },
    );
    await sleep(50);
    const reason = new Error('stop waiting');
    const abortedAt = performance.now();
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    // At once: the waiter does not wait for the holder.
    expect(performance.now() - abortedAt).toBeLessThan(500);

    release();
    await expect(holding).resolves.toBe('holder');
    // The abandoned request must not leave the lock taken.
    await expect(third.request(async () => 'third', { signal: AbortSignal.timeout(5000) })).resolves.toBe(
      'third',
    );
    expect(waiterRan).toBe(false);
  });

  it('rejects with signal.reason at once when the signal is already aborted', async () => {
    const lock = create(uniqueName('lock'));
    const reason = new Error('already');
    let ran = false;
    await expect(
      lock.request(
        async () => {
          ran = true;
        },
        { signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason);
    expect(ran).toBe(false);
  });

  it('releases the lock when the task throws, and rejects with what it threw', async () => {
    const name = uniqueName('lock');
    const first = create(name);
    const second = create(name);
    const boom = new Error('boom');
    const failing = first.request(
      async () => {
        await sleep(20);
        throw boom;
      },
      { signal: new AbortController().signal },
    );
    const next = second.request(async () => 'next', { signal: AbortSignal.timeout(5000) });
    await expect(failing).rejects.toBe(boom);
    await expect(next).resolves.toBe('next');
  });
});
