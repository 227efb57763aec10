import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type AuthServer, createAuthServer } from '../core/auth-server.ts';
import type { ConfigPatch } from '../core/config.ts';
import { decodeChunks, MAX_BODY_BYTES } from '../http/body.ts';
import { parseCookieHeader, serializeSetCookie } from '../http/cookies.ts';
import { createAuthRouter } from '../http/router.ts';
import type { AuthRequest, AuthResponse, BodyReadResult } from '../http/types.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import { serveStatic } from './static-files.ts';

/** Options of {@link createMockAuthRequestListener}. */
export interface NodeAdapterOptions {
  /** The server to expose. Default: a new one over in-memory storage with `config`. */
  server?: AuthServer;
  /** Initial configuration when `server` is not given. */
  config?: ConfigPatch;
  /** Serve files from this directory for every path that is not /auth, /api, /oauth or /__mock. */
  staticDir?: string;
  /** Largest accepted request body. Default 64 KiB. */
  maxBodyBytes?: number;
}

/** Beyond this many bytes an oversized body is no longer drained: the connection is dropped. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/** Reads the body under a limit; an oversized body is drained (not kept) so the 413 reaches the client. */
function readNodeBody(req: IncomingMessage, limit: number): Promise<BodyReadResult> {
  return new Promise((resolvePromise) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_DRAIN_BYTES) req.destroy();
      else if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      resolvePromise(
        size > limit ? { ok: false, reason: 'too_large' } : { ok: true, text: decodeChunks(chunks, size) },
      ),
    );
    req.on('error', () => resolvePromise({ ok: false, reason: 'too_large' }));
    req.on('close', () => {
      if (!req.complete) resolvePromise({ ok: false, reason: 'too_large' });
    });
  });
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

function send(res: ServerResponse, response: AuthResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (response.cookies.length > 0) res.setHeader('Set-Cookie', response.cookies.map(serializeSetCookie));
  if (response.body === null) res.end();
  else {
    res.setHeader('Content-Length', Buffer.byteLength(response.body));
    res.end(response.body);
  }
}

/** A node:http request listener speaking the mock's protocol with real HttpOnly cookies. */
export function createMockAuthRequestListener(options: NodeAdapterOptions = {}): RequestListener {
  const server =
    options.server ??
    createAuthServer({ storage: createMemoryStorage(), ...(options.config && { config: options.config }) });
  const router = createAuthRouter(server, { maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const encrypted = (req.socket as TLSSocket).encrypted === true;
    const url = new URL(
      req.url ?? '/',
      `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`,
    );
    let bodyRead = false;
    const request: AuthRequest = {
      method: req.method ?? 'GET',
      url,
      headers: toHeaders(req),
      cookies: parseCookieHeader(req.headers.cookie ?? null),
      readBody: (limit) => {
        bodyRead = true;
        return readNodeBody(req, limit);
      },
    };
    const response = await router(request);
    if (!bodyRead) {
      // Refused before reading (e.g. a declared oversized body): do not keep the connection for the rest.
      if (response?.status === 413) res.setHeader('Connection', 'close');
      req.resume();
    }
    if (response !== null) send(res, response);
    else if (options.staticDir !== undefined) await serveStatic(options.staticDir, req, res, url.pathname);
    else
      send(res, { status: 404, headers: { 'Content-Type': 'text/plain' }, body: 'Not Found', cookies: [] });
  }

  return (req, res) => {
    req.on('error', () => undefined);
    handle(req, res).catch((error: unknown) => {
      console.error('[mock-auth-server]', error);
      if (res.headersSent) res.destroy();
      else
        send(res, {
          status: 500,
          headers: { 'Content-Type': 'application/json' },
          body: '{"error":"server_error"}',
          cookies: [],
        });
    });
  };
}
