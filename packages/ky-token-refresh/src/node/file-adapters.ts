import type { Adapters } from '../core/types.js';
import { FileChannel, type FileChannelOptions } from './file-channel.js';
import { FileLock, type FileLockOptions } from './file-lock.js';
import { FileStore, type FileStoreOptions } from './file-store.js';

export {
  CredentialsFileError,
  type CredentialsFileErrorReason,
  isCredentialsFileError,
} from '../errors/credentials-file-error.js';
export { FileChannel, type FileChannelOptions } from './file-channel.js';
export { FileLock, type FileLockOptions } from './file-lock.js';
export { FileStore, type FileStoreOptions } from './file-store.js';

export interface FileAdaptersOptions {
  /**
  Names the refresh lock file `<name>.lock` and the channel directory `<name>.channel`. Processes share the
  adapters when they use the same directory and name.
  @default 'ky-token-refresh'
  */
  name?: string;
  /** The credentials file's name, in the directory. @default 'credentials.json' */
  fileName?: string;
  /** Options of the refresh lock (see {@link FileLock}). */
  lock?: FileLockOptions;
  /** Options of the credentials file (see {@link FileStore}). */
  store?: FileStoreOptions;
  /** Options of the channel (see {@link FileChannel}). */
  channel?: FileChannelOptions;
}

/**
The three adapters for Node processes of one machine that share `directory` (a CLI and its helpers, workers
of a server, several scripts run side by side): pass them as `crossTab` adapters. In `directory` (created with
mode 0700 when missing): the refresh lock `<name>.lock` ({@link FileLock}), the credentials file
`credentials.json` ({@link FileStore}, mode 0600, with its write lock `credentials.json.lock`) and the
channel directory `<name>.channel/` ({@link FileChannel}, which never carries tokens).

Creates the directory synchronously (the channel needs it), and throws if it cannot.
*/
export const createFileAdapters = (directory: string, options: FileAdaptersOptions = {}): Adapters => {
  const name = options.name ?? 'ky-token-refresh';
  return {
    lock: new FileLock(directory, name, options.lock),
    store: new FileStore(directory, options.fileName ?? 'credentials.json', options.store),
    channel: new FileChannel(directory, name, options.channel),
  };
};
