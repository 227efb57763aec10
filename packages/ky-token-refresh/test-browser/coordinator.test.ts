import { describe, expect, it } from 'vitest';
import { createTokenRefresh } from '../src/create-token-refresh.js';
import { isSessionExpiredError } from '../src/errors/session-expired-error.js';
import { channelTransports, lockTransports, sleep, storeTransports, uniqueName } from './support.js';

/**
Several `createTokenRefresh` instances with the same name in one page coordinate like tabs. Run over every
cross-tab combination the defaults can pick (memory lock only with the memory store, as in defaults.ts).
*/
const combinations = [
  { lock: 'Web Locks', channel: 'native BroadcastChannel', store: 'IndexedDB store' },
  { lock: 'IndexedDB lease lock', channel: 'native BroadcastChannel', store: 'IndexedDB store' },
  { lock: 'Web Locks', channel: 'broadcast-channel package (idb)', store: 'IndexedDB store' },
  { lock: 'IndexedDB lease lock', channel: 'broadcast-channel package (idb)', store: 'IndexedDB store' },
  {
    lock: 'IndexedDB lease lock',
    channel: 'broadcast-channel package (localstorage)',
    store: 'IndexedDB store',
  },
  { lock: 'Web Locks', channel: 'native BroadcastChannel', store: 'memory store' },
].map((combination) => ({
  ...combination,
  label: `${combination.lock} + ${combination.channel} + ${combination.store}`,
}));

const pick = <T extends { label: string }>(list: T[], label: string): T => {
  const found = list.find((item) => item.label === label);
  if (!found) throw new Error(`no transport ${label}`);
  return found;
};

describe.each(combinations)('coordination between instances: $label', (combination) => {
  const lockTransport = pick(lockTransports, combination.lock);
  const channelTransport = pick(channelTransports, combination.channel);
  const storeTransport = pick(storeTransports, combination.store);

  const setup = async (count: number, refresh: () => Promise<string>) => {
    const name = uniqueName('coord');
    const expired: number[] = [];
    const instances = await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const channel = channelTransport.create(name);
        await channelTransport.ready(channel);
        return createTokenRefresh({
          name,
          refresh,
          refreshTimeoutMs: 5000,
          crossTab: { lock: lockTransport.create(name), channel, store: storeTransport.create(name) },
          onSessionExpired: () => expired.push(index),
        });
      }),
    );
    return { instances, expired };
  };

  it('5 instances × 10 concurrent refreshes of the same generation → exactly one refresh() call', async () => {
    let calls = 0;
    const { instances } = await setup(5, async () => {
      calls++;
      await sleep(100);
      return `token-${calls}`;
    });
    const [first] = instances;
    await first?.setToken('token-0');
    // Every instance learns the login token (store or channel) before the wave.
    await expect.poll(() => instances.map((auth) => auth.getToken())).toEqual(instances.map(() => 'token-0'));
    const results = await Promise.all(
      instances.flatMap((auth) => Array.from({ length: 10 }, () => auth.refresh())),
    );
    expect(calls).toBe(1);
    expect(new Set(results)).toEqual(new Set(['token-1']));
    const stats = instances.map((auth) => auth.stats());
    expect(stats.reduce((sum, s) => sum + s.refreshes, 0)).toBe(1);
    for (const auth of instances) auth.dispose();
  });

  it('a definitive failure logs out every instance, once each', async () => {
    let calls = 0;
    const { instances, expired } = await setup(3, async () => {
      calls++;
      await sleep(50);
      throw Object.assign(new Error('invalid_grant'), { status: 400 });
    });
    await instances[0]?.setToken('token-0');
    await expect
      .poll(() => instances.map((auth) => auth.getToken()))
      .toEqual(['token-0', 'token-0', 'token-0']);
    const settled = await Promise.allSettled(instances.flatMap((auth) => [auth.refresh(), auth.refresh()]));
    expect(calls).toBe(1);
    for (const result of settled) {
      expect(result.status).toBe('rejected');
      expect(isSessionExpiredError((result as PromiseRejectedResult).reason)).toBe(true);
    }
    await expect.poll(() => [...expired].sort()).toEqual([0, 1, 2]);
    expect(instances.map((auth) => auth.getToken())).toEqual([undefined, undefined, undefined]);
    for (const auth of instances) auth.dispose();
  });
});
