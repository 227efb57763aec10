import { DisposedError } from '../errors/disposed-error.js';
import { RefreshFailedError } from '../errors/refresh-failed-error.js';
import { RefreshTimeoutError } from '../errors/refresh-timeout-error.js';
import { SessionExpiredError } from '../errors/session-expired-error.js';
import { bounded, GuardedAdapters, type Outcome } from './guarded.js';
import { callSafely } from './report.js';
import { normalizeToken } from './token.js';
import type {
  Adapters,
  ChannelMessage,
  LockGrant,
  RefreshResult,
  TokenRecord,
  TokenRefreshEvent,
  TokenRefreshEventType,
  TokenRefreshStats,
} from './types.js';

/** What the coordinator needs; `createTokenRefresh` builds it from the validated user options. */
export interface CoordinatorOptions {
  refresh: (context: {
    signal: AbortSignal;
    refreshToken?: string | undefined;
  }) => Promise<RefreshResult | null> | RefreshResult | null;
  /** The record holds the refresh token: `refresh()` is given it, and may answer a new one. */
  holdRefreshToken: boolean;
  /** The adapters, or the promise of them where they come from a chunk loaded on first need. */
  adapters: Adapters | Promise<Adapters>;
  refreshTimeoutMs: number;
  onSessionExpired: ((error: SessionExpiredError) => void) | undefined;
  /** `false`: write only the generation to the store; the token travels over the channel only. */
  persistToken: boolean;
  tabId: string;
}

/** A record without its generation: what a login, a logout, a refresh or a refusal makes. */
type Content = Omit<TokenRecord, 'generation'>;

/** Where a record stands in the one order every tab agrees on (see `TokenRecord.epoch`). */
export type Version = Pick<TokenRecord, 'generation' | 'epoch'>;

/** Positive when `a` is newer than `b`, 0 when both are the same version: by epoch, then generation. */
export const compareVersions = (a: Version, b: Version): number =>
  (a.epoch ?? 0) - (b.epoch ?? 0) || a.generation - b.generation;

/** The epoch of a login (or, with `logout`, a logout) called at `at`: a logout wins a tie. */
const epochAt = (at: number, logout: boolean): number => at * 2 + (logout ? 1 : 0);

/**
Delays before each new attempt at a store write that failed (rejected: an IndexedDB transaction aborted, a
quota error). A write that did not answer in time is not tried again, as it may still land (see `#landing`),
except by a refresh holding the refresh token, which keeps the lock until its record is stored (`#rewrite`).
*/
const REPAIR_DELAYS_MS = [50, 250, 1000] as const;

/** A single-flight key per version refreshed from. */
const keyOf = ({ generation, epoch }: Version): string => `${epoch ?? 0}:${generation}`;

/** One call of the app's `refresh()`, as the doors need to know it (see `Coordinator.refreshCall`). */
export interface RefreshCall {
  /** The signal handed to it. */
  readonly signal: AbortSignal;
  /** It has returned or thrown (not merely timed out: a call that ignores its signal runs on). */
  settled: boolean;
  /** Its request has reached a door with `signal` itself: the requests that start later are the app's. */
  recognized: boolean;
  /** Resolves when it has settled. */
  readonly done: Promise<void>;
}

const isTime = (value: unknown): boolean => value === undefined || Number.isFinite(value);
const isEpoch = (value: unknown): boolean =>
  value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);

/** Messages come from other tabs: anything that is not exactly what we send is ignored. */
const isChannelMessage = (value: unknown): value is ChannelMessage => {
  const message = value as Record<string, unknown> | null | undefined;
  return (
    typeof message?.tabId === 'string' &&
    Number.isSafeInteger(message.generation) &&
    (message.generation as number) >= 0 &&
    isEpoch(message.epoch) &&
    (message.type === 'ask' ||
      message.type === 'hello' ||
      (message.type === 'logout' && (message.reason === 'logout' || message.reason === 'expired')) ||
      (message.type === 'token' &&
        (message.token === undefined || typeof message.token === 'string') &&
        isTime(message.expiresAt) &&
        isTime(message.issuedAt)))
  );
};

/** 400 (invalid_grant) or 401 from the refresh endpoint, or an explicit SessionExpiredError. */
const isDefinitiveFailure = (error: unknown): boolean => {
  if (error instanceof SessionExpiredError) return true;
  const { response, status } = (error ?? {}) as { response?: { status?: unknown }; status?: unknown };
  const code = response?.status ?? status;
  return code === 400 || code === 401;
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** How long a tab waits for a peer to answer an `ask` (capped at a quarter of refreshTimeoutMs). */
const askTimeoutMs = 500;

/** Resolve with `promise`, or reject with the reason of the first of `signals` to abort. */
const untilAborted = <T>(
  promise: Promise<T>,
  signals: readonly (AbortSignal | null | undefined)[],
): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const stop = new AbortController();
    for (const signal of signals) {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason), { signal: stop.signal });
    }
    promise.then(resolve, reject).finally(() => stop.abort());
  });

/**
Whether the stored record belongs to a login or logout called after `mine` (or at the same instant, as a
logout over a login): then `mine` is superseded and is not written.
*/
const supersedes = (stored: TokenRecord | undefined, mine: Content): boolean =>
  stored !== undefined && (stored.epoch ?? 0) > (mine.epoch ?? 0);

