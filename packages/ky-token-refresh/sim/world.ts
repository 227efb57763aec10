/**
One simulated browser: 2-8 tabs, each a real `createTokenRefresh` instance driving real ky requests,
against the simulated server, on a virtual clock, every step ordered by one fast-check scheduler. The
world records what it sees and reports violations of the invariants (invariants.ts checks the end state).
*/
import type { Scheduler } from 'fast-check';
import ky, { type KyInstance } from 'ky';
import {
  createTokenRefresh,
  FallbackChannel,
  isTokenRefreshError,
  LeaseLock,
  type Lock,
  type LockGrant,
  type RefreshResult,
  type TokenRefresh,
  type TokenRefreshOptions,
} from '../src/index.js';
import {
  SimChannelHub,
  SimLockHub,
  SimStoreHub,
  type SimTab,
  type Steps,
  type StoreFault,
} from './adapters.js';
import { type BuiltBody, buildBody, type Canon, canon, difference, expectedBody } from './bodies.js';
import { VirtualClock } from './clock.js';
import { SimIdb } from './idb.js';
import type { BodyShape, Door, RefreshDoor, RefreshFault, Sabotage, TimedOp, WorldInput } from './model.js';
import { packageWorld } from './package-channel.js';
import { SimServer } from './server.js';

export const ORIGIN = 'https://app.sim';
export const FOREIGN = 'https://other.sim';
const MAX_TABS = 8;
/** A schedule that has not gone idle after this many clock moves is a livelock. */
const MAX_CLOCK_MOVES = 5_000;
/**
Scheduled steps one schedule may take (a few thousand at most in practice): more is a storm of messages
or store calls that never settles, even at one instant of the clock (a livelock the clock cap cannot see).
*/
const MAX_STEPS = 200_000;

const never = new Promise<never>(() => undefined);
/** ky always hands its `fetch` a Request. */
const asFetch = (fetch: (input: Request) => Promise<Response>): typeof globalThis.fetch =>
  fetch as unknown as typeof globalThis.fetch;
const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const mulberry32 = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
The order of records: by generation, or (where the library stamps records with the `epoch` of the login or
logout they descend from) by epoch, then generation.
*/
type Rank = readonly [epoch: number, generation: number];
const epochOf = (value: object): number => (value as { epoch?: number }).epoch ?? 0;
const below = (a: Rank, b: Rank): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

export interface Tab extends SimTab {
  readonly id: number;
  dead: boolean;
  frozen: boolean;
  disposed: boolean;
  readonly parked: (() => void)[];
  readonly auth: TokenRefresh;
  readonly api: KyInstance;
  readonly foreign: KyInstance;
  /** ky with the hooks and the global fetch (a refresh() that sends through the ky door uses it). */
  readonly root: KyInstance;
  readonly ignoresSignal: boolean;
  /** How this tab's refresh() sends its request. */
  readonly refreshVia: RefreshDoor;
  /** The last token this tab was seen to hold. */
  lastToken?: string;
  /** This tab called logout() or heard of a logout, and no login happened since. */
  knowsLogout: boolean;
  /** This tab's logout() has not settled yet. */
  loggingOut: boolean;
  /** Highest rank (epoch, generation) this tab ever used. */
  lastRank: Rank;
  /** World tick of this tab's last store read or write that completed (0: none). */
  storeSeenTick: number;
  /** Virtual time at which the tab was opened. */
  openedAt: number;
  /** onSessionExpired calls, by session, since this tab last took a token. */
  readonly expiredCalls: Map<number, number>;
  /**
  `holdRefreshToken`: the refresh token of the last record this tab made itself (its login's, or its own
  refresh() answer's), what an app keeping its own copy would present (the `stale-refresh-token` control).
  */
  ownRefreshToken?: string;
}

export interface Session {
  readonly index: number;
  readonly family: string;
  refusals: number;
  loggedOut: boolean;
  refusedBeforeLogout: boolean;
  /** The tab whose logout() ended the session. */
  logoutBy?: Tab;
  /** The server heard of the logout (the app revokes after logout() settles). */
  revoked?: boolean;
  /** A logout record reached the store after the logout was called. */
  logoutStored?: boolean;
  /** World tick at which that logout record reached the store. */
  logoutStoredTick?: number;
  /** Virtual time at which the logout that ended it was called. */
  logoutAt?: number;
  /** Virtual time of the login that started it. */
  startedAt?: number;
  /**
  The logout that ended it was called at the very instant its login was, in a tab without a token: the two
  are concurrent and the library may rank either first (every tab must still end on one record).
  */
  concurrentLogout?: boolean;
}

export interface RequestRecord {
  readonly id: number;
  readonly tab: Tab;
  readonly method: 'GET' | 'POST';
  readonly foreign: boolean;
  readonly door: Door;
  readonly shape: BodyShape;
  /** What plain `fetch` sends for the same (input, init) (the fetch doors), the differential's reference. */
  reference?: Promise<Canon>;
  /** The first attempt the network received (the reference of the ky door's later attempts). */
  first?: Canon;
  attempts: number;
  readonly startedAt: number;
  readonly controller: AbortController;
  readonly session: Session;
  /** Events that excuse a failure (set while the request is in flight). */
  excuses: Set<string>;
  aborted: boolean;
  /** The token each attempt carried (undefined: none). */
  readonly sent: (string | undefined)[];
  settledAt?: number;
  ok?: boolean;
  error?: unknown;
}

/** One refresh() call of the library, as the app's refresh function sees it. */
interface RefreshCall {
  readonly id: number;
  readonly tab: Tab;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  settled: boolean;
  abandonedAt?: number;
  /** Its tab was frozen while it ran (a lease holder then stops renewing). */
  frozeDuring?: boolean;
  readonly onEnd: (() => void)[];
  /** `holdRefreshToken`: the refresh token it put in its request body (`null`: none). */
  presented?: string | null;
}

/** A server rotation, to tell an unavoidable invalid_grant (the tab that got it died or gave up) from a bug. */
interface Rotation {
  readonly call: RefreshCall;
  delivered: boolean;
  /** The refresh token it issued. */
  readonly child: string | null;
  /** World tick at which the server made it. */
  readonly tick: number;
}

/** The refresh endpoint's answer (`refresh_token`: with `holdRefreshToken`, when the server issued one). */
interface RefreshAnswer {
  access_token: string;
  refresh_token?: string;
}

/** A second 401 that `auth.fetch` returned as the Response it is (the ky door throws HTTPError). */
export class UnauthorizedAnswer extends Error {
  override name = 'UnauthorizedAnswer';
  readonly status = 401;
}

/** Counts of what a schedule exercised (summed by the runner). */
export type Counts = Record<string, number>;

export class World {
  readonly input: WorldInput;
  /**
  `holdRefreshToken` (needs `persistToken`): the refresh token lives in the shared record, and the refresh
  request presents it in its body; else in the cookie jar (`jar`), which every refresh request carries.
  */
  readonly hold: boolean;
  readonly clock = new VirtualClock();
  readonly server: SimServer;
  readonly tabs: Tab[] = [];
  readonly requests: RequestRecord[] = [];
  readonly violations: string[] = [];
  readonly counts: Counts = {};
  readonly lockHub: SimLockHub;
  readonly channelHub: SimChannelHub;
  readonly storeHub: SimStoreHub;
  /** The IndexedDB of the lease lock (`lock: 'lease'`). */
  readonly idb: SimIdb;
  readonly #s: Scheduler;
  readonly #sabotage: Sabotage;
  get sabotage(): Sabotage {
    return this.#sabotage;
  }
  readonly #random: () => number;
  readonly #serverTab: SimTab = { id: -1, dead: false };
  readonly #calls = new Set<RefreshCall>();
  readonly #rotations = new Map<string, Rotation>();
  #storeCalls = 0;
  #refreshFaults: RefreshFault[];
  jar: string | null = null;
  session: Session = { index: 0, family: '', refusals: 0, loggedOut: false, refusedBeforeLogout: false };
  /** Unavoidable invalid_grants: the rotating tab died or gave up before the new cookie was shared. */
  readonly lostRotations = { crash: 0, abandoned: 0 };
  #ids = 0;
  #ended = false;
  #steps = 0;
  #tick = 0;
  #storeWriteTick = 0;
  /** World tick of the last store write that completed. */
  get storeWriteTick(): number {
    return this.#storeWriteTick;
  }
  readonly #grantTick = new Map<SimTab, number>();
  /** The tick of the last store call of a tab that failed or was given up, by `tab:operation`. */
  readonly #storeFailed = new Map<string, number>();
  /** `holdRefreshToken`: the tick at which each refresh token first reached the store. */
  readonly #storedAt = new Map<string, number>();
  storeFaultsHit = 0;
  maxLatencyObserved = 0;

