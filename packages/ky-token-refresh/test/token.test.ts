import { expect, test } from 'vitest';
import { readTokenTimes } from '../src/core/token.js';
import { makeJwt } from './support/server.js';

const now = 1_700_000_000_000;

test('reads exp and iat of a JWT whose claims hold non-ASCII text and need no padding', () => {
  for (const name of ['Zoë', 'Zoë Ω', '名前', 'a']) {
    const token = makeJwt({ sub: name, iat: 1_700_000_000, exp: 1_700_000_600 });
    expect(readTokenTimes(token, now, false)).toEqual({
      issuedAt: 1_700_000_000_000,
      expiresAt: 1_700_000_600_000,
    });
  }
});

test('a fresh token is placed on the local clock: now + (exp - iat)', () => {
  const token = makeJwt({ iat: 100, exp: 400 });
  expect(readTokenTimes(token, now, true)).toEqual({ issuedAt: now, expiresAt: now + 300_000 });
});

test('anything that is not a JWT with a numeric exp is opaque: no times', () => {
  const payload = Buffer.from(JSON.stringify({ exp: 1 })).toString('base64url');
  for (const token of [
    'opaque-token',
    'a.b',
    `h.${payload}.s.x.y`,
    'h.!!!.s',
    `h.${Buffer.from('[1,2]').toString('base64url')}.s`,
    `h.${Buffer.from('null').toString('base64url')}.s`,
    makeJwt({ exp: '1700000000' }),
    makeJwt({ exp: Number.POSITIVE_INFINITY }),
  ]) {
    expect(readTokenTimes(token, now, false)).toEqual({});
  }
});
