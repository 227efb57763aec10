/**
The `mock-auth-server/msw` entry: the MSW handlers, and the emulated cookie jar they need, for apps that set
up their own worker (`mock-auth-server/browser` does it all for the common case).
*/

export { COOKIE_JAR_KEY, type CookieJar, createStorageCookieJar } from './cookie-jar.ts';
export * from './handlers.ts';