  constructor(s: Scheduler, input: WorldInput, sabotage: Sabotage = {}) {
    this.#s = s;
    this.input = input;
    this.hold = input.holdRefreshToken === true && input.persistToken !== false;
    this.#sabotage = sabotage;
    this.#random = mulberry32(input.latencySeed);
    this.#refreshFaults = [...input.refreshFaults];
    this.server = new SimServer(input.preset, input.atomic, input.accessTtlMs, { iat: input.iat ?? true });
    const steps: Steps = {
      step: (tab, label) => this.step(tab, label),
      sleep: (ms) => this.clock.sleep(ms),
      channelDelay: () => {
        if (input.channelDelayMs > 0) this.count('fault:channel-delay');
        return input.channelDelayMs;
      },
      storeFault: (tab, operation) => {
        const call = this.#storeCalls++;
        const fault: StoreFault = input.storeFaults.find((entry) => entry.call === call)?.fault ?? 'ok';
        if (fault !== 'ok') {
          this.storeFaultsHit++;
          this.count(`fault:store-${operation}-${typeof fault === 'object' ? 'slow' : fault}`);
          const T = input.refreshTimeoutMs;
          this.#excuseAll('store', this.clock.now + (typeof fault === 'object' ? fault.slowMs : 0) + 4 * T);
          // A call that fails, or that the library gives up (its bound: a quarter of refreshTimeoutMs, at
          // most 2 s), by tab and kind.
          const bound = Math.min(2_000, Math.max(1, Math.floor(T / 4)));
          if (typeof fault !== 'object' || fault.slowMs >= bound)
            this.#storeFailed.set(`${tab.id}:${operation}`, ++this.#tick);
        }
        return fault;
      },
    };
    this.lockHub = new SimLockHub(steps, sabotage.lockCapacity ?? 1);
    this.channelHub = new SimChannelHub(steps);
    this.storeHub = new SimStoreHub(steps, { staleReads: sabotage.staleReads ?? false });
    this.idb = new SimIdb(steps);
    const store = this.storeHub;
    const storeFor = store.storeFor.bind(store);
    store.storeFor = (tab) => {
      const inner = storeFor(tab);
      return {
        get: async () => {
          const value = await inner.get();
          (tab as Tab).storeSeenTick = ++this.#tick;
          return value;
        },
        update: async (updater) => {
          const next = await inner.update(updater);
          this.#storeWriteTick = ++this.#tick;
          (tab as Tab).storeSeenTick = this.#storeWriteTick;
          if (next.refreshToken !== undefined && !this.#storedAt.has(next.refreshToken))
            this.#storedAt.set(next.refreshToken, this.#storeWriteTick);
          if (
            next.token === null &&
            next.reason === 'logout' &&
            this.session.loggedOut &&
            !this.session.logoutStored
          ) {
            this.session.logoutStored = true;
            this.session.logoutStoredTick = this.#storeWriteTick;
          }
          this.#learn(next.token, [epochOf(next), next.generation]);
          return next;
        },
      };
    };
    const channels = this.channelHub;
    const channelFor = channels.channelFor.bind(channels);
    channels.channelFor = (tab) => {
      const inner = channelFor(tab);
      return {
        ...inner,
        post: (message) => {
          // Negative control: the channel loses every logout.
          if (sabotage.lostLogout && message.type === 'logout' && message.reason === 'logout') return;
          if (message.type === 'token') this.#learn(message.token, [epochOf(message), message.generation]);
          // Negative control: a token message carries the refresh token of the record it announces.
          const stored = this.storeHub.value;
          const sent =
            sabotage.leakRefreshToken && message.type === 'token' && stored && stored.token === message.token
              ? { ...message, refreshToken: stored.refreshToken }
              : message;
          this.noRefreshToken(tab as Tab, 'a channel message', sent);
          inner.post(sent);
        },
      };
    };
    const lock = this.lockHub;
    const grant = lock.lockFor.bind(lock);
    // Note the grant time of each tab (the redundant-refresh check needs it).
    lock.lockFor = (tab) => {
      const inner = grant(tab);
      return {
        request: (task, options) =>
          inner.request(() => {
            this.#grantTick.set(tab, ++this.#tick);
            this.#freezeAtGrant(tab as Tab);
            return task();
          }, options),
      };
    };
  }

  count(key: string, by = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }

  violation(message: string): void {
    this.violations.push(`[t=${this.clock.now - 1_767_225_600_000}ms] ${message}`);
  }

  /** A refresh token the server issued, found in `text`. */
  #refreshTokenIn(text: string): string | undefined {
    if (!text.includes('.r')) return undefined;
    for (const [found] of text.matchAll(/f\d+\.r\d+(?:~d)*/g))
      if (this.server.state.tokens[found] !== undefined) return found;
    return undefined;
  }

  /**
  `holdRefreshToken`: a refresh token never leaves the record: not in a channel message, an event, `stats()`,
  or the message of an error a tab hands the app (or of its causes).
  */
  noRefreshToken(tab: Tab, where: string, value: unknown): void {
    if (!this.hold) return;
    let text: string;
    if (value instanceof Error) {
      const messages: string[] = [];
      for (let error: unknown = value, depth = 0; error instanceof Error && depth < 8; depth++) {
        messages.push(`${error.name}: ${error.message}`);
        error = error.cause;
      }
      text = messages.join('\n');
    } else text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
    const found = this.#refreshTokenIn(text);
    if (found === undefined) return;
    this.count('violation:refresh-token-leak');
    this.violation(`tab ${tab.id}: refresh token ${found} in ${where}: ${text.slice(0, 200)}`);
  }

  latency(): number {
    return Math.floor(this.#random() * (this.input.maxLatencyMs + 1));
  }

  /** One step of `tab`: a scheduled task; held while the tab is frozen; never for a dead tab. */
  step(tab: SimTab, label: string): Promise<void> {
    if (tab.dead || this.#ended) return never;
    if (++this.#steps > MAX_STEPS) {
      this.violation(`no quiescence after ${MAX_STEPS} steps (livelock; last: ${label} in tab ${tab.id})`);
      this.#ended = true;
      return never;
    }
    return this.#s.schedule(Promise.resolve(), `${label}@${tab.id}`).then(() => {
      this.#sample();
      if (tab.dead) return never;
      const live = tab as Tab;
      if (live.frozen) return new Promise<void>((resolve) => live.parked.push(resolve));
      return undefined;
    });
  }

  /** The generation each token was stored or broadcast with. */
  readonly #generations = new Map<string, Rank>();

  /** The token stored or broadcast with `generation` (persistToken false: the store holds only the generation). */
  tokenOf(record: { generation: number }): string | undefined {
    return this.tokensOf(record)[0];
  }

  /** Every token stored or broadcast with the version of `record` (two tabs may each have made one). */
  tokensOf(record: { generation: number }): string[] {
    const epoch = epochOf(record);
    const tokens: string[] = [];
    for (const [token, [e, g]] of this.#generations)
      if (g === record.generation && e === epoch) tokens.push(token);
    return tokens;
  }

  #learn(token: string | null | undefined, rank: Rank): void {
    if (typeof token === 'string' && !this.#generations.has(token)) this.#generations.set(token, rank);
  }

  /** Generations only grow per tab: the token a tab uses never belongs to an older generation than before. */
  #sample(): void {
    for (const tab of this.tabs) {
      if (tab.dead || tab.disposed) continue;
      const token = tab.auth.getToken();
      if (token !== undefined) tab.lastToken = token;
      const rank = token === undefined ? undefined : this.#generations.get(token);
      if (rank === undefined) continue;
      if (below(rank, tab.lastRank))
        this.violation(
          `tab ${tab.id} went back from generation ${tab.lastRank.join('.')} to ${rank.join('.')}`,
        );
      else tab.lastRank = rank;
    }
  }

  /** Faults whose effects may still be felt: a request in flight at any moment of the window is excused. */
  readonly #windows: { reason: string; until: number }[] = [];

