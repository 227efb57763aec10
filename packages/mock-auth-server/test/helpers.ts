import type { Clock } from '../src/core/clock.ts';
import type { ConfigPatch } from '../src/core/config.ts';
import type { AuthStorage } from '../src/core/storage.ts';
import { type AuthServer, createAuthServer, createMemoryStorage } from '../src/index.ts';

/** A clock whose `now` only moves when told; `sleep` really waits (so concurrent calls overlap). */
export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  return {
    now: () => now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface TestServer {
  server: AuthServer;
  clock: ManualClock;
  storage: AuthStorage;
}

export function testServer(
  config: ConfigPatch = {},
  storage: AuthStorage = createMemoryStorage(),
): TestServer {
  const clock = manualClock();
  return { server: createAuthServer({ storage, config, clock, random: () => 0.5 }), clock, storage };
}

/** Logs in and returns the refresh token from the login. */
export async function login(server: AuthServer, username = 'ann'): Promise<string> {
  const result = await server.login(username, 'secret');
  if (!result.ok || result.refreshToken === null) throw new Error('login failed');
  return result.refreshToken;
}

/** A refresh as the browser sends it: cookie and CSRF header. */
export function refresh(server: AuthServer, refreshToken: string | null) {
  return server.refresh({ refreshToken, requestedWith: 'XMLHttpRequest' });
}

/** The child refresh token of a successful refresh, or a failure thrown as an error. */
export async function rotate(server: AuthServer, refreshToken: string): Promise<string> {
  const result = await refresh(server, refreshToken);
  if (!result.ok || result.refreshToken === null)
    throw new Error(`refresh failed: ${JSON.stringify(result)}`);
  return result.refreshToken;
}

/** The stats object with every counter at zero, overridden by `partial`. */
export function stats(partial: Record<string, unknown>) {
  return {
    refreshRequests: 0,
    rotations: 0,
    graceHits: 0,
    reuseDetections: 0,
    familyRevocations: 0,
    refreshFailures: {},
    maxInFlightRefreshPerFamily: 0,
    api401s: {},
    api200s: 0,
    logins: 0,
    logouts: 0,
    ...partial,
  };
}
