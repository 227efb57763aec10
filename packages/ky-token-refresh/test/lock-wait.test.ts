import { expect, test, vi } from 'vitest';
import { settleAfterGrant } from '../src/adapters/defaults.js';
import {
  createMemoryAdapters,
  DisposedError,
  MemoryLock,
  MemoryStore,
  SessionExpiredError,
  type TokenRefreshEvent,
} from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';
import { sleep, until } from './support/wait.js';

useTestServer();

let scope = 0;

test('an instance disposed while waiting for the lock never calls refresh() once granted', async () => {
  const name = `lock-wait-${++scope}`;
  const holder = createClient({
    name,
    crossTab: true,
    refresh: async () => {
      await sleep(200);
      throw Object.assign(new Error('Service Unavailable'), { status: 503 });
    },
  });
  const refreshOfDisposed = vi.fn(async () => 'never-used');
  const waiter = createClient({ name, crossTab: true, refresh: refreshOfDisposed });
  await holder.auth.setToken('stale-token');
  expect(await until(() => waiter.auth.getToken() === 'stale-token')).toBe(true);

  const held = holder.auth.refresh().catch((error: unknown) => error);
  await sleep(20);
  const waiting = waiter.auth.refresh().catch((error: unknown) => error);
  await sleep(50);
  waiter.auth.dispose();

  expect(await waiting).toBeInstanceOf(DisposedError);
  await held;
  await sleep(50);
  expect(refreshOfDisposed).not.toHaveBeenCalled();
});

test('a logout heard between the lock grant and the task is adopted once', async () => {
  const name = `lock-wait-${++scope}`;
  const { channel: channelA } = createMemoryAdapters(name);
  const { channel: channelB } = createMemoryAdapters(name);
  // No IndexedDB: a store per tab, and a lock that lets messages land for a while after each grant.
  const a = createClient({
    name,
    crossTab: { lock: new MemoryLock(), channel: channelA, store: new MemoryStore() },
  });
  const b = createClient({
    name,
    crossTab: { lock: settleAfterGrant(new MemoryLock(), 100), channel: channelB, store: new MemoryStore() },
  });
  const events: TokenRefreshEvent[] = [];
  b.auth.subscribe((event) => events.push(event));
  await a.auth.setToken('token-1');
  expect(await until(() => b.auth.getToken() === 'token-1')).toBe(true);

  const refreshing = b.auth.refresh().catch((error: unknown) => error);
  await sleep(30);
  await a.auth.logout();

  expect(await refreshing).toBeInstanceOf(SessionExpiredError);
  await sleep(120);
  expect(b.auth.stats().adopted).toBe(1);
  expect(events.filter((event) => event.type === 'refresh:adopted')).toHaveLength(1);
  expect(events.some((event) => event.type === 'refresh:start')).toBe(false);
});
