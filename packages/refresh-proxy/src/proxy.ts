import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type Answer, type CookieShape, renderFor, type Shape } from './answer.ts';
import { Coalescer, type Resolution } from './coalescer.ts';
import { keyId, TokenCrypto } from './crypto.ts';
import { createLogger } from './logger.ts';
import { ProxyMetrics, type RefreshOutcome } from './metrics.ts';
import { type NormalizedOptions, normalizeOptions, type RefreshProxyOptions } from './options.ts';
import { RefreshRecognizer } from './request.ts';
import { MemoryStore } from './store/memory.ts';
import type { CoalesceStore } from './store/types.ts';
import { Upstream } from './upstream.ts';

/** Where a running proxy listens. */
export interface ListeningAddress {
  url: string;
  port: number;
}

/**
 * The refresh proxy: an HTTP server in front of an auth server. `/healthz` and `/metrics` are its own;
 * refreshes (form grant on `tokenPath`, cookie on `cookiePath`) are coalesced; everything else is
 * forwarded untouched.
 */
export class RefreshProxy {
  readonly options: NormalizedOptions;
  readonly metrics: ProxyMetrics;
  readonly logger: Logger;
  readonly #store: CoalesceStore;
  readonly #crypto: TokenCrypto;
  readonly #coalescer: Coalescer;
  readonly #upstream: Upstream;
  readonly #recognizer: RefreshRecognizer;
  readonly #cookie: CookieShape;
  readonly #server: Server;
  #inflight = 0;
  #draining = false;
  #started: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  constructor(options: RefreshProxyOptions) {
    this.#store = options.store ?? new MemoryStore();
    this.options = normalizeOptions(options, this.#store);
    const o = this.options;
    this.logger = options.logger ?? createLogger();
    this.metrics = new ProxyMetrics(options.registry);
    this.#crypto = new TokenCrypto(o.secret);
    this.#cookie = { name: o.cookieName, attributes: o.cookieAttributes };
    this.#coalescer = new Coalescer({
      store: this.#store,
      crypto: this.#crypto,
      metrics: this.metrics,
      logger: this.logger,
      settings: o,
      cookie: this.#cookie,
    });
    this.#upstream = new Upstream({ base: o.upstream, timeoutMs: o.upstreamTimeoutMs });
    this.#recognizer = new RefreshRecognizer(o);
    // Slow clients are bounded by Node's own timers: a header that stalls past headersTimeoutMs, or a body
    // past bodyTimeoutMs after it, is answered 408 and its connection closed (checked every quarter bound).
    const checkMs = Math.max(
      10,
      Math.min(1_000, Math.floor(Math.min(o.headersTimeoutMs, o.bodyTimeoutMs) / 4)),
    );
    this.#server = createServer(
      {
        keepAliveTimeout: 5_000,
        headersTimeout: o.headersTimeoutMs,
        requestTimeout: o.headersTimeoutMs + o.bodyTimeoutMs,
        connectionsCheckingInterval: checkMs,
      },
      (req, res) => {
        this.#handle(req, res).catch((error: unknown) => {
          this.logger.error(
            { event: 'handler_error', error: error instanceof Error ? error.message : String(error) },
            'request failed',
          );
          if (!res.headersSent) this.#json(res, 500, { error: 'proxy_error' });
          else res.destroy();
        });
      },
    );
  }

  /** The store behind the proxy (tests and health). */
  get store(): CoalesceStore {
    return this.#store;
  }

  /** Requests being handled right now. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Connects the store and listens on `host:port` (default 127.0.0.1, a free port). */
  async listen(port = 0, host = '127.0.0.1'): Promise<ListeningAddress> {
    this.#started ??= this.#coalescer.start();
    await this.#started;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${hostname}:${address.port}`;
    this.logger.info(
      { event: 'listening', url, upstream: this.options.upstream.origin, store: this.#store.kind },
      'refresh-proxy listening',
    );
    return { url, port: address.port };
  }

  /**
   * Graceful shutdown: stops accepting connections, lets the requests in flight (refreshes included)
   * finish within `drainTimeoutMs`, then closes the rest, the store and the upstream connections.
   */
  async close(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    if (this.#inflight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#idle = resolve;
        }),
        new Promise<void>((resolve) => setTimeout(resolve, this.options.drainTimeoutMs).unref()),
      ]);
    }
    this.#server.closeAllConnections();
    await closed;
    this.#coalescer.stop();
    await this.#store.close();
    this.#upstream.close();
    this.logger.info({ event: 'closed', unfinished: this.#inflight }, 'refresh-proxy closed');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => undefined);
    if (this.#draining) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return this.#health(res);
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
      res.end(await this.metrics.text());
      return;
    }
    this.#inflight += 1;
    this.metrics.inflight.inc();
    try {
      await this.#route(req, res);
    } finally {
      this.#inflight -= 1;
      this.metrics.inflight.dec();
      if (this.#inflight === 0) this.#idle?.();
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const classified = await this.#recognizer.classify(req);
    if (classified.kind === 'pass') return this.#upstream.pass(req, res, classified.body);
    if (classified.kind === 'reject') {
      this.metrics.refreshRequests.inc({ outcome: 'rejected' });
      this.logger.info(
        { event: 'refresh_rejected', status: classified.status, error: classified.error },
        'refresh refused',
      );
      if (!req.complete) {
        res.setHeader('connection', 'close');
        req.resume();
      }
      return this.#json(res, classified.status, {
        error: classified.error,
        error_description: classified.description,
      });
    }
    const started = performance.now();
    const { token, binding, shape, body } = classified;
    const resolution = await this.#coalescer.refresh({
      token,
      binding,
      shape,
      send: () => this.#upstream.refresh(req, body, shape),
    });
    const answer = renderFor(resolution.answer, shape, this.#cookie);
    this.#send(res, answer);
    // Counted and logged in the next turn: `res.end` writes to the socket in this turn's nextTick, and a
    // log line (a synchronous write) must not delay it.
    const ms = Math.round(performance.now() - started);
    setImmediate(() => this.#logRefresh(resolution, shape, answer.status, ms));
    await resolution.settled;
  }

  #logRefresh(resolution: Resolution, shape: Shape, status: number, ms: number): void {
    this.#count(resolution.outcome);
    const level = resolution.outcome === 'coalesced' ? 'debug' : 'info';
    this.logger[level](
      { event: 'refresh', outcome: resolution.outcome, shape, status, key: keyId(resolution.key), ms },
      'refresh answered',
    );
  }

  #count(outcome: RefreshOutcome): void {
    this.metrics.refreshRequests.inc({ outcome });
  }

  #send(res: ServerResponse, answer: Answer): void {
    const headers: Record<string, string | string[]> = { ...answer.headers };
    if (answer.setCookies.length > 0) headers['set-cookie'] = answer.setCookies;
    headers['content-length'] = String(Buffer.byteLength(answer.body));
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  #health(res: ServerResponse): void {
    const storeHealthy = this.#store.healthy();
    const status = this.#draining ? 'draining' : storeHealthy ? 'ok' : 'degraded';
    const code = this.#draining || (!storeHealthy && this.options.storeFailure === 'closed') ? 503 : 200;
    this.#json(res, code, {
      status,
      store: this.#store.kind,
      storeHealthy,
      storeFailure: this.options.storeFailure,
    });
  }

  #json(res: ServerResponse, status: number, body: Record<string, unknown>): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }
}
