import { type FSWatcher, watch } from 'node:fs';
import { report } from '../core/report.js';

/** Told the name of each entry of the directory that was created, removed, renamed or changed (`null`: unknown). */
export type DirectoryListener = (eventType: string, filename: string | null) => void;

interface Watched {
  readonly watcher: FSWatcher;
  readonly listeners: Set<DirectoryListener>;
}

const watched = new Map<string, Watched>();

/**
Listen to the changes of the entries of `directory` (not recursive), through one `fs.watch` per directory
shared by every listener of the process. The watcher does not keep the process alive. Best effort: when
`fs.watch` is unavailable or fails, nothing is reported and the callers' polling does the work, so every
caller must also poll (a lost event costs at most its polling interval). Returns the function that stops
listening.
*/
export const watchDirectory = (directory: string, listener: DirectoryListener): (() => void) => {
  let entry = watched.get(directory);
  if (!entry) {
    const listeners = new Set<DirectoryListener>();
    try {
      const watcher = watch(directory, { persistent: false }, (eventType, filename) => {
        for (const each of [...listeners]) {
          try {
            each(eventType, filename === null ? null : String(filename));
          } catch (error) {
            report(error);
          }
        }
      });
      const created: Watched = { watcher, listeners };
      // The directory was removed, or the watch broke: stop it; the listeners keep polling.
      watcher.on('error', () => {
        watcher.close();
        if (watched.get(directory) === created) watched.delete(directory);
      });
      entry = created;
      watched.set(directory, entry);
    } catch {
      // No watch (missing directory, no inotify instance left, unsupported file system): polling only.
      return () => undefined;
    }
  }
  const current = entry;
  current.listeners.add(listener);
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size === 0) {
      current.watcher.close();
      if (watched.get(directory) === current) watched.delete(directory);
    }
  };
};

/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`…), if it has one. */
export const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
