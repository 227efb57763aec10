import { expect, test } from 'vitest';
import { RefreshTimeoutError } from '../src/index.js';
import { createClient, settle } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

test('a refresh that never answers (nor honours its signal) rejects every waiter with RefreshTimeoutError, bounded', async () => {
  server.current.mode = 'hang';
  let refreshSignal: AbortSignal | undefined;
  const { auth, api } = createClient({
    refreshTimeoutMs: 150,
    refresh: async ({ signal }) => {
      refreshSignal = signal;
      return new Promise<never>(() => {});
    },
  });
  await auth.setToken('stale-token');
  const started = Date.now();

  const { reasons } = await settle(Array.from({ length: 5 }, () => api.get('data').json()));

  expect(reasons).toHaveLength(5);
  expect(reasons.every((reason) => reason instanceof RefreshTimeoutError)).toBe(true);
  expect(reasons[0]).toMatchObject({ code: 'ERR_REFRESH_TIMEOUT', phase: 'refresh', retryable: true });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(refreshSignal?.aborted).toBe(true);
  expect(auth.getToken()).toBe('stale-token');
});

test('the signal handed to refresh() aborts the refresh request on timeout', async () => {
  server.current.mode = 'hang';
  const { auth, api } = createClient({ refreshTimeoutMs: 100 });
  await auth.setToken('stale-token');
  await expect(api.get('data').json()).rejects.toBeInstanceOf(RefreshTimeoutError);
  expect(server.current.refreshCalls).toBe(1);
});

test('waiting for a lock that is never released is bounded too', async () => {
  const { auth, api } = createClient({
    refreshTimeoutMs: 100,
    crossTab: {
      lock: {
        request: (_task, { signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      },
    },
  });
  await auth.setToken('stale-token');
  const error = await api
    .get('data')
    .json()
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(RefreshTimeoutError);
  expect(error).toMatchObject({ phase: 'lock' });
  expect(server.current.refreshCalls).toBe(0);
  expect(auth.stats().failures).toBe(1);
});
