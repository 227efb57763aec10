import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import {
  type Answer,
  type CookieShape,
  isInvalidGrant,
  issuedRefreshToken,
  jsonAnswer,
  type Shape,
  upstreamFailureAnswer,
} from './answer.ts';
import { keyId, type TokenCrypto } from './crypto.ts';
import { StoreUnavailableError, UpstreamError, WaitTimeoutError } from './errors.ts';
import type { ProxyMetrics } from './metrics.ts';
import type { NormalizedOptions } from './options.ts';
import type { AcquireResult, CoalesceStore, CompleteRequest } from './store/types.ts';

/** One refresh to coalesce: the token, how it came, and how to send it upstream. */
export interface RefreshCall {
  token: string;
  /** Client authentication material (empty when none): part of the key. */
  binding: string;
  shape: Shape;
  /** Sends this request upstream; rejects with {@link UpstreamError} only. */
  send(): Promise<Answer>;
}

/** The answer for a refresh and how it was obtained. */
export interface Resolution {
  answer: Answer;
  outcome: 'forwarded' | 'coalesced' | 'bypass' | 'error';
  /** The store key of the token (an HMAC; log lines show a prefix of it). */
  key: string;
  /**
   * The holder's store call (`complete`: seal, store, publish, free the lease), which runs in the turn after
   * the answer is returned, so the holder's client does not wait for it. Never rejects; the caller writes
   * the answer, then waits for it, keeping the request counted as in flight (a graceful shutdown waits for
   * it). Already settled for every other request, and for a failure (stored before it is returned).
   */
  settled: Promise<void>;
}

const DONE: Promise<void> = Promise.resolve();

/** What a flow resolves: the answer, and for the holder the store work still to do. */
type FlowResult = Omit<Resolution, 'key' | 'settled'> & { settled?: Promise<void> };

type Settings = Pick<
  NormalizedOptions,
  | 'dedupWindowMs'
  | 'leaseMs'
  | 'renewLease'
  | 'waitTimeoutMs'
  | 'pollMs'
  | 'storeFailure'
  | 'storeGraceMs'
  | 'trackTtlMs'
  | 'overuseThreshold'
  | 'takeoverAfterSend'
>;

/** Dependencies of {@link Coalescer}. */
export interface CoalescerDeps {
  store: CoalesceStore;
  crypto: TokenCrypto;
  metrics: ProxyMetrics;
  logger: Logger;
  settings: Settings;
  cookie: CookieShape;
}

/** Warn at most this often about the store being down (a warning per request would flood). */
const STORE_WARN_INTERVAL_MS = 5_000;

/**
 * The coalescing protocol. Per store key (the HMAC of the token): in this process one flow (single-flight
 * over a Map), and across processes the store's lease: the holder goes upstream and completes (stores,
 * publishes, releases); the others wait, bounded, for the wake-up or the stored answer, and take the lease
 * over only when it expired with no answer stored (its holder died).
 */
export class Coalescer {
  readonly #store: CoalesceStore;
  readonly #crypto: TokenCrypto;
  readonly #metrics: ProxyMetrics;
  readonly #logger: Logger;
  readonly #settings: Settings;
  readonly #cookie: CookieShape;
  readonly #flows = new Map<string, Promise<FlowResult>>();
  /** Keys whose holder in this process has answered its client and is storing the answer (`settled`). */
  readonly #completing = new Map<string, Promise<void>>();
  readonly #wakers = new Map<string, Set<(sealed: string) => void>>();
  readonly #retries = new Set<NodeJS.Timeout>();
  #stopped = false;
  #lastStoreWarnAt = 0;

  constructor(deps: CoalescerDeps) {
    this.#store = deps.store;
    this.#crypto = deps.crypto;
    this.#metrics = deps.metrics;
    this.#logger = deps.logger;
    this.#settings = deps.settings;
    this.#cookie = deps.cookie;
  }

