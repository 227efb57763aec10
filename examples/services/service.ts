// A service worker sharing one service account's rotating refresh token with workers on other machines,
// coordinated on Redis (one server, or a Redis Cluster). When its parent says `{ type: 'call' }` it calls
// the API and replies `{ type: 'results', results }` (never a token). `naive`: what workers do without
// coordination (read the refresh token from a Redis key, refresh on 401, write the answer back).

import { createTokenRefresh } from 'ky-token-refresh/node';
import { createRedisAdapters, type RedisConnection } from 'ky-token-refresh/redis';
import { createClient, createCluster } from 'redis';

const [mode = 'library', redis = '', server = '', name = 'service-account', key = ''] = process.argv.slice(2);
const send = (message: object) => process.send?.(message);

// `cluster:redis://a,redis://b,…` is a Redis Cluster (any of its nodes), else one Redis.
const connection = (redis.startsWith('cluster:')
  ? await createCluster({
      rootNodes: redis
        .slice(8)
        .split(',')
        .map((url) => ({ url })),
    }).connect()
  : await createClient({ url: redis }).connect()) as unknown as RedisConnection & {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  destroy(): void;
};
connection.on('error', () => undefined);

const grant = async (body: Record<string, string>, signal?: AbortSignal) => {
  const response = await fetch(`${server}/oauth/token`, {
    method: 'POST',
    ...(signal ? { signal } : {}),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
  const answer = (await response.json()) as {
    access_token: string;
    refresh_token: string;
    expires_in: number;
    error?: string;
  };
  if (!response.ok)
    throw Object.assign(new Error(`invalid_grant (${answer.error})`), { status: response.status });
  return answer;
};

const auth =
  mode === 'library'
    ? createTokenRefresh({
        name,
        crossTab: createRedisAdapters(connection, { name, key }),
        isAuthorizedUrl: (url) => url.origin === server,
        refreshBeforeExpiryMs: 0,
        refresh: async ({ signal, refreshToken }) => {
          const answer = await grant(
            { grant_type: 'refresh_token', refresh_token: refreshToken ?? '' },
            signal,
          );
          return {
            accessToken: answer.access_token,
            refreshToken: answer.refresh_token,
            expiresAt: Date.now() + answer.expires_in * 1000,
          };
        },
      })
    : undefined;

const plainKey = `{${name}}:naive`;
const call = async (): Promise<{ status: number; error?: string }> => {
  try {
    if (auth) return { status: (await auth.fetch(`${server}/api/me`)).status };
    const read = async () =>
      JSON.parse((await connection.get(plainKey)) ?? '{}') as { access_token: string; refresh_token: string };
    const get = (token: string) =>
      fetch(`${server}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    const first = await get((await read()).access_token);
    if (first.status !== 401) return { status: first.status };
    const answer = await grant({ grant_type: 'refresh_token', refresh_token: (await read()).refresh_token });
    await connection.set(plainKey, JSON.stringify(answer));
    return { status: (await get(answer.access_token)).status };
  } catch (error) {
    return { status: 0, error: (error as { code?: string }).code ?? (error as Error).message };
  }
};

process.on('message', async (message: { type: string; login?: boolean; count?: number }) => {
  if (message.type === 'login') {
    // The one-time set-up: log the service account in and store the answer where the workers read it.
    const answer = await grant({ grant_type: 'password', username: 'ann', password: 'pw' });
    if (auth)
      await auth.setToken({
        accessToken: answer.access_token,
        refreshToken: answer.refresh_token,
        expiresAt: Date.now() + answer.expires_in * 1000,
      });
    else await connection.set(plainKey, JSON.stringify(answer));
    send({ type: 'logged-in' });
  } else if (message.type === 'call') {
    const results = await Promise.all(Array.from({ length: message.count ?? 1 }, call));
    send({ type: 'results', results });
  } else if (message.type === 'exit') {
    auth?.dispose();
    setTimeout(() => {
      connection.destroy();
      process.disconnect();
    }, 100);
  }
});
send({ type: 'ready' });
