import { describe, expect, it } from 'vitest';
import {
  chooseAdapters,
  createDefaultAdapters,
  detectFeatures,
  type Features,
} from '../src/adapters/defaults.js';
import { uniqueName } from './support.js';

const all: Features = {
  browser: true,
  webLocks: true,
  broadcastChannel: true,
  indexedDb: true,
  localStorage: true,
};

describe('default adapters', () => {
  it('detects Web Locks, BroadcastChannel, IndexedDB and localStorage in Chromium', () => {
    expect(detectFeatures()).toEqual(all);
  });

  it.each([
    [all, { lock: 'web-locks', channel: 'native', store: 'indexeddb' }],
    [
      { ...all, webLocks: false },
      { lock: 'lease', channel: 'native', store: 'indexeddb' },
    ],
    [
      { ...all, broadcastChannel: false },
      { lock: 'web-locks', channel: 'broadcast-channel:idb', store: 'indexeddb' },
    ],
    [
      { ...all, indexedDb: false },
      { lock: 'web-locks', channel: 'native', store: 'memory' },
    ],
    [
      { ...all, webLocks: false, indexedDb: false },
      { lock: 'memory', channel: 'native', store: 'memory' },
    ],
    [
      { ...all, broadcastChannel: false, indexedDb: false },
      { lock: 'web-locks', channel: 'broadcast-channel:localstorage', store: 'memory' },
    ],
    [
      { ...all, browser: false },
      { lock: 'memory', channel: 'memory', store: 'memory' },
    ],
  ] as const)('%o → %o', (features, choice) => {
    expect(chooseAdapters(features)).toEqual(choice);
  });

  it('the default adapters work end to end in the browser (lazy creation)', async () => {
    const name = uniqueName('defaults');
    const a = createDefaultAdapters(name);
    const b = createDefaultAdapters(name);
    const got: unknown[] = [];
    b.channel.subscribe((message) => got.push(message));
    a.channel.post({ type: 'logout', generation: 1, tabId: 'a', reason: 'logout' });
    await a.store.update(() => ({ generation: 1, token: null }));
    expect(await b.store.get()).toEqual({ generation: 1, token: null });
    await expect(b.lock.request(async () => 'ok', { signal: AbortSignal.timeout(2000) })).resolves.toBe('ok');
    await expect.poll(() => got).toHaveLength(1);
    a.channel.close();
    b.channel.close();
  });
});