  /** Starts listening for answers published by other instances. */
  start(): Promise<void> {
    return this.#store.start((key, sealed) => {
      for (const wake of this.#wakers.get(key) ?? []) wake(sealed);
    });
  }

  /** Stops background work (retries of a failed publish); flows in progress still end, bounded. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
  }

  /** Flows in progress in this process (for graceful shutdown and tests). */
  get active(): number {
    return this.#flows.size;
  }

  /**
   * Resolves one refresh: joins this process's flow for the key, or starts one. Never rejects. While the
   * holder of this process stores its answer (after its client got it), a request for the key waits for
   * that store call (bounded by the store's own bound) and then asks the store, as it would have a moment
   * later: it gets the stored answer and is counted as a presentation after rotation.
   */
  async refresh(call: RefreshCall): Promise<Resolution> {
    const key = this.#crypto.key(call.token, call.binding);
    const completing = this.#completing.get(key);
    if (completing !== undefined) await completing;
    const running = this.#flows.get(key);
    if (running !== undefined) {
      const started = performance.now();
      const result = await running;
      this.#metrics.waitSeconds.observe((performance.now() - started) / 1000);
      const outcome = result.outcome === 'error' ? 'error' : 'coalesced';
      return { answer: result.answer, outcome, key, settled: DONE };
    }
    const flow = this.#flow(key, call);
    this.#flows.set(key, flow);
    let result: FlowResult;
    try {
      result = await flow;
    } finally {
      if (this.#flows.get(key) === flow) this.#flows.delete(key);
    }
    const settled = result.settled;
    if (settled === undefined) return { answer: result.answer, outcome: result.outcome, key, settled: DONE };
    this.#completing.set(key, settled);
    void settled.finally(() => {
      if (this.#completing.get(key) === settled) this.#completing.delete(key);
    });
    return { answer: result.answer, outcome: result.outcome, key, settled };
  }

  async #flow(key: string, call: RefreshCall): Promise<FlowResult> {
    const { leaseMs, trackTtlMs, pollMs, waitTimeoutMs } = this.#settings;
    const started = performance.now();
    const deadline = started + waitTimeoutMs;
    let woken: string | null = null;
    let nudge: (() => void) | null = null;
    const wake = (sealed: string) => {
      woken = sealed;
      nudge?.();
    };
    const wakers = this.#wakers.get(key) ?? new Set();
    wakers.add(wake);
    this.#wakers.set(key, wakers);
    try {
      // Bounded in count as well as in time: each round is a store call (bounded) plus at most one poll.
      const maxRounds = Math.ceil(waitTimeoutMs / pollMs) + 2;
      let sawBusy = false;
      let failingSince: number | null = null;
      // After store trouble a vanished lease may be a lost one (Redis restarted), not an expired one: its
      // holder may be alive and about to publish. Take over only once a whole lease has passed.
      let holdOffUntil = 0;
      for (let round = 0; round < maxRounds; round += 1) {
        if (woken !== null) return this.#shared(key, call, woken, started);
        let step: AcquireResult;
        try {
          const take = failingSince === null && performance.now() >= holdOffUntil;
          step = await this.#store.acquire(key, leaseMs, trackTtlMs, take, this.#settings.takeoverAfterSend);
          if (failingSince !== null) holdOffUntil = performance.now() + leaseMs;
          failingSince = null;
          if (step.kind === 'free') step = { kind: 'busy' };
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          // Another request holds the lease: ride out short store trouble (its answer may still come).
          const now = performance.now();
          failingSince ??= now;
          if (!sawBusy || now - failingSince >= this.#settings.storeGraceMs) throw error;
          this.#metrics.storeErrors.inc({ operation: error.operation });
          step = { kind: 'busy' };
        }
        if (step.kind === 'busy' && !sawBusy) {
          sawBusy = true;
          this.#logger.debug({ event: 'waiting', key: keyId(key) }, 'another request holds the lease');
        }
        if (step.kind === 'answer') {
          this.#countLate(key, step.lateCount);
          return this.#shared(key, call, step.sealed, started);
        }
        if (step.kind === 'unknown') return this.#unknownOutcome(key, call, started);
        if (step.kind === 'lease') {
          this.#countLate(key, step.lateCount);
          return await this.#lead(key, call, step.lease, step.issuedAt);
        }
        const left = deadline - performance.now();
        if (left <= 0) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(pollMs, left));
          nudge = () => {
            clearTimeout(timer);
            resolve();
          };
          if (woken !== null) nudge();
        });
        nudge = null;
      }
      const error = new WaitTimeoutError(waitTimeoutMs);
      this.#metrics.waitSeconds.observe((performance.now() - started) / 1000);
      this.#logger.warn({ event: 'wait_timeout', key: keyId(key), waitedMs: waitTimeoutMs }, error.message);
      return {
        outcome: 'error',
        answer: jsonAnswer(
          504,
          {
            error: 'refresh_wait_timeout',
            reason: 'no answer from the request holding the lock in time',
            code: error.code,
          },
          call.shape,
        ),
      };
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      return this.#storeDown(call, error);
    } finally {
      wakers.delete(wake);
      if (wakers.size === 0 && this.#wakers.get(key) === wakers) this.#wakers.delete(key);
    }
  }

  /**
   * The last holder of this token died after sending it upstream: the upstream may have rotated it, and
   * sending it again would be reuse (a strict upstream revokes the family). 504 with the reason; counted.
   */
  #unknownOutcome(key: string, call: RefreshCall, started: number): FlowResult {
    this.#metrics.waitSeconds.observe((performance.now() - started) / 1000);
    this.#metrics.unknownOutcomes.inc();
    this.#logger.warn(
      { event: 'refresh_outcome_unknown', key: keyId(key) },
      'the last holder of this token died after sending it upstream: not sent again (TAKEOVER_AFTER_SEND=fail)',
    );
    return {
      outcome: 'error',
      answer: jsonAnswer(
        504,
        {
          error: 'refresh_outcome_unknown',
          reason:
            'a refresh of this token was sent upstream by a proxy that died before answering; sending it again could revoke the session: log in again',
        },
        call.shape,
      ),
    };
  }

  /** Opens a shared answer and renders it for this request's shape. */
  #shared(key: string, call: RefreshCall, sealed: string, started: number): FlowResult {
    this.#metrics.waitSeconds.observe((performance.now() - started) / 1000);
    const plain = this.#crypto.open(call.token, key, sealed);
    if (plain === null) throw new StoreUnavailableError('open', 'a stored answer could not be opened');
    return { outcome: 'coalesced', answer: JSON.parse(plain) as Answer };
  }

  /**
   * Holds the lease: upstream call (lease renewed meanwhile), then complete. A cacheable answer (the usual
   * case) is returned at once, and `settled` seals, stores and publishes it right after the holder's client
   * has it (the next turn of the event loop): the lease is held until then, so no other request sends the
   * token, and a request of this process for the key waits for it (see `refresh`). A failure (5xx, network,
   * time-out) is published before it is returned: a client that retries after it must find the lease free,
   * on any instance, and go upstream again.
   */
  async #lead(key: string, call: RefreshCall, lease: string, issuedAt: number | null): Promise<FlowResult> {
    const renewal = this.#renewWhileRunning(key, lease);
    let answer: Answer;
    try {
      answer = await this.#send(call);
    } finally {
      renewal.stop();
    }
    const complete = () => this.#complete(key, call, lease, issuedAt, answer);
    if (!answer.cacheable) {
      await complete();
      return { outcome: 'forwarded', answer };
    }
    // setImmediate runs after this turn's microtasks, in which the holder's caller writes its answer.
    const settled = new Promise<void>((resolve) => setImmediate(resolve)).then(complete);
    return { outcome: 'forwarded', answer, settled };
  }

  /** Stores and publishes the holder's answer, then frees the lease; store trouble retries in the background. */
  async #complete(
    key: string,
    call: RefreshCall,
    lease: string,
    issuedAt: number | null,
    answer: Answer,
  ): Promise<void> {
    const child = issuedRefreshToken(answer, this.#cookie);
    const now = Date.now();
    if (child !== null && issuedAt !== null)
      this.#metrics.tokenLifetimeSeconds.observe((now - issuedAt) / 1000);
    const sealed = this.#crypto.seal(call.token, key, JSON.stringify(answer));
    const request: CompleteRequest = {
      key,
      lease,
      sealed,
      ttlMs: answer.cacheable ? this.#settings.dedupWindowMs : 0,
      rotatedTo: child === null ? null : this.#crypto.key(child, call.binding),
      trackTtlMs: this.#settings.trackTtlMs,
      now,
    };
    try {
      const done = await this.#store.complete(request);
      if (!done.owned) {
        this.#logger.warn(
          { event: 'lease_lost', key: keyId(key), stored: done.stored },
          'the lease expired before the upstream call ended (stale owner: the stored answer was not overwritten)',
        );
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) {
        this.#logger.error(
          {
            event: 'complete_error',
            key: keyId(key),
            error: error instanceof Error ? error.message : String(error),
          },
          'storing the answer failed',
        );
        return;
      }
      this.#metrics.storeErrors.inc({ operation: error.operation });
      this.#warnStore(error);
      this.#retryComplete(request);
    }
  }

  /**
   * The answer could not be stored and published: keep trying in the background, bounded by the waiters'
   * own bound, so waiters on other instances that ride out a short store outage still get it. A stale
   * lease (Redis restarted without persistence) stores it only where no answer exists.
   */
  #retryComplete(request: CompleteRequest): void {
    const { pollMs, waitTimeoutMs } = this.#settings;
    const started = Date.now();
    const attempt = (count: number) => {
      const timer = setTimeout(async () => {
        this.#retries.delete(timer);
        if (this.#stopped) return;
        const elapsed = Date.now() - started;
        const ttlMs = request.ttlMs === 0 ? 0 : Math.max(1, request.ttlMs - elapsed);
        try {
          await this.#store.complete({ ...request, ttlMs, now: Date.now() });
          this.#logger.info(
            { event: 'publish_retried', key: keyId(request.key), attempts: count },
            'answer published late',
          );
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          this.#metrics.storeErrors.inc({ operation: error.operation });
          if (elapsed + pollMs < waitTimeoutMs) attempt(count + 1);
        }
      }, pollMs);
      timer.unref();
      this.#retries.add(timer);
    };
    attempt(1);
  }

  /** Goes upstream; failures become answers (502/504, not cacheable); counts statuses and conflicts. */
  async #send(call: RefreshCall): Promise<Answer> {
    let answer: Answer;
    try {
      answer = await call.send();
      this.#metrics.upstreamCalls.inc({ status: String(answer.status) });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      this.#metrics.upstreamCalls.inc({
        status: error.code === 'UPSTREAM_TIMEOUT' ? 'timeout' : 'network_error',
      });
      this.#logger.warn({ event: 'upstream_error', code: error.code }, error.message);
      answer = upstreamFailureAnswer(error, call.shape);
    }
    if (isInvalidGrant(answer)) this.#metrics.conflicts.inc();
    return answer;
  }

  #renewWhileRunning(key: string, lease: string): { stop(): void } {
    const { leaseMs, renewLease } = this.#settings;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    if (!renewLease) return { stop: () => undefined };
    const every = Math.max(10, Math.floor(leaseMs / 3));
    const tick = async () => {
      if (stopped) return;
      try {
        const kept = await this.#store.renew(key, lease, leaseMs);
        this.#metrics.leaseRenewals.inc({ result: kept ? 'ok' : 'lost' });
        if (!kept) {
          this.#logger.warn(
            { event: 'lease_lost', key: keyId(key) },
            'lease lost while the upstream call runs',
          );
          return;
        }
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        this.#metrics.leaseRenewals.inc({ result: 'error' });
        this.#metrics.storeErrors.inc({ operation: error.operation });
      }
      if (!stopped) timer = setTimeout(tick, every);
    };
    timer = setTimeout(tick, every);
    return {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  /** The store failed: fail-open forwards directly (still single-flight in this process), fail-closed 503. */
  async #storeDown(call: RefreshCall, error: StoreUnavailableError): Promise<FlowResult> {
    this.#metrics.storeErrors.inc({ operation: error.operation });
    this.#warnStore(error);
    if (this.#settings.storeFailure === 'closed') {
      return {
        outcome: 'error',
        answer: jsonAnswer(
          503,
          {
            error: 'store_unavailable',
            reason: `the shared store failed (${error.operation})`,
            code: error.code,
          },
          call.shape,
        ),
      };
    }
    return { outcome: 'bypass', answer: await this.#send(call) };
  }

  #warnStore(error: StoreUnavailableError): void {
    const now = Date.now();
    if (now - this.#lastStoreWarnAt < STORE_WARN_INTERVAL_MS) return;
    this.#lastStoreWarnAt = now;
    this.#logger.warn(
      { event: 'store_unavailable', operation: error.operation, policy: this.#settings.storeFailure },
      `${error.message}: ${this.#settings.storeFailure === 'open' ? 'forwarding without coalescing' : 'answering 503'}`,
    );
  }

  #countLate(key: string, lateCount: number): void {
    if (lateCount <= 0) return;
    this.#metrics.rotatedTokenPresentations.inc();
    const threshold = this.#settings.overuseThreshold;
    if (lateCount !== threshold + 1) return;
    this.#metrics.rotatedTokenOveruse.inc();
    this.#logger.warn(
      { event: 'rotated_token_overuse', key: keyId(key), presentations: lateCount, threshold },
      `a refresh token was presented more than ${threshold} times after its rotation`,
    );
  }
}
