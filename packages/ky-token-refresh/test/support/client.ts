import ky, { type KyInstance, type Options } from 'ky';
import { createTokenRefresh, type TokenRefresh, type TokenRefreshOptions } from '../../src/index.js';
import { ORIGIN } from './server.js';

let counter = 0;

/** A client wired the way the README says: refresh with plain ky, API calls through the hooks. */
export const createClient = (
  options: Partial<TokenRefreshOptions> = {},
  kyOptions: Options = {},
): { auth: TokenRefresh; api: KyInstance } => {
  const auth = createTokenRefresh({
    name: `test-${++counter}`,
    crossTab: false,
    isAuthorizedUrl: (url) => url.origin === ORIGIN,
    refresh: async ({ signal }) =>
      (await ky.post(`${ORIGIN}/auth/refresh`, { signal }).json<{ access_token: string }>()).access_token,
    ...options,
  });
  const api = ky.create({ prefix: `${ORIGIN}/api`, hooks: auth.hooks, ...kyOptions });
  return { auth, api };
};

/** Settle every promise and count outcomes. */
export const settle = async <T>(promises: Promise<T>[]) => {
  const results = await Promise.allSettled(promises);
  const fulfilled = results.filter((result) => result.status === 'fulfilled');
  const rejected = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  return {
    fulfilled: fulfilled.length,
    rejected: rejected.length,
    reasons: rejected.map((result) => result.reason),
  };
};
