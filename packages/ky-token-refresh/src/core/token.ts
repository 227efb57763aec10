import type { RefreshResult, TokenRecord } from './types.js';

/**
The `exp` and `iat` claims of a JWT (`header.payload.signature`, base64url JSON), read without verifying
anything; `{}` when `token` is not one. The payload is decoded as Latin-1, not UTF-8: other claims may come
out garbled, but the JSON (and its numbers) parse the same.
*/
const readClaims = (token: string): { exp?: unknown; iat?: unknown } => {
  const parts = token.split('.');
  try {
    if (parts.length === 3) {
      return JSON.parse(atob((parts[1] as string).replace(/-/g, '+').replace(/_/g, '/'))) ?? {};
    }
  } catch {}
  return {};
};

const visibleAscii = /^[\x21-\x7e]+$/;

/** The parts of a token record that come from the token itself. */
export type TokenTimes = { expiresAt?: number; issuedAt?: number };

/**
Read `exp` (and `iat`) from a JWT without verifying it: the server verifies, this only schedules refreshes.
A `fresh` token (one `refresh()` just obtained) with both claims has its expiry placed on the local clock
as `now + (exp - iat)`, so a client whose clock is off neither refreshes on every request nor too late.
A fresh token without `iat` keeps `exp` as it is, with its lifetime counted from now (so the proactive
window, capped at half the lifetime, never makes it due at once); when the local clock is already past its
`exp` (a clock ahead of the server's by more than the token's lifetime), it is refreshed on 401 only.
Other tokens (which may be old) use `exp` as it is. Opaque or malformed tokens give `{}` (reactive only).
*/
export const readTokenTimes = (token: string, now: number, fresh: boolean): TokenTimes => {
  const { exp, iat } = readClaims(token);
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return {};
  const hasIat = typeof iat === 'number' && Number.isFinite(iat) && exp > iat;
  if (fresh && hasIat) return { issuedAt: now, expiresAt: now + (exp - iat) * 1000 };
  if (fresh && exp * 1000 <= now) return {};
  return { issuedAt: hasIat ? iat * 1000 : now, expiresAt: exp * 1000 };
};

/** What a `RefreshResult` comes to: the token, its times, and the refresh token when one was given. */
export type NormalizedToken = { token: string; expiresAt?: number; issuedAt?: number; refreshToken?: string };

/** `expiresAt` and `issuedAt` of `token`: as given, else from its claims (see `readTokenTimes`). */
const normalizeTimes = (
  value: RefreshResult,
  token: string,
  now: number,
  what: string,
  fresh: boolean,
): NormalizedToken => {
  if (typeof value === 'object' && value.expiresAt !== undefined) {
    const expiresAt = value.expiresAt instanceof Date ? value.expiresAt.getTime() : value.expiresAt;
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
      throw new TypeError(
        `${what}.expiresAt must be a Date or a finite number of milliseconds since the epoch.`,
      );
    }
    return { token, expiresAt, issuedAt: now };
  }
  return { token, ...readTokenTimes(token, now, fresh) };
};

/**
Check what `refresh()` or `setToken()` was given and turn it into `{ token, expiresAt, issuedAt,
refreshToken }`. Throws a `TypeError` that names `what` on anything else (its message never quotes a token),
and on a `refreshToken` when `holdsRefreshToken` is off.
*/
export const normalizeToken = (
  value: RefreshResult,
  now: number,
  what: string,
  fresh: boolean,
  holdsRefreshToken = false,
): NormalizedToken => {
  const token = typeof value === 'string' ? value : value?.accessToken;
  if (typeof token !== 'string' || !visibleAscii.test(token)) {
    throw new TypeError(
      `${what} must be a non-empty access token string (visible ASCII, no spaces) or { accessToken, expiresAt?, refreshToken? }.`,
    );
  }
  const refreshToken = typeof value === 'object' ? value.refreshToken : undefined;
  if (refreshToken !== undefined) {
    if (!holdsRefreshToken) {
      // (The README, "The refresh token in the record", says why it is off by default.)
      throw new TypeError(`${what}.refreshToken needs the \`holdRefreshToken\` option.`);
    }
    if (typeof refreshToken !== 'string' || refreshToken === '') {
      throw new TypeError(`${what}.refreshToken must be a non-empty string.`);
    }
    // Obtained now, with its refresh token: `issuedAt` dates both (an opaque token has no `iat`).
    return { issuedAt: now, ...normalizeTimes(value, token, now, what, fresh), refreshToken };
  }
  return normalizeTimes(value, token, now, what, fresh);
};

/**
Whether a token should be refreshed before use. The window is capped at half the token's lifetime so a
short-lived token (shorter than the window) is not refreshed on every request. A window of 0 turns this
off: a token is then refreshed on 401 only, even one the local clock says has expired (that clock may be
ahead of the server's).
*/
export const isDueForRefresh = (record: TokenRecord, windowMs: number, now: number): boolean => {
  if (windowMs === 0 || record.token === null || record.expiresAt === undefined) return false;
  const lifetime =
    record.issuedAt === undefined ? Number.POSITIVE_INFINITY : record.expiresAt - record.issuedAt;
  return record.expiresAt - now <= Math.min(windowMs, lifetime / 2);
};
