import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a refresh request ended. */
export type RefreshOutcome =
  /** This request's upstream call (it held the lease). */
  | 'forwarded'
  /** Got the answer of another request with the same token (in flight or within the dedup window). */
  | 'coalesced'
  /** The store was down and the policy is fail-open: forwarded without coalescing. */
  | 'bypass'
  /** Refused by the proxy (bad input). */
  | 'rejected'
  /** Ended by the proxy: wait timed out (504), store down with fail-closed (503), draining (503). */
  | 'error';

/**
 * The proxy's Prometheus metrics, in a registry of its own (several proxies can live in one process).
 * No label ever carries a token or a key: labels are outcomes, statuses and operation names.
 */
export class ProxyMetrics {
  readonly registry: Registry;
  readonly refreshRequests: Counter<'outcome'>;
  readonly upstreamCalls: Counter<'status'>;
  readonly conflicts: Counter;
  readonly waitSeconds: Histogram;
  readonly leaseRenewals: Counter<'result'>;
  readonly storeErrors: Counter<'operation'>;
  readonly tokenLifetimeSeconds: Histogram;
  readonly rotatedTokenPresentations: Counter;
  readonly rotatedTokenOveruse: Counter;
  readonly unknownOutcomes: Counter;
  readonly inflight: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.refreshRequests = new Counter({
      name: 'refresh_proxy_refresh_requests_total',
      help: 'Refresh requests by outcome: forwarded, coalesced, bypass (store down, fail-open), rejected, error',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['forwarded', 'coalesced', 'bypass', 'rejected', 'error'])
      this.refreshRequests.inc({ outcome }, 0);
    this.upstreamCalls = new Counter({
      name: 'refresh_proxy_upstream_calls_total',
      help: 'Refresh calls sent upstream, by answer status (or network_error, timeout)',
      labelNames: ['status'],
      registers,
    });
    this.conflicts = new Counter({
      name: 'refresh_proxy_conflicts_total',
      help: 'Upstream refresh answers that were invalid_grant (a token already rotated or revoked)',
      registers,
    });
    const conflicts = this.conflicts;
    const upstreamCalls = this.upstreamCalls;
    new Gauge({
      name: 'refresh_proxy_conflict_ratio',
      help: 'conflicts / upstream refresh calls since start (alert on the rate ratio, see alerts.yml)',
      registers,
      async collect() {
        const calls = (await upstreamCalls.get()).values.reduce((sum, value) => sum + value.value, 0);
        const conflicted = (await conflicts.get()).values.reduce((sum, value) => sum + value.value, 0);
        this.set(calls === 0 ? 0 : conflicted / calls);
      },
    });
    this.waitSeconds = new Histogram({
      name: 'refresh_proxy_wait_seconds',
      help: "Time a duplicate waited for another request's answer",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.leaseRenewals = new Counter({
      name: 'refresh_proxy_lease_renewals_total',
      help: 'Lease renewals while an upstream call ran: ok, lost (expired or taken over), error',
      labelNames: ['result'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'refresh_proxy_store_errors_total',
      help: 'Store calls that failed or timed out, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.tokenLifetimeSeconds = new Histogram({
      name: 'refresh_proxy_refresh_token_lifetime_seconds',
      help: 'Refresh token lifetime: from the answer that issued it (seen by the proxy) to its rotation',
      buckets: [1, 10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86_400, 7 * 86_400],
      registers,
    });
    this.rotatedTokenPresentations = new Counter({
      name: 'refresh_proxy_rotated_token_presentations_total',
      help: 'Presentations of a refresh token after its rotation (served the stored answer or sent upstream)',
      registers,
    });
    this.rotatedTokenOveruse = new Counter({
      name: 'refresh_proxy_rotated_token_overuse_total',
      help: 'Tokens presented more times after their rotation than the threshold (default 3)',
      registers,
    });
    this.unknownOutcomes = new Counter({
      name: 'refresh_proxy_unknown_outcomes_total',
      help: 'Refreshes answered 504 refresh_outcome_unknown: the last holder of their token died after sending it upstream (TAKEOVER_AFTER_SEND=fail)',
      registers,
    });
    this.inflight = new Gauge({
      name: 'refresh_proxy_inflight_requests',
      help: 'Requests being handled (refreshes and pass-through)',
      registers,
    });
  }

  /** The text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
