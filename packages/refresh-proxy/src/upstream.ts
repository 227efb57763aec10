import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type Answer, SHARED_HEADERS, type Shape } from './answer.ts';
import { UpstreamError } from './errors.ts';

/** Headers that belong to one connection (RFC 9110 §7.6.1) and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** Largest upstream answer to a refresh that the proxy buffers (a token answer is a few KiB). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** Refresh paths whose upstream URL is kept (the first seen; a client adding a query string makes more). */
const MAX_REFRESH_TARGETS = 16;

/** Options of {@link Upstream}. */
export interface UpstreamOptions {
  /** Base URL; request paths are appended to its path. */
  base: URL;
  /** Bound of one refresh call (connect to last byte). */
  timeoutMs: number;
}

/** The auth server behind the proxy: buffered refresh calls (bounded) and streamed pass-through. */
export class Upstream {
  readonly #base: URL;
  readonly #timeoutMs: number;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;
  /** Upstream URLs of refresh paths (with their query, if any); never mutated once made. */
  readonly #refreshTargets = new Map<string, URL>();

  constructor(options: UpstreamOptions) {
    this.#base = options.base;
    this.#timeoutMs = options.timeoutMs;
    const https = options.base.protocol === 'https:';
    this.#agent = https
      ? new HttpsAgent({ keepAlive: true, maxSockets: 256 })
      : new HttpAgent({ keepAlive: true, maxSockets: 256 });
    this.#request = https ? httpsRequest : httpRequest;
  }

  /** Sends a refresh upstream with the client's headers and body; the answer is buffered. */
  refresh(req: IncomingMessage, body: Buffer, shape: Shape): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers = this.#headers(req.headers, req);
      headers['content-length'] = String(body.byteLength);
      const outgoing = this.#request(this.#refreshTarget(req.url), {
        method: 'POST',
        headers,
        agent: this.#agent,
      });
      let settled = false;
      // Settles once, whatever fires first; the timer settles by itself, so no event can leave it pending.
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outgoing.destroy();
        reject(
          error instanceof UpstreamError
            ? error
            : new UpstreamError(
                'UPSTREAM_UNAVAILABLE',
                error instanceof Error ? error.message : String(error),
                {
                  cause: error,
                },
              ),
        );
      };
      const timer = setTimeout(
        () => fail(new UpstreamError('UPSTREAM_TIMEOUT', `no answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      outgoing.on('error', fail);
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > MAX_ANSWER_BYTES) fail(new UpstreamError('UPSTREAM_UNAVAILABLE', 'answer too large'));
          else chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('close', () => {
          if (!response.complete)
            fail(new UpstreamError('UPSTREAM_UNAVAILABLE', 'connection closed mid-answer'));
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const status = response.statusCode ?? 502;
          const kept: Record<string, string> = {};
          for (const name of SHARED_HEADERS) {
            const value = response.headers[name];
            if (typeof value === 'string') kept[name] = value;
          }
          resolve({
            status,
            headers: kept,
            body: Buffer.concat(chunks).toString('utf8'),
            setCookies: response.headers['set-cookie'] ?? [],
            shape,
            cacheable: status < 500,
          });
        });
      });
      outgoing.end(body);
    });
  }

  /**
   * Forwards a request that is not a refresh, streaming both ways (`body` when the proxy already read it).
   * Resolves when the response is finished or the exchange failed (then 502 if nothing was sent yet).
   */
  pass(req: IncomingMessage, res: ServerResponse, body: Buffer | null): Promise<void> {
    return new Promise((resolve) => {
      const headers = this.#headers(req.headers, req);
      if (body !== null) headers['content-length'] = String(body.byteLength);
      const outgoing = this.#request(this.#target(req.url), {
        method: req.method ?? 'GET',
        headers,
        agent: this.#agent,
      });
      const fail = () => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(
            JSON.stringify({
              error: 'upstream_unavailable',
              error_description: 'The upstream could not be reached',
            }),
          );
        } else res.destroy();
        resolve();
      };
      outgoing.on('error', fail);
      outgoing.on('response', (response) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        }
        res.writeHead(response.statusCode ?? 502, out);
        response.pipe(res);
        response.on('error', () => res.destroy());
        res.on('close', () => {
          if (!response.complete) response.destroy();
          resolve();
        });
      });
      // The client went away before the exchange finished: stop the upstream side too.
      res.on('close', () => {
        if (!res.writableFinished) outgoing.destroy();
      });
      if (body !== null) outgoing.end(body);
      else req.pipe(outgoing);
    });
  }

  close(): void {
    this.#agent.destroy();
  }

  #target(path: string | undefined): URL {
    const url = new URL(this.#base);
    const [pathname = '/', query] = (path ?? '/').split(/\?(.*)/s);
    url.pathname = `${this.#base.pathname.replace(/\/$/, '')}${pathname}`;
    url.search = query === undefined ? '' : `?${query}`;
    return url;
  }

  /** The upstream URL of a refresh: refreshes come on one or two paths, so their URLs are kept (bounded). */
  #refreshTarget(path: string | undefined): URL {
    const key = path ?? '/';
    let url = this.#refreshTargets.get(key);
    if (url === undefined) {
      url = this.#target(key);
      if (this.#refreshTargets.size < MAX_REFRESH_TARGETS) this.#refreshTargets.set(key, url);
    }
    return url;
  }

  #headers(incoming: IncomingHttpHeaders, req: IncomingMessage): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {};
    const listed = new Set(
      String(incoming.connection ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase()),
    );
    for (const [name, value] of Object.entries(incoming)) {
      if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
      headers[name] = value;
    }
    headers.host = this.#base.host;
    const forwarded = incoming['x-forwarded-for'];
    const client = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = forwarded === undefined ? client : `${String(forwarded)}, ${client}`;
    return headers;
  }
}
