/** fast-check arbitraries of one schedule's input. Classes of operations and faults can be turned off. */
import fc from 'fast-check';
import type { PresetName } from '../../mock-auth-server/src/core/config.ts';
import type { StoreFault } from './adapters.js';
import type {
  BodyShape,
  ChannelKind,
  Door,
  LockKind,
  Op,
  RefreshDoor,
  RefreshFault,
  TimedOp,
  WorldInput,
} from './model.js';

/**
What can be turned off (SIM_DISABLE=store,late,...): each name removes one class of faults or operations.
- store: store get/update rejecting or never answering; slow-store: store calls slower than refreshTimeoutMs
- refresh: 5xx, network error, hang; late: answers after refreshTimeoutMs (and refresh() ignoring its
  signal); refuse: 400 invalid_grant; channel: messages delayed
- crash, freeze, abort, dispose, login, logout, open, expire, foreign: operations
- nonatomic: `atomic: false` servers; grace: the presets with a grace window (only strict stays)
- fetch: requests through `auth.fetch` (URL string + plain init: its fast path); general: `auth.fetch`
  given a `Request` or an init that is not a plain object (its general path); bodies: POST bodies other
  than a JSON string (Blob, FormData, URLSearchParams, ArrayBuffer, Uint8Array, ReadableStream)
- refresh-door: refresh() sending through `auth.fetch` or the ky hooks, with its signal or a derived one
- no-persist: `persistToken: false` schedules; skew: the server's clock off by up to ±3 min; no-iat:
  tokens without `iat`; refuse-401: refusals answered 401 instead of 400
- lease: tabs on the library's `LeaseLock`; fallback-channel: tabs on its `FallbackChannel`
- hold-refresh-token: `holdRefreshToken: true` schedules (the refresh token in the shared record, presented
  in refresh()'s request body, instead of the cookie jar)
*/
export const FAULT_CLASSES = [
  'store',
  'slow-store',
  'refresh',
  'late',
  'refuse',
  'channel',
  'crash',
  'freeze',
  'abort',
  'dispose',
  'login',
  'logout',
  'open',
  'expire',
  'foreign',
  'nonatomic',
  'grace',
  'fetch',
  'general',
  'bodies',
  'refresh-door',
  'no-persist',
  'skew',
  'no-iat',
  'refuse-401',
  'lease',
  'fallback-channel',
  'hold-refresh-token',
] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

export const parseDisabled = (value: string | undefined): Set<FaultClass> => {
  const names = (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(FAULT_CLASSES as readonly string[]).includes(name))
      throw new Error(`SIM_DISABLE: unknown class "${name}" (known: ${FAULT_CLASSES.join(', ')})`);
  }
  return new Set(names as FaultClass[]);
};

