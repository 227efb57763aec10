import type { UpstreamError } from './errors.ts';

/** How a refresh request carried its token: the OAuth form grant, or the refresh cookie. */
export type Shape = 'form' | 'cookie';

/** An upstream answer as it is shared between duplicates (stored sealed, published sealed). */
export interface Answer {
  status: number;
  /** The few headers that travel with a shared answer (lower-case names): see {@link SHARED_HEADERS}. */
  headers: Record<string, string>;
  /** The body as UTF-8 text (token endpoints answer JSON). */
  body: string;
  /** Every Set-Cookie of the answer, as sent. */
  setCookies: string[];
  /** The shape of the request that went upstream (answers are translated for the other shape). */
  shape: Shape;
  /** False for 5xx, network errors and time-outs: handed to the duplicates in flight, never stored. */
  cacheable: boolean;
}

/** Response headers kept in a shared answer; the rest (Date, Server, ...) is per response anyway. */
export const SHARED_HEADERS = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'retry-after'];

/** Cookie settings used to translate between the two shapes. */
export interface CookieShape {
  name: string;
  /** Attributes of a Set-Cookie written by the proxy, e.g. `Path=/auth; HttpOnly; SameSite=Strict`. */
  attributes: string;
}

/** A JSON error answer made by the proxy itself. */
export function jsonAnswer(status: number, body: Record<string, unknown>, shape: Shape = 'form'): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
    setCookies: [],
    shape,
    cacheable: false,
  };
}

/** The answer for a refresh whose upstream call failed: 504 on time-out, 502 otherwise; never stored. */
export function upstreamFailureAnswer(error: UpstreamError, shape: Shape): Answer {
  const timeout = error.code === 'UPSTREAM_TIMEOUT';
  return jsonAnswer(
    timeout ? 504 : 502,
    {
      error: timeout ? 'upstream_timeout' : 'upstream_unavailable',
      error_description: timeout
        ? 'The token endpoint did not answer in time'
        : 'The token endpoint could not be reached',
    },
    shape,
  );
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The value a Set-Cookie gives to cookie `name`, or null when it does not set it (or clears it). */
export function cookieFromSetCookie(setCookie: string, name: string): string | null {
  const [pair = '', ...attributes] = setCookie.split(';');
  const index = pair.indexOf('=');
  if (index < 0 || pair.slice(0, index).trim() !== name) return null;
  const value = pair.slice(index + 1).trim();
  if (value === '' || attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a))) return null;
  return value;
}

/** The refresh token an answer issued (rotation), from its body (form) or its Set-Cookie (cookie). */
export function issuedRefreshToken(answer: Answer, cookie: CookieShape): string | null {
  if (answer.status !== 200) return null;
  for (const setCookie of answer.setCookies) {
    const value = cookieFromSetCookie(setCookie, cookie.name);
    if (value !== null) return value;
  }
  const token = parseObject(answer.body)?.refresh_token;
  return typeof token === 'string' && token !== '' ? token : null;
}

/** True for an OAuth `invalid_grant` answer (the upstream refused the token: a conflict when it raced). */
export function isInvalidGrant(answer: Answer): boolean {
  return answer.status === 400 && parseObject(answer.body)?.error === 'invalid_grant';
}

/**
 * The answer as a client of `shape` expects it. Same shape: as it came. A cookie answer for a form client:
 * the rotated cookie's value moves into the body as `refresh_token` (no Set-Cookie: a CLI has no jar). A
 * form answer for a cookie client: `refresh_token` moves out of the body into a Set-Cookie with the
 * configured attributes (a browser script must never see it).
 */
export function renderFor(answer: Answer, shape: Shape, cookie: CookieShape): Answer {
  if (answer.shape === shape) return answer;
  const body = parseObject(answer.body);
  const token = issuedRefreshToken(answer, cookie);
  if (shape === 'form') {
    if (body === null || token === null) return { ...answer, setCookies: [], shape };
    return { ...answer, body: JSON.stringify({ ...body, refresh_token: token }), setCookies: [], shape };
  }
  if (body === null || token === null) return { ...answer, shape };
  const { refresh_token: _moved, ...rest } = body;
  return {
    ...answer,
    body: JSON.stringify(rest),
    setCookies: [`${cookie.name}=${token}; ${cookie.attributes}`],
    shape,
  };
}
