import type { SetCookie } from './types.ts';

/** Parses a `Cookie` request header into name → value (first occurrence wins, values not decoded). */
export function parseCookieHeader(header: string | null): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    const value = part.slice(index + 1).trim();
    if (name && !Object.hasOwn(cookies, name)) cookies[name] = value;
  }
  return cookies;
}

/** Serialises a cookie for a `Set-Cookie` response header. */
export function serializeSetCookie(cookie: SetCookie): string {
  const parts = [`${cookie.name}=${cookie.value}`, `Path=${cookie.path}`, `Max-Age=${cookie.maxAge}`];
  if (cookie.maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.secure) parts.push('Secure');
  parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

/**
 * The refresh-token cookie: `__Secure-rt` over https, `rt` on plain-http localhost (the `__Secure-` prefix
 * requires the Secure attribute, which http cannot set). HttpOnly, SameSite=Strict, Path=/auth.
 */
export function refreshCookieName(url: URL): string {
  return url.protocol === 'https:' ? '__Secure-rt' : 'rt';
}

/** The Set-Cookie for a refresh token (`value: null` clears it). */
export function refreshCookie(url: URL, value: string | null, maxAge: number): SetCookie {
  return {
    name: refreshCookieName(url),
    value: value ?? '',
    path: '/auth',
    maxAge: value === null ? 0 : maxAge,
    httpOnly: true,
    secure: url.protocol === 'https:',
    sameSite: 'Strict',
  };
}
