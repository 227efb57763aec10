import { randomUUID } from 'node:crypto';
import {
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { callSafely } from '../core/report.js';
import type { Lock, LockGrant } from '../core/types.js';
import { errorCode, watchDirectory } from './watch.js';

export interface FileLockOptions {
  /**
  How long the lease lasts without renewal: a holder that dies (or is paused) frees the lock this long after
  its last renewal, never sooner. Keep it well above the file system's mtime granularity.
  @default 10_000
  */
  leaseMs?: number;
  /**
  How often the holder renews its lease (and checks it still owns the lock) while the task runs.
  @default a third of `leaseMs`
  */
  renewMs?: number;
  /**
  First delay between attempts while the lock is taken; doubles (jittered ±50%) up to `maxPollMs`. Waiters
  are woken at once by `fs.watch` when the lock file is removed, so polling only covers a lost event and the
  expiry of a dead holder's lease.
  @default 10
  */
  minPollMs?: number;
  /** Longest delay between attempts: what a lost `fs.watch` event costs at most. @default 500 */
  maxPollMs?: number;
  /** Upper bound on waiting, whatever the signal: rejects with an Error naming the lock after this long. @default 60_000 */
  maxWaitMs?: number;
  /**
  Called when a holder finds, while its task runs, that it no longer owns the lock: its renewal found another
  owner (or no lock), or could not renew within `leaseMs` (it was paused past its lease, SIGSTOP, a blocked
  event loop). The task keeps running (it cannot be stopped from outside); it also gets an `AbortSignal`,
  aborted with the same error. The lock is not deleted on release then.
  */
  onLost?: (error: Error) => void;
}

/** The lock file as this process reads it. */
interface Seen {
  /** The owner's id, or an id made of the inode for a lock file that is not ours (unreadable content). */
  readonly owner: string;
  readonly mtimeMs: number;
}

/** A lock this process holds. */
interface Held {
  readonly owner: string;
  /** Open on the lock file's inode: renewals touch only our own inode, wherever the path points now. */
  readonly handle: FileHandle;
  readonly ino: bigint;
  readonly dev: bigint;
  /** The mtime it was taken with: the lease runs from there. */
  readonly at: number;
}

type Attempt = Held | { readonly retry: 'now' } | { readonly retry: 'later'; readonly staleAt?: number };

const OWNER = /^[0-9a-f-]{1,64}$/;

/**
An exclusive lock between the processes (and the instances within a process) of one machine that share
`directory` and `name`: a lease held in the lock file `<directory>/<name>.lock` (mode 0600; `directory` is
created with mode 0700 when missing).

- **Taking it**: a waiter writes `{ owner, pid, hostname }` (its random owner id) to a temporary file, sets
  its mtime to now, and `link()`s it to the lock path: atomic, fails with `EEXIST` while someone holds it,
  and the lock file appears with its content complete.
- **Lease**: the lock file's mtime. The holder renews it every `renewMs` (`futimes` on its own open file
  handle, so it never touches another owner's file) and checks at each renewal that the path still points to
  its inode; if not (or if it could not renew within `leaseMs`) it has lost the lock: `onLost` and the
  task's signal tell it. The lock is stale once `Date.now() - mtime > leaseMs`.
- **Race-safe takeover and release**: the lock file of owner X is only ever unlinked by whoever holds X's
  end claim, the directory `<name>.lock.<X>.end0` created with `mkdir` (exclusive), after re-reading under
  the claim that the lock still belongs to X (and, for a takeover, that it is still stale). Owner ids are
  random and never reused, so once X's lock is gone nothing with owner X reappears: a second waiter that
  also saw X stale, and gets the claim late, finds another owner under it and removes nothing, which is how a
  freshly re-taken lock is never removed (proper-lockfile's rmdir-then-mkdir lets the second waiter delete
  the first one's fresh lock). The holder's own release goes through the same claim and re-read, so a holder
  that lost its lease never deletes the new owner's lock. A claim older than `leaseMs` (its maker died in
  the microseconds it holds it) is not removed, it is superseded by the next level (`end1`, `end2`…, each
  exclusive too).
- **Waiting**: no busy-wait. Waiters wake on `fs.watch` of `directory` (the lock file removed or created),
  and otherwise retry after a jittered exponential backoff from `minPollMs` to `maxPollMs`, or when the
  current lease expires if that is sooner. `signal` aborts the wait at once (rejects with `signal.reason`,
  the task never runs, a lock taken meanwhile is released); `maxWaitMs` bounds it.

Residual windows, inherent to leases on a file system: a holder paused (SIGSTOP, swap, a blocked event loop)
for longer than `leaseMs` is taken over while its task may still run, until its next renewal notices it
(hence `onLost`); a claimant paused for longer than `leaseMs` between its re-read and its `unlink` can
remove the lock that a later claimant re-took meanwhile. The lease is wall-clock time (mtime against
`Date.now()`): a clock step of more than `leaseMs` can free or prolong it. File systems without hard links
(FAT) are not supported.

Why not proper-lockfile: it cannot be aborted (no AbortSignal; it retries on timers and cannot be woken by
`fs.watch`), its stale takeover (rmdir then mkdir by path) and its unlock (rmdir by path) can remove another
owner's fresh lock (a lost lease is only detected afterwards, by default by throwing), and it imposes
leases of at least 2 s and three CommonJS dependencies (graceful-fs, retry, signal-exit).
*/
export class FileLock implements Lock {
  readonly #directory: string;
  readonly #base: string;
  readonly #path: string;
  /** Left by whoever removes a stale lock, taken away by the next holder: `tookOver`. */
  readonly #orphaned: string;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #minPollMs: number;
  readonly #maxPollMs: number;
  readonly #maxWaitMs: number;
  readonly #onLost: ((error: Error) => void) | undefined;

  /**
  @param directory Where the lock file lives (created with mode 0700 when missing).
  @param name The lock's name: every `FileLock` with the same directory and name excludes the others. Must
  be a valid file name.
  */
  constructor(directory: string, name: string, options: FileLockOptions = {}) {
    this.#directory = resolve(directory);
    this.#base = `${name}.lock`;
    this.#path = join(this.#directory, this.#base);
    this.#orphaned = `${this.#path}.orphaned`;
    this.#leaseMs = options.leaseMs ?? 10_000;
    this.#renewMs = options.renewMs ?? Math.max(1, Math.floor(this.#leaseMs / 3));
    this.#minPollMs = options.minPollMs ?? 10;
    this.#maxPollMs = Math.max(this.#minPollMs, options.maxPollMs ?? 500);
    this.#maxWaitMs = options.maxWaitMs ?? 60_000;
    this.#onLost = options.onLost;
  }

  /** Absolute path of the lock file. */
  get path(): string {
    return this.#path;
  }

  /**
  Run `task` while holding the lock and resolve with its result; release the lock when it settles (and reject
  with what it threw). `task` receives `lost`, a signal that aborts if the lease is lost while it runs, and
  `tookOver`, whether this holder got the lock after the lease of a holder that died (or stalled) ran out.
  */
  async request<T>(
    task: (grant: Required<LockGrant>) => Promise<T>,
    { signal }: { signal: AbortSignal },
  ): Promise<T> {
    if (signal.aborted) throw signal.reason;
    await mkdir(this.#directory, { recursive: true, mode: 0o700 });
    const mine = await this.#acquire(randomUUID(), signal);
    const tookOver = await unlink(this.#orphaned).then(
      () => true,
      () => false,
    );

    const lost = new AbortController();
    let done = false;
    let lastRenewal = mine.at;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loseIt = (why: string) => {
      if (done || lost.signal.aborted) return;
      const error = new Error(`Lost the file lock ${this.#path}: ${why}.`);
      lost.abort(error);
      if (this.#onLost) callSafely(this.#onLost, error);
    };
    // Resumed after a pause (SIGSTOP, a blocked event loop) longer than the lease: lost, whatever the lock
    // file says now (another process may have taken it). Told before any I/O.
    const held = () => {
      if (Date.now() - lastRenewal > this.#leaseMs)
        loseIt(`it was not renewed for longer than its lease (${this.#leaseMs} ms)`);
      return !done && !lost.signal.aborted;
    };
    const renew = async () => {
      if (!held()) return;
      try {
        const current = await stat(this.#path, { bigint: true });
        if (done) return;
        if (current.ino !== mine.ino || current.dev !== mine.dev) return loseIt('another owner holds it');
        const now = new Date();
        await mine.handle.utimes(now, now);
        lastRenewal = now.getTime();
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return loseIt('its lock file was removed');
        // A transient failure: try again at the next renewal, unless the lease may have run out.
        if (Date.now() - lastRenewal > this.#leaseMs)
          return loseIt(`could not renew it within ${this.#leaseMs} ms`);
      }
      if (!done) schedule();
    };
    const schedule = () => {
      timer = setTimeout(() => void renew(), this.#renewMs);
      timer.unref();
    };
    schedule();
    try {
      return await task({ lost: lost.signal, held, tookOver });
    } finally {
      done = true;
      clearTimeout(timer);
      await this.#release(mine.owner).catch(() => undefined);
      await mine.handle.close().catch(() => undefined);
    }
  }

  /** Wait for the lock: resolves holding it, rejects with `signal.reason` or after `maxWaitMs`. */
  #acquire(owner: string, signal: AbortSignal): Promise<Held> {
    return new Promise<Held>((resolvePromise, reject) => {
      const deadline = Date.now() + this.#maxWaitMs;
      let settled = false;
      let changed = false;
      let wake: (() => void) | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => finish(() => reject(signal.reason));
      const unwatch = watchDirectory(this.#directory, (eventType, filename) => {
        // Only the lock file appearing or going away matters (not renewals, temporary files or claims).
        if (filename !== null && (filename !== this.#base || eventType !== 'rename')) return;
        changed = true;
        wake?.();
      });
      signal.addEventListener('abort', onAbort, { once: true });
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        unwatch();
        signal.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        wake?.();
        settle();
      };
      const pause = (ms: number) =>
        new Promise<void>((done) => {
          if (changed || settled) return done();
          wake = () => {
            wake = undefined;
            clearTimeout(timer);
            done();
          };
          timer = setTimeout(wake, ms);
        });

      const attempts = async () => {
        let delay = this.#minPollMs;
        let immediate = 0;
        while (!settled) {
          changed = false;
          const attempt = await this.#attempt(owner);
          if ('handle' in attempt) {
            // Aborted (or timed out) while the attempt ran: give the lock back at once.
            if (settled) return this.#release(owner).finally(() => attempt.handle.close());
            return finish(() => resolvePromise(attempt));
          }
          const now = Date.now();
          if (now >= deadline) {
            return finish(() =>
              reject(
                new Error(`Timed out after ${this.#maxWaitMs} ms waiting for the file lock ${this.#path}.`),
              ),
            );
          }
          // The lock went away (or a stale one was removed) under us: try again now, a few times in a row.
          if (attempt.retry === 'now' && ++immediate <= 3) continue;
          immediate = 0;
          const backoff = delay * (0.5 + Math.random());
          const untilStale =
            attempt.retry === 'later' && attempt.staleAt ? attempt.staleAt - now + 1 : backoff;
          await pause(Math.max(0, Math.min(backoff, untilStale, deadline - now)));
          delay = Math.min(this.#maxPollMs, delay * 2);
        }
      };
      attempts().catch((error: unknown) => finish(() => reject(error)));
    });
  }

  /** One try: take the lock if it is free; remove it if it is stale (then try again at once). */
  async #attempt(owner: string): Promise<Attempt> {
    const temp = `${this.#path}.${owner}.tmp`;
    const handle = await open(temp, 'wx', 0o600);
    let linked = false;
    const now = new Date();
    try {
      await handle.writeFile(JSON.stringify({ owner, pid: process.pid, hostname: hostname() }));
      await handle.utimes(now, now);
      try {
        await link(temp, this.#path);
        linked = true;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
    } finally {
      await unlink(temp).catch(() => undefined);
      if (!linked) await handle.close().catch(() => undefined);
    }
    if (linked) {
      const own = await handle.stat({ bigint: true });
      return { owner, handle, ino: own.ino, dev: own.dev, at: now.getTime() };
    }

    const current = await this.#read();
    if (!current) return { retry: 'now' };
    if (!this.#isStale(current)) return { retry: 'later', staleAt: current.mtimeMs + this.#leaseMs };
    // A dead (or paused) holder: end its lock, if nobody else is doing it, then try again.
    const removed = await this.#end(current.owner, true);
    if (removed) void this.#sweep();
    return removed ? { retry: 'now' } : { retry: 'later' };
  }

  #isStale(seen: Seen): boolean {
    return Date.now() - seen.mtimeMs > this.#leaseMs;
  }

  /** The lock file's owner and mtime, read through one file handle (`undefined`: no lock file). */
  async #read(): Promise<Seen | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.#path, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const info = await handle.stat({ bigint: true });
      let owner: unknown;
      try {
        owner = (JSON.parse(await handle.readFile('utf8')) as { owner?: unknown } | null)?.owner;
      } catch {
        // Not a lock file we wrote: identified by its inode below.
      }
      return {
        owner: typeof owner === 'string' && OWNER.test(owner) ? owner : `inode-${info.dev}-${info.ino}`,
        mtimeMs: Number(info.mtimeMs),
      };
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
  Unlink the lock file if it (still) belongs to `owner` (and, with `onlyIfStale`, is still stale), holding
  `owner`'s end claim. `true` when this call removed it.
  */
  async #end(owner: string, onlyIfStale: boolean): Promise<boolean> {
    const claim = await this.#claim(owner);
    if (!claim) return false;
    try {
      const current = await this.#read();
      if (current?.owner !== owner || (onlyIfStale && !this.#isStale(current))) return false;
      // Taking over from a dead (or stalled) holder: its work has an unknown outcome; the next holder is told.
      if (onlyIfStale) await writeFile(this.#orphaned, '', { mode: 0o600 });
      await unlink(this.#path);
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    } finally {
      await rmdir(claim).catch(() => undefined);
    }
  }

  /**
  Make `owner`'s end claim: the first level that does not exist yet, stepping over the levels older than
  `leaseMs` (their makers died). `undefined` when someone else holds a live one.
  */
  async #claim(owner: string): Promise<string | undefined> {
    for (let level = 0; level < 16; level++) {
      const claim = `${this.#path}.${owner}.end${level}`;
      try {
        await mkdir(claim, { mode: 0o700 });
        return claim;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const made = await stat(claim).catch(() => undefined);
      if (!made || Date.now() - made.mtimeMs <= this.#leaseMs) return undefined;
    }
    return undefined;
  }

  /** Give the lock of `owner` back, unless it was lost: never removes another owner's lock. */
  async #release(owner: string): Promise<void> {
    // Someone may hold our end claim: a waiter that saw our lease expire. Wait a little for it to finish.
    for (let tries = 0; tries < 20; tries++) {
      const current = await this.#read();
      if (current?.owner !== owner) return;
      const claim = await this.#claim(owner);
      if (claim) {
        try {
          const again = await this.#read();
          if (again?.owner === owner) await unlink(this.#path).catch(() => undefined);
        } finally {
          await rmdir(claim).catch(() => undefined);
        }
        return;
      }
      await new Promise((done) => setTimeout(done, this.#minPollMs));
    }
  }

  /**
  After a takeover (someone died): remove the leftovers of dead processes, temporary files and end claims
  older than `leaseMs`, except the claims on the current lock (they may still be stepped over).
  */
  async #sweep(): Promise<void> {
    try {
      const current = await this.#read();
      const prefix = `${this.#base}.`;
      for (const entry of await readdir(this.#directory)) {
        if (!entry.startsWith(prefix)) continue;
        const isTemp = entry.endsWith('.tmp');
        const isClaim = /\.end\d+$/.test(entry);
        if (!isTemp && !isClaim) continue;
        if (isClaim && current && entry.startsWith(`${prefix}${current.owner}.end`)) continue;
        const path = join(this.#directory, entry);
        const info = await stat(path).catch(() => undefined);
        if (!info || Date.now() - info.mtimeMs <= this.#leaseMs) continue;
        await (isClaim ? rmdir(path) : unlink(path)).catch(() => undefined);
      }
    } catch {
      // Leftovers cost a few bytes; the next takeover sweeps again.
    }
  }
}
