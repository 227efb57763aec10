import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FileLock } from '../src/node/file-lock.js';
import { forkFixture, sleep, useTempDir, waitStopped } from './support.js';

const dir = useTempDir();
const never = () => new AbortController().signal;

/** A lock file left by a holder that is gone (another owner id), last renewed `ageMs` ago. */
const leaveDeadLock = async (directory: string, name: string, ageMs: number): Promise<string> => {
  const path = join(directory, `${name}.lock`);
  await writeFile(path, JSON.stringify({ owner: randomUUID(), pid: 999_999, hostname: 'gone' }), {
    mode: 0o600,
  });
  const time = new Date(Date.now() - ageMs);
  await utimes(path, time, time);
  return path;
};

/** A promise and the function that resolves it. */
const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
};

describe('FileLock: lease', () => {
  it('takes over a dead holder (its lock file left, old mtime) once its lease expires, not before', async () => {
    const leaseMs = 600;
    const path = await leaveDeadLock(dir(), 'l', leaseMs - 300);
    const { mtimeMs } = await stat(path);
    const lock = new FileLock(dir(), 'l', { leaseMs });
    const acquiredAt = await lock.request(async () => Date.now(), { signal: never() });
    expect(acquiredAt).toBeGreaterThan(mtimeMs + leaseMs);
    // Woken when the lease runs out (not after a long backoff).
    expect(acquiredAt - (mtimeMs + leaseMs)).toBeLessThan(300);

    // Long expired: taken at once.
    await leaveDeadLock(dir(), 'l', 10 * leaseMs);
    const before = Date.now();
    await lock.request(async () => undefined, { signal: never() });
    expect(Date.now() - before).toBeLessThan(200);
    // Released: no lock file, no temporary file, no end claim left.
    expect(await readdir(dir())).toEqual([]);
  });

  it('takes over from a holder process killed with SIGKILL once its lease expires, not before', async () => {
    const leaseMs = 900;
    const holder = forkFixture('lock-holder.ts', [dir(), 'l', String(leaseMs)]);
    const held = await holder.next('held');
    await sleep(450);
    holder.process.kill('SIGKILL');
    await holder.exit();
    const path = join(dir(), 'l.lock');
    const { mtimeMs } = await stat(path);
    // The holder renewed its lease (every leaseMs / 3) while it lived.
    expect(mtimeMs).toBeGreaterThanOrEqual((held.at as number) + 250);

    const lock = new FileLock(dir(), 'l', { leaseMs });
    const acquiredAt = await lock.request(async () => Date.now(), { signal: never() });
    expect(acquiredAt).toBeGreaterThan(mtimeMs + leaseMs);
    expect(acquiredAt - (mtimeMs + leaseMs)).toBeLessThan(500);
  });

  it('tells the holder that took over from a dead holder (tookOver), once; a lock that was free or released is not a takeover', async () => {
    const leaseMs = 300;
    const lock = new FileLock(dir(), 'l', { leaseMs });
    const grant = () => lock.request(async ({ tookOver }) => tookOver, { signal: never() });
    expect(await grant()).toBe(false);
    await leaveDeadLock(dir(), 'l', 10 * leaseMs);
    expect(await grant()).toBe(true);
    expect(await grant()).toBe(false);
    // A holder that released it normally: no takeover either.
    const other = new FileLock(dir(), 'l', { leaseMs });
    await other.request(async () => undefined, { signal: never() });
    expect(await grant()).toBe(false);
    expect(await readdir(dir())).toEqual([]);
  });

  it('a holder whose event loop was blocked past its lease learns it at its first timer after, before any I/O', async () => {
    const leaseMs = 300;
    const onLost = vi.fn();
    const lock = new FileLock(dir(), 'l', { leaseMs, renewMs: 100, onLost });
    const seen = await lock.request(
      async ({ lost, held }) => {
        // A timer due after the renewal's: what a paused holder's own work does when it resumes.
        const resumed = new Promise<boolean>((resolve) => setTimeout(() => resolve(lost.aborted), 150));
        const before = held();
        const blockedUntil = Date.now() + leaseMs + 100;
        while (Date.now() < blockedUntil) {
          // A pause longer than the lease (bounded busy loop: SIGSTOP within one process).
        }
        // Asked before any timer ran: held() answers from the clock.
        const after = held();
        return { before, after, resumed: await resumed };
      },
      { signal: never() },
    );
    expect(seen).toEqual({ before: true, after: false, resumed: true });
    expect(onLost).toHaveBeenCalledOnce();
    expect(onLost.mock.calls[0]?.[0]).toBeInstanceOf(Error);
  });

  it('renewal keeps the lock for a task 4× longer than the lease: no takeover, no loss', async () => {
    const leaseMs = 300;
    const onLost = vi.fn();
    const holder = new FileLock(dir(), 'l', { leaseMs, onLost });
    const waiter = new FileLock(dir(), 'l', { leaseMs, minPollMs: 5, maxPollMs: 50 });
    const granted = deferred();
    let holderDoneAt = 0;
    const holding = holder.request(
      async ({ lost }) => {
        granted.resolve();
        await sleep(4 * leaseMs);
        holderDoneAt = Date.now();
        return lost.aborted;
      },
      { signal: never() },
    );
    await granted.promise;
    const waiterAt = await waiter.request(async () => Date.now(), { signal: never() });
    expect(await holding).toBe(false);
    expect(waiterAt).toBeGreaterThanOrEqual(holderDoneAt);
    expect(onLost).not.toHaveBeenCalled();
  });

  it.skipIf(process.platform !== 'linux')(
    'a holder paused past its lease (SIGSTOP) loses it to a waiter, notices on SIGCONT, and does not delete the new lock',
    async () => {
      const leaseMs = 600;
      const path = join(dir(), 'l.lock');
      const holder = forkFixture('lock-holder.ts', [dir(), 'l', String(leaseMs)]);
      await holder.next('held');
      holder.process.kill('SIGSTOP');
      await waitStopped(holder.pid);
      const { mtimeMs } = await stat(path);

      const onLost = vi.fn();
      const lock = new FileLock(dir(), 'l', { leaseMs, onLost });
      const acquired = deferred<number>();
      const release = deferred();
      const holding = lock.request(
        async ({ lost }) => {
          acquired.resolve(Date.now());
          await release.promise;
          return lost.aborted;
        },
        { signal: never() },
      );
      expect(await acquired.promise).toBeGreaterThan(mtimeMs + leaseMs);
      const mine = await readFile(path, 'utf8');

      holder.process.kill('SIGCONT');
      // Its next renewal finds another owner: onLost, and the task's signal.
      await holder.next('lost');
      await holder.next('lost-signal');
      holder.send('release');
      await holder.next('released');
      // Its release left the new owner's lock alone, which the new owner keeps renewing.
      expect(await readFile(path, 'utf8')).toBe(mine);
      await sleep(leaseMs);
      expect(await readFile(path, 'utf8')).toBe(mine);

      release.resolve();
      expect(await holding).toBe(false);
      expect(onLost).not.toHaveBeenCalled();
      expect(existsSync(path)).toBe(false);
    },
  );
});

