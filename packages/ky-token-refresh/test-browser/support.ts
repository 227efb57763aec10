import { createStore, set } from 'idb-keyval';
import { FallbackChannel, NativeChannel } from '../src/adapters/channel.js';
import { IdbStore } from '../src/adapters/idb-store.js';
import { LeaseLock } from '../src/adapters/lease-lock.js';
import { createMemoryAdapters } from '../src/adapters/memory.js';
import { WebLock } from '../src/adapters/web-lock.js';
import type { Channel, Lock, Store } from '../src/core/types.js';

/** A fresh name per test, so no test sees another's lock, channel or database. */
export const uniqueName = (label: string): string => `${label}-${Math.random().toString(36).slice(2, 10)}`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
One transport under test. `create(name)` returns what one more tab (or instance) would get for `name`: a
separate object where the transport allows it, so the suite exercises the real cross-instance path.
*/
export interface LockTransport {
  label: string;
  create(name: string): Lock;
}

export interface ChannelTransport {
  label: string;
  create(name: string): Channel;
  /** Resolves when `channel` can send and receive (the fallback loads its package first). */
  ready(channel: Channel): Promise<void>;
  /** Whether a throwing listener is isolated (reported, not thrown into the transport). */
  isolatesListenerErrors: boolean;
  /**
  Whether a `'token'` message arrives without its `token` (the Node file channel never writes tokens to its
  directory; receivers read the store instead). Everything else about the message must arrive unchanged.
  */
  redactsTokens?: boolean;
}

export interface StoreTransport {
  label: string;
  create(name: string): Store;
  /** Put a raw value in the backing storage, if the transport has one (for malformed-data tests). */
  writeRaw?(name: string, value: unknown): Promise<void>;
}

export const lockTransports: LockTransport[] = [
  { label: 'Web Locks', create: (name) => new WebLock(name) },
  { label: 'IndexedDB lease lock', create: (name) => new LeaseLock(name) },
  { label: 'memory lock', create: (name) => createMemoryAdapters(name).lock },
];

const noWait = async (): Promise<void> => undefined;

export const channelTransports: ChannelTransport[] = [
  {
    label: 'native BroadcastChannel',
    create: (name) => new NativeChannel(name),
    ready: noWait,
    isolatesListenerErrors: true,
  },
  {
    label: 'broadcast-channel package (idb)',
    create: (name) => new FallbackChannel(name, 'idb'),
    ready: (channel) => (channel as FallbackChannel).ready,
    isolatesListenerErrors: true,
  },
  {
    label: 'broadcast-channel package (localstorage)',
    create: (name) => new FallbackChannel(name, 'localstorage'),
    ready: (channel) => (channel as FallbackChannel).ready,
    isolatesListenerErrors: true,
  },
  {
    label: 'memory channel',
    create: (name) => createMemoryAdapters(name).channel,
    ready: noWait,
    isolatesListenerErrors: true,
  },
];

export const storeTransports: StoreTransport[] = [
  {
    label: 'IndexedDB store',
    create: (name) => new IdbStore(name),
    writeRaw: (name, value) => set('record', value, createStore(`${name}-db`, 'token')),
  },
  { label: 'memory store', create: (name) => createMemoryAdapters(name).store },
];
