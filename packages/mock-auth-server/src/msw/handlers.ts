import { type HttpHandler, HttpResponse, http } from 'msw';
import type { AuthServer } from '../core/auth-server.ts';
import { readStreamLimited } from '../http/body.ts';
import { type AuthRouterOptions, createAuthRouter } from '../http/router.ts';
import type { CookieJar } from './cookie-jar.ts';

/** Options of {@link createMockAuthHandlers}. */
export interface MockAuthHandlersOptions extends AuthRouterOptions {
  /** Where the refresh cookie lives between requests (see {@link CookieJar}); share it between tabs. */
  cookieJar: CookieJar;
  /**
   * Prefix of the handled paths, e.g. `http://localhost:5173`. Default `''`: /auth/*, /api/*, /oauth/* and /__mock/*
   * relative to the page's origin.
   */
  baseUrl?: string;
}

/**
 * Would a browser attach cookies to this request (fetch's `credentials` mode)? Outside a page (`location`
 * undefined, e.g. msw/node) every request counts as same-origin.
 */
export function carriesCookies(request: Request, url: URL): boolean {
  if (request.credentials === 'omit') return false;
  if (request.credentials === 'include') return true;
  return typeof location === 'undefined' || location.origin === url.origin;
}

/**
 * MSW 3 handlers for /auth/*, /api/* and /__mock/*. The refresh cookie is read from and written to
 * `cookieJar` (never to the response's Set-Cookie), honouring the request's `credentials` mode.
 */
export function createMockAuthHandlers(server: AuthServer, options: MockAuthHandlersOptions): HttpHandler[] {
  const router = createAuthRouter(server, options);
  const { cookieJar, baseUrl = '' } = options;
  const resolve = async ({ request }: { request: Request }) => {
    const url = new URL(request.url);
    const withCookies = carriesCookies(request, url);
    const response = await router({
      method: request.method,
      url,
      headers: request.headers,
      cookies: withCookies ? await cookieJar.cookiesFor(url) : {},
      readBody: (limit) => readStreamLimited(request.body, limit),
    });
    if (response === null) return undefined;
    if (withCookies) await cookieJar.apply(url, response.cookies);
    return new HttpResponse(response.body, { status: response.status, headers: response.headers });
  };
  return ['auth', 'api', 'oauth', '__mock'].map((prefix) => http.all(`${baseUrl}/${prefix}/*`, resolve));
}
