/**
The race kit's app template (see "Reproduce the race in your app" in mock-auth-server's README): copy this
folder, build it into dist/ and run the README's test; then put your own API client in place of these two,
keeping what the kit needs from any app:

- `window.app`, set by the time the page has loaded: `login()` logs in (POST /auth/login on the page's
  origin) and keeps the access token, `hasToken()` tells whether this tab holds one, `get(path)` sends one
  GET of /api/<path> through the API client (rejects when it fails);
- the refresh request: POST /auth/refresh with the cookie (`credentials: 'include'`) and an `X-Requested-With`
  header (any value: the mock's CSRF guard; `mockRequireCsrfHeader: false` turns it off);
- every tab holds the token once one tab logged in (ky-token-refresh shares it; the naive client posts it on
  a BroadcastChannel), or the test logs in every tab (`app.login({ everyTab: true })`);
- built to the directory the test serves (`mockStaticDir`, here `dist/`) with the page the tabs load.

`?client=naive` picks the ky README recipe (refresh on every 401, `ky.retry()` with the new token), which
loses the race; otherwise ky-token-refresh, which wins it.
*/
import ky, { type KyInstance } from 'ky';
import { createTokenRefresh } from 'ky-token-refresh';

const REFRESH = {
  credentials: 'include', // the refresh token is an HttpOnly cookie (Path=/auth)
  headers: { 'X-Requested-With': 'fetch' }, // the mock's CSRF guard: without it, 403 {"reason":"csrf"}
  retry: 0,
} as const;
const refreshCall = async (signal?: AbortSignal): Promise<string> =>
  (await ky.post('/auth/refresh', { ...REFRESH, ...(signal && { signal }) }).json<{ access_token: string }>())
    .access_token;

interface Client {
  api: KyInstance;
  setToken(token: string): Promise<void>;
  hasToken(): boolean;
}

/** The ky README recipe, per request, no coordination. Its tabs learn the login token over a channel. */
const naiveClient = (): Client => {
  let token: string | null = null;
  const channel = new BroadcastChannel('app-login');
  channel.onmessage = (event: MessageEvent<string>) => {
    token = event.data;
  };
  const api = ky.create({
    prefix: '/api',
    hooks: {
      beforeRequest: [
        ({ request }) => {
          if (token !== null) request.headers.set('Authorization', `Bearer ${token}`);
        },
      ],
      afterResponse: [
        async ({ request, response, retryCount }) => {
          if (response.status !== 401 || retryCount !== 0) return;
          token = await refreshCall();
          const headers = new Headers(request.headers);
          headers.set('Authorization', `Bearer ${token}`);
          return ky.retry({ request: new Request(request, { headers }), code: 'TOKEN_REFRESHED' });
        },
      ],
    },
  });
  return {
    api,
    async setToken(next) {
      token = next;
      channel.postMessage(next);
    },
    hasToken: () => token !== null,
  };
};

/** ky-token-refresh: one refresh per expiry across the tabs; it shares the token itself. */
const libraryClient = (): Client => {
  const auth = createTokenRefresh({ name: 'app', refresh: ({ signal }) => refreshCall(signal) });
  return {
    api: ky.create({ prefix: '/api', hooks: auth.hooks }),
    setToken: (token) => auth.setToken(token),
    hasToken: () => auth.getToken() !== undefined,
  };
};

const client =
  new URLSearchParams(location.search).get('client') === 'naive' ? naiveClient() : libraryClient();

const app = {
  async login(): Promise<void> {
    const body = await ky
      .post('/auth/login', { json: { username: 'alice', password: 'secret' }, credentials: 'include' })
      .json<{ access_token: string }>();
    await client.setToken(body.access_token);
  },
  hasToken: () => client.hasToken(),
  get: (path: string) => client.api.get(path).json(),
};

declare global {
  interface Window {
    app: typeof app;
  }
}
window.app = app;
