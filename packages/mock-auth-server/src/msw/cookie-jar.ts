import type { AuthStorage } from '../core/storage.ts';
import type { SetCookie } from '../http/types.ts';

/**
 * The browser's cookie jar, emulated. Under MSW a mocked `Set-Cookie: ...; HttpOnly` never reaches the
 * real jar, and MSW's own cookie store lives in each tab's memory (hydrated from localStorage only at load),
 * so rotated refresh tokens would not be seen by the other tabs. This jar keeps the cookies in the shared
 * storage (IndexedDB) instead: like a real jar, one per origin, read when a request is sent, written when a
 * response arrives, last write wins. Page scripts never see these cookies, as with HttpOnly.
 */
export interface CookieJar {
  /** The cookies a request to `url` would carry. */
  cookiesFor(url: URL): Promise<Record<string, string>>;
  /** Stores (or, with `maxAge: 0`, deletes) the cookies a response to `url` set. */
  apply(url: URL, cookies: readonly SetCookie[]): Promise<void>;
  /** Forgets every cookie (e.g. "clear site data"). */
  clear(): Promise<void>;
}

/** Storage key of the emulated jar. */
export const COOKIE_JAR_KEY = 'browser-cookie-jar';

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  secure: boolean;
  expiresAt: number;
}

type JarState = Record<string, StoredCookie>;

const pathMatches = (requestPath: string, cookiePath: string) =>
  requestPath === cookiePath ||
  (requestPath.startsWith(cookiePath) &&
    (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));

/** A jar over a storage (the server's IndexedDB in the browser mock). Keyed by origin, name and path. */
export function createStorageCookieJar(storage: AuthStorage, now: () => number = Date.now): CookieJar {
  const id = (url: URL, cookie: { name: string; path: string }) =>
    `${url.origin} ${cookie.path} ${cookie.name}`;
  return {
    async cookiesFor(url) {
      const jar = (await storage.get<JarState>(COOKIE_JAR_KEY)) ?? {};
      const cookies: Record<string, string> = {};
      for (const [key, cookie] of Object.entries(jar)) {
        if (!key.startsWith(`${url.origin} `) || cookie.expiresAt <= now()) continue;
        if (cookie.secure && url.protocol !== 'https:') continue;
        if (pathMatches(url.pathname, cookie.path)) cookies[cookie.name] = cookie.value;
      }
      return cookies;
    },
    async apply(url, setCookies) {
      if (setCookies.length === 0) return;
      await storage.update<JarState>(COOKIE_JAR_KEY, (old) => {
        const jar = old ?? {};
        for (const cookie of setCookies) {
          const key = id(url, cookie);
          if (cookie.maxAge <= 0) delete jar[key];
          else {
            jar[key] = {
              name: cookie.name,
              value: cookie.value,
              path: cookie.path,
              secure: cookie.secure,
              expiresAt: now() + cookie.maxAge * 1000,
            };
          }
        }
        return jar;
      });
    },
    async clear() {
      await storage.delete(COOKIE_JAR_KEY);
    },
  };
}
