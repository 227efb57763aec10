import { DisposedError } from '../errors/disposed-error.js';
import { RefreshFailedError } from '../errors/refresh-failed-error.js';
import { RefreshTimeoutError } from '../errors/refresh-timeout-error.js';
import { SessionExpiredError } from '../errors/session-expired-error.js';
import { bounded, GuardedAdapters } from './guarded.js';
import { report } from './report.js';
import { normalizeToken } from './token.js';
import type {
  Adapters,
  ChannelMessage,
  RefreshResult,
  TokenRecord,
  TokenRefreshEvent,
  TokenRefreshEventType,
  TokenRefreshStats,
} from './types.js';

/** What the coordinator needs; `createTokenRefresh` builds it from the validated user options. */
export interface CoordinatorOptions {
  refresh: (context: { signal: AbortSignal }) => Promise<RefreshResult | null> | RefreshResult | null;
  adapters: Adapters | Promise<Adapters>;
  refreshTimeoutMs: number;
  onSessionExpired: ((error: SessionExpiredError) => void) | undefined;
  /** `false`: write only the generation to the store; the token travels over the channel only. */
  persistToken: boolean;
  tabId: string;
}

const messageTypes = new Set(['token', 'logout', 'ask']);
const logoutReasons = new Set(['logout', 'expired']);

/** Messages come from other tabs: anything that is not exactly what we send is ignored. */
const isChannelMessage = (value: unknown): value is ChannelMessage => {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  return (
    typeof message.type === 'string' &&
    messageTypes.has(message.type) &&
    Number.isSafeInteger(message.generation) &&
    (message.generation as number) >= 0 &&
    typeof message.tabId === 'string' &&
    (message.token === undefined || typeof message.token === 'string') &&
    (message.expiresAt === undefined || Number.isFinite(message.expiresAt)) &&
    (message.issuedAt === undefined || Number.isFinite(message.issuedAt)) &&
    (message.type !== 'logout' || logoutReasons.has(message.reason as string))
  );
};

/** 400 (invalid_grant) or 401 from the refresh endpoint, or an explicit SessionExpiredError. */
const isDefinitiveFailure = (error: unknown): boolean => {
  if (error instanceof SessionExpiredError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { response, status } = error as { response?: { status?: unknown }; status?: unknown };
  const code = response?.status ?? status;
  return code === 400 || code === 401;
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** How long a tab waits for a peer to answer an `ask` (capped at a quarter of refreshTimeoutMs). */
const askTimeoutMs = 500;

/**
The bound on one store call: a quarter of `refreshTimeoutMs`, at most 2 s. Each phase under the lock has its
own bound (read and write this, asking peers `askTimeoutMs`, `refresh()` `refreshTimeoutMs` plus as much again
for one that ignores its signal), so the work always ends, and the lock is never released while it runs.
*/
const storeTimeoutMs = (refreshTimeoutMs: number): number =>
  Math.min(2_000, Math.max(1, Math.floor(refreshTimeoutMs / 4)));

/** Resolve with `promise`, or reject with the reason of the first of `signals` to abort. */
const untilAborted = <T>(
  promise: Promise<T>,
  signals: readonly (AbortSignal | null | undefined)[],
): Promise<T> => {
  const active = signals.filter((signal): signal is AbortSignal => signal != null);
  if (active.length === 0) return promise;
  const aborted = active.find((signal) => signal.aborted);
  if (aborted) return Promise.reject(aborted.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = new AbortController();
    for (const signal of active) {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true, signal: stop.signal });
    }
    promise.then(resolve, reject).finally(() => stop.abort());
  });
};

type NormalizedToken = ReturnType<typeof normalizeToken>;

/**
Whether the stored login or logout was called after `mine` (or at the same instant, as a logout over a
login): then `mine` is superseded and is not written. A withheld record (`persistToken: false`) carries no
token to stand in for `mine`, so it never supersedes.
*/
const supersedes = (stored: TokenRecord | undefined, mine: TokenRecord): boolean => {
  const theirs = stored?.decidedAt;
  if (stored === undefined || theirs === undefined || stored.withheld || mine.decidedAt === undefined)
    return false;
  if (theirs !== mine.decidedAt) return theirs > mine.decidedAt;
  return stored.reason === 'logout' && mine.reason !== 'logout';
};

/** What `refresh()` resolved to, checked: `null` means there is no session; anything else must be a token. */
const normalizeRefreshed = (value: RefreshResult | null | undefined): NormalizedToken => {
  if (value === null || value === undefined) {
    throw new SessionExpiredError('refresh() resolved to no token: there is no session to refresh.');
  }
  return normalizeToken(value, Date.now(), 'The value refresh() resolved to', true);
};