/**
The refresh state machine: single-flight per generation in this tab, double-checked locking across tabs.
Knows nothing of ky or the DOM; runs on the Lock / Channel / Store adapters it is given, every call to them
bounded and caught by `GuardedAdapters`. Every record it makes (login, logout, refresh, refusal) is stored
as the next generation, broadcast, and taken by a tab only when it is newer than what that tab has.
*/
export class Coordinator {
  readonly tabId: string;
  readonly #options: CoordinatorOptions;
  readonly #io: GuardedAdapters;
  #current: TokenRecord = { generation: 0, token: null };
  /** One refresh per version it refreshes from (`keyOf`). */
  readonly #inflight = new Map<string, Promise<TokenRecord>>();
  /** Called whenever a newer record is accepted; lets waiters (for the lock, for a peer) stop waiting. */
  readonly #onNewer = new Set<(record: TokenRecord) => void>();
  readonly #listeners = new Set<(event: TokenRefreshEvent) => void>();
  readonly #refreshSignals = new WeakSet<AbortSignal>();
  /** The `refresh()` call running in this instance, if any. */
  #running: RefreshCall | undefined;
  /** Logins, logouts and refreshes in flight (settled, never rejecting); `dispose()` lets them finish. */
  readonly #pending = new Set<Promise<unknown>>();
  /** The last login or logout write: the next one waits for it (each is bounded). */
  #writes: Promise<unknown> = Promise.resolve();
  /** Lock waits in progress; `dispose()` ends them. */
  readonly #waits = new Set<AbortController>();
  readonly #stats: TokenRefreshStats = {
    refreshes: 0,
    adopted: 0,
    replays: 0,
    failures: 0,
    conflicts: 0,
    maxAttempts: 0,
    refreshTokenLifetimeMs: undefined,
    lostRotations: 0,
  };
  /** `refresh()` calls from the version last refreshed from (`keyOf`): feeds `stats().maxAttempts`. */
  #attempts = { key: '', count: 0 };
  readonly #ready: Promise<void>;
  readonly #unsubscribe: () => void;
  /**
  This tab has held a token since its last logout or expiry. Only such a session can expire: a tab that
  never had one (a visitor, a page opened after the end) never calls `onSessionExpired`, and one that did
  calls it once.
  */
  #session = false;
  /**
  The last record this tab made itself (a login, a logout, a refresh): a refresh that ends on it has not
  adopted another tab's token, and is not counted or reported as if it had.
  */
  #made: TokenRecord | undefined;
  /**
  Tabs that said hello within `refreshTimeoutMs`, with the version they held: a newer record this tab takes
  is broadcast again for them (see `#onMessage`). Bounded by the tabs that start in that window.
  */
  readonly #greeted = new Map<string, Version & { until: number }>();
  /** A withheld version (`keyOf`) no peer answered for: not asked for twice. */
  #unanswered: string | undefined;
  #disposed = false;
  #isReady = false;

  constructor(options: CoordinatorOptions) {
    this.#options = options;
    this.tabId = options.tabId;
    // Each store call is bounded by a quarter of refreshTimeoutMs, at most 2 s; each phase under the lock
    // has its own bound, so the work always ends before the lock is released.
    this.#io = new GuardedAdapters(
      options.adapters,
      Math.min(2_000, Math.max(1, Math.floor(options.refreshTimeoutMs / 4))),
    );
    this.#unsubscribe = this.#io.subscribe((message) => this.#onMessage(message));
    // A new tab starts from the shared record (or, when its token was withheld, from a live peer's answer),
    // bounded. A session refused before this page loaded does not stop it from refreshing once from the
    // cookie (the user may have logged in again since), so that reason is not taken over. A logout is: it is
    // final, and a refresh from a cookie the server may not have ended yet would undo it in every tab (a
    // new session starts with `setToken()`, or with an explicit `refresh()`).
    this.#ready = this.resync(false, (record) =>
      record.token === null && record.reason === 'expired'
        ? { generation: record.generation, epoch: record.epoch, token: null }
        : record,
    ).then(() => {
      this.#isReady = true;
      // The store may be behind what the live tabs hold (a login or logout whose write failed): they answer
      // this with their newer record.
      const { generation, epoch } = this.#current;
      this.#io.post({ type: 'hello', generation, epoch, tabId: this.tabId });
    });
  }

  /** The record in use in this tab. */
  get current(): TokenRecord {
    return this.#current;
  }

  /** Resolves once the shared record has been read (or could not be, within its bound). Never rejects. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Whether `ready` has resolved (lets the request cycle skip an `await` on the happy path). */
  get isReady(): boolean {
    return this.#isReady;
  }

  /** Wait for `ready`, or reject with the reason of the first of `signals` to abort. */
  ensureReady(...signals: (AbortSignal | null | undefined)[]): Promise<void> {
    return untilAborted(this.#ready, signals);
  }

  /**
  Whether a request with these signals is the refresh request: one of them is a signal this coordinator
  handed to `refresh()`. Such a request passes the doors untouched (no token, no wait, no replay).
  */
  isRefreshRequest(...signals: (AbortSignal | null | undefined)[]): boolean {
    for (const signal of signals) {
      if (signal == null || !this.#refreshSignals.has(signal)) continue;
      if (this.#running?.signal === signal) this.#running.recognized = true;
      return true;
    }
    return false;
  }

  /**
  The `refresh()` call running in this instance while its request has not been recognised by its signal.
  A client between `refresh()` and a door may derive its own signal from the one given (openapi-fetch and
  ky build a Request; `AbortSignal.any`), so a request that starts meanwhile may be the refresh request:
  the doors never hold it behind this call (see `RequestCycle`).
  */
  get refreshCall(): RefreshCall | undefined {
    const running = this.#running;
    return running && !running.recognized ? running : undefined;
  }

  /** Whether a `refresh()` call of this instance is running (the fetch door's happy path then steps aside). */
  get refreshing(): boolean {
    return this.#running !== undefined;
  }

  /**
  Get a token newer than `failed` (the version a request was sent with): the current one if it already is
  (no refresh), else the result of the one refresh in flight from it, else a new refresh. `signal` ends this
  caller's wait only; the shared refresh goes on for the others. Several signals may be given (ky's
  request signal and the caller's own: in Node a Request's signal does not always follow its source).
  */
  async ensureFresh(failed: Version, ...signals: (AbortSignal | null | undefined)[]): Promise<TokenRecord> {
    await untilAborted(this.#ready, signals);
    if (this.#disposed) throw new DisposedError();
    const current = this.#current;
    // Newer token: replay with it. Logged out or expired (not merely "no token yet"): no refresh either.
    if (compareVersions(current, failed) > 0 || current.reason) return this.#usable(current);
    return this.#join(current, signals);
  }

  /**
  The record once the refresh from `from` in flight (if any) has settled, whatever its outcome; it starts
  none. Rejects only with the reason of the first of `signals` to abort.
  */
  async afterRefresh(from: Version, ...signals: (AbortSignal | null | undefined)[]): Promise<TokenRecord> {
    const pending = this.#inflight.get(keyOf(from));
    if (pending)
      await untilAborted(
        pending.catch(() => undefined),
        signals,
      );
    return this.#current;
  }

  /**
  Wait until `call` has returned, or until the refresh from `from` in flight has settled (it gives up on a
  `refresh()` that does not return, so this wait is bounded). Rejects only with the reason of the first of
  `signals` to abort.
  */
  async afterCall(
    call: RefreshCall,
    from: Version,
    ...signals: (AbortSignal | null | undefined)[]
  ): Promise<void> {
    await untilAborted(Promise.race([call.done, this.afterRefresh(from)]), signals);
  }

  /**
  An explicit refresh (`auth.refresh()`): the one in flight, else a new one from the current generation. It
  asks the server even when this tab has no session (a refused bootstrap, a refusal, `logout()`): the page
  may have logged in since, with the cookie only.
  */
  async refreshNow(): Promise<TokenRecord> {
    await this.#ready;
    if (this.#disposed) throw new DisposedError();
    return this.#join(this.#current, []);
  }

  /** The one refresh from `from` (single-flight), started if none is in flight. */
  #join(from: TokenRecord, signals: readonly (AbortSignal | null | undefined)[]): Promise<TokenRecord> {
    const key = keyOf(from);
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#track(this.#run(from)).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return untilAborted(pending, signals);
  }

  /** Store a token obtained outside `refresh()` (after login) and share it with every tab. */
  setToken(value: RefreshResult): Promise<TokenRecord> {
    const now = Date.now();
    const content = {
      ...normalizeToken(value, now, 'setToken(token)', false, this.#options.holdRefreshToken),
      epoch: this.#epoch(now, false),
    };
    if (this.#disposed) return Promise.reject(new DisposedError());
    return this.#track(this.#write(content));
  }

  /**
  Forget the token in every tab. Waiting requests reject with `SessionExpiredError`. From the call on, this
  tab's session is over: a refusal heard while the logout is being written does not call `onSessionExpired`.
  The logout is final: it is taken here and told to every tab at once, before the store (which may be slow
  or down) is written, and its epoch ranks it above every record of the session it ends, so no refresh
  answer or refusal that lands after this call undoes it or turns it into an expiry, in any tab that has
  heard of it, whatever the store does.
  */
  async logout(): Promise<void> {
    if (this.#disposed) throw new DisposedError();
    this.#session = false;
    const content: Content = { token: null, reason: 'logout', epoch: this.#epoch(Date.now(), true) };
    const told = this.#next(undefined, content);
    this.#accept(told, false);
    this.#broadcast(told);
    const record = await this.#track(this.#write(content));
    // A login called after this logout (in another tab) was stored first: it stands.
    if (record.token === null) this.#emit('logout', record.generation);
  }

  /**
  The epoch of a login or logout called now: `epochAt`, and above the epoch of the record this tab holds (a
  decision comes after all this tab knows of, even within one millisecond), even for a login and odd for a
  logout.
  */
  #epoch(now: number, logout: boolean): number {
    const epoch = epochAt(now, logout);
    const held = this.#current.epoch ?? 0;
    // Above the held one, keeping the parity of its kind (so a logout still wins a tie with a login).
    return epoch > held ? epoch : held + 2 - ((held + (logout ? 1 : 0)) % 2);
  }

  /**
  Track `work` (a login, a logout, a refresh) as one that `dispose()` lets finish: the channel stays open
  until it settles, so what it stored is also broadcast. Every such work is bounded.
  */
  #track<T>(work: Promise<T>): Promise<T> {
    const settled = work.catch(() => undefined);
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return work;
  }

  /**
  `updater` as the late updater of a store write given up now: should the store run it after all, it may
  broadcast, so `dispose()` keeps the channel open until it has run, or for `refreshTimeoutMs` at most.
  */
  #landing(updater: (stored: TokenRecord | undefined) => TokenRecord) {
    let landed = () => {};
    void this.#track(
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.refreshTimeoutMs);
        landed = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    );
    return (stored: TokenRecord | undefined): TokenRecord => {
      try {
        return updater(stored);
      } finally {
        landed();
      }
    };
  }

  /**
  Store a login or logout unconditionally, one at a time in call order (a logout() called after a
  setToken() is the one that stays, whatever order the store would run two pending writes in), unless a
  later login or logout from another tab is stored already: that one then stands here too. A store that
  fails or does not answer in time does not block this tab: the record is used here and broadcast, and
  should the store run the write later after all, it stores that same record, but only over an older
  generation (never over what others stored meanwhile), and broadcasts it again for the tabs that read the
  store since (a write that lands late does the same in `#publish`).
  */
  #write(content: Content): Promise<TokenRecord> {
    const turn = this.#writes.then(async () => {
      await this.#ready;
      let used: TokenRecord | undefined;
      let superseded = false;
      const written = await this.#io.write(
        (stored) => {
          superseded = supersedes(stored, content);
          return superseded ? (stored as TokenRecord) : this.#persisted(this.#next(stored, content));
        },
        () => {
          // Given up: from now on this tab uses `used`. Should the store run the write after all, it
          // stores `used` unless something newer is there; then the store's record stands here too.
          const given = this.#next(undefined, content);
          used = given;
          return this.#landing(this.#keeper(given, (stored) => supersedes(stored, content)));
        },
      );
      const rejected = !written.ok && used === undefined;
      used = !written.ok
        ? (used ?? this.#next(undefined, content))
        : superseded
          ? await this.#withToken(written.value)
          : { ...content, generation: written.value.generation };
      if (!superseded) this.#made = used;
      this.#accept(used, true);
      this.#broadcast(used);
      if (rejected) this.#repair(used, (stored) => supersedes(stored, content));
      return used;
    });
    this.#writes = turn.catch(() => undefined);
    return turn;
  }

  /** `content` as the generation after both the stored one and this tab's. */
  #next(stored: TokenRecord | undefined, content: Content): TokenRecord {
    return { ...content, generation: Math.max(stored?.generation ?? 0, this.#current.generation) + 1 };
  }

  /**
  Re-read the shared record (a hidden or frozen tab may have missed messages) and take it if it is newer.
  Bounded; never throws. `conflict`: also take it in place of a different record of the same generation
  (see `#onMessage`). `take`: what of it to take (all of it, by default).
  */
  async resync(conflict = false, take = (record: TokenRecord): TokenRecord => record): Promise<void> {
    const stored = await this.#read();
    const usable = stored && (await this.#resolve(stored));
    if (usable) this.#accept(take(usable), true, conflict);
  }

  /** The shared record, or `undefined` when there is none or the store failed or did not answer in time. */
  async #read(): Promise<TokenRecord | undefined> {
    const read = await this.#io.read();
    return read.ok ? read.value : undefined;
  }

  subscribe(listener: (event: TokenRefreshEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  stats(): TokenRefreshStats {
    return { ...this.#stats };
  }

  /** Record that a request sent with generation `generation` was replayed. */
  replayed(generation: number, request: string): void {
    this.#stats.replays++;
    this.#emit('request:replayed', generation, { request });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const wait of this.#waits) wait.abort(new DisposedError());
    // Work in flight (bounded) may still have to broadcast what it stores: close the channel after it.
    // (Work may add more as it settles: a write given up adds its late landing.) Until then this instance
    // still answers hellos: a login or logout it is still writing may be known nowhere else (its store write
    // hanging), and a tab that opens meanwhile would otherwise start from the store's older record.
    const drained = (): Promise<void> =>
      this.#pending.size === 0 ? Promise.resolve() : Promise.all(this.#pending).then(drained);
    void drained().then(() => {
      this.#unsubscribe();
      this.#io.close();
    });
    this.#listeners.clear();
    this.#onNewer.clear();
  }

  /**
  Wait until this tab holds a record of version `version` or newer, or until `signal` aborts: `true` when
  such a record came. `onNewer` is told of each newer record first.
  */
  #until(version: Version, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        this.#onNewer.delete(onNewer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onNewer = (record: TokenRecord) => {
        if (compareVersions(record, version) >= 0) done(true);
      };
      const onAbort = () => done(false);
      if (signal.aborted) return done(false);
      this.#onNewer.add(onNewer);
      signal.addEventListener('abort', onAbort);
    });
  }

  /**
  Take the cross-tab lock, then refresh under it. The wait is bounded by `refreshTimeoutMs` and ends early
  when a newer token arrives (adopted) or the instance is disposed; a grant that comes after the wait ended
  runs nothing (see `GuardedAdapters.request`).
  */
  async #run(from: TokenRecord, retried?: boolean): Promise<TokenRecord> {
    const timeoutMs = this.#options.refreshTimeoutMs;
    const wait = new AbortController();
    const timer = setTimeout(() => wait.abort(new RefreshTimeoutError('lock', timeoutMs)), timeoutMs);
    const stop = new AbortController();
    const stopWaiting = () => {
      clearTimeout(timer);
      this.#waits.delete(wait);
      stop.abort();
    };
    // A newer token (another tab's refresh, a login) ends the wait: it is adopted instead.
    const newer = this.#until({ generation: from.generation + 1, epoch: from.epoch }, stop.signal);
    void newer.then((heard) => heard && wait.abort(new Error('a newer token arrived')));
    this.#waits.add(wait);
    this.#emit('lock:wait', from.generation);
    let granted = false;
    try {
      return await this.#io.request((grant) => {
        granted = true;
        stopWaiting();
        this.#emit('lock:acquired', from.generation);
        return this.#underLock(from, grant);
      }, wait.signal);
    } catch (error) {
      if (granted) {
        if (!(error instanceof AbortSignal)) throw error;
        // The lease ran out under this holder (it was paused) before it called refresh(): nothing was
        // sent. Take the lock again (once): another holder may have refreshed meanwhile.
        if (!retried) return this.#run(from, true);
        throw this.#transient(from, error.reason, 'The refresh lock failed');
      }
      stopWaiting();
      // Another tab (or setToken) produced a newer token while this one waited: adopt it (once).
      if (await newer) return this.#adopt(this.#current);
      if (error instanceof DisposedError) throw error;
      throw this.#transient(from, error, 'The refresh lock failed');
    }
  }

  /**
  Inside the lock: re-read the shared record (double-checked locking), else refresh. A lease lock's `grant`
  tells whether its lease was lost meanwhile (nothing is sent then: `#run` takes the lock again; a refresh in
  flight is aborted) and
  whether it was taken over from a holder that died or stalled (a refusal then is a lost rotation).
  */
  async #underLock(failed: TokenRecord, grant: LockGrant): Promise<TokenRecord> {
    let from: Version = failed;
    const read = await this.#io.read();
    // Holding the refresh token, the store is the only place its newest value is: refreshing without it
    // could present one that rotated (reuse, the session revoked). Transient: the next 401 tries again.
    if (!read.ok && this.#options.holdRefreshToken)
      throw this.#transient(
        from,
        read.error,
        'The shared record could not be read (the refresh token may have rotated)',
      );
    const stored = read.ok ? read.value : undefined;
    // Refreshing from a logout (an explicit refresh() after it): a refusal then confirms that logout, and
    // is told as one, not as the expiry of a session.
    const isLogoutAt = (record: TokenRecord | undefined): boolean =>
      record?.reason === 'logout' && record.token === null && compareVersions(record, from) === 0;
    const afterLogout = isLogoutAt(stored) || isLogoutAt(failed);
    if (stored && compareVersions(stored, from) > 0) {
      const usable = await this.#resolve(stored);
      if (usable) return this.#adopt(usable);
      // The token of that version was withheld from the store and no live tab has it: refresh.
      from = stored;
    }
    if (compareVersions(this.#current, from) > 0) return this.#adopt(this.#current);
    if (this.#disposed) throw new DisposedError();
    // The refresh token of the version refreshed from: the store's (read just now, under the lock), else
    // this tab's own. A record heard over the channel carries none.
    const base = this.#options.holdRefreshToken
      ? [stored, this.#current, failed].find((record) => record && compareVersions(record, from) === 0)
      : undefined;
    const refreshToken = base?.refreshToken;
    // Paused past its lease before sending: told to `#run` (the signal itself is the marker).
    if (grant.held?.() === false) throw grant.lost;

    this.#stats.refreshes++;
    const key = keyOf(from);
    this.#attempts = { key, count: this.#attempts.key === key ? this.#attempts.count + 1 : 1 };
    this.#stats.maxAttempts = Math.max(this.#stats.maxAttempts, this.#attempts.count);
    this.#emit('refresh:start', from.generation);
    const timeoutMs = this.#options.refreshTimeoutMs;
    const controller = new AbortController();
    // The lease ran out under this holder (it was paused): another may hold the lock and have rotated the
    // refresh token; sending it again would be a reuse. `refresh()` sees its signal aborted.
    const lost = grant.lost;
    lost?.addEventListener('abort', () => controller.abort(lost.reason));
    this.#refreshSignals.add(controller.signal);
    const context = this.#options.holdRefreshToken
      ? { signal: controller.signal, refreshToken }
      : { signal: controller.signal };
    const call = Promise.resolve().then(() => this.#options.refresh(context));
    const running: RefreshCall = {
      signal: controller.signal,
      settled: false,
      recognized: false,
      done: call.then(
        () => undefined,
        () => undefined,
      ),
    };
    this.#running = running;
    void running.done.then(() => {
      running.settled = true;
      if (this.#running === running) this.#running = undefined;
    });
    let timeout: RefreshTimeoutError | undefined;
    let outcome: Outcome<RefreshResult | null> = await bounded(
      () => call,
      timeoutMs,
      'refresh()',
      () => {
        timeout = new RefreshTimeoutError('refresh', timeoutMs);
        controller.abort(timeout);
      },
    );
    if (timeout) {
      // refresh() did not stop when its signal aborted: it may still reach the server, which then rotates.
      // Keep the lock (so no other tab refreshes over it) for one more `refreshTimeoutMs` at most, and take
      // its result if it comes; honouring the signal ends this wait at once.
      outcome = await bounded(() => call, timeoutMs, 'refresh()');
      if (!outcome.ok) {
        // Past that, a result is still committed if nothing newer exists by then (else dropped).
        call
          .then((value) => {
            if (!this.#disposed) return this.#succeed(from, value, base);
          })
          .catch(() => undefined);
        outcome = { ok: false, error: timeout };
      }
    }
    let record: TokenRecord | undefined;
    try {
      if (!outcome.ok) throw outcome.error;
      record = await this.#succeed(from, outcome.value, base);
    } catch (error) {
      return this.#fail(from, error, afterLogout, grant.tookOver && this.#options.holdRefreshToken);
    }
    return record ?? this.#adopt(await this.#newest(from));
  }

  /**
  Publish what `refresh()` resolved to: `undefined` when a newer record exists already. Without a new refresh
  token in it, the record keeps the refresh token of `base`, the record it refreshed (the server did not
  rotate); with one, the old one's lifetime goes to `stats()`.
  */
  async #succeed(
    from: Version,
    value: RefreshResult | null | undefined,
    base: TokenRecord | undefined,
  ): Promise<TokenRecord | undefined> {
    if (value == null) {
      throw new SessionExpiredError('refresh() resolved to no token: there is no session to refresh.');
    }
    const holds = this.#options.holdRefreshToken;
    const token = normalizeToken(value, Date.now(), 'The value refresh() resolved to', true, holds);
    const refreshToken = base?.refreshToken;
    const kept =
      holds && token.refreshToken === undefined && refreshToken !== undefined ? { refreshToken } : {};
    if (token.refreshToken !== undefined && refreshToken !== undefined && base?.issuedAt !== undefined)
      this.#stats.refreshTokenLifetimeMs = Math.max(0, Date.now() - base.issuedAt);
    const record = await this.#publish(from, { ...token, ...kept, epoch: from.epoch });
    if (record) this.#emit('refresh:success', record.generation);
    return record;
  }

  /**
  Compare-and-set `content` (of `from`'s epoch) as the generation after `from` (or above): in the store when
  it answers, else in this tab alone (the server has rotated already); then broadcast it. `undefined` when a
  newer record exists (a later login or logout, or another tab's refresh of `from`).
  */
  async #publish(from: Version, content: Content, retry = true): Promise<TokenRecord | undefined> {
    if (compareVersions(this.#current, from) > 0) return undefined;
    let mine = false;
    const make = (stored: TokenRecord | undefined, late: boolean): TokenRecord => {
      mine = !(stored && compareVersions(stored, from) > 0);
      if (!mine) {
        // Landing late, over a newer record: this tab went on with its own, the store's stands.
        if (late) void this.resync(true);
        return stored as TokenRecord;
      }
      // From `from`, not from this tab's generation: a write that lands late (past its bound) must not
      // number the same token again above the one this tab took meanwhile.
      const record = { ...content, generation: Math.max(from.generation, stored?.generation ?? 0) + 1 };
      if (late) this.#broadcast(record);
      return this.#persisted(record);
    };
    let given = false;
    const written = await this.#io.write(
      (stored) => make(stored, false),
      () => {
        given = true;
        return this.#landing((stored) => make(stored, true));
      },
    );
    if (written.ok && !mine) {
      // Take the newer record the store holds now: the caller adopts it, and must not fall back on this
      // tab's older one should its next read of the store fail.
      const newer = await this.#resolve(written.value);
      if (newer) {
        this.#accept(newer, true);
        return undefined;
      }
      // Its token was withheld (`persistToken: false`) and no live tab has it: what this tab just got
      // from the server goes over it (once), rather than falling back on the token that failed; but only
      // over the same session's record (a later login or logout is never undone by an older session's token).
      const over = written.value;
      if (!retry || content.token === null || over.epoch !== content.epoch) return undefined;
      return this.#publish(over, content, false);
    }
    const generation = written.ok
      ? written.value.generation
      : Math.max(from.generation, this.#current.generation) + 1;
    const record = { ...content, generation };
    if (!this.#accept(record, false)) return undefined;
    this.#made = record;
    this.#broadcast(record);
    if (!written.ok) {
      const newer = (stored: TokenRecord | undefined) => compareVersions(stored ?? from, from) > 0;
      // Holding the refresh token: the others can only read the new one from the store, so the lock is
      // kept (bounded) until it is there; released before, another holder would present the rotated one.
      if (this.#options.holdRefreshToken) await this.#rewrite(record, newer, true);
      else if (!given) this.#repair(record, newer);
    }
    return record;
  }

  /**
  The updater that stores `record`, which this tab uses already, when it runs after the write that should
  have stored it (late, or tried again): only over an older version, and not when the store holds something
  `newer`; then the store's record is taken here instead. What it stores is broadcast again, for the tabs
  that read the store since.
  */
  #keeper(
    record: TokenRecord,
    newer: (stored: TokenRecord | undefined) => boolean,
  ): (stored: TokenRecord | undefined) => TokenRecord {
    return (stored) => {
      if ((stored && compareVersions(stored, record) >= 0) || newer(stored)) {
        void this.resync(true);
        return stored as TokenRecord;
      }
      this.#broadcast(record);
      return this.#persisted(record);
    };
  }

  /**
  A record this tab made and uses but could not store (the write rejected): write it again in the background,
  after each of `REPAIR_DELAYS_MS`, until the store takes it, holds it or something newer (`newer`, or a
  version at or above it), or the delays run out. Without it, a tab opened later (or one that only reads the
  store) would start from the record before it: a logout undone, a rotated token presented again. Tracked,
  so `dispose()` lets it finish (a page that logs out and closes at once still stores its logout).
  */
  #repair(record: TokenRecord, newer: (stored: TokenRecord | undefined) => boolean): void {
    void this.#track(this.#rewrite(record, newer, false));
  }

  /**
  The attempts of `#repair`: after each of `REPAIR_DELAYS_MS`, until the store takes `record` (or holds it,
  or something newer). A write given up (it may still land) ends them, unless `untilStored`.
  */
  async #rewrite(
    record: TokenRecord,
    newer: (stored: TokenRecord | undefined) => boolean,
    untilStored: boolean,
  ): Promise<void> {
    const keep = this.#keeper(record, newer);
    for (const delay of REPAIR_DELAYS_MS) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      let given = false;
      const written = await this.#io.write(keep, () => {
        given = true;
        return this.#landing(keep);
      });
      if (written.ok || (given && !untilStored)) return;
    }
  }

  /** The newest record known after `from`: the store's, or this tab's. */
  async #newest(from: Version): Promise<TokenRecord> {
    const stored = await this.#read();
    const usable = stored && compareVersions(stored, from) > 0 ? await this.#resolve(stored) : undefined;
    return usable && compareVersions(usable, this.#current) >= 0 ? usable : this.#current;
  }

  /**
  A stored record to take: as it is, or, when its token was withheld, with the token a live peer holds; when
  none has it, the record's version without a token (the next request refreshes from it).
  */
  async #withToken(stored: TokenRecord): Promise<TokenRecord> {
    if (!stored.withheld) return stored;
    return (
      (await this.#resolve(stored)) ?? { generation: stored.generation, epoch: stored.epoch, token: null }
    );
  }

  /** What goes to the store: the record, or only its version with `persistToken: false`. */
  #persisted(record: TokenRecord): TokenRecord {
    if (this.#options.persistToken || record.token === null) return record;
    return { generation: record.generation, epoch: record.epoch, token: null, withheld: true };
  }

  /**
  A stored record with its token: as it is, or, when the token was withheld, from a live peer (asked
  over the channel, answer awaited briefly). `undefined` when nobody has it.
  */
  async #resolve(stored: TokenRecord): Promise<TokenRecord | undefined> {
    if (!stored.withheld || compareVersions(this.#current, stored) >= 0)
      return stored.withheld ? this.#current : stored;
    const key = keyOf(stored);
    if (this.#unanswered === key) return undefined;
    const giveUp = new AbortController();
    const timer = setTimeout(
      () => giveUp.abort(),
      Math.min(askTimeoutMs, this.#options.refreshTimeoutMs / 4),
    );
    const answered = this.#until(stored, giveUp.signal);
    const { generation, epoch } = stored;
    this.#io.post({ type: 'ask', generation, epoch, tabId: this.tabId });
    const heard = await answered;
    clearTimeout(timer);
    if (heard) return this.#current;
    this.#unanswered = key;
    return undefined;
  }

  /**
  Classify a failed refresh: lost race → adopt; definitive → log every tab out; else transient. `tookOver`:
  holding the refresh token, the lock was taken over from a holder that died or stalled inside its refresh.
  */
  async #fail(from: Version, error: unknown, afterLogout = false, tookOver = false): Promise<TokenRecord> {
    const newest = await this.#newest(from);
    if (compareVersions(newest, from) > 0) {
      // Refused because another tab or process had rotated meanwhile: a conflict (its rate is the signal).
      if (isDefinitiveFailure(error)) this.#stats.conflicts++;
      return this.#adopt(newest);
    }
    if (!isDefinitiveFailure(error)) throw this.#transient(from, error, 'The token refresh failed');
    const reason = afterLogout ? 'logout' : 'expired';
    const record = await this.#publish(from, { token: null, reason, epoch: from.epoch });
    if (!record) return this.#adopt(await this.#newest(from));
    // The refresh token was refused right after a takeover: the dead holder's refresh most likely rotated it
    // and its answer died with it.
    const lostRotation = tookOver && !afterLogout;
    if (lostRotation) this.#stats.lostRotations++;
    const expired =
      error instanceof SessionExpiredError
        ? error
        : new SessionExpiredError(
            `The refresh was refused (${describe(error)})${lostRotation ? ' after a takeover (rotation lost)' : ''}; log in again.`,
            { cause: error },
          );
    this.#failed(from, expired);
    if (!afterLogout) this.#expire(record.generation, expired);
    throw expired;
  }

  /** A failure that keeps the session: counted, reported, and returned as a `RefreshFailedError` to throw. */
  #transient(from: Version, error: unknown, what: string): RefreshFailedError {
    const failed =
      error instanceof RefreshFailedError
        ? error
        : new RefreshFailedError(`${what}: ${describe(error)}`, { cause: error });
    this.#failed(from, failed);
    return failed;
  }

  #failed(from: Version, error: { code: string }): void {
    this.#stats.failures++;
    this.#emit('refresh:failure', from.generation, { code: error.code });
  }

  /**
  Take a record produced meanwhile instead of refreshing: by another tab (counted and reported as adopted),
  or by this one (its own login, logout or refresh: taken, not counted as an adoption).
  */
  #adopt(record: TokenRecord): TokenRecord {
    this.#accept(record, false);
    const made = this.#made;
    const own = made !== undefined && compareVersions(made, record) === 0 && made.token === record.token;
    if (!own) {
      this.#stats.adopted++;
      this.#emit('refresh:adopted', record.generation);
    }
    if (record.token === null && record.reason !== 'logout') {
      this.#expire(record.generation, new SessionExpiredError());
    }
    return this.#usable(record);
  }

  /** A record with a token, or the SessionExpiredError that says there is none. */
  #usable(record: TokenRecord): TokenRecord {
    if (record.token === null) throw new SessionExpiredError();
    return record;
  }

  /**
  Make `record` current if it is newer (or, with `conflict`, of the same version with another token).
  `received`: it came from outside this tab's refresh.
  */
  #accept(record: TokenRecord, received: boolean, conflict = false): boolean {
    const current = this.#current;
    const order = compareVersions(record, current);
    if (order < 0 || (order === 0 && !(conflict && record.token !== current.token))) return false;
    this.#current = record;
    if (this.#greeted.size > 0) this.#tellGreeted(record);
    if (record.token !== null) this.#session = true;
    else if (record.reason === 'logout') this.#session = false;
    for (const notify of this.#onNewer) notify(record);
    if (received && record.token !== null) this.#emit('token:received', record.generation);
    return true;
  }

  /** Broadcast `record` once for the tabs that said hello at an older version not long ago. */
  #tellGreeted(record: TokenRecord): void {
    const now = Date.now();
    let behind = false;
    for (const [tabId, greeting] of this.#greeted) {
      if (greeting.until < now) this.#greeted.delete(tabId);
      else if (compareVersions(record, greeting) > 0) {
        this.#greeted.delete(tabId);
        behind = true;
      }
    }
    if (behind) this.#broadcast(record);
  }

  /** The session of this tab ended because a refresh was refused: tell the app, once per session. */
  #expire(generation: number, error: SessionExpiredError): void {
    if (!this.#session) return;
    this.#session = false;
    this.#emit('session:expired', generation);
    // A callback that throws or rejects must not break the refresh protocol: surfaced, without blocking.
    const callback = this.#options.onSessionExpired;
    if (callback) callSafely(callback, error);
  }

  /** Tell every other tab of `record`: its token, or that there is none (and why). */
  #broadcast({ generation, epoch, token, expiresAt, issuedAt, reason }: TokenRecord): void {
    this.#io.post(
      token === null
        ? { type: 'logout', generation, epoch, tabId: this.tabId, reason: reason ?? 'logout' }
        : { type: 'token', generation, epoch, tabId: this.tabId, token, expiresAt, issuedAt },
    );
  }

  #onMessage(message: unknown): void {
    if (!isChannelMessage(message) || message.tabId === this.tabId) return;
    const { type, generation, epoch } = message;
    const current = this.#current;
    const order = compareVersions(message, current);
    // Disposed, draining its last writes (see `dispose()`): it only tells newer tabs what it holds.
    if (this.#disposed) {
      if (type === 'hello' && order < 0) this.#broadcast(current);
      return;
    }
    if (type === 'hello') {
      // A tab that just started holds an older record than this one (its store read missed a write that
      // failed): tell it. Either way, it may still miss a newer record on its way here (a logout or login
      // whose messages it opened too late for, whose store write failed or was withheld): tell it when that
      // one comes.
      if (order < 0) this.#broadcast(current);
      this.#greeted.set(message.tabId, {
        generation,
        epoch,
        until: Date.now() + this.#options.refreshTimeoutMs,
      });
    } else if (type === 'ask') {
      // The asker needs the token of this version (withheld from the store).
      if (order === 0 && current.token !== null) this.#broadcast(current);
    } else if (order === 0 && ((message as { token?: string }).token ?? null) !== current.token) {
      // Another record of this tab's version: two tabs each made one while the store did not answer them
      // both (a frozen tab's login timed out at thaw while another tab refreshed). The store's stands, in
      // every tab that sees the conflict.
      void this.#settle(message as TokenRecord);
    } else if (type === 'logout' && message.reason === 'expired') {
      if (order > 0) void this.#expired({ generation, epoch, token: null, reason: 'expired' });
    } else if (type === 'logout') {
      const wasLoggedOut = current.token === null && current.reason === 'logout';
      if (this.#accept({ generation, epoch, token: null, reason: 'logout' }, false) && !wasLoggedOut) {
        this.#emit('logout', generation);
      }
    } else if (message.token === undefined) {
      // The token was kept out of the message: read it from the shared store (or ask for it).
      if (order > 0) void this.resync();
    } else {
      const { token, expiresAt, issuedAt } = message;
      this.#accept({ generation, epoch, token, expiresAt, issuedAt }, true);
    }
  }

  /**
  Settle two records of one version (this tab's and `theirs`): the store's stands; when the store cannot
  tell (its token withheld, or not read), every tab that sees both keeps the greater token, so that all end
  on one.
  */
  async #settle(theirs: TokenRecord): Promise<void> {
    const stored = await this.#read();
    if (stored && !stored.withheld) return void this.#accept(stored, true, true);
    const current = this.#current;
    const { token } = theirs;
    if (token == null || current.token === null || compareVersions(current, theirs) !== 0) return;
    if (token > current.token) {
      const { generation, epoch, expiresAt, issuedAt } = theirs;
      this.#accept({ generation, epoch, token, expiresAt, issuedAt }, true, true);
    }
  }

  /**
  Another tab's refresh was refused. Before this tab's session ends on it, the store is read (bounded): a
  logout (or login) it holds that is newer wins, and the refusal is not this tab's expiry (a logout's
  message can arrive after the refusal it caused).
  */
  async #expired(record: TokenRecord): Promise<void> {
    // The store may hold that refusal itself, or something newer (a logout is never withheld; a withheld
    // record is left to the usual paths, with no ask from here).
    const stored = await this.#read();
    if (stored && !stored.withheld && compareVersions(stored, record) > 0) this.#accept(stored, true);
    this.#accept(record, false);
    const current = this.#current;
    if (compareVersions(current, record) === 0 && current.token === null && current.reason === 'expired') {
      this.#expire(record.generation, new SessionExpiredError());
    }
  }

  #emit(type: TokenRefreshEventType, generation: number, extra?: Partial<TokenRefreshEvent>): void {
    const event: TokenRefreshEvent = { ...extra, type, generation, at: Date.now(), tabId: this.tabId };
    for (const listener of this.#listeners) callSafely(listener, event);
  }
}
