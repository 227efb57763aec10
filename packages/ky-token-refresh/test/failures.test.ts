import { isHTTPError } from 'ky';
import { describe, expect, test, vi } from 'vitest';
import {
  isRefreshFailedError,
  isSessionExpiredError,
  RefreshFailedError,
  SessionExpiredError,
} from '../src/index.js';
import { createClient, settle } from './support/client.js';
import { useTestServer } from './support/server.js';

const server = useTestServer();

describe('definitive failure: the session is over', () => {
  test.each([
    ['400 invalid_grant', 'invalid_grant'],
    ['401', 'unauthorized'],
  ] as const)(
    'refresh answering %s rejects every waiter with SessionExpiredError and calls onSessionExpired once',
    async (_, mode) => {
      server.current.mode = mode;
      const onSessionExpired = vi.fn();
      const { auth, api } = createClient({ onSessionExpired });
      await auth.setToken('stale-token');

      const { fulfilled, reasons } = await settle(Array.from({ length: 10 }, () => api.get('data').json()));

      expect(fulfilled).toBe(0);
      expect(reasons).toHaveLength(10);
      expect(reasons.every((reason) => reason instanceof SessionExpiredError)).toBe(true);
      expect(reasons.every((reason) => reason.code === 'ERR_SESSION_EXPIRED')).toBe(true);
      expect(onSessionExpired).toHaveBeenCalledTimes(1);
      expect(isSessionExpiredError(onSessionExpired.mock.calls[0]?.[0])).toBe(true);
      expect(server.current.refreshCalls).toBe(1);
      expect(auth.getToken()).toBeUndefined();
      expect(auth.stats()).toMatchObject({ refreshes: 1, failures: 1, replays: 0 });
    },
  );

  test('refresh resolving to null means there is no session', async () => {
    const onSessionExpired = vi.fn();
    const { auth, api } = createClient({ refresh: async () => null, onSessionExpired });
    await auth.setToken('stale-token');
    await expect(api.get('data').json()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  test('after the session expired, a new login works again', async () => {
    server.current.mode = 'invalid_grant';
    const { auth, api } = createClient();
    await auth.setToken('stale-token');
    await expect(api.get('data').json()).rejects.toBeInstanceOf(SessionExpiredError);
    server.current.mode = 'ok';
    await auth.setToken(server.current.issue());
    await expect(api.get('data').json()).resolves.toMatchObject({ path: '/api/data' });
  });

  test('a throwing onSessionExpired does not break the waiters', async () => {
    server.current.mode = 'invalid_grant';
    const { auth, api } = createClient({
      onSessionExpired: () => {
        throw new Error('callback bug');
      },
    });
    await auth.setToken('stale-token');
    await expect(api.get('data').json()).rejects.toBeInstanceOf(SessionExpiredError);
  });
});

describe('transient failure: the session is kept', () => {
  test.each([
    ['503', 'unavailable'],
    ['a network error', 'network'],
  ] as const)(
    'refresh failing with %s rejects the wave with RefreshFailedError; the next 401 tries again',
    async (_, mode) => {
      server.current.mode = mode;
      const onSessionExpired = vi.fn();
      const { auth, api } = createClient({ onSessionExpired });
      await auth.setToken('stale-token');

      const first = await settle(Array.from({ length: 5 }, () => api.get('data').json()));
      expect(first.fulfilled).toBe(0);
      expect(first.reasons.every((reason) => isRefreshFailedError(reason) && reason.retryable)).toBe(true);
      expect(first.reasons[0]).toMatchObject({ code: 'ERR_REFRESH_FAILED' });
      expect(first.reasons[0].cause).toBeDefined();
      expect(auth.getToken()).toBe('stale-token');
      expect(server.current.refreshCalls).toBe(1);

      server.current.mode = 'ok';
      const second = await settle(Array.from({ length: 5 }, () => api.get('data').json()));
      expect(second.fulfilled).toBe(5);
      expect(server.current.refreshCalls).toBe(2);
      expect(onSessionExpired).not.toHaveBeenCalled();
      expect(auth.stats()).toMatchObject({ refreshes: 2, failures: 1 });
    },
  );

  test('refresh resolving to something that is not a token is a RefreshFailedError naming the problem', async () => {
    const { auth, api } = createClient({ refresh: async () => ({ token: 'x' }) as never });
    await auth.setToken('stale-token');
    const error = await api
      .get('data')
      .json()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect((error as Error).message).toMatch(/refresh\(\) resolved to must be a non-empty access token/);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  test('a 403 from the refresh endpoint (e.g. a missing CSRF header) is transient, not a logout', async () => {
    const onSessionExpired = vi.fn();
    const { auth, api } = createClient({
      refresh: async () => {
        throw Object.assign(new Error('Forbidden'), { response: { status: 403 } });
      },
      onSessionExpired,
    });
    await auth.setToken('stale-token');
    await expect(api.get('data').json()).rejects.toBeInstanceOf(RefreshFailedError);
    expect(onSessionExpired).not.toHaveBeenCalled();
    expect(auth.getToken()).toBe('stale-token');
  });
});

describe('after the session ended', () => {
  test('a request after logout() goes without a token and its 401 comes back as it is: no refresh', async () => {
    const onSessionExpired = vi.fn();
    const { auth, api } = createClient({ onSessionExpired });
    await auth.setToken('stale-token');
    await auth.logout();
    const error = await api
      .get('data')
      .json()
      .catch((caught: unknown) => caught);
    expect(isHTTPError(error) && error.response.status).toBe(401);
    expect(server.current.apiHits[0]?.authorization).toBeNull();
    expect(server.current.refreshCalls).toBe(0);
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  test('after a refused refresh, later requests do not refresh again nor call onSessionExpired again', async () => {
    server.current.mode = 'invalid_grant';
    const onSessionExpired = vi.fn();
    const { auth, api } = createClient({ onSessionExpired });
    await auth.setToken('stale-token');
    await expect(api.get('one').json()).rejects.toBeInstanceOf(SessionExpiredError);
    const error = await api
      .get('two')
      .json()
      .catch((caught: unknown) => caught);
    expect(isHTTPError(error) && error.response.status).toBe(401);
    expect(server.current.refreshCalls).toBe(1);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });
});