/**
The refresh state machine: single-flight per generation in this tab, double-checked locking across tabs.
Knows nothing of ky or the DOM; runs on the Lock / Channel / Store adapters it is given, every call to them
bounded and caught by `GuardedAdapters`.
*/
export class Coordinator {
  readonly tabId: string;
  readonly #options: CoordinatorOptions;
  readonly #io: GuardedAdapters;
  #current: TokenRecord = { generation: 0, token: null };
  /** One refresh per generation it refreshes from. */
  readonly #inflight = new Map<number, Promise<TokenRecord>>();
  /** Called whenever a newer record is accepted; lets lock waiters stop waiting. */
  readonly #onNewer = new Set<(record: TokenRecord) => void>();
  readonly #listeners = new Set<(event: TokenRefreshEvent) => void>();
  readonly #refreshSignals = new WeakSet<AbortSignal>();
  /** Logins, logouts and refreshes in flight (settled, never rejecting); `dispose()` lets them finish. */
  readonly #pending = new Set<Promise<void>>();
  /** The last login or logout write: the next one waits for it (each is bounded). */
  #writes: Promise<unknown> = Promise.resolve();
  /** Lock waits in progress; `dispose()` ends them. */
  readonly #waits = new Set<AbortController>();
  readonly #stats: TokenRefreshStats = { refreshes: 0, adopted: 0, replays: 0, failures: 0 };
  readonly #ready: Promise<void>;
  readonly #unsubscribe: () => void;
  /**
  This tab has held a token since its last logout or expiry. Only such a session can expire: a tab that
  never had one (a visitor, a page opened after the end) never calls `onSessionExpired`, and one that did
  calls it once.
  */
  #session = false;
  /** A withheld generation no peer answered for: not asked for twice. */
  #unanswered = -1;
  #disposed = false;
  #isReady = false;

