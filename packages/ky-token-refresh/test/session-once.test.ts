import { expect, test, vi } from 'vitest';
import { createMemoryAdapters, SessionExpiredError } from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';
import { sleep } from './support/wait.js';

const server = useTestServer();

let scope = 0;
const tab = (name: string, onSessionExpired = vi.fn()) => ({
  ...createClient({ name, crossTab: true, onSessionExpired }),
  onSessionExpired,
});

test('after logout(), pages opened later and refused by the server call no onSessionExpired anywhere', async () => {
  const name = `once-${++scope}`;
  const a = tab(name);
  await a.auth.setToken('token-1');
  await a.auth.logout();
  server.current.mode = 'invalid_grant';

  for (let page = 0; page < 3; page++) {
    const later = tab(name);
    const response = await later.api.get('data', { throwHttpErrors: false });
    expect(response.status).toBe(401);
    expect(later.onSessionExpired).not.toHaveBeenCalled();
  }
  await sleep(20);
  expect(a.onSessionExpired).not.toHaveBeenCalled();
});

test('a real expiry calls onSessionExpired once per tab; later refused pages do not call it again', async () => {
  const name = `once-${++scope}`;
  const a = tab(name);
  const b = tab(name);
  await a.auth.setToken('stale-token');
  server.current.mode = 'invalid_grant';
  await expect(a.api.get('a').json()).rejects.toBeInstanceOf(SessionExpiredError);
  await sleep(20);
  expect(a.onSessionExpired).toHaveBeenCalledTimes(1);
  expect(b.onSessionExpired).toHaveBeenCalledTimes(1);

  for (let page = 0; page < 3; page++) {
    const later = tab(name);
    await later.api.get('data', { throwHttpErrors: false });
  }
  await sleep(20);
  expect(a.onSessionExpired).toHaveBeenCalledTimes(1);
  expect(b.onSessionExpired).toHaveBeenCalledTimes(1);
});

test('a tab that never had a token does not call onSessionExpired when it hears "expired"', async () => {
  const name = `once-${++scope}`;
  const visitor = tab(name);
  await sleep(10);
  const { channel } = createMemoryAdapters(name);
  channel.post({ type: 'logout', generation: 99, tabId: 'another-tab', reason: 'expired' });
  await sleep(20);
  expect(visitor.onSessionExpired).not.toHaveBeenCalled();
  channel.close();
});