  /** Excuse every request in flight now, and those that start before `until` (virtual ms; default now). */
  #excuseAll(reason: string, until = this.clock.now): { reason: string; until: number } {
    for (const request of this.requests) if (request.settledAt === undefined) request.excuses.add(reason);
    const window = { reason, until };
    if (until > this.clock.now) this.#windows.push(window);
    return window;
  }

  /** Run the schedule to the end: operations at their virtual times, time passing only when all wait. */
  async run(): Promise<void> {
    this.clock.install();
    // auth.fetch sends with the global fetch, looked up at each call; the lease lock and the library's tab
    // ids draw from Math.random: both are the world's while the schedule runs.
    const g = globalThis as { indexedDB?: unknown };
    const saved = { fetch: globalThis.fetch, random: Math.random, indexedDB: g.indexedDB };
    globalThis.fetch = this.#route as typeof globalThis.fetch;
    g.indexedDB = this.idb.factory;
    packageWorld.channelFor = (id) => {
      const tab = this.tabs[id] as Tab;
      return { tab, channel: this.channelHub.channelFor(tab) };
    };
    Math.random = mulberry32(this.input.latencySeed ^ 0x5eed);
    const { input } = this;
    this.count(`schedule:lock-${input.lock ?? 'web'}`);
    this.count(`schedule:channel-${input.channel ?? 'native'}`);
    if (input.persistToken === false) this.count('schedule:persist-false');
    if ((input.skewMs ?? 0) !== 0) this.count('schedule:skew');
    if (input.iat === false) this.count('schedule:no-iat');
    if (input.refusalStatus === 401) this.count('schedule:refusal-401');
    if (this.hold) this.count('schedule:hold-refresh-token');
    try {
      const first = this.openTab();
      const login = this.server.login(this.serverNow());
      this.#startSession(login.family);
      const answer = this.#loggedIn(first, login);
      void this.#track(first, 'setToken()', first.auth.setToken(answer));
      for (let index = 1; index < this.input.tabs; index++) this.openTab();
      let at = 0;
      for (const timed of this.input.ops) {
        at += timed.gapMs;
        this.clock.setTimeout(() => {
          void this.#s.schedule(Promise.resolve(), `op:${timed.op.kind}`).then(() => this.#apply(timed));
        }, at);
      }
      await this.#settle();
      // The end: thaw every tab, let everything finish, then the world is idle.
      for (const tab of this.tabs) this.#thaw(tab);
      await this.#settle();
    } finally {
      this.clock.uninstall();
      globalThis.fetch = saved.fetch;
      Math.random = saved.random;
      g.indexedDB = saved.indexedDB;
      packageWorld.channelFor = undefined;
      this.#ended = true;
      for (const tab of this.tabs) tab.auth.dispose();
    }
  }

  /** The server's clock: the browser's, off by `skewMs`. */
  serverNow(): number {
    return this.clock.now + (this.input.skewMs ?? 0);
  }

  readonly #callsById = new Map<number, RefreshCall>();

  /**
  The global `fetch` while a schedule runs: a request goes to the tab that made it, found from what it
  already carries (the request id `r` of an API call, the refresh call id `c` the app's refresh() puts in
  its URL); nothing is added to what is sent.
  */
  readonly #route = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    let request: Request;
    try {
      request = new Request(input, init);
      // Negative control: a transport that loses a header only when called as the fast path calls it.
      if (this.#sabotage.fastPathDropsHeader && typeof input === 'string' && init !== undefined) {
        const headers = new Headers(request.headers);
        headers.delete('x-trace');
        request = new Request(request, { headers });
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const url = new URL(request.url);
    const callId = url.searchParams.get('c');
    const call = callId === null ? undefined : this.#callsById.get(Number(callId));
    if (call) return this.fetch(call.tab, request, call);
    const id = url.searchParams.get('r');
    const record = id === null ? undefined : this.requests[Number(id) - 1];
    if (record) return this.fetch(record.tab, request);
    this.violation(`global fetch: a request the world did not make (${request.method} ${request.url})`);
    return Promise.reject(new TypeError('sim: unrouted request'));
  };

  /** Give up a schedule that can no longer progress (a pinned order that no longer fits): restore time. */
  abandon(): void {
    this.clock.uninstall();
    this.#ended = true;
  }

  async #settle(): Promise<void> {
    for (let moves = 0; ; ) {
      await this.#s.waitIdle();
      await macrotask();
      if (this.#s.count() > 0) continue;
      if (this.clock.pending === 0) return;
      if (++moves > MAX_CLOCK_MOVES) {
        this.violation(`no quiescence after ${MAX_CLOCK_MOVES} clock moves (livelock)`);
        return;
      }
      this.clock.advance();
    }
  }

  readonly #sessions = new Map<string, Session>();

  #startSession(family: string): void {
    this.session = {
      index: this.session.index + 1,
      family,
      refusals: 0,
      loggedOut: false,
      refusedBeforeLogout: false,
      startedAt: this.clock.now,
    };
    this.#sessions.set(family, this.session);
  }

  /** `freeze` of the lock holder when none held it: the ms to freeze the next tab granted the lock for. */
  #freezeNextHolder: number | undefined;

  #freezeAtGrant(tab: Tab): void {
    const forMs = this.#freezeNextHolder;
    if (forMs === undefined || tab.dead) return;
    this.#freezeNextHolder = undefined;
    this.#freeze(tab, forMs);
  }

  /** Freeze `tab` (its steps and timers held) for `forMs`; a frozen tab is left as it is. */
  #freeze(tab: Tab, forMs: number): void {
    if (tab.frozen) return;
    if (this.#leaseHolders.has(tab) || this.lockHub.holds(tab)) this.count('freeze:lock-holder');
    tab.frozen = true;
    for (const call of this.#calls) if (call.tab === tab && !call.settled) call.frozeDuring = true;
    this.#excuseAll('freeze', this.clock.now + forMs + 2 * this.input.refreshTimeoutMs);
    this.clock.setTimeout(() => this.#thaw(tab), forMs);
  }

  #pick(index: number): Tab | undefined {
    const live = this.tabs.filter((tab) => !tab.dead);
    return live.length === 0 ? undefined : live[index % live.length];
  }

  #apply({ op }: TimedOp): void {
    this.count(`op:${op.kind}`);
    switch (op.kind) {
      case 'burst': {
        const tab = this.#pick(op.tab);
        if (!tab) return;
        for (let index = 0; index < op.count; index++)
          this.request(tab, op.post ? 'POST' : 'GET', op.foreign, op.door, op.body);
        this.count('requests', op.count);
        this.count(`door:${op.door ?? 'ky'}`, op.count);
        if (op.post) this.count(`body:${op.body ?? 'json'}`, op.count);
        return;
      }
      case 'expire':
        this.server.epoch++;
        this.#excuseAll('expire');
        return;
      case 'login':
      case 'logout':
        // The app does one login or logout at a time (as a UI does): each waits for the one before.
        this.#authQueue = this.#authQueue.then(() =>
          Promise.race([
            op.kind === 'login' ? this.#login(op.tab) : this.#logout(op.tab),
            this.clock.sleep(10 * this.input.refreshTimeoutMs),
          ]),
        );
        return;
      case 'open':
        if (this.tabs.filter((tab) => !tab.dead).length < MAX_TABS) this.openTab();
        return;
      case 'crash': {
        const tab = this.#pick(op.tab);
        if (!tab || this.tabs.filter((other) => !other.dead).length <= 1) return;
        if (this.lockHub.holds(tab)) this.count('crash:holding-lock');
        if ([...this.#calls].some((call) => call.tab === tab && !call.settled))
          this.count('crash:refresh-in-flight');
        tab.dead = true;
        this.lockHub.tabDied(tab);
        // A lease held by a dead tab is free only once it expires (5 s): waiters may give up first.
        if (this.input.lock === 'lease')
          this.#excuseAll('lease-crash', this.clock.now + 5_000 + 2 * this.input.refreshTimeoutMs);
        const tick = ++this.#tick;
        for (const call of this.#calls) {
          if (call.tab !== tab || call.settled) continue;
          call.abandonedAt ??= tick;
          this.#abandoned.push(tick);
        }
        return;
      }
      case 'freeze': {
        if (op.holder) {
          // The tab that holds the refresh lock now, else the next one granted it (at its grant).
          const holder = this.tabs.find(
            (live) => !live.dead && (this.#leaseHolders.has(live) || this.lockHub.holds(live)),
          );
          if (holder) this.#freeze(holder, op.forMs);
          else this.#freezeNextHolder = op.forMs;
          return;
        }
        const tab = this.#pick(op.tab);
        if (!tab) return;
        this.#freeze(tab, op.forMs);
        return;
      }
      case 'abort': {
        const tab = this.#pick(op.tab);
        const request = this.requests.find((r) => r.tab === tab && r.settledAt === undefined && !r.aborted);
        if (!request) return;
        request.aborted = true;
        request.controller.abort(new Error('sim: caller aborted'));
        return;
      }
      case 'dispose': {
        const tab = this.#pick(op.tab);
        if (!tab || tab.disposed) return;
        tab.disposed = true;
        tab.auth.dispose();
        for (const request of this.requests) if (request.tab === tab) request.excuses.add('dispose');
        return;
      }
    }
  }

  #authQueue: Promise<unknown> = Promise.resolve();
  /** The last logout() called through a live instance: when, and in which tab. */
  #lastLogoutCall: { at: number; tab: Tab } | undefined;

  /** Login: the server starts a session and sets the cookie, then the app hands the token to the tab. */
  async #login(index: number): Promise<void> {
    const tab = this.#pick(index);
    if (!tab) return;
    const login = this.server.login(this.serverNow());
    this.#startSession(login.family);
    // A logout called at this very instant in another tab (which had not heard of this login): the two
    // calls are concurrent (one clock millisecond) and the library ranks the logout first unless this tab
    // heard of it before its login. Either order is right; every tab must still end on one record.
    const logout = this.#lastLogoutCall;
    if (logout && logout.at === this.clock.now && logout.tab !== tab && !tab.disposed) {
      this.count('login:concurrent-with-logout');
      Object.assign(this.session, { loggedOut: true, logoutBy: logout.tab, concurrentLogout: true });
    }
    const answer = this.#loggedIn(tab, login);
    this.#excuseAll('login');
    for (const other of this.tabs) other.knowsLogout = false;
    if (!tab.disposed) await this.#track(tab, 'setToken()', tab.auth.setToken(answer));
  }

  /**
  Where a login's refresh token goes: the cookie jar (the app hands the tab the access token), or, with
  `holdRefreshToken`, the tab, with the access token (the login's answer, as `setToken()` takes it).
  */
  #loggedIn(tab: Tab, login: { accessToken: string; refreshToken: string }): RefreshResult {
    if (!this.hold) {
      this.jar = login.refreshToken;
      return login.accessToken;
    }
    this.count('hold:login');
    if (!tab.disposed) tab.ownRefreshToken = login.refreshToken;
    return { accessToken: login.accessToken, refreshToken: login.refreshToken };
  }

  /**
  Logout, as an app does: forget the token in every tab first, then revoke the session at the server
  (POST /auth/logout), so no tab's refresh is refused by a logout it has not heard of. Through a disposed
  instance only the server hears of it: to the tabs that is a server revocation.
  */
  async #logout(index: number): Promise<void> {
    const tab = this.#pick(index);
    if (!tab) return;
    // The session this tab logs out of: the one it holds (a login in another tab at the same instant may
    // not have reached it yet; the library ranks that login, called no earlier, above this logout).
    const held = this.sessionOf(tab.auth.getToken());
    const session = held ?? this.session;
    // A logout in a tab without a token at the very instant another tab logs in: the two calls are
    // concurrent (one clock millisecond), and the library may rank either first; what must hold then is that
    // every tab ends on the same record (checked at idle), not that this logout ended that login.
    const concurrent = held === undefined && session.startedAt === this.clock.now;
    if (concurrent) this.count('logout:concurrent-with-login');
    // `holdRefreshToken`: the refresh token the app's logout request will carry is the shared record's (the
    // app reads its own store), read before logout() drops it from there.
    const recorded = this.storeHub.value?.refreshToken ?? null;
    if (!tab.disposed) {
      session.loggedOut = true;
      session.logoutBy = tab;
      session.logoutAt = this.clock.now;
      if (concurrent) session.concurrentLogout = true;
      this.#lastLogoutCall = { at: this.clock.now, tab };
      // A login called before this logout, in a tab this one has not heard from yet, started a newer
      // session: the library ranks this logout, called later, above it, so it ends that session too. At
      // the very same instant the two calls are concurrent (a logout wins a tie, unless the login's tab had
      // already heard of it): either order is right.
      const newer = this.session;
      if (newer !== session && newer.startedAt !== undefined && newer.startedAt <= this.clock.now) {
        const concurrentCall = newer.startedAt === this.clock.now;
        this.count(concurrentCall ? 'logout:same-instant-as-login' : 'logout:after-an-unheard-login');
        Object.assign(newer, { loggedOut: true, logoutBy: tab, concurrentLogout: concurrentCall });
      }
    }
    this.#excuseAll('logout');
    if (!tab.disposed) {
      tab.knowsLogout = true;
      tab.loggingOut = true;
      await this.#track(tab, 'logout()', tab.auth.logout());
      tab.loggingOut = false;
      await this.step(tab, 'server:logout');
    }
    // The refresh token the request carries: the cookie in the jar now, or the one read from the record.
    const presented = this.hold ? recorded : this.jar;
    this.server.logout(presented);
    const ended = this.hold ? this.#sessionOfRefreshToken(presented) : this.session;
    if (ended === session) session.revoked = true;
    else if (ended) {
      // A login came in between: the app's logout request carries that login's cookie, so the server ends
      // the newer session, which no logout() ended. To its tabs that is a revocation by the server. (With
      // `holdRefreshToken`: the store held another session's record than the one this tab held.)
      this.count(this.hold ? 'hold:logout-revoked-other-session' : 'logout:revoked-newer-session');
      ended.revoked = true;
      this.#refused(presented);
    } else this.count('hold:logout-without-refresh-token');
    this.jar = null;
  }

  #thaw(tab: Tab): void {
    if (!tab.frozen) return;
    tab.frozen = false;
    for (const resume of tab.parked.splice(0)) resume();
  }

  openTab(): Tab {
    const id = this.tabs.length;
    const tab = {
      id,
      dead: false,
      frozen: false,
      disposed: false,
      parked: [],
      ignoresSignal: this.input.ignoresSignal[id % Math.max(1, this.input.ignoresSignal.length)] ?? false,
      refreshVia: this.input.refreshVia?.[id % this.input.refreshVia.length] ?? 'plain',
      lastRank: [0, 0],
      storeSeenTick: 0,
      openedAt: this.clock.now,
      knowsLogout: false,
      loggingOut: false,
      expiredCalls: new Map(),
    } as unknown as Tab;
    const channel = this.input.channel ?? 'native';
    const crossTab: TokenRefreshOptions['crossTab'] = this.#sabotage.noCrossTab
      ? false
      : {
          lock: this.input.lock === 'lease' ? this.#leaseFor(tab) : this.lockHub.lockFor(tab),
          channel:
            channel === 'native'
              ? this.channelHub.channelFor(tab)
              : new FallbackChannel(`sim#${id}`, channel),
          store: this.storeHub.storeFor(tab),
        };
    const auth = createTokenRefresh({
      name: 'sim',
      crossTab,
      refreshTimeoutMs: this.input.refreshTimeoutMs,
      refreshBeforeExpiryMs: this.input.refreshBeforeExpiryMs,
      isAuthorizedUrl: (url) => url.origin === ORIGIN,
      persistToken: this.input.persistToken ?? true,
      holdRefreshToken: this.hold,
      refresh: ({ signal, refreshToken }) => this.#refresh(tab, signal, refreshToken),
      onSessionExpired: (error) => {
        this.noRefreshToken(tab, 'the error given to onSessionExpired', error);
        this.#onSessionExpired(tab);
      },
    });
    const fetch = asFetch((input) => this.fetch(tab, input));
    Object.assign(tab, {
      auth,
      api: ky.create({
        prefix: `${ORIGIN}/api`,
        hooks: auth.hooks,
        fetch,
        retry: this.input.retry,
        timeout: false,
      }),
      foreign: ky.create({ hooks: auth.hooks, fetch, retry: 0, timeout: false }),
      root: ky.create({ hooks: auth.hooks, retry: 0, timeout: false }),
    });
    auth.subscribe((event) => {
      if (tab.dead) return;
      this.count(`event:${event.type}`);
      this.noRefreshToken(tab, `a ${event.type} event`, event);
      this.noRefreshToken(tab, 'stats()', auth.stats());
      if (event.type === 'logout') tab.knowsLogout = true;
      // A token taken after an expiry (a login whose write was slower than the refusal, a late message)
      // starts a session again as far as this tab can know: it may expire once more.
      if (event.type === 'token:received') {
        tab.expiredCalls.clear();
        // A token of a session no logout ended (a login this tab hears of after an older logout): what
        // this tab knew of a logout no longer applies to it.
        const session = this.sessionOf(tab.auth.getToken());
        if (session && (!session.loggedOut || session.concurrentLogout)) tab.knowsLogout = false;
      }
    });
    this.tabs.push(tab);
    this.count('tabs');
    return tab;
  }

  /**
  The library's `LeaseLock` (unchanged, over the sim's IndexedDB): the world names the tab around the
  synchronous part of each request (where idb-keyval opens the database) and notes grants as for Web Locks.
  */
  /** Tabs inside a `LeaseLock` task now, with what the lock told the task. */
  readonly #leaseHolders = new Map<Tab, Required<LockGrant>>();

  #leaseFor(tab: Tab): Lock {
    const inner = new LeaseLock('sim', { leaseMs: this.input.leaseMs ?? 5_000 });
    return {
      request: (task, options) => {
        this.idb.current = tab;
        try {
          return inner.request((grant) => {
            this.#grantTick.set(tab, ++this.#tick);
            this.count('lease:grant');
            if (grant.tookOver) this.count('lease:took-over');
            grant.lost.addEventListener('abort', () => this.count('lease:lost-signal'));
            this.#leaseHolders.set(tab, grant);
            this.#freezeAtGrant(tab);
            return task(this.#sabotage.deafLease ? {} : grant).finally(() => this.#leaseHolders.delete(tab));
          }, options);
        } finally {
          this.idb.current = undefined;
        }
      },
    };
  }

  #onSessionExpired(tab: Tab): void {
    if (tab.dead) return;
    this.count('onSessionExpired');
    // The session this tab is in, as far as it knows (it may not have heard of a newer login yet).
    const token = tab.auth.getToken() ?? tab.lastToken;
    const last = this.#sessions.get(this.#familyOf(token) ?? '') ?? this.session;
    // A tab may refresh from a newer session's record without ever holding its token (persistToken false,
    // nobody answered): a refusal of that newer session is what it reports.
    const session =
      last.loggedOut && last !== this.session && this.session.refusals > 0 ? this.session : last;
    const calls = (tab.expiredCalls.get(session.index) ?? 0) + 1;
    tab.expiredCalls.set(session.index, calls);
    // "Never after logout()": once this tab called logout() or heard of it (its `logout` event), unless
    // the server had refused before the logout (a logout in another tab that this one has not heard of
    // yet does not count: it cannot know).
    if (session.concurrentLogout) {
      // The login won over a concurrent logout in the library, and the app's logout request (carrying that
      // login's cookie) ended it at the server: to the tabs, a revocation.
      this.count('onSessionExpired:concurrent-logout');
    } else if (tab.knowsLogout && !session.refusedBeforeLogout) {
      // F3 (open): this tab's own logout() is still pending when a refusal lands.
      if (tab.loggingOut && this.#sabotage.knownDefects?.has('F3')) this.count('known-defect:F3');
      else this.violation(`tab ${tab.id}: onSessionExpired after logout (session ${session.index})`);
    } else if (
      session.loggedOut &&
      !session.refusedBeforeLogout &&
      session.logoutStored &&
      !session.concurrentLogout &&
      // With store faults, or a freeze (whose timers all fire at thaw), the tab's own read may have failed
      // or timed out: it could not know.
      this.input.storeFaults.length === 0 &&
      !this.input.ops.some(({ op }) => op.kind === 'freeze')
    ) {
      // Logout finality (F4): a logout wins over any refusal that lands after it was called, in every tab
      // that could know of it: it heard the message (above), or the store held the logout.
      this.count('violation:logout-final');
      this.violation(
        `tab ${tab.id}: logout not final: onSessionExpired for a refusal that landed after logout(), the store holding the logout (session ${session.index})`,
      );
    } else if (session.loggedOut && !session.refusedBeforeLogout) {
      // The documented limit: a refusal met before the message or the store told this tab of the logout
      // ends its session as a refusal. Counted (the strict form, "in every tab", fails here: see README).
      this.count('logout:refusal-before-heard');
    } else if (session.refusals === 0 && this.#refusals === 0) {
      // (A tab may learn of a newer login late: any refusal so far counts, the per-session one is stricter.)
      this.violation(`tab ${tab.id}: onSessionExpired without a server refusal (session ${session.index})`);
    }
    if (calls > 1) {
      const message = `tab ${tab.id}: onSessionExpired ${calls} times in session ${session.index}`;
      // Issue 8 item 5 on today's main: a tab already expired that hears a later "expired" calls it again.
      if (this.#sabotage.knownDefects?.has('item5')) this.count('known-defect:item5-expired-twice');
      else this.violation(message);
    }
  }

  /** setToken() and logout() calls: each must settle too (checked at the end, for live tabs). */
  readonly calls: { tab: Tab; label: string; settled: boolean }[] = [];

  #track(tab: Tab, label: string, promise: Promise<unknown>): Promise<void> {
    const call = { tab, label, settled: false };
    this.calls.push(call);
    return promise.then(
      () => {
        call.settled = true;
      },
      (error: unknown) => {
        call.settled = true;
        this.noRefreshToken(tab, `the error of ${label}`, error);
      },
    );
  }

  /** The session a token belongs to. */
  sessionOf(token: string | undefined): Session | undefined {
    const family = this.#familyOf(token);
    return family === undefined ? undefined : this.#sessions.get(family);
  }

  /** The session of a refresh token (the family the server issued it in). */
  #sessionOfRefreshToken(refreshToken: string | null): Session | undefined {
    const family = refreshToken === null ? undefined : this.server.state.tokens[refreshToken]?.familyId;
    return family === undefined ? undefined : this.#sessions.get(family);
  }

  #familyOf(token: string | undefined): string | undefined {
    return token === undefined ? undefined : this.server.tokens.get(token)?.family;
  }

  request(
    tab: Tab,
    method: 'GET' | 'POST',
    foreign: boolean,
    door: Door = 'ky',
    shape: BodyShape = 'json',
  ): void {
    const record: RequestRecord = {
      id: this.requests.length + 1,
      tab,
      method,
      foreign,
      door,
      shape,
      attempts: 0,
      startedAt: this.clock.now,
      controller: new AbortController(),
      session: this.session,
      excuses: new Set([
        ...(tab.disposed ? ['dispose'] : []),
        // The tab has not heard of the current session yet: it still acts on the one before.
        ...(this.#familyOf(tab.auth.getToken()) === this.session.family ? [] : ['previous-session']),
        ...this.#windows.filter((window) => window.until >= this.clock.now).map((window) => window.reason),
      ]),
      aborted: false,
      sent: [],
    };
    this.requests.push(record);
    const { id } = record;
    const { signal } = record.controller;
    let call: Promise<{ r?: number; body?: string } | undefined>;
    if (door === 'ky') {
      const built = method === 'POST' ? buildBody(shape, id) : undefined;
      call = foreign
        ? tab.foreign
            .get(`${FOREIGN}/data`, { signal, throwHttpErrors: false, searchParams: { r: id } })
            .json()
        : method === 'GET'
          ? tab.api.get('data', { signal, searchParams: { r: id } }).json()
          : tab.api
              .post('data', {
                signal,
                searchParams: { r: id },
                body: (built as BuiltBody).body,
                ...(built?.contentType ? { headers: { 'content-type': built.contentType } } : {}),
              })
              .json();
    } else {
      const url = `${foreign ? FOREIGN : `${ORIGIN}/api`}/data?r=${id}`;
      // The caller's (input, init), built the same way twice: once for auth.fetch, once for plain fetch.
      const build = (): [RequestInfo, RequestInit | undefined] => {
        const headers: Record<string, string> = { 'x-trace': `t${id}` };
        const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
        if (method === 'POST') {
          const built = buildBody(shape, id);
          init.body = built.body;
          if (built.contentType) headers['content-type'] = built.contentType;
          if (built.duplex) init.duplex = built.duplex;
        }
        if (door === 'fetch-request') return [new Request(url, init), undefined];
        return [url, door === 'fetch-proto' ? Object.create(init) : init];
      };
      const [input, init] = build();
      record.reference = canon(new Request(...build()));
      call = tab.auth.fetch(input, init).then((response) => {
        if (foreign) return undefined;
        if (response.status === 401) throw new UnauthorizedAnswer('401 on the replay');
        return response.json();
      });
    }
    call
      .then(
        (answer) => {
          if (foreign || answer === undefined) return;
          if (method === 'POST' && answer.body !== expectedBody(shape, id))
            this.violation(
              `request ${id} (${door}, ${shape}): POST body received as ${JSON.stringify(answer.body)}`,
            );
          if (answer.r !== id) this.violation(`request ${id}: answered for request ${answer.r}`);
        },
        (error: unknown) => {
          record.error = error;
          this.noRefreshToken(tab, `the error of request ${id}`, error);
        },
      )
      .finally(() => {
        record.settledAt = this.clock.now;
        record.ok = record.error === undefined;
      });
  }

  /**
  The differential invariant: every attempt the network receives for a request is what plain `fetch` sends
  for the caller's (input, init) (the fetch doors), or what the first attempt was (the ky door): same method,
  URL, headers but Authorization, and body.
  */
  async #compare(record: RequestRecord, got: Canon): Promise<void> {
    const attempt = ++record.attempts;
    record.first ??= got;
    const expected = record.reference ? await record.reference : record.first;
    const diff = difference(expected, got);
    if (diff === undefined) return;
    this.count('violation:differential');
    this.violation(
      `request ${record.id} (${record.door} ${record.method} ${record.shape}): attempt ${attempt} is not what ${record.reference ? 'plain fetch sends' : 'the first attempt was'}: ${diff}`,
    );
  }

  /** The network: what `fetch` does for every request of `tab`. */
  async fetch(tab: Tab, input: Request, call?: RefreshCall): Promise<Response> {
    if (tab.dead) return never;
    const url = new URL(input.url);
    const authorization = input.headers.get('authorization');
    const sentToken = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    const knewNothingBetter = tab.auth.getToken() === sentToken;
    const sentId = Number(url.searchParams.get('r') ?? Number.NaN);
    const sender = this.requests[sentId - 1];
    // What the network received (the body read once, as the server reads it), for the echo and the differential.
    const got = url.pathname === '/auth/refresh' ? undefined : await canon(input);
    if (sender && got) void this.#compare(sender, got);
    if (url.origin !== ORIGIN) {
      if (authorization !== null) this.violation(`tab ${tab.id}: token sent to ${url.origin}`);
      await this.#answerAfter(tab, input, this.latency(), 'foreign');
      return Response.json({ error: 'nope' }, { status: 401 });
    }
    if (url.pathname === '/auth/refresh') return this.#refreshEndpoint(tab, input, call);
    const body = input.method === 'POST' ? got?.body : undefined;
    sender?.sent.push(sentToken);
    const latency = this.latency();
    this.maxLatencyObserved = Math.max(this.maxLatencyObserved, latency);
    await this.#answerAfter(tab, input, latency, 'api');
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!this.server.accepts(token, this.serverNow())) {
      this.count('api:401');
      // A 401 on the replay for a token the server issued and has since expired is one the tab could not
      // avoid (it replays at most once) when the replay carried a newer token than the first attempt, and
      // that token was the newest the tab knew when it sent it, or the shared record held nothing better.
      const request = sender;
      const stored = this.storeHub.value?.token ?? undefined;
      const known = token !== undefined && this.server.tokens.has(token);
      const newer = request !== undefined && request.sent.length > 1 && request.sent[0] !== token;
      if (
        newer &&
        known &&
        (knewNothingBetter || stored === token || !this.server.accepts(stored, this.serverNow()))
      )
        request?.excuses.add('stale-token');
      // A 401 while this tab's refresh() runs: the library returns it as it is (it may be the refresh
      // request's own); noted so SIM_KNOWN_DEFECTS=during can count the 401s it hands back (see README).
      if ([...this.#calls].some((other) => other.tab === tab && !other.settled))
        sender?.excuses.add('during-refresh');
      if (token === undefined) this.count('api:401-no-token');
      else if (known && stored !== token && this.server.accepts(stored, this.serverNow()))
        this.count('api:late-401');
      return Response.json(
        { error: 'invalid_token' },
        { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
      );
    }
    this.count('api:200');
    return Response.json({ r: Number(url.searchParams.get('r')), body });
  }

  /** Wait `ms` on the clock and one step of `tab`; reject like fetch if the request's signal aborts. */
  #answerAfter(tab: Tab, input: Request, ms: number, label: string): Promise<void> {
    const work = (ms > 0 ? this.clock.sleep(ms) : Promise.resolve()).then(() => this.step(tab, label));
    return this.#abortable(input.signal, work);
  }

  #abortable<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
    if (signal.aborted) return Promise.reject(new DOMException('This operation was aborted', 'AbortError'));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new DOMException('This operation was aborted', 'AbortError'));
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
  The app's refresh function (the README's, over the world's fetch). With `holdRefreshToken` it presents
  `refreshToken` (the record's, given by the library) in its form body, and resolves to the answer's pair.
  */
  async #refresh(tab: Tab, signal: AbortSignal, refreshToken: string | undefined): Promise<RefreshResult> {
    // A crashed tab runs nothing (its timers still fire in this process: stop at the boundary).
    if (tab.dead) return never;
    const call: RefreshCall = {
      id: ++this.#ids,
      tab,
      signal,
      startedAt: this.clock.now,
      settled: false,
      // (A frozen tab's timers still fire in the sim, so a refresh() may start while its steps are held.)
      frozeDuring: tab.frozen,
      onEnd: [],
    };
    this.count('refresh()');
    // A lease holder calls refresh() only while its lease holds (by its clock): once it ran out, another
    // tab may hold the lock and have rotated the token.
    const lease = this.#leaseHolders.get(tab);
    if (lease && !lease.held()) {
      this.count('violation:refresh-after-lease');
      this.violation(`tab ${tab.id}: refresh() after its lease ran out`);
    }
    for (const other of this.#calls) {
      if (other.settled || other.abandonedAt !== undefined || other.tab.dead) continue;
      // The lease lock's documented limit: a holder frozen longer than the lease loses it.
      if (other.frozeDuring && this.input.lock === 'lease') {
        this.count('lease:lost-by-a-frozen-holder');
        continue;
      }
      this.violation(`tab ${tab.id}: refresh() while tab ${other.tab.id}'s refresh() is still running`);
    }
    this.#checkRedundant(tab);
    if (this.hold) call.presented = this.#toPresent(tab, refreshToken);
    this.#calls.add(call);
    signal.addEventListener('abort', () => {
      call.abandonedAt ??= ++this.#tick;
      this.#abandoned.push(call.abandonedAt);
      for (const end of call.onEnd) end();
    });
    this.#callsById.set(call.id, call);
    try {
      if (tab.ignoresSignal || tab.refreshVia === 'plain') {
        if (this.hold) this.count('hold:refresh-via:plain');
        const answer = await ky
          .post(`${ORIGIN}/auth/refresh`, {
            ...(tab.ignoresSignal ? {} : { signal }),
            fetch: asFetch((request) => this.fetch(tab, request, call)),
            headers: { 'x-requested-with': 'fetch' },
            ...this.#refreshBody(call),
            retry: 0,
            timeout: false,
          })
          .json<RefreshAnswer>();
        return this.#refreshed(tab, answer);
      }
      return this.#refreshed(tab, await this.#refreshThroughDoor(tab, call, signal));
    } finally {
      call.settled = true;
      this.#calls.delete(call);
      for (const end of call.onEnd) end();
    }
  }

  /**
  refresh() sending its request through the library's own doors (the README allows it: the refresh request
  is recognised and never waits behind the refresh it belongs to), with the signal handed to refresh() or
  one derived from it, as clients in between derive theirs. The call id in the URL is the app's own.
  */
  async #refreshThroughDoor(tab: Tab, call: RefreshCall, signal: AbortSignal): Promise<RefreshAnswer> {
    this.count(`refresh-via:${tab.refreshVia}`);
    if (this.hold) this.count(`hold:refresh-via:${tab.refreshVia}`);
    const url = `${ORIGIN}/auth/refresh?c=${call.id}`;
    const headers = { 'x-requested-with': 'fetch' };
    const via = tab.refreshVia;
    const derived = via.endsWith('-any') ? AbortSignal.any([signal]) : signal;
    if (via === 'ky' || via === 'ky-any') {
      const answer = await tab.root
        .post(url, { signal: derived, headers, ...this.#refreshBody(call), retry: 0, timeout: false })
        .json<RefreshAnswer>();
      return answer;
    }
    const init = { method: 'POST', signal: derived, headers, ...this.#refreshBody(call) };
    const response = await (via === 'fetch-request'
      ? tab.auth.fetch(new Request(url, init))
      : tab.auth.fetch(url, init));
    if (!response.ok)
      throw Object.assign(new Error(`refresh answered ${response.status}`), { status: response.status });
    return (await response.json()) as RefreshAnswer;
  }

  /**
  `holdRefreshToken`: the refresh token the app's refresh() presents, the one the library gave it (the
  `stale-refresh-token` control: the tab's own last-known one instead); checks that the library gave the
  stored record's, read under the lock.
  */
  #toPresent(tab: Tab, given: string | undefined): string | null {
    this.count(given === undefined ? 'hold:refresh-given-none' : 'hold:refresh-given');
    if (given === undefined && this.input.storeFaults.length > 0)
      this.count('hold:refresh-given-none:store-fault');
    this.#checkGiven(tab, given);
    const presented = this.#sabotage.staleRefreshToken ? (tab.ownRefreshToken ?? given) : given;
    return presented ?? null;
  }

  /**
  The refresh token given to refresh() is the stored record's: the library read it under the lock (checked
  when the store has no faults, no tab freezes, and nothing was stored since this tab took the lock; a newer
  stored record would have been adopted instead of refreshed from).
  */
  #checkGiven(tab: Tab, given: string | undefined): void {
    if (this.#sabotage.noCrossTab || this.input.storeFaults.length > 0) return;
    if (this.input.ops.some(({ op }) => op.kind === 'freeze')) return;
    if (this.#storeWriteTick > (this.#grantTick.get(tab) ?? 0)) return;
    const stored = this.storeHub.value;
    if (given === stored?.refreshToken) return;
    this.count('violation:refresh-token-given');
    this.violation(
      `tab ${tab.id}: refresh() given refresh token ${given ?? 'none'}, the store's record (generation ${stored?.generation ?? 'none'}, unchanged since the lock was granted) holds ${stored?.refreshToken ?? 'none'}`,
    );
  }

  /** The body of the refresh request: none (the cookie goes with it), or the refresh token grant's form. */
  #refreshBody(call: RefreshCall): { body?: URLSearchParams } {
    if (!this.hold) return {};
    const form = new URLSearchParams({ grant_type: 'refresh_token' });
    if (call.presented) form.set('refresh_token', call.presented);
    return { body: form };
  }

  /** What refresh() resolves to: the access token, or, with `holdRefreshToken`, the answer's pair. */
  #refreshed(tab: Tab, answer: RefreshAnswer): RefreshResult {
    if (!this.hold) return answer.access_token;
    if (answer.refresh_token === undefined) {
      this.count('hold:answer-without-refresh-token');
      return { accessToken: answer.access_token };
    }
    if (!tab.dead) tab.ownRefreshToken = answer.refresh_token;
    return { accessToken: answer.access_token, refreshToken: answer.refresh_token };
  }

  /**
  A refresh is redundant when the shared record already holds a token the server accepts and that is not
  due for a proactive refresh, written before this tab took the lock: the double check should have adopted it.
  */
  #checkRedundant(tab: Tab): void {
    // (A store that fails, or a frozen tab whose read gives up, makes refreshing anyway the right call.)
    if (this.#sabotage.noCrossTab || this.input.storeFaults.length > 0) return;
    if (this.input.ops.some(({ op }) => op.kind === 'freeze')) return;
    const stored = this.storeHub.value;
    if (!stored?.token || this.#storeWriteTick > (this.#grantTick.get(tab) ?? 0)) return;
    const now = this.clock.now;
    if (!this.server.accepts(stored.token, this.serverNow())) return;
    const { expiresAt, issuedAt } = stored;
    if (expiresAt !== undefined) {
      const lifetime = issuedAt === undefined ? Number.POSITIVE_INFINITY : expiresAt - issuedAt;
      if (expiresAt - now <= Math.min(this.input.refreshBeforeExpiryMs, lifetime / 2)) return;
    }
    this.violation(
      `tab ${tab.id}: redundant refresh() (the store holds a valid token, generation ${stored.generation})`,
    );
  }

  get #refusalStatus(): number {
    return this.input.refusalStatus ?? 400;
  }

  async #refreshEndpoint(tab: Tab, input: Request, call: RefreshCall | undefined): Promise<Response> {
    const fault = this.#refreshFaults.shift() ?? 'ok';
    this.count(`refresh:${fault}`);
    if (fault !== 'ok') {
      // The fault is felt until the refresh() that met it is over, and a lock wait after it.
      const window = this.#excuseAll(`refresh-${fault}`, Number.POSITIVE_INFINITY);
      const end = () => {
        window.until = this.clock.now + 2 * this.input.refreshTimeoutMs;
      };
      if (call) call.onEnd.push(end);
      else end();
    }
    // The refresh token presented: the cookie in the jar as the request leaves, or the one in its body. All the
    // world reasons about below (rotations, refusals and their sessions, revocations) goes by this one.
    const cookie = this.hold ? await this.#presentedIn(input, call) : this.jar;
    const sentTick = ++this.#tick;
    const T = this.input.refreshTimeoutMs;
    switch (fault) {
      case 'network':
        await this.#answerAfter(tab, input, 0, 'refresh:network');
        throw new TypeError('fetch failed');
      case '5xx':
        await this.#answerAfter(tab, input, this.latency(), 'refresh:5xx');
        return Response.json({ error: 'unavailable' }, { status: 503 });
      case 'hang':
        return this.#abortable(input.signal, never);
      case 'refuse':
        await this.#answerAfter(tab, input, this.latency(), 'refresh:refuse');
        this.server.revoke(cookie);
        this.#refused(cookie);
        return Response.json({ error: 'invalid_grant', reason: 'revoked' }, { status: this.#refusalStatus });
    }
    // ok / late: the request reaches the server, which decides (and, atomic, applies) at once.
    const arrival = this.latency();
    await this.clock.sleep(arrival);
    await this.step(this.#serverTab, 'server:refresh');
    if (cookie === null) {
      if (this.hold) this.count('hold:presented-none');
      return this.#deliver(tab, input, this.latency(), () => {
        this.#refused();
        return Response.json(
          { error: 'invalid_grant', reason: 'missing_token' },
          { status: this.#refusalStatus },
        );
      });
    }
    // `holdRefreshToken`: a presentation after the token rotated is judged here, whatever the server answers.
    const judged = this.hold && this.#checkPresented(tab, cookie, sentTick, call);
    let outcome: ReturnType<SimServer['refresh']>;
    if (this.input.atomic) outcome = this.server.refresh(cookie, this.serverNow());
    else {
      const decision = this.server.decide(cookie, this.serverNow());
      await this.clock.sleep(this.latency());
      await this.step(this.#serverTab, 'server:refresh-apply');
      outcome = this.server.refresh(cookie, this.serverNow(), decision);
    }
    if (outcome.ok) {
      if (outcome.kind === 'rotated') this.count('server:rotation');
      const rotation: Rotation = {
        call: call as RefreshCall,
        delivered: false,
        child: outcome.refreshToken,
        tick: ++this.#tick,
      };
      if (outcome.kind === 'rotated') this.#rotations.set(cookie, rotation);
      const wait = fault === 'late' ? T + 1 + this.latency() : this.latency();
      return this.#deliver(tab, input, wait, () => {
        rotation.delivered = true;
        if (this.hold) {
          // The new refresh token goes in the answer (left out when the server issued none: the record keeps
          // the one presented).
          if (outcome.refreshToken === null) return Response.json({ access_token: outcome.accessToken });
          return Response.json({ access_token: outcome.accessToken, refresh_token: outcome.refreshToken });
        }
        // As a browser does: the last Set-Cookie to arrive wins.
        if (outcome.refreshToken !== null) this.jar = outcome.refreshToken;
        return Response.json({ access_token: outcome.accessToken });
      });
    }
    this.count(`server:${outcome.reason}`);
    if (!judged) this.#classifyRefusal(tab, cookie, outcome.reason, sentTick, call);
    return this.#deliver(tab, input, this.latency(), () => {
      this.#refused(cookie);
      return Response.json(
        { error: 'invalid_grant', reason: outcome.reason },
        { status: this.#refusalStatus },
      );
    });
  }

  /** The answer reaches the tab after `ms`, unless the request was aborted or the tab died first. */
  #deliver(tab: Tab, input: Request, ms: number, answer: () => Response): Promise<Response> {
    return this.#abortable(
      input.signal,
      this.clock
        .sleep(ms)
        .then(() => this.step(tab, 'refresh:answer'))
        .then(() => (input.signal.aborted ? never : answer())),
    );
  }

  /**
  `holdRefreshToken`: the refresh token in the form body of a refresh request (`null`: none), which must be
  what the app's refresh() put there: the library's doors pass the refresh request on as it is.
  */
  async #presentedIn(input: Request, call: RefreshCall | undefined): Promise<string | null> {
    const type = input.headers.get('content-type') ?? '';
    // (A body a door had read already cannot be read again: that is a violation too.)
    const body = await input.text().catch(() => undefined);
    const form = new URLSearchParams(body ?? '');
    const presented = form.get('refresh_token');
    const expected = call?.presented ?? null;
    if (
      body === undefined ||
      !type.startsWith('application/x-www-form-urlencoded') ||
      form.get('grant_type') !== 'refresh_token' ||
      (call !== undefined && presented !== expected)
    ) {
      this.count('violation:refresh-body');
      this.violation(
        `tab ${call?.tab.id ?? '?'} (refresh via ${call?.tab.refreshVia ?? '?'}): the refresh request arrived as ${JSON.stringify(type)} ${JSON.stringify(form.toString())}, refresh() sent refresh_token=${expected}`,
      );
    }
    this.count(presented === null ? 'hold:refresh-request-without-token' : 'hold:refresh-request');
    return presented;
  }

  /**
  `holdRefreshToken`: no refresh token reaches the server after it rotated, but from a request left behind by
  a tab that died or gave up, or when its rotation was made for such a tab (its child never reached the
  record) or for a lease holder frozen past its lease (the lease lock's documented limit). `true`: the token
  had rotated (and this presentation is judged).
  */
  #checkPresented(tab: Tab, token: string, sentTick: number, presenter: RefreshCall | undefined): boolean {
    const rotation = this.#rotations.get(token);
    if (rotation === undefined) return false;
    const giver = rotation.call;
    const kind =
      this.#leftBehind(presenter) ??
      this.#lostRotation(token, sentTick) ??
      (giver?.frozeDuring && this.input.lock === 'lease' ? 'lease-frozen' : undefined);
    if (kind !== undefined) {
      this.count(`hold:rotated-presented:${kind}`);
      return true;
    }
    const letOut = this.#storeLetOut(presenter, rotation, sentTick);
    if (letOut !== undefined && this.#sabotage.knownDefects?.has('hold-store')) {
      this.count(`known-defect:hold-store-${letOut}`);
      return true;
    }
    this.count('violation:rotated-presented');
    this.violation(
      `tab ${tab.id}: presented refresh token ${token} after it rotated for tab ${giver?.tab.id ?? '?'}, whose refresh was neither dead nor abandoned` +
        (letOut === undefined ? '' : ` (hold-store: ${letOut})`),
    );
    return true;
  }

  /**
  Finding `hold-store` (fixed in 12afb7a; SIM_KNOWN_DEFECTS=hold-store counts it): a store fault let a rotated refresh
  token out. The library treats the store as an optimisation, never a gate: under the lock, a read that fails
  or is given up is refreshed over with the refresh token of the tab's own record (`read`), and a write of a
  refresh's answer that fails or is given up releases the lock before the new refresh token is in the store
  (`write`). With `holdRefreshToken` the store is the only way the refresh token goes from tab to tab, so the
  next refresh presents the one that rotated (a strict server then revokes the session).
  */
  #storeLetOut(
    presenter: RefreshCall | undefined,
    rotation: Rotation,
    sentTick: number,
  ): 'read' | 'write' | undefined {
    if (presenter) {
      const failed = this.#storeFailed.get(`${presenter.tab.id}:get`) ?? 0;
      if (failed > (this.#grantTick.get(presenter.tab) ?? 0)) return 'read';
    }
    const giver = rotation.call?.tab;
    const stored = rotation.child === null ? undefined : this.#storedAt.get(rotation.child);
    const failed = giver === undefined ? 0 : (this.#storeFailed.get(`${giver.id}:update`) ?? 0);
    if (failed > rotation.tick && (stored === undefined || stored > sentTick)) return 'write';
    return undefined;
  }

  /** A refresh request left behind by a tab that died or gave up: the server may see it after another's rotation. */
  #leftBehind(presenter: RefreshCall | undefined): 'crash' | 'abandoned' | undefined {
    if (presenter?.tab.dead) return 'crash';
    if (presenter?.abandonedAt !== undefined) return 'abandoned';
    return undefined;
  }

  /**
  `token` rotated for a tab that died or gave up before `sentTick`: the child never reached the jar (or the
  record) before a request sent at `sentTick` left.
  */
  #lostRotation(token: string, sentTick: number): 'crash' | 'abandoned' | undefined {
    const giver = this.#rotations.get(token)?.call;
    if (giver?.tab.dead && (giver.abandonedAt ?? 0) < sentTick) return 'crash';
    if (giver?.abandonedAt !== undefined && giver.abandonedAt < sentTick) return 'abandoned';
    return undefined;
  }

  /** Whether `token` rotated for a tab that died or gave up, or a lease holder frozen past its lease. */
  rotationLost(token: string): boolean {
    const giver = this.#rotations.get(token)?.call;
    return (
      this.#lostRotation(token, Number.POSITIVE_INFINITY) !== undefined ||
      (giver?.frozeDuring === true && this.input.lock === 'lease')
    );
  }

  readonly #abandoned: number[] = [];

  #abandonedBefore(tick: number): boolean {
    return this.#abandoned.some((at) => at < tick);
  }

  #refusals = 0;

  /** Refreshes the server refused, in the whole run. */
  get refusals(): number {
    return this.#refusals;
  }

  #refused(cookie: string | null = null): void {
    this.#refusals++;
    const family = cookie === null ? undefined : this.server.state.tokens[cookie]?.familyId;
    // Counts for the session of the cookie presented and for the current one (a late answer of an older
    // session may have put its cookie back in the jar: the tabs of the current session see the refusal).
    for (const session of new Set([this.#sessions.get(family ?? '') ?? this.session, this.session])) {
      session.refusals++;
      if (!session.loggedOut) session.refusedBeforeLogout = true;
    }
    this.#excuseAll('refused');
  }

  /**
  A refused refresh on a one-time-use server is allowed only when the token presented had been rotated for
  a tab that died or gave up (timeout) before the new cookie reached the jar, or for a lease holder frozen
  past its lease.
  */
  #classifyRefusal(
    tab: Tab,
    cookie: string,
    reason: string,
    sentTick: number,
    presenter: RefreshCall | undefined,
  ): void {
    if (reason === 'family_revoked' || reason === 'unknown_token' || reason === 'expired') return;
    // The request that presented the used token was itself left behind by a tab that died or gave up:
    // the server only sees it arrive after another tab's rotation.
    const left = this.#leftBehind(presenter);
    if (left !== undefined) {
      this.lostRotations[left]++;
      return;
    }
    if (reason === 'displaced') {
      // A sibling displaced this cookie: two refreshes presented one parent, which only an abandoned one allows.
      if (this.#abandonedBefore(sentTick)) this.lostRotations.abandoned++;
      else
        this.violation(`tab ${tab.id}: refresh refused (displaced) without an abandoned refresh before it`);
      return;
    }
    const giver = this.#rotations.get(cookie)?.call;
    // The cookie presented was the parent, so the child had not reached the jar when this request left.
    const lost = this.#lostRotation(cookie, sentTick);
    if (lost !== undefined) {
      this.lostRotations[lost]++;
      return;
    }
    // The lease lock's documented limit: a holder frozen past its lease with its request already sent. (In
    // the sim a frozen tab's answer, and the cookie in it, waits for the thaw.)
    if (giver?.frozeDuring && this.input.lock === 'lease') {
      this.count('lost-rotation:lease-frozen');
      return;
    }
    this.violation(
      `tab ${tab.id}: refresh refused (${reason}): it presented a token already rotated for tab ${giver?.tab.id ?? '?'}, whose refresh was neither dead nor abandoned`,
    );
  }
}

export { isTokenRefreshError };
