/**
The entry point without the ky door: `createTokenRefresh` returns `fetch` and the controls, not `hooks`, so
ky is never touched and the bundle leaves out the hooks. For apps on openapi-fetch, ofetch, wretch, or
`fetch` itself.

@example
```
import { createTokenRefresh } from 'ky-token-refresh/fetch';
const auth = createTokenRefresh({refresh: async ({signal}) => …});
const client = createClient<paths>({baseUrl: '/api', fetch: auth.fetch});
```
*/
import { createInstance, type FetchTokenRefresh } from './instance.js';
import type { TokenRefreshOptions } from './options.js';

export * from './common-exports.js';

/** Create `fetch` and the controls for one token (the main entry's `createTokenRefresh` without `hooks`). */
export const createTokenRefresh = (options: TokenRefreshOptions): FetchTokenRefresh =>
  createInstance(options)[0];