describe('FileLock: stale takeover races', () => {
  it('8 waiters racing for one stale lock: exactly one holder at a time (20 rounds, one process)', async () => {
    for (let round = 0; round < 20; round++) {
      await leaveDeadLock(dir(), 'l', 5000);
      const locks = Array.from(
        { length: 8 },
        () => new FileLock(dir(), 'l', { leaseMs: 1000, minPollMs: 1 }),
      );
      let active = 0;
      let maxActive = 0;
      let runs = 0;
      await Promise.all(
        locks.map(async (lock) => {
          // Spread the starts over a few ms, so that some waiters read the stale lock while others already replace it.
          await sleep(Math.random() * 4);
          await lock.request(
            async () => {
              active++;
              maxActive = Math.max(maxActive, active);
              await sleep(3);
              active--;
              runs++;
            },
            { signal: never() },
          );
        }),
      );
      expect({ round, maxActive, runs }).toEqual({ round, maxActive: 1, runs: 8 });
    }
  });

  it('3 processes × 3 waiters racing for one stale lock: exactly one holder at a time', async () => {
    await leaveDeadLock(dir(), 'l', 5000);
    const racers = Array.from({ length: 3 }, () => forkFixture('lock-racer.ts', [dir(), 'l', '1000', '3']));
    await Promise.all(racers.map((racer) => racer.next('ready')));
    for (const racer of racers) racer.send('go');
    const results = await Promise.all(racers.map((racer) => racer.next('done')));
    expect(results.map(({ runs, violations }) => ({ runs, violations }))).toEqual([
      { runs: 3, violations: 0 },
      { runs: 3, violations: 0 },
      { runs: 3, violations: 0 },
    ]);
  });
});

describe('FileLock: waiting', () => {
  it('abort while waiting on a lock another process holds: rejects with the reason at once, leaves nothing', async () => {
    const holder = forkFixture('lock-holder.ts', [dir(), 'l', '5000']);
    await holder.next('held');
    const lock = new FileLock(dir(), 'l');
    const controller = new AbortController();
    let ran = false;
    const waiting = lock.request(
      async () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    await sleep(100);
    const reason = new Error('stop waiting');
    const abortedAt = performance.now();
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(100);
    expect(ran).toBe(false);
    // Only the holder's lock file: the waiter left no temporary file nor claim.
    expect(await readdir(dir())).toEqual(['l.lock']);
    holder.send('release');
    await holder.next('released');
    expect(await readdir(dir())).toEqual([]);
  });

  it('wakes on fs.watch when another process releases (polling set to seconds)', async () => {
    const holder = forkFixture('lock-holder.ts', [dir(), 'l', '10000']);
    await holder.next('held');
    const lock = new FileLock(dir(), 'l', { minPollMs: 5000, maxPollMs: 5000 });
    const waiting = lock.request(async () => Date.now(), { signal: never() });
    await sleep(200);
    const releasedAt = Date.now();
    holder.send('release');
    const acquiredAt = await waiting;
    // The first poll would come 2.5 s to 7.5 s after the first try.
    expect(acquiredAt - releasedAt).toBeLessThan(1000);
  });

  it('gives up after maxWaitMs with an Error naming the lock, and never runs the task', async () => {
    const holder = new FileLock(dir(), 'busy');
    const release = deferred();
    const granted = deferred();
    const holding = holder.request(
      async () => {
        granted.resolve();
        await release.promise;
      },
      { signal: never() },
    );
    await granted.promise;
    const started = Date.now();
    const task = vi.fn(async () => undefined);
    const waiter = new FileLock(dir(), 'busy', { maxWaitMs: 300 });
    await expect(waiter.request(task, { signal: never() })).rejects.toThrow(
      /Timed out after 300 ms .*busy\.lock/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(task).not.toHaveBeenCalled();
    release.resolve();
    await holding;
  });

  it('rejects with what the task threw and releases the lock; the lock file is 0600', async () => {
    const lock = new FileLock(dir(), 'l');
    const boom = new Error('boom');
    let mode = 0;
    await expect(
      lock.request(
        async () => {
          mode = (await stat(join(dir(), 'l.lock'))).mode & 0o777;
          throw boom;
        },
        { signal: never() },
      ),
    ).rejects.toBe(boom);
    expect(mode).toBe(0o600);
    expect(await readdir(dir())).toEqual([]);
  });
});
