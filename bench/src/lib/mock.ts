import type { AuthServerStats } from 'mock-auth-server';
import { startChild } from './child.ts';

/** The mock auth server in a child process, driven over its /__mock endpoints. */
export interface Mock {
  url: string;
  /** The same server over HTTP/2 + TLS (self-signed), when started with `tls`. */
  secureUrl: string | undefined;
  reset(patch: Record<string, unknown>): Promise<void>;
  expire(): Promise<void>;
  stats(): Promise<AuthServerStats>;
  stop(): Promise<void>;
}

export const startMock = async (
  config: Record<string, unknown>,
  extra: { staticDir?: string; tls?: { key: string; cert: string } } = {},
): Promise<Mock> => {
  const child = await startChild(new URL('../servers/mock-server.ts', import.meta.url), [
    JSON.stringify({ config, ...extra }),
  ]);
  const call = async (path: string, body?: unknown) => {
    const response = await fetch(`${child.url}${path}`, {
      method: body === undefined && path.endsWith('stats') ? 'GET' : 'POST',
      ...(body !== undefined && {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  };
  return {
    url: child.url,
    secureUrl: child.secureUrl,
    reset: async (patch) => {
      await call('/__mock/reset', patch);
    },
    expire: async () => {
      await call('/__mock/expire');
    },
    stats: async () => (await call('/__mock/stats')) as AuthServerStats,
    stop: child.stop,
  };
};
