import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { SessionExpiredError } from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

/** Unhandled rejections and reported errors seen while a test runs. */
let unhandled: unknown[] = [];
let reported: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  reported = [];
  process.on('unhandledRejection', onUnhandled);
  vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  vi.unstubAllGlobals();
});

/** Let pending rejections reach the unhandled-rejection hook. */
const drain = () => new Promise((resolve) => setTimeout(resolve, 20));

test('an async onSessionExpired that rejects is contained like one that throws (reported, not unhandled)', async () => {
  server.current.mode = 'invalid_grant';
  const failure = new Error('async callback bug');
  const { auth, api } = createClient({ onSessionExpired: async () => Promise.reject(failure) });
  await auth.setToken('stale-token');
  await expect(api.get('data').json()).rejects.toBeInstanceOf(SessionExpiredError);
  await drain();
  expect(unhandled).toEqual([]);
  expect(reported).toEqual([failure]);
});

test('an async event listener that rejects is contained too', async () => {
  const failure = new Error('async listener bug');
  const { auth, api } = createClient();
  auth.subscribe(async (event) => {
    if (event.type === 'refresh:success') throw failure;
  });
  await auth.setToken('stale-token');
  await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  await drain();
  expect(unhandled).toEqual([]);
  expect(reported).toEqual([failure]);
});
