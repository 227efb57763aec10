/**
Stands in for test-browser/support.ts when the browser contract suites (test-browser/{lock,channel,store}
.test.ts) run in Node against the simulation's adapters (sim/vitest.contract.config.ts aliases it). Each
`create(name)` is one more tab on the hubs of `name`; every step waits a random 0-3 ms of real time, so
the suites see the adapters' own ordering, abort and atomicity rules under real concurrency.
*/
import type { ChannelTransport, LockTransport, StoreTransport } from '../test-browser/support.js';
import { SimChannelHub, SimLockHub, SimStoreHub, type SimTab, type Steps } from './adapters.js';

export const uniqueName = (label: string): string => `${label}-${Math.random().toString(36).slice(2, 10)}`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const steps: Steps = {
  step: () => sleep(Math.random() * 3),
  sleep,
};

let tabs = 0;
const tab = (): SimTab => ({ id: ++tabs, dead: false });

const hubs = <T>(create: () => T) => {
  const byName = new Map<string, T>();
  return (name: string): T => {
    let hub = byName.get(name);
    if (!hub) {
      hub = create();
      byName.set(name, hub);
    }
    return hub;
  };
};

// SIM_CONTRACT_SABOTAGE=double-lock|stale-store runs the suites against a broken adapter, to see them fail.
const sabotage = process.env.SIM_CONTRACT_SABOTAGE;
const locks = hubs(() => new SimLockHub(steps, sabotage === 'double-lock' ? 2 : 1));
const channels = hubs(() => new SimChannelHub(steps));
const stores = hubs(() => new SimStoreHub(steps, { staleReads: sabotage === 'stale-store' }));

export const lockTransports: LockTransport[] = [
  { label: 'sim lock (Web Locks semantics)', create: (name) => locks(name).lockFor(tab()) },
];

export const channelTransports: ChannelTransport[] = [
  {
    label: 'sim channel (BroadcastChannel semantics)',
    create: (name) => channels(name).channelFor(tab()),
    ready: async () => undefined,
    isolatesListenerErrors: true,
  },
];

export const storeTransports: StoreTransport[] = [
  { label: 'sim store (IndexedDB semantics)', create: (name) => stores(name).storeFor(tab()) },
];