  constructor(options: CoordinatorOptions) {
    this.#options = options;
    this.tabId = options.tabId;
    this.#io = new GuardedAdapters(options.adapters, storeTimeoutMs(options.refreshTimeoutMs));
    this.#unsubscribe = this.#io.subscribe((message) => this.#onMessage(message));
    this.#ready = this.#start().then(() => {
      this.#isReady = true;
    });
  }

  /**
  A new tab starts from the shared record (or, when its token was withheld, from a live peer's answer):
  bounded, so a stuck store or a silent peer never blocks a request. A session that ended before this page
  loaded does not stop it from refreshing once from the cookie (the user may have logged in again since), so
  its logout reason is not taken over.
  */
  async #start(): Promise<void> {
    const record = await this.#readStore();
    if (!record) return;
    if (record.withheld) await this.#resolve(record);
    else if (record.token === null) this.#accept({ generation: record.generation, token: null }, false);
    else this.#accept(record, true);
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

  /** Whether `signal` is one this coordinator handed to `refresh()` (its requests skip the hooks). */
  isRefreshSignal(signal: AbortSignal | null | undefined): boolean {
    return signal != null && this.#refreshSignals.has(signal);
  }

  /**
  Get a token newer than `failedGeneration`: the current one if it already is (no refresh), else the
  result of the one refresh in flight for that generation, else a new refresh. `signal` ends this
  caller's wait only; the shared refresh goes on for the others. Several signals may be given (ky's
  request signal and the caller's own: in Node a Request's signal does not always follow its source).
  */
  async ensureFresh(
    failedGeneration: number,
    ...signals: (AbortSignal | null | undefined)[]
  ): Promise<TokenRecord> {
    await untilAborted(this.#ready, signals);
    if (this.#disposed) throw new DisposedError();
    const current = this.#current;
    // Newer token: replay with it. Logged out or expired (not merely "no token yet"): no refresh either.
    if (current.generation > failedGeneration || current.reason) return this.#usable(current);
    const from = current.generation;
    let pending = this.#inflight.get(from);
    if (!pending) {
      pending = this.#track(() => this.#run(from)).finally(() => this.#inflight.delete(from));
      this.#inflight.set(from, pending);
    }
    return untilAborted(pending, signals);
  }

  /** Store a token obtained outside `refresh()` (after login) and share it with every tab. */
  setToken(value: RefreshResult): Promise<TokenRecord> {
    const normalized = normalizeToken(value, Date.now(), 'setToken(token)', false);
    if (this.#disposed) return Promise.reject(new DisposedError());
    return this.#track(async () => {
      const decidedAt = Date.now();
      const record = await this.#write((generation) => ({ generation, ...normalized, decidedAt }));
      this.#accept(record, true);
      this.#postToken(record);
      return record;
    });
  }

  /**
  Forget the token in every tab. Waiting requests reject with `SessionExpiredError`. From the call on, this
  tab's session is over: a refusal heard while the logout is being written does not call `onSessionExpired`.
  */
  logout(): Promise<void> {
    if (this.#disposed) return Promise.reject(new DisposedError());
    this.#session = false;
    return this.#track(async () => {
      const decidedAt = Date.now();
      const record = await this.#write((generation) => ({
        generation,
        token: null,
        reason: 'logout',
        decidedAt,
      }));
      this.#accept(record, false);
      // A login called after this logout (in another tab) was stored first: it stands.
      if (record.token !== null) return;
      this.#io.post({ type: 'logout', generation: record.generation, tabId: this.tabId, reason: 'logout' });
      this.#emit('logout', record.generation);
    });
  }

  /**
  Run `work` (a login, a logout, a refresh) as one that `dispose()` lets finish: the channel stays open
  until it settles, so what it stored is also broadcast. Every such work is bounded.
  */
  #track<T>(work: () => Promise<T>): Promise<T> {
    const promise = work();
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return promise;
  }

  /**
  Store the record `make(next generation)` unconditionally (login, logout). A store that fails or does not
  answer in time does not block this tab: the record is then used here and broadcast, and should the store
  run the write later after all, it stores that same record, but only over an older generation (never over
  what others stored meanwhile).
  */
  #write(make: (generation: number) => TokenRecord): Promise<TokenRecord> {
    // One at a time, in call order: a logout() called after a setToken() is the one that stays, whatever
    // order the store would run two pending writes in.
    const turn = this.#writes.then(() => this.#writeNow(make));
    this.#writes = turn.catch(() => undefined);
    return turn;
  }

  async #writeNow(make: (generation: number) => TokenRecord): Promise<TokenRecord> {
    await this.#ready;
    const mine = make(0);
    let used: TokenRecord | undefined;
    let superseded = false;
    const written = await this.#io.write(
      (stored) => {
        superseded = supersedes(stored, mine);
        if (superseded) return stored as TokenRecord;
        return this.#persisted(make(Math.max(stored?.generation ?? 0, this.#current.generation) + 1));
      },
      (stored) =>
        used && !(stored && stored.generation >= used.generation) && !supersedes(stored, mine)
          ? this.#persisted(used)
          : (stored as TokenRecord),
    );
    // A login or logout called later, in another tab, is already stored: it is the one that stands here too.
    if (written.ok && superseded) return written.value;
    used = make(Math.max(written.ok ? written.value.generation : 0, this.#current.generation + 1));
    return used;
  }

  /** Re-read the shared record: a hidden or frozen tab may have missed messages. Bounded; never throws. */
  async resync(): Promise<void> {
    const record = await this.#readStore();
    if (!record || record.generation <= this.#current.generation) return;
    if (record.withheld) await this.#resolve(record);
    else this.#accept(record, true);
  }

  /** The shared record, or `undefined` when there is none or the store failed or did not answer in time. */
  async #readStore(): Promise<TokenRecord | undefined> {
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
    this.#unsubscribe();
    // Work in flight (bounded) may still have to broadcast what it stores: close the channel after it.
    void Promise.all(this.#pending).then(() => this.#io.close());
    this.#listeners.clear();
    this.#onNewer.clear();
  }

  /**
  Take the cross-tab lock, then refresh under it. The wait is bounded by `refreshTimeoutMs` and ends early
  when a newer token arrives (adopted) or the instance is disposed; a grant that comes after the wait ended
  runs nothing (see `GuardedAdapters.request`).
  */
  async #run(from: number): Promise<TokenRecord> {
    const timeoutMs = this.#options.refreshTimeoutMs;
    const wait = new AbortController();
    let heard: TokenRecord | undefined;
    let granted = false;
    const onNewer = (record: TokenRecord) => {
      if (record.generation <= from) return;
      heard = record;
      wait.abort(new Error('a newer token arrived'));
    };
    const timer = setTimeout(() => wait.abort(new RefreshTimeoutError('lock', timeoutMs)), timeoutMs);
    const stopWaiting = () => {
      clearTimeout(timer);
      this.#onNewer.delete(onNewer);
      this.#waits.delete(wait);
    };
    this.#onNewer.add(onNewer);
    this.#waits.add(wait);
    this.#emit('lock:wait', from);
    try {
      return await this.#io.request(async () => {
        granted = true;
        stopWaiting();
        this.#emit('lock:acquired', from);
        return this.#underLock(from);
      }, wait.signal);
    } catch (error) {
      if (granted) throw error;
      // Another tab (or setToken) produced a newer token while this one waited: adopt it (once).
      if (heard) return this.#adopt(heard);
      if (error instanceof DisposedError) throw error;
      throw this.#transient(from, error, 'The refresh lock failed');
    } finally {
      stopWaiting();
    }
  }

  /** Inside the lock: re-read the shared record (double-checked locking), else refresh. */
  async #underLock(failed: number): Promise<TokenRecord> {
    let from = failed;
    const stored = await this.#readStore();
    if (stored && stored.generation > from) {
      const usable = await this.#resolve(stored);
      if (usable) return this.#adopt(usable);
      // The token of that generation was withheld from the store and no live tab has it: refresh.
      from = stored.generation;
    }
    if (this.#current.generation > from) return this.#adopt(this.#current);
    if (this.#disposed) throw new DisposedError();

    this.#stats.refreshes++;
    this.#emit('refresh:start', from);
    const timeoutMs = this.#options.refreshTimeoutMs;
    const controller = new AbortController();
    this.#refreshSignals.add(controller.signal);
    const call = Promise.resolve().then(() => this.#options.refresh({ signal: controller.signal }));
    let timeout: RefreshTimeoutError | undefined;
    let outcome = await bounded(
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
        void call.then(
          (value) => this.#commitLate(from, value),
          () => undefined,
        );
        outcome = { ok: false, error: timeout };
      }
    }
    let normalized: NormalizedToken;
    try {
      if (!outcome.ok) throw outcome.error;
      normalized = normalizeRefreshed(outcome.value);
    } catch (error) {
      return await this.#fail(from, error);
    }
    const record = await this.#commit(from, normalized);
    return record ?? this.#adopt(await this.#newest(from));
  }

  /**
  Compare-and-set the refreshed token as generation `from + 1` (or above): in the store when it answers,
  else in this tab alone; then broadcast it. `undefined` when a newer generation already exists.
  */
  async #commit(from: number, normalized: NormalizedToken): Promise<TokenRecord | undefined> {
    if (this.#current.generation > from) return undefined;
    let mine = false;
    const written = await this.#io.write((current) => {
      mine = !(current && current.generation > from);
      if (!mine) return current as TokenRecord;
      return this.#persisted({ generation: Math.max(from, current?.generation ?? 0) + 1, ...normalized });
    });
    if (written.ok && !mine) return undefined;
    // The store failed: keep the token in this tab and broadcast it (the server has rotated already).
    const generation = written.ok ? written.value.generation : Math.max(from, this.#current.generation) + 1;
    const record: TokenRecord = { generation, ...normalized };
    if (!this.#accept(record, false)) return undefined;
    this.#postToken(record);
    this.#emit('refresh:success', record.generation);
    return record;
  }

  async #commitLate(from: number, value: RefreshResult | null): Promise<void> {
    if (this.#disposed || this.#current.generation > from) return;
    let normalized: NormalizedToken;
    try {
      normalized = normalizeRefreshed(value);
    } catch {
      return;
    }
    await this.#commit(from, normalized);
  }

  /** The newest record known after `from`: the store's, or this tab's. */
  async #newest(from: number): Promise<TokenRecord> {
    const stored = await this.#readStore();
    const usable = stored && stored.generation > from ? await this.#resolve(stored) : undefined;
    return usable && usable.generation >= this.#current.generation ? usable : this.#current;
  }

  /** What goes to the store: the record, or only its generation with `persistToken: false`. */
  #persisted(record: TokenRecord): TokenRecord {
    if (this.#options.persistToken || record.token === null) return record;
    return { generation: record.generation, token: null, withheld: true };
  }

  /**
  A stored record with its token: as it is, or, when the token was withheld, from a live peer (asked
  over the channel, answer awaited briefly). `undefined` when nobody has it.
  */
  async #resolve(stored: TokenRecord): Promise<TokenRecord | undefined> {
    if (!stored.withheld) return stored;
    if (this.#current.generation >= stored.generation) return this.#current;
    if (this.#unanswered === stored.generation) return undefined;
    const answered = new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.#onNewer.delete(onNewer);
        resolve(value);
      };
      const onNewer = (record: TokenRecord) => {
        if (record.generation >= stored.generation) done(true);
      };
      const timer = setTimeout(() => done(false), Math.min(askTimeoutMs, this.#options.refreshTimeoutMs / 4));
      this.#onNewer.add(onNewer);
    });
    this.#ask(stored.generation);
    if (await answered) return this.#current;
    this.#unanswered = stored.generation;
    return undefined;
  }

  #ask(generation: number): void {
    this.#io.post({ type: 'ask', generation, tabId: this.tabId });
  }

  /** Classify a failed refresh: lost race → adopt; definitive → log every tab out; else transient. */
  async #fail(from: number, error: unknown): Promise<TokenRecord> {
    const newest = await this.#newest(from);
    if (newest.generation > from) return this.#adopt(newest);

    if (!isDefinitiveFailure(error)) throw this.#transient(from, error, 'The token refresh failed');

    let mine = false;
    const written = await this.#io.write((current) => {
      mine = !(current && current.generation > from);
      if (!mine) return current as TokenRecord;
      return { generation: Math.max(from, current?.generation ?? 0) + 1, token: null, reason: 'expired' };
    });
    if (written.ok && !mine) return this.#adopt((await this.#resolve(written.value)) ?? written.value);
    const generation = written.ok ? written.value.generation : Math.max(from, this.#current.generation) + 1;
    const record: TokenRecord = { generation, token: null, reason: 'expired' };
    const expired =
      error instanceof SessionExpiredError
        ? error
        : new SessionExpiredError(`The refresh was refused (${describe(error)}); log in again.`, {
            cause: error,
          });
    this.#failed(from, expired);
    this.#accept(record, false);
    this.#io.post({ type: 'logout', generation: record.generation, tabId: this.tabId, reason: 'expired' });
    this.#expire(record.generation, expired);
    throw expired;
  }

  /** A failure that keeps the session: counted, reported, and returned as a `RefreshFailedError` to throw. */
  #transient(from: number, error: unknown, what: string): RefreshFailedError {
    const failed =
      error instanceof RefreshFailedError
        ? error
        : new RefreshFailedError(`${what}: ${describe(error)}`, { cause: error });
    this.#failed(from, failed);
    return failed;
  }

  #failed(from: number, error: { code: string }): void {
    this.#stats.failures++;
    this.#emit('refresh:failure', from, { code: error.code });
  }

  /** Take a record another tab (or this tab's setToken) produced instead of refreshing. */
  #adopt(record: TokenRecord): TokenRecord {
    this.#accept(record, false);
    this.#stats.adopted++;
    this.#emit('refresh:adopted', record.generation);
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

  /** Make `record` current if it is newer. `received`: it came from outside this tab's refresh. */
  #accept(record: TokenRecord, received: boolean): boolean {
    if (record.generation <= this.#current.generation) return false;
    this.#current = record;
    if (record.token !== null) this.#session = true;
    else if (record.reason === 'logout') this.#session = false;
    for (const notify of this.#onNewer) notify(record);
    if (received && record.token !== null) this.#emit('token:received', record.generation);
    return true;
  }

  /** The session of this tab ended because a refresh was refused: tell the app, once per session. */
  #expire(generation: number, error: SessionExpiredError): void {
    if (!this.#session) return;
    this.#session = false;
    this.#emit('session:expired', generation);
    try {
      this.#options.onSessionExpired?.(error);
    } catch (callbackError) {
      // A throwing callback must not break the refresh protocol; surface it without blocking.
      report(callbackError);
    }
  }

  #postToken(record: TokenRecord): void {
    if (record.token === null) return;
    this.#io.post({
      type: 'token',
      generation: record.generation,
      tabId: this.tabId,
      token: record.token,
      expiresAt: record.expiresAt,
      issuedAt: record.issuedAt,
    });
  }

  #onMessage(message: unknown): void {
    if (this.#disposed || !isChannelMessage(message) || message.tabId === this.tabId) return;
    if (message.type === 'ask') {
      if (message.generation === this.#current.generation) this.#postToken(this.#current);
      return;
    }
    if (message.generation <= this.#current.generation) return;
    if (message.type === 'logout') {
      this.#accept({ generation: message.generation, token: null, reason: message.reason }, false);
      if (message.reason === 'expired') this.#expire(message.generation, new SessionExpiredError());
      else this.#emit('logout', message.generation);
      return;
    }
    if (message.token !== undefined) {
      const { generation, token, expiresAt, issuedAt } = message;
      this.#accept({ generation, token, expiresAt, issuedAt }, true);
      return;
    }
    // The token was kept out of the message: read it from the shared store (or ask for it).
    void this.resync();
  }

  #emit(type: TokenRefreshEventType, generation: number, extra?: Partial<TokenRefreshEvent>): void {
    const event: TokenRefreshEvent = { ...extra, type, generation, at: Date.now(), tabId: this.tabId };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        report(error);
      }
    }
  }
}
