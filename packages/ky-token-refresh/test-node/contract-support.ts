/**
Stands in for test-browser/support.ts when the browser contract suites (test-browser/{lock,channel,store}
.test.ts) run in Node against the file adapters (vitest.node-contract.config.ts aliases it). Each
`create(name)` is one more instance on the directory `<tmpRoot>/<name>`: a separate object, so the suites go
through the files (and `fs.watch`), not through shared memory. The temporary root is removed after the file.
*/
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FileChannel } from '../src/node/file-channel.js';
import { FileLock } from '../src/node/file-lock.js';
import { FileStore } from '../src/node/file-store.js';
import type { ChannelTransport, LockTransport, StoreTransport } from '../test-browser/support.js';

export const uniqueName = (label: string): string => `${label}-${Math.random().toString(36).slice(2, 10)}`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const tmpRoot = mkdtempSync(join(tmpdir(), 'ky-token-refresh-contract-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

const at = (name: string): string => join(tmpRoot, name);

export const lockTransports: LockTransport[] = [
  { label: 'file lock (lease in a lock file)', create: (name) => new FileLock(at(name), 'lock') },
];

export const channelTransports: ChannelTransport[] = [
  {
    label: 'file channel (message files, fs.watch + polling)',
    create: (name) => new FileChannel(at(name), 'channel'),
    ready: async () => undefined,
    isolatesListenerErrors: true,
    // By design: a 'token' message is written without its token.
    redactsTokens: true,
  },
];

// No `writeRaw`: the "malformed stored value reads as empty" case does not apply. A credentials file this
// package did not write is an error (CredentialsFileError), never read as empty nor overwritten; see
// test-node/file-store.test.ts.
export const storeTransports: StoreTransport[] = [
  { label: 'file store (credentials file)', create: (name) => new FileStore(at(name), 'credentials.json') },
];
