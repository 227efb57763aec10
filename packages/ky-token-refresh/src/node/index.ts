/**
`ky-token-refresh/node`: the same `createTokenRefresh` (ky hooks, `auth.fetch` and the controls) for Node
processes that share one rotating refresh token on one machine (a CLI and the tools that read its
credentials file, worker processes), coordinated through the credentials file's directory: the refresh
lock, the record (with the refresh token) and change notifications live there (see `createFileAdapters`).

@example
```
import { createTokenRefresh } from 'ky-token-refresh/node';
const auth = createTokenRefresh({
  credentialsFile: path.join(os.homedir(), '.mycli', 'credentials.json'),
  isAuthorizedUrl: (url) => url.origin === 'https://api.example.com',
  refresh: async ({ signal, refreshToken }) => {
    const answer = await ky.post('https://auth.example.com/oauth/token', {
      signal,
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '', client_id }),
    }).json<{ access_token: string; refresh_token?: string; expires_in: number }>();
    return {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      expiresAt: Date.now() + answer.expires_in * 1000,
    };
  },
});
```
*/
import { basename, dirname, resolve } from 'node:path';
import {
  createTokenRefresh as createBrowserTokenRefresh,
  type TokenRefresh,
} from '../create-token-refresh.js';
import type { TokenRefreshOptions } from '../options.js';
import { createFileAdapters, type FileAdaptersOptions } from './file-adapters.js';

export { createMemoryAdapters, MemoryChannel, MemoryLock, MemoryStore } from '../adapters/memory.js';
export * from '../common-exports.js';
export type { TokenRefresh } from '../create-token-refresh.js';
export * from './file-adapters.js';

/** The options of `ky-token-refresh/node`: those of the main entry, and where the processes meet. */
export interface NodeTokenRefreshOptions extends TokenRefreshOptions {
  /**
  The credentials file the processes share: the record (access token, refresh token, expiry, generation) as
  JSON, mode 0600, written atomically. Its directory (created 0700 when missing) also holds the refresh
  lock (`<name>.lock`) and the change notifications (`<name>.channel/`). Processes that name the same file
  refresh once for all. Without it, instances coordinate within this process only (or through the
  adapters given as `crossTab`).
  */
  credentialsFile?: string;
  /** Options of the file adapters (lease, polling, message lifetime): see `createFileAdapters`. */
  files?: Omit<FileAdaptersOptions, 'fileName' | 'name'>;
}

/**
Create the hooks, `fetch` and the controls for one token, in Node. As the main entry's `createTokenRefresh`,
with these differences:
- `holdRefreshToken` defaults to `true`: `refresh()` is given the record's refresh token and may answer the
  new one (the file is where every process reads it).
- `isAuthorizedUrl` is required: there is no page origin to default to, and a token must never go to an
  origin the app did not name.
- `credentialsFile` coordinates the processes that name the same file.
*/
export const createTokenRefresh = (options: NodeTokenRefreshOptions): TokenRefresh => {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createTokenRefresh(options) needs an options object.');
  const { credentialsFile, files, ...rest } = options;
  if (rest.isAuthorizedUrl === undefined)
    throw new TypeError(
      '`isAuthorizedUrl` is required in Node: there is no page origin, and the token must only go to the origins you name.',
    );
  if (credentialsFile === undefined) return createBrowserTokenRefresh({ holdRefreshToken: true, ...rest });
  if (typeof credentialsFile !== 'string' || credentialsFile === '')
    throw new TypeError('`credentialsFile` must be a non-empty path.');
  if (rest.crossTab === false)
    throw new TypeError('`credentialsFile` coordinates processes: it cannot be used with `crossTab: false`.');
  const path = resolve(credentialsFile);
  const adapters = createFileAdapters(dirname(path), {
    ...files,
    name: rest.name ?? 'ky-token-refresh',
    fileName: basename(path),
  });
  const given = typeof rest.crossTab === 'object' ? rest.crossTab : {};
  return createBrowserTokenRefresh({ holdRefreshToken: true, ...rest, crossTab: { ...adapters, ...given } });
};