const weighted = <T>(...entries: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> =>
  fc.oneof(...entries.map(([weight, arbitrary]) => ({ weight, arbitrary })));

export const worldInput = (disabled: ReadonlySet<FaultClass> = new Set()): fc.Arbitrary<WorldInput> => {
  const on = (name: FaultClass): boolean => !disabled.has(name);
  const timeout = fc.constantFrom(1_000, 3_000);
  return timeout.chain((refreshTimeoutMs) => {
    const storeFault: fc.Arbitrary<StoreFault>[] = [];
    if (on('store')) storeFault.push(fc.constantFrom<StoreFault>('reject', 'hang'));
    if (on('slow-store'))
      storeFault.push(fc.integer({ min: 1, max: 3 * refreshTimeoutMs }).map((slowMs) => ({ slowMs })));
    const refreshFault: RefreshFault[] = [
      ...(on('refresh') ? (['5xx', 'network', 'hang'] as const) : []),
      ...(on('late') ? (['late'] as const) : []),
      ...(on('refuse') ? (['refuse'] as const) : []),
    ];
    const tab = fc.nat({ max: 7 });
    const doors: [number, fc.Arbitrary<Door>][] = [[3, fc.constant('ky')]];
    if (on('fetch')) doors.push([2, fc.constant('fetch')]);
    if (on('general')) doors.push([1, fc.constantFrom<Door>('fetch-request', 'fetch-proto')]);
    const shapes: [number, fc.Arbitrary<BodyShape>][] = [[2, fc.constant('json')]];
    if (on('bodies'))
      shapes.push([3, fc.constantFrom<BodyShape>('blob', 'form', 'params', 'buffer', 'typed', 'stream')]);
    const refreshDoors: RefreshDoor[] = [
      'plain',
      ...(on('refresh-door') ? (['fetch', 'ky', 'fetch-any', 'ky-any', 'fetch-request'] as const) : []),
    ];
    const locks: LockKind[] = ['web', ...(on('lease') ? (['lease'] as const) : [])];
    const channels: ChannelKind[] = [
      'native',
      ...(on('fallback-channel') ? (['idb', 'localstorage'] as const) : []),
    ];
    /** Per-schedule draws: mostly the first kind, else any kind (when others are on). */
    const oneOrOther = <T>(kinds: T[]): fc.Arbitrary<T> =>
      kinds.length === 1
        ? fc.constant(kinds[0] as T)
        : weighted<T>([2, fc.constant(kinds[0] as T)], [kinds.length - 1, fc.constantFrom(...kinds)]);
    /** Per-tab draws: usually one kind for every tab, sometimes a mix. */
    const perTab = <T>(kinds: T[]): fc.Arbitrary<T[]> =>
      kinds.length === 1
        ? fc.constant(kinds)
        : weighted<T[]>(
            [2, fc.constant([kinds[0] as T])],
            [2, fc.constantFrom(...kinds).map((kind) => [kind])],
            [3, fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 4 })],
          );
    const ops: [number, fc.Arbitrary<Op>][] = [
      [
        8,
        fc.record({
          kind: fc.constant('burst' as const),
          tab,
          count: fc.integer({ min: 1, max: 4 }),
          post: fc.boolean(),
          foreign: on('foreign')
            ? fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false)))
            : fc.constant(false),
          door: weighted(...doors),
          body: weighted(...shapes),
        }),
      ],
    ];
    if (on('expire')) ops.push([3, fc.constant({ kind: 'expire' as const })]);
    if (on('login')) ops.push([1, fc.record({ kind: fc.constant('login' as const), tab })]);
    if (on('logout')) ops.push([1, fc.record({ kind: fc.constant('logout' as const), tab })]);
    if (on('open')) ops.push([1, fc.constant({ kind: 'open' as const })]);
    if (on('crash')) ops.push([1, fc.record({ kind: fc.constant('crash' as const), tab })]);
    if (on('freeze'))
      ops.push([
        1,
        fc.record({
          kind: fc.constant('freeze' as const),
          tab,
          forMs: fc.integer({ min: 1, max: 3 * refreshTimeoutMs }),
          holder: fc.boolean(),
        }),
      ]);
    if (on('abort')) ops.push([1, fc.record({ kind: fc.constant('abort' as const), tab })]);
    if (on('dispose')) ops.push([1, fc.record({ kind: fc.constant('dispose' as const), tab })]);
    const timedOp: fc.Arbitrary<TimedOp> = fc.record({
      gapMs: weighted<number>(
        [4, fc.constant(0)],
        [3, fc.integer({ min: 1, max: 2_000 })],
        [2, fc.integer({ min: 2_000, max: 70_000 })],
      ),
      op: weighted(...ops),
    });
    const presets: [number, fc.Arbitrary<PresetName>][] = [[3, fc.constant('strict')]];
    if (on('grace')) presets.push([1, fc.constantFrom<PresetName>('okta', 'supabase', 'supertokens')]);
    const drawn: fc.Arbitrary<WorldInput> = fc.record({
      tabs: fc.integer({ min: 2, max: 6 }),
      preset: weighted(...presets),
      atomic: on('nonatomic') ? weighted([3, fc.constant(true)], [1, fc.constant(false)]) : fc.constant(true),
      accessTtlMs: fc.constantFrom(10_000, 30_000, 60_000),
      refreshTimeoutMs: fc.constant(refreshTimeoutMs),
      refreshBeforeExpiryMs: fc.constantFrom(0, 5_000, 30_000),
      maxLatencyMs: fc.constantFrom(0, 50, 150),
      retry: fc.constantFrom<0 | 2>(0, 2),
      ignoresSignal: on('late') ? fc.array(fc.boolean(), { maxLength: 3 }) : fc.constant([]),
      storeFaults:
        storeFault.length === 0
          ? fc.constant([])
          : fc.array(fc.record({ call: fc.nat({ max: 40 }), fault: fc.oneof(...storeFault) }), {
              maxLength: 4,
            }),
      refreshFaults:
        refreshFault.length === 0
          ? fc.constant([])
          : fc.array(
              weighted<RefreshFault>([2, fc.constant('ok' as const)], [1, fc.constantFrom(...refreshFault)]),
              {
                maxLength: 5,
              },
            ),
      channelDelayMs: on('channel')
        ? weighted([3, fc.constant(0)], [1, fc.integer({ min: 1, max: 2 * refreshTimeoutMs })])
        : fc.constant(0),
      latencySeed: fc.nat(),
      ops: fc.array(timedOp, { minLength: 1, maxLength: 10 }),
      persistToken: on('no-persist')
        ? weighted([3, fc.constant(true)], [1, fc.constant(false)])
        : fc.constant(true),
      refreshVia: perTab(refreshDoors),
      skewMs: on('skew')
        ? weighted([2, fc.constant(0)], [1, fc.integer({ min: -180_000, max: 180_000 })])
        : fc.constant(0),
      iat: on('no-iat') ? weighted([3, fc.constant(true)], [1, fc.constant(false)]) : fc.constant(true),
      refusalStatus: on('refuse-401') ? fc.constantFrom<400 | 401>(400, 401) : fc.constant<400 | 401>(400),
      lock: oneOrOther(locks),
      channel: oneOrOther(channels),
      // Drawn last (the draws above stay those of a seed before it), on in 4/9 of the schedules that persist
      // the token: about a third of all of them. It needs `persistToken` (the library refuses it without).
      holdRefreshToken: on('hold-refresh-token')
        ? weighted([5, fc.constant(false)], [4, fc.constant(true)])
        : fc.constant(false),
      // Shorter leases than the default, so that frozen holders outlive theirs (drawn after the rest).
      leaseMs: fc.integer({ min: 200, max: 5_000 }),
    });
    return drawn.map((input) =>
      input.persistToken === false ? { ...input, holdRefreshToken: false } : input,
    );
  });
};
