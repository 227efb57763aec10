import { expect, test } from 'vitest';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

test("a caller's AbortSignal ends its own wait at once without cancelling the shared refresh", async () => {
  server.current.refreshLatencyMs = 300;
  const { auth, api } = createClient();
  await auth.setToken('stale-token');
  const controller = new AbortController();

  const aborted = api.get('mine', { signal: controller.signal }).json();
  const others = Array.from({ length: 3 }, () => api.get('others').json());
  // Abort once the refresh is in flight.
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(server.current.refreshCalls).toBe(1);
  const abortedAt = Date.now();
  controller.abort();

  await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
  expect(Date.now() - abortedAt).toBeLessThan(150);
  await expect(Promise.all(others)).resolves.toHaveLength(3);
  expect(server.current.refreshCalls).toBe(1);
  expect(auth.getToken()).toBe(server.current.validToken);
});

test('aborting before sending rejects without refreshing', async () => {
  const { auth, api } = createClient();
  await auth.setToken('stale-token');
  const controller = new AbortController();
  controller.abort();
  await expect(api.get('data', { signal: controller.signal }).json()).rejects.toMatchObject({
    name: 'AbortError',
  });
  expect(server.current.refreshCalls).toBe(0);
});
