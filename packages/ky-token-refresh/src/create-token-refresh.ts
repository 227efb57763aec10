import type { Hooks } from 'ky';
import { createInstance, type FetchTokenRefresh } from './instance.js';
import { createHooks } from './ky/hooks.js';
import type { TokenRefreshOptions } from './options.js';

/** What `createTokenRefresh` returns. */
export interface TokenRefresh extends FetchTokenRefresh {
  /**
  Pass to ky: `ky.create({ hooks: auth.hooks })`. Attaches the token to authorized URLs, refreshes once for
  every 401 (across tabs), and replays the requests.
  */
  readonly hooks: Hooks;
}

/**
Create the hooks, `fetch` and the controls for one token.

@example
```
const auth = createTokenRefresh({
  refresh: async ({signal}) => (await ky.post('/auth/refresh', {signal, credentials: 'include'})
    .json<{access_token: string}>()).access_token,
});
const api = ky.create({prefix: '/api', hooks: auth.hooks});
await auth.setToken(accessTokenFromLogin);
```
*/
export const createTokenRefresh = (options: TokenRefreshOptions): TokenRefresh => {
  const [auth, core, cycle] = createInstance(options);
  return { ...auth, hooks: createHooks(core, cycle) };
};
