/** What the browser contract suites cannot show: the sim adapters' handling of dead tabs and negative controls. */
import { describe, expect, test } from 'vitest';
import { SimChannelHub, SimLockHub, SimStoreHub, type SimTab, type Steps } from './adapters.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const steps: Steps = { step: (tab) => (tab.dead ? new Promise(() => undefined) : Promise.resolve()) };
const tab = (id: number): SimTab & { dead: boolean } => ({ id, dead: false });
const signal = (): AbortSignal => new AbortController().signal;

describe('SimLockHub', () => {
  test('a dead holder releases the lock at once, and the next waiter is granted', async () => {
    const hub = new SimLockHub(steps);
    const a = tab(1);
    const b = tab(2);
    let bRan = false;
    void hub.lockFor(a).request(() => new Promise(() => undefined), { signal: signal() });
    const waiting = hub.lockFor(b).request(
      async () => {
        bRan = true;
        return 'b';
      },
      { signal: signal() },
    );
    await tick();
    expect(bRan).toBe(false);
    a.dead = true;
    hub.tabDied(a);
    await expect(waiting).resolves.toBe('b');
  });

  test('capacity 2 (the negative control) lets two holders in', async () => {
    const hub = new SimLockHub(steps, 2);
    let active = 0;
    let most = 0;
    const task = async () => {
      most = Math.max(most, ++active);
      await tick();
      active--;
    };
    await Promise.all([1, 2, 3].map((id) => hub.lockFor(tab(id)).request(task, { signal: signal() })));
    expect(most).toBe(2);
  });
});

describe('SimChannelHub', () => {
  test('a dead tab gets nothing; the live ones do, in order', async () => {
    const hub = new SimChannelHub(steps);
    const dead = tab(2);
    const from = hub.channelFor(tab(1));
    const toDead = hub.channelFor(dead);
    const toLive = hub.channelFor(tab(3));
    const gotDead: number[] = [];
    const gotLive: number[] = [];
    toDead.subscribe((message) => gotDead.push(message.generation));
    toLive.subscribe((message) => gotLive.push(message.generation));
    dead.dead = true;
    for (const generation of [1, 2, 3]) from.post({ type: 'ask', generation, tabId: 'x' });
    for (let index = 0; index < 10; index++) await tick();
    expect(gotDead).toEqual([]);
    expect(gotLive).toEqual([1, 2, 3]);
  });
});

describe('SimStoreHub', () => {
  test('staleReads (the negative control) answers the record as it was one write earlier', async () => {
    const hub = new SimStoreHub(steps, { staleReads: true });
    const store = hub.storeFor(tab(1));
    await store.update(() => ({ generation: 1, token: 'a' }));
    await store.update(() => ({ generation: 2, token: 'b' }));
    await expect(store.get()).resolves.toEqual({ generation: 1, token: 'a' });
  });

  test('faults: reject, never answer', async () => {
    const faults = ['reject', 'hang'] as const;
    let call = 0;
    const hub = new SimStoreHub({ ...steps, storeFault: () => faults[call++] ?? 'ok' });
    const store = hub.storeFor(tab(1));
    await expect(store.get()).rejects.toThrow(/IndexedDB get failed/);
    let settled = false;
    void store.get().finally(() => {
      settled = true;
    });
    for (let index = 0; index < 10; index++) await tick();
    expect(settled).toBe(false);
  });
});
