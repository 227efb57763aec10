import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Store, TokenRecord } from '../core/types.js';
import { CredentialsFileError } from '../errors/credentials-file-error.js';
import { FileLock, type FileLockOptions } from './file-lock.js';
import { invalidField } from './record-fields.js';
import { errorCode } from './watch.js';

export interface FileStoreOptions {
  /**
  Options of the short write lock `<fileName>.lock` taken by each `update()` (only for the read, the
  updater and the write: milliseconds). A process that dies in the middle frees it after `leaseMs`.
  @default { leaseMs: 2000, maxWaitMs: 10_000 }
  */
  lock?: FileLockOptions;
}

/** The key of the envelope the record is stored under, and its version. */
const ENVELOPE = 'ky-token-refresh';
const VERSION = 1;

/** The record in the file's text, or a `CredentialsFileError` (never quoting the text: it may hold tokens). */
const parseCredentials = (text: string, path: string): TokenRecord => {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not the SyntaxError as `cause`: its message quotes the text.
    throw new CredentialsFileError('corrupt', path);
  }
  if (typeof data !== 'object' || data === null || !(ENVELOPE in data)) {
    throw new CredentialsFileError('foreign', path, `no "${ENVELOPE}" envelope`);
  }
  const envelope = data as Record<string, unknown>;
  if (envelope[ENVELOPE] !== VERSION) {
    throw new CredentialsFileError('foreign', path, `unsupported "${ENVELOPE}" version`);
  }
  const field = invalidField(envelope.record);
  if (field) throw new CredentialsFileError('foreign', path, `invalid field "${field}"`);
  return envelope.record as TokenRecord;
};

/** Make a rename in `directory` durable. Best effort: some platforms cannot open or sync a directory. */
const syncDirectory = async (directory: string): Promise<void> => {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM/EINVAL on Windows and some file systems: the rename itself is atomic anyway.
  } finally {
    await handle?.close().catch(() => undefined);
  }
};

/**
The Store shared by the processes of one machine: the record in a JSON file, the "credentials file"
(`<directory>/<fileName>`, mode 0600; `directory` is created with mode 0700 when missing), under an envelope
that says this package wrote it: `{ "ky-token-refresh": 1, "record": { … } }`.

- `get()` reads the file without a lock: every write replaces it atomically, so a reader sees the old or the
  new record, never a mix. A missing file is `undefined`.
- `update(updater)` is an atomic read-modify-write across processes: it takes the short write lock
  `<fileName>.lock` (a {@link FileLock}), reads the file, runs `updater`, writes the new record to a
  temporary file in the same directory (mode 0600), fsyncs it, renames it over the file and fsyncs the
  directory. Updates of one `FileStore` also queue in memory, one at a time.
- A file that is not JSON (`corrupt`), not a record this package wrote (`foreign`: no envelope, another
  version, or a field of the wrong type) or that cannot be read (`unreadable`) makes `get()` and `update()`
  reject with a {@link CredentialsFileError}, and `update()` never overwrites it. A write that fails
  (permissions, read-only or full file system) rejects with `reason: 'unwritable'`: the old file is intact and
  the temporary file removed.
- Neither the errors nor their messages quote the file: they carry its path.
*/
export class FileStore implements Store {
  readonly #directory: string;
  readonly #path: string;
  readonly #lock: FileLock;
  #queue: Promise<unknown> = Promise.resolve();

  /**
  @param directory Where the credentials file lives.
  @param fileName The credentials file's name, in `directory`.
  */
  constructor(directory: string, fileName = 'credentials.json', options: FileStoreOptions = {}) {
    this.#path = resolve(directory, fileName);
    this.#directory = dirname(this.#path);
    this.#lock = new FileLock(this.#directory, basename(this.#path), {
      leaseMs: 2000,
      maxWaitMs: 10_000,
      ...options.lock,
    });
  }

  /** Absolute path of the credentials file. */
  get path(): string {
    return this.#path;
  }

  async get(): Promise<TokenRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw new CredentialsFileError('unreadable', this.#path, errorCode(error), { cause: error });
    }
    return parseCredentials(text, this.#path);
  }

  update(updater: (current: TokenRecord | undefined) => TokenRecord): Promise<TokenRecord> {
    const run = this.#queue.then(() => this.#update(updater));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #update(updater: (current: TokenRecord | undefined) => TokenRecord): Promise<TokenRecord> {
    try {
      await mkdir(this.#directory, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new CredentialsFileError('unwritable', this.#path, errorCode(error), { cause: error });
    }
    let started = false;
    try {
      return await this.#lock.request(
        async () => {
          started = true;
          const next = updater(await this.get());
          const field = invalidField(next);
          if (field) throw new TypeError(`The store updater returned an invalid record (field "${field}").`);
          await this.#write(next);
          return next;
        },
        { signal: new AbortController().signal },
      );
    } catch (error) {
      // The write lock could not be taken because the directory cannot be written to.
      if (!started && errorCode(error) !== undefined) {
        throw new CredentialsFileError('unwritable', this.#path, errorCode(error), { cause: error });
      }
      throw error;
    }
  }

  /** Replace the file with `record`, atomically and durably; on failure the old file stays. */
  async #write(record: TokenRecord): Promise<void> {
    const text = `${JSON.stringify({ [ENVELOPE]: VERSION, record }, null, 2)}\n`;
    const temp = join(this.#directory, `.${basename(this.#path)}.${randomUUID()}.tmp`);
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, 'wx', 0o600);
      await handle.writeFile(text);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, this.#path);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw new CredentialsFileError('unwritable', this.#path, errorCode(error), { cause: error });
    }
    await syncDirectory(this.#directory);
  }
}
