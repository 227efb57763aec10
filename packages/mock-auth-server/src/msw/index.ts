/**
The `mock-auth-server/msw` entry: the MSW handlers, and what apps that set up their own worker need besides
(`mock-auth-server/browser` does it all for the common case): the emulated cookie jar, and a storage wrapper
that batches a tab's concurrent writes into one IndexedDB transaction.
*/
export { createBatchedStorage } from '../storage/batched.ts';
export { COOKIE_JAR_KEY, type CookieJar, createStorageCookieJar } from './cookie-jar.ts';
export * from './handlers.ts';
