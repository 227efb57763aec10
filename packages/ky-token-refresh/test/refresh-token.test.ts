/**
The refresh token held in the record (`holdRefreshToken`): `refresh()` is given the refresh token of the
record it refreshes, read from the store under the lock; a rotation replaces it by compare-and-set, so a
refresh token that rotated is never presented again by any instance sharing the record; it never travels
in events, errors, stats or channel messages.
*/
import { expect, test } from 'vitest';
import {
  type Channel,
  type ChannelMessage,
  createMemoryAdapters,
  type Lock,
  type LockGrant,
  type RefreshResult,
  type Store,
  type TokenRecord,
  type TokenRefreshEvent,
} from '../src/index.js';
import { createClient } from './support/client.js';
import { useTestServer } from './support/server.js';
import { until } from './support/wait.js';

const server = useTestServer();

let scope = 0;

/**
A rotating issuer of refresh tokens: each refresh token is good once; presenting one that rotated is
reuse (`invalid_grant`, as a strict server answers).
*/
const rotatingIssuer = () => {
  let live = 'rt-0';
  let issued = 0;
  const presented: (string | undefined)[] = [];
  const reused: string[] = [];
  const refresh = async ({ refreshToken }: { refreshToken?: string | undefined }): Promise<RefreshResult> => {
    presented.push(refreshToken);
    if (refreshToken !== live) {
      if (refreshToken !== undefined) reused.push(refreshToken);
      throw Object.assign(new Error('invalid_grant'), { status: 400 });
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    const response = await fetch(`${server.current.origin}/auth/refresh`, { method: 'POST' });
    const { access_token } = (await response.json()) as { access_token: string };
    live = `rt-${++issued}`;
    return { accessToken: access_token, refreshToken: live };
  };
  return { refresh, presented, reused, live: () => live };
};

/** Adapters of one more instance on `name`, recording every message posted into `messages`. */
const recorded = (name: string, messages: ChannelMessage[]) => {
  const own = createMemoryAdapters(name);
  const channel: Channel = {
    post: (message) => {
      messages.push(message);
      own.channel.post(message);
    },
    subscribe: (listener) => own.channel.subscribe(listener),
    close: () => own.channel.close(),
  };
  return { ...own, channel };
};

/** The adapters of one instance on `name`, the messages it posts and the shared store. */
const recording = (name: string) => {
  const messages: ChannelMessage[] = [];
  const adapters = recorded(name, messages);
  return { adapters, messages, store: adapters.store };
};

test('a refreshToken without holdRefreshToken is refused with a TypeError naming the option', async () => {
  const { auth } = createClient();
  await expect(auth.setToken({ accessToken: 'a', refreshToken: 'secret-rt' })).rejects.toThrow(
    /holdRefreshToken/,
  );
  await expect(auth.setToken({ accessToken: 'a', refreshToken: 'secret-rt' })).rejects.not.toThrow(
    /secret-rt/,
  );
  expect(auth.getToken()).toBeUndefined();
});

test('holdRefreshToken needs persistToken, and must be a boolean', () => {
  expect(() => createClient({ holdRefreshToken: true, persistToken: false })).toThrow(
    /holdRefreshToken.*persistToken/,
  );
  expect(() => createClient({ holdRefreshToken: 'yes' as unknown as boolean })).toThrow(
    /`holdRefreshToken` must be a boolean/,
  );
});

test('refresh() is given the record’s refresh token, and the one it answers replaces it', async () => {
  const issuer = rotatingIssuer();
  const name = `refresh-token-${++scope}`;
  const { adapters, store } = recording(name);
  const { auth, api } = createClient({
    name,
    holdRefreshToken: true,
    crossTab: adapters,
    refresh: issuer.refresh,
  });
  await auth.setToken({ accessToken: 'stale', refreshToken: 'rt-0' });
  await expect(api.get('a').json()).resolves.toMatchObject({ path: '/api/a' });
  server.current.validToken = 'expired-again';
  await expect(api.get('b').json()).resolves.toMatchObject({ path: '/api/b' });
  expect(issuer.presented).toEqual(['rt-0', 'rt-1']);
  expect((await store.get())?.refreshToken).toBe('rt-2');
});

test('a refresh answer without a refresh token keeps the one it refreshed with (the server did not rotate)', async () => {
  const presented: (string | undefined)[] = [];
  const { auth, api } = createClient({
    holdRefreshToken: true,
    refresh: async ({ refreshToken }) => {
      presented.push(refreshToken);
      const response = await fetch(`${server.current.origin}/auth/refresh`, { method: 'POST' });
      return ((await response.json()) as { access_token: string }).access_token;
    },
  });
  await auth.setToken({ accessToken: 'stale', refreshToken: 'long-lived' });
  await expect(api.get('a').json()).resolves.toMatchObject({ path: '/api/a' });
  server.current.validToken = 'expired-again';
  await expect(api.get('b').json()).resolves.toMatchObject({ path: '/api/b' });
  expect(presented).toEqual(['long-lived', 'long-lived']);
});

test('two instances at one expiry: one rotation, and the other never presents the rotated refresh token', async () => {
  const issuer = rotatingIssuer();
  const name = `refresh-token-${++scope}`;
  const messages: ChannelMessage[] = [];
  const events: TokenRefreshEvent[] = [];
  const clients = [0, 1, 2].map(() =>
    createClient({
      name,
      holdRefreshToken: true,
      crossTab: recorded(name, messages),
      refresh: issuer.refresh,
    }),
  );
  for (const { auth } of clients) auth.subscribe((event) => events.push(event));
  await clients[0]?.auth.setToken({ accessToken: 'stale', refreshToken: 'rt-0' });
  expect(await until(() => clients.every(({ auth }) => auth.getToken() === 'stale'))).toBe(true);
  for (let round = 1; round <= 5; round++) {
    server.current.validToken = `expired-${round}`;
    const results = await Promise.all(clients.map(({ api }, index) => api.get(`r${round}-${index}`).json()));
    expect(results).toHaveLength(3);
  }
  // One rotation per expiry, in whichever instance won the lock; nobody presented a rotated token.
  expect(issuer.presented).toEqual(['rt-0', 'rt-1', 'rt-2', 'rt-3', 'rt-4']);
  expect(issuer.reused).toEqual([]);
  const tokens = new Set(clients.map(({ auth }) => auth.getToken()));
  expect(tokens.size).toBe(1);
  // Never in a message, an event or the stats.
  const seen = JSON.stringify([messages, events, clients.map(({ auth }) => auth.stats())]);
  for (let index = 0; index <= 5; index++) expect(seen).not.toContain(`rt-${index}`);
});

test('logout drops the refresh token: an explicit refresh() after it is given none', async () => {
  const presented: (string | undefined)[] = [];
  const name = `refresh-token-${++scope}`;
  const { adapters, store } = recording(name);
  const { auth } = createClient({
    name,
    holdRefreshToken: true,
    crossTab: adapters,
    refresh: ({ refreshToken }) => {
      presented.push(refreshToken);
      return null;
    },
  });
  await auth.setToken({ accessToken: 'a1', refreshToken: 'rt-before-logout' });
  await auth.logout();
  expect(JSON.stringify(await store.get())).not.toContain('rt-before-logout');
  await expect(auth.refresh()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
  expect(presented).toEqual([undefined]);
});

test('stats(): conflicts, the most attempts from one version, and the rotated refresh token’s lifetime', async () => {
  const issuer = rotatingIssuer();
  const name = `refresh-token-${++scope}`;
  const a = createClient({
    name,
    holdRefreshToken: true,
    crossTab: recorded(name, []),
    refresh: issuer.refresh,
  });
  await a.auth.setToken({ accessToken: 'stale', refreshToken: 'rt-0' });
  await new Promise((resolve) => setTimeout(resolve, 30));
  await expect(a.api.get('a').json()).resolves.toMatchObject({ path: '/api/a' });
  expect(a.auth.stats()).toMatchObject({ refreshes: 1, conflicts: 0, maxAttempts: 1 });
  expect(a.auth.stats().refreshTokenLifetimeMs).toBeGreaterThanOrEqual(25);

  // Transient failures, then success: four attempts from one version.
  let failing = 3;
  const flaky = createClient({
    holdRefreshToken: true,
    refresh: async (context) => {
      if (failing-- > 0) throw new Error('503 from the token endpoint');
      return issuer.refresh(context);
    },
  });
  await flaky.auth.setToken({ accessToken: 'stale', refreshToken: issuer.live() });
  server.current.validToken = 'expired';
  for (let attempt = 0; attempt < 3; attempt++) await expect(flaky.api.get('f').json()).rejects.toThrow();
  await expect(flaky.api.get('f').json()).resolves.toMatchObject({ path: '/api/f' });
  expect(flaky.auth.stats()).toMatchObject({ refreshes: 4, failures: 3, maxAttempts: 4, conflicts: 0 });

  // A refresh refused because another process rotated meanwhile (it presented the rotated token, the store
  // could not be read): a conflict, and the newer record is taken.
  const rotated = issuer.live();
  const other = createClient({
    name: `${name}-conflict`,
    holdRefreshToken: true,
    crossTab: recorded(`${name}-conflict`, []),
    refresh: async (context) => {
      // Meanwhile another process rotated and stored its record.
      await c.auth.setToken({ accessToken: 'from-the-other-process', refreshToken: 'rt-elsewhere' });
      return issuer.refresh(context);
    },
  });
  const c = createClient({
    name: `${name}-conflict`,
    holdRefreshToken: true,
    crossTab: recorded(`${name}-conflict`, []),
  });
  await other.auth.setToken({ accessToken: 'stale', refreshToken: 'not-live' });
  server.current.validToken = 'from-the-other-process';
  await expect(other.api.get('c').json()).resolves.toMatchObject({ path: '/api/c' });
  expect(other.auth.stats()).toMatchObject({ refreshes: 1, conflicts: 1 });
  expect(other.auth.getToken()).toBe('from-the-other-process');
  expect(rotated).toBe(issuer.live());
});

/** Memory adapters on `name` whose lock grants what a lease lock tells its holder. */
const leased = (name: string, grant: LockGrant) => {
  const own = createMemoryAdapters(name);
  const lock: Lock = { request: (task, options) => own.lock.request(() => task(grant), options) };
  return { ...own, lock };
};

test('stats().lostRotations: a refusal right after taking over the lock from a dead holder is a lost rotation, said in the error; without a takeover (or without holdRefreshToken) it is not', async () => {
  const refused = () => Promise.reject(Object.assign(new Error('invalid_grant'), { status: 400 }));
  const refuse = async (holdRefreshToken: boolean, tookOver: boolean) => {
    const name = `lost-rotation-${++scope}`;
    const { auth } = createClient({
      name,
      holdRefreshToken,
      crossTab: leased(name, { tookOver }),
      refresh: refused,
    });
    await auth.setToken(holdRefreshToken ? { accessToken: 'a1', refreshToken: 'rt-sent-by-the-dead' } : 'a1');
    const error = await auth.refresh().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
    expect(String((error as Error).message)).not.toContain('rt-sent-by-the-dead');
    return { lost: auth.stats().lostRotations, message: (error as Error).message };
  };
  const lost = await refuse(true, true);
  expect(lost.lost).toBe(1);
  expect(lost.message).toMatch(/after a takeover \(rotation lost\)/);
  expect(await refuse(true, false)).toMatchObject({ lost: 0 });
  expect(await refuse(false, true)).toMatchObject({ lost: 0 });
});

test('a lease lost before refresh() is called: nothing is sent, the newer record another holder stored is taken', async () => {
  const name = `lease-lost-${++scope}`;
  const lost = new AbortController();
  lost.abort(new Error('Lost the lease'));
  const calls: string[] = [];
  const adapters = leased(name, { lost: lost.signal, held: () => !lost.signal.aborted });
  // Its read under the lock came before the pause: it found the record it refreshes from.
  let snapshot: TokenRecord | undefined;
  let stale = false;
  const store: Store = {
    get: () => {
      if (!stale) return adapters.store.get();
      stale = false;
      return Promise.resolve(snapshot);
    },
    update: (updater) => adapters.store.update(updater),
  };
  const paused = createClient({
    name,
    holdRefreshToken: true,
    crossTab: { ...adapters, store },
    refresh: async ({ refreshToken }) => {
      calls.push(String(refreshToken));
      return { accessToken: 'from-the-paused-one', refreshToken: 'rt-paused' };
    },
  });
  await paused.auth.setToken({ accessToken: 'a1', refreshToken: 'rt-1' });
  snapshot = await adapters.store.get();
  // Meanwhile (its lease ran out) another holder rotated and stored its record.
  await adapters.store.update((current) => ({
    ...(current as TokenRecord),
    generation: (current as TokenRecord).generation + 1,
    token: 'from-the-new-holder',
    refreshToken: 'rt-2',
  }));
  stale = true;
  await expect(paused.auth.refresh()).resolves.toBeDefined();
  expect(calls).toEqual([]);
  expect(paused.auth.getToken()).toBe('from-the-new-holder');
});

test('a lease lost before refresh() is called, twice, with nothing newer stored: nothing is sent, a transient RefreshFailedError says why', async () => {
  const name = `lease-lost-twice-${++scope}`;
  const lost = new AbortController();
  lost.abort(new Error('Lost the lease'));
  const calls: string[] = [];
  let grants = 0;
  const adapters = leased(name, { lost: lost.signal, held: () => !lost.signal.aborted });
  const lock: Lock = {
    request: (task, options) => {
      grants++;
      return adapters.lock.request(task, options);
    },
  };
  const { auth } = createClient({
    name,
    holdRefreshToken: true,
    crossTab: { ...adapters, lock },
    refresh: async ({ refreshToken }) => {
      calls.push(String(refreshToken));
      return { accessToken: 'never', refreshToken: 'never' };
    },
  });
  await auth.setToken({ accessToken: 'a1', refreshToken: 'rt-1' });
  const error = await auth.refresh().catch((caught: unknown) => caught);
  expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED' });
  expect((error as Error).message).toMatch(/refresh lock failed: Lost the lease/);
  expect(calls).toEqual([]);
  expect(grants).toBe(2);
  expect(auth.getToken()).toBe('a1');
});

test("a lease lost while refresh() runs aborts its signal with the lock's reason", async () => {
  const name = `lease-lost-running-${++scope}`;
  const lost = new AbortController();
  let seen: unknown;
  const { auth } = createClient({
    name,
    holdRefreshToken: true,
    crossTab: leased(name, { lost: lost.signal, held: () => !lost.signal.aborted }),
    refresh: ({ signal }) =>
      new Promise<RefreshResult>((_, reject) => {
        signal.addEventListener('abort', () => {
          seen = signal.reason;
          reject(signal.reason);
        });
        setTimeout(() => lost.abort(new Error('Lost the lease')), 5);
      }),
  });
  await auth.setToken({ accessToken: 'a1', refreshToken: 'rt-1' });
  await expect(auth.refresh()).rejects.toMatchObject({ code: 'ERR_REFRESH_FAILED' });
  expect(seen).toMatchObject({ message: 'Lost the lease' });
});
