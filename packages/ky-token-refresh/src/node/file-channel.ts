import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { deliver, type Listener } from '../adapters/deliver.js';
import { report } from '../core/report.js';
import type { Channel, ChannelMessage } from '../core/types.js';
import { watchDirectory } from './watch.js';
import { withoutToken as redact } from './without-token.js';

export interface FileChannelOptions {
  /**
  How often the channel directory is read again when `fs.watch` said nothing: what a lost (or unsupported)
  watch event costs at most.
  @default 500
  */
  pollMs?: number;
  /**
  How long a message file stays in the channel directory: every instance deletes the message files older
  than this when it reads the directory. An instance that could not read the directory for longer (a paused
  process) misses those messages.
  @default 5000
  */
  ttlMs?: number;
}

/** `<15-digit ms timestamp>-<10-digit sequence>-<sender id>.json`: sorts by time, then by one sender's order. */
const MESSAGE = /^(\d{15})-(\d{10})-([0-9a-f]{32})\.json$/;
const TEMP = /^\..*\.tmp$/;

/**
A Channel between the processes (and the instances within a process) of one machine that share `directory`
and `name`, through the directory `<directory>/<name>.channel` (mode 0700, created when missing).

- `post()` writes the message as a small JSON file (mode 0600), atomically: a temporary file renamed to
  `<time>-<sequence>-<sender id>.json`. One instance writes its messages one after the other, in order.
- Every other instance, in this process or another, reads the new files when `fs.watch` reports them, and
  every `pollMs` in any case (a lost event costs at most that long); it hands them to its listeners in name
  order, which keeps each sender's order. Files of its own are skipped: nothing is delivered back to the
  sender. Messages are delivered as they were parsed, malformed ones included (the coordinator validates
  them); a listener that throws is reported (`reportError`) and does not stop the others. Files that were
  in the directory when the instance was created are not delivered to it.
- Message files older than `ttlMs` are deleted by whichever instance reads the directory next (so are
  temporary files left by a process that died between writing and renaming).
- **Tokens never travel through the channel directory**: a `'token'` message is written without its `token`
  field, so receivers re-read the store (which the coordinator does when `token` is absent). `'ask'`
  messages, which carry no token, are written as they are. So `persistToken: false` (a token kept out of the
  store, shared only through the channel) cannot work across processes with this channel.

The constructor creates the directory synchronously (and throws if it cannot). `close()` stops watching and
delivering; messages posted before it are still written. The watcher and the polling timer do not keep the
process alive.
*/
export class FileChannel implements Channel {
  readonly #directory: string;
  readonly #id = randomUUID().replaceAll('-', '');
  readonly #ttlMs: number;
  readonly #listeners = new Set<Listener>();
  /** Entries already delivered or skipped (forgotten once they leave the directory). */
  readonly #seen = new Set<string>();
  readonly #unwatch: () => void;
  readonly #poll: ReturnType<typeof setInterval>;
  #sequence = 0;
  #lastTime = 0;
  #writes: Promise<void> = Promise.resolve();
  #scanning = false;
  #scanAgain = false;
  #closed = false;

  /**
  @param directory The shared directory; the messages go to its subdirectory `<name>.channel`.
  @param name The channel's name: instances with the same directory and name hear each other.
  */
  constructor(directory: string, name: string, options: FileChannelOptions = {}) {
    this.#directory = resolve(directory, `${name}.channel`);
    this.#ttlMs = options.ttlMs ?? 5000;
    mkdirSync(this.#directory, { recursive: true, mode: 0o700 });
    for (const entry of readdirSync(this.#directory)) this.#seen.add(entry);
    this.#unwatch = watchDirectory(this.#directory, (_eventType, filename) => {
      if (filename === null || MESSAGE.test(filename)) this.#scan();
    });
    this.#poll = setInterval(() => this.#scan(), options.pollMs ?? 500);
    this.#poll.unref();
  }

  /** Absolute path of the channel directory. */
  get directory(): string {
    return this.#directory;
  }

  post(message: ChannelMessage): void {
    if (this.#closed) return;
    let text: string | undefined;
    try {
      text = JSON.stringify(redact(message));
    } catch (error) {
      // A value that cannot be serialised: a lost message, never a thrown one.
      report(error);
      return;
    }
    if (text === undefined) return;
    const time = Math.max(Date.now(), this.#lastTime);
    this.#lastTime = time;
    this.#sequence++;
    const name = `${String(time).padStart(15, '0')}-${String(this.#sequence).padStart(10, '0')}-${this.#id}.json`;
    const body = text;
    this.#writes = this.#writes.then(() => this.#write(name, body)).catch(report);
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#unwatch();
    clearInterval(this.#poll);
  }

  async #write(name: string, text: string): Promise<void> {
    const temp = join(this.#directory, `.${name}.tmp`);
    try {
      await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
      await rename(temp, join(this.#directory, name));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  /** Read the directory (one pass at a time; a request during a pass makes one more pass after it). */
  #scan(): void {
    if (this.#closed) return;
    if (this.#scanning) {
      this.#scanAgain = true;
      return;
    }
    this.#scanning = true;
    this.#scanOnce()
      .catch(() => undefined)
      .finally(() => {
        this.#scanning = false;
        if (this.#scanAgain) {
          this.#scanAgain = false;
          this.#scan();
        }
      });
  }

  async #scanOnce(): Promise<void> {
    const entries = await readdir(this.#directory);
    const fresh = entries.filter((entry) => !this.#seen.has(entry) && MESSAGE.test(entry)).sort();
    for (const entry of fresh) this.#seen.add(entry);
    const bodies = await Promise.all(
      fresh.map((entry) =>
        entry.includes(this.#id)
          ? undefined
          : readFile(join(this.#directory, entry), 'utf8').catch(() => undefined),
      ),
    );
    for (const body of bodies) {
      if (this.#closed) return;
      if (body === undefined) continue;
      let message: unknown;
      try {
        message = JSON.parse(body);
      } catch {
        // Not written by a FileChannel (which renames complete files into place): not a message.
        continue;
      }
      deliver(this.#listeners, message);
    }

    const present = new Set(entries);
    for (const entry of this.#seen) if (!present.has(entry)) this.#seen.delete(entry);
    await this.#collect(entries);
  }

  /** Delete the message files older than `ttlMs`, and temporary files as old (a writer died). */
  async #collect(entries: string[]): Promise<void> {
    const now = Date.now();
    for (const entry of entries) {
      const path = join(this.#directory, entry);
      const time = MESSAGE.exec(entry)?.[1];
      if (time !== undefined) {
        if (now - Number(time) > this.#ttlMs) await unlink(path).catch(() => undefined);
      } else if (TEMP.test(entry)) {
        const info = await stat(path).catch(() => undefined);
        if (info && now - info.mtimeMs > this.#ttlMs) await unlink(path).catch(() => undefined);
      }
    }
  }
}
