import { describe, expect, it } from 'vitest';
import { parseCookieHeader, refreshCookie, serializeSetCookie } from '../src/http/cookies.ts';

describe('cookies', () => {
  it('names the cookie __Secure-rt with Secure over https, rt without over http', () => {
    expect(serializeSetCookie(refreshCookie(new URL('https://app.example/auth/login'), 'abc', 60))).toBe(
      '__Secure-rt=abc; Path=/auth; Max-Age=60; HttpOnly; Secure; SameSite=Strict',
    );
    expect(serializeSetCookie(refreshCookie(new URL('http://127.0.0.1:4000/auth/login'), 'abc', 60))).toBe(
      'rt=abc; Path=/auth; Max-Age=60; HttpOnly; SameSite=Strict',
    );
    expect(serializeSetCookie(refreshCookie(new URL('http://localhost/auth/logout'), null, 60))).toBe(
      'rt=; Path=/auth; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict',
    );
  });

  it('parses Cookie headers, first occurrence wins, garbage ignored', () => {
    expect(parseCookieHeader('a=1; rt=x=y; a=2; ;=; junk')).toEqual({ a: '1', rt: 'x=y' });
    expect(parseCookieHeader(null)).toEqual({});
  });
});
