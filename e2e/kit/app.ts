/**
A stand-in for "your app" in the README's "Reproduce the race in your app" test (proved by pack-test.ts): one
API client per page, and the test hook that test uses, `window.app`. `?client=naive` picks the ky README
recipe (refresh on every 401, `ky.retry()` with the new token); otherwise ky-token-refresh.
*/
import ky, { type KyInstance } from 'ky';
import { createTokenRefresh } from 'ky-token-refresh';

const REFRESH = {
  credentials: 'include',
  headers: { 'X-Requested-With': 'XMLHttpRequest' },
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
