import { afterEach, expect, test, vi } from 'vitest';
import { type Channel, createMemoryAdapters } from '../src/index.js';
import { createClient } from './support/client.js';
import { makeJwt, useTestServer } from './support/server.js';

const server = useTestServer();

afterEach(() => {
  vi.unstubAllGlobals();
});

/** A channel that loses every message, like a frozen tab. */
const deafChannel: Channel = {
  post: () => undefined,
  subscribe: () => () => undefined,
  close: () => undefined,
};

const stubDocument = () => {
  const document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  vi.stubGlobal('document', document);
  return () => document.dispatchEvent(new Event('visibilitychange'));
};

test('a tab that missed messages re-reads the store when it becomes visible', async () => {
  const becomeVisible = stubDocument();
  const name = 'visibility-1';
  const a = createClient({ name, crossTab: true });
  const { lock, store } = createMemoryAdapters(name);
  const frozen = createClient({ name, crossTab: { lock, store, channel: deafChannel } });
  await a.auth.setToken('token-1');
  await a.auth.setToken('token-2');
  expect(frozen.auth.getToken()).toBeUndefined();

  becomeVisible();
  await vi.waitFor(() => expect(frozen.auth.getToken()).toBe('token-2'));
  expect(server.current.refreshCalls).toBe(0);
});

test('a token about to expire is refreshed when the tab becomes visible, before any request', async () => {
  const becomeVisible = stubDocument();
  const { auth } = createClient({ refreshBeforeExpiryMs: 30_000 });
  const now = Math.floor(Date.now() / 1000);
  await auth.setToken(makeJwt({ iat: now - 290, exp: now + 10 }));
  becomeVisible();
  await vi.waitFor(() => expect(auth.getToken()).toBe(server.current.validToken));
  expect(server.current.refreshCalls).toBe(1);
});

test('dispose() stops watching visibility', async () => {
  const becomeVisible = stubDocument();
  const { auth } = createClient();
  const now = Math.floor(Date.now() / 1000);
  await auth.setToken(makeJwt({ iat: now - 290, exp: now + 10 }));
  auth.dispose();
  becomeVisible();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(server.current.refreshCalls).toBe(0);
});
