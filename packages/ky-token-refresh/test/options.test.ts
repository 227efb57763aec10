import { describe, expect, test } from 'vitest';
import { createTokenRefresh, type TokenRefreshOptions } from '../src/index.js';

const refresh = async () => 'token';

describe('options are validated up front, naming the bad option', () => {
  test.each<[string, unknown, RegExp]>([
    ['no options', undefined, /options object/],
    ['refresh missing', {}, /`refresh` must be a function/],
    ['refresh not a function', { refresh: 'x' }, /`refresh` must be a function/],
    ['unknown option', { refresh, prefixUrl: '/api' }, /Unknown option `prefixUrl`/],
    ['empty name', { refresh, name: '' }, /`name` must be a non-empty string/],
    ['negative refreshBeforeExpiryMs', { refresh, refreshBeforeExpiryMs: -1 }, /`refreshBeforeExpiryMs`/],
    ['NaN refreshTimeoutMs', { refresh, refreshTimeoutMs: Number.NaN }, /`refreshTimeoutMs`/],
    ['zero refreshTimeoutMs', { refresh, refreshTimeoutMs: 0 }, /`refreshTimeoutMs`.*>= 1/],
    // Timers hold 32-bit signed delays: 2^31 ms and more would fire at once.
    [
      'refreshTimeoutMs of 2^31 ms',
      { refresh, refreshTimeoutMs: 2 ** 31 },
      /`refreshTimeoutMs`.*<= 2147483647/,
    ],
    ['refreshTimeoutMs of Infinity', { refresh, refreshTimeoutMs: Infinity }, /`refreshTimeoutMs`/],
    // Keys that every object inherits are unknown options like any other.
    ['unknown option toString', { refresh, toString: () => '' }, /Unknown option `toString`/],
    ['unknown option constructor', { refresh, constructor: Object }, /Unknown option `constructor`/],
    ['unknown option valueOf', { refresh, valueOf: 1 }, /Unknown option `valueOf`/],
    ['unknown option hasOwnProperty', { refresh, hasOwnProperty: 1 }, /Unknown option `hasOwnProperty`/],
    ['unknown option __proto__', { refresh, ['__proto__']: {} }, /Unknown option `__proto__`/],
    ['string shouldRefresh', { refresh, shouldRefresh: '401' }, /`shouldRefresh` must be a function/],
    ['isAuthorizedUrl', { refresh, isAuthorizedUrl: true }, /`isAuthorizedUrl` must be a function/],
    ['authorize', { refresh, authorize: {} }, /`authorize` must be a function/],
    ['onSessionExpired', { refresh, onSessionExpired: 1 }, /`onSessionExpired` must be a function/],
    ['persistToken', { refresh, persistToken: 'no' }, /`persistToken` must be a boolean/],
    ['crossTab string', { refresh, crossTab: 'yes' }, /`crossTab` must be a boolean or/],
    ['crossTab unknown adapter', { refresh, crossTab: { queue: {} } }, /`crossTab.queue`/],
    [
      'crossTab adapter toString',
      { refresh, crossTab: { toString: {} } },
      /Unknown adapter `crossTab.toString`/,
    ],
    [
      'crossTab bad lock',
      { refresh, crossTab: { lock: {} } },
      /`crossTab.lock` must have a `request` method/,
    ],
  ])('%s', (_, options, message) => {
    expect(() => createTokenRefresh(options as TokenRefreshOptions)).toThrow(TypeError);
    expect(() => createTokenRefresh(options as TokenRefreshOptions)).toThrow(message);
  });

  test('the largest timer delay is a valid refreshTimeoutMs, and is honoured (no time-out at once)', async () => {
    const auth = createTokenRefresh({
      refresh: () => new Promise((resolve) => setTimeout(() => resolve('fresh'), 50)),
      refreshTimeoutMs: 2 ** 31 - 1,
      crossTab: false,
    });
    await expect(auth.refresh()).resolves.toBe('fresh');
  });

  test('0 is a valid refreshBeforeExpiryMs (not replaced by the default)', () => {
    expect(() => createTokenRefresh({ refresh, refreshBeforeExpiryMs: 0, crossTab: false })).not.toThrow();
  });
});

describe('setToken validates the token', () => {
  test.each<[string, unknown]>([
    ['empty string', ''],
    ['a number', 42],
    ['a token with a newline', 'abc\ndef'],
    ['a token with a space', 'Bearer abc'],
    ['an object without accessToken', { token: 'x' }],
  ])('rejects %s with a TypeError', async (_, token) => {
    const auth = createTokenRefresh({ refresh, crossTab: false });
    await expect(auth.setToken(token as string)).rejects.toThrow(TypeError);
    expect(auth.getToken()).toBeUndefined();
  });

  test('rejects a bad expiresAt', async () => {
    const auth = createTokenRefresh({ refresh, crossTab: false });
    await expect(auth.setToken({ accessToken: 'abc', expiresAt: Number.NaN })).rejects.toThrow(/expiresAt/);
  });

  test('accepts { accessToken, expiresAt } with a Date', async () => {
    const auth = createTokenRefresh({ refresh, crossTab: false });
    await auth.setToken({ accessToken: 'abc', expiresAt: new Date(Date.now() + 60_000) });
    expect(auth.getToken()).toBe('abc');
  });
});
