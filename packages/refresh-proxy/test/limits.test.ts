/**
What the proxy bounds on the way in (issue: a crash mid-refresh, slow clients…): a body that stalls, a header
that stalls, a chunked body over the limit, and a non-refresh grant the proxy must not judge.
*/
import { connect } from 'node:net';
import type { RunningMockAuthServer } from 'mock-auth-server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.ts';
import { RefreshProxy } from '../src/proxy.ts';
import { type RunningProxy, SECRET, startFakeUpstream, startMock, startProxy } from './helpers.ts';

let mock: RunningMockAuthServer;
let proxy: RunningProxy;

beforeAll(async () => {
  mock = await startMock();
  proxy = await startProxy({
    upstream: mock.url,
    maxBodyBytes: 1024,
    headersTimeoutMs: 500,
    bodyTimeoutMs: 800,
  });
});
afterAll(async () => {
  await proxy?.close();
  await mock?.close();
});

/** Write `parts` to the proxy on a raw socket (each after `gapMs`), and read what comes back until close. */
const raw = (parts: string[], gapMs = 0, boundMs = 10_000) =>
  new Promise<{ text: string; closedAfterMs: number }>((resolve, reject) => {
    const { port } = new URL(proxy.url);
    const socket = connect(Number(port), '127.0.0.1');
    const started = performance.now();
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${boundMs} ms; got: ${text}`));
    }, boundMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: performance.now() - started });
    });
    socket.on('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        if (gapMs > 0) await new Promise((done) => setTimeout(done, gapMs));
      }
    });
  });

describe('slow clients are bounded', () => {
  it('a body that stalls (headers complete, 10 of 100 bytes sent) is answered 408 within the body bound, and leaves nothing in flight', async () => {
    const head =
      'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n';
    const { text, closedAfterMs } = await raw([head, 'grant_type'], 0, 10_000);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(500 + 800 + 1_500);
    expect(proxy.proxy.inflight).toBe(0);
  });

  it('a header that stalls is answered 408 within the header bound', async () => {
    const { text, closedAfterMs } = await raw(['POST /oauth/token HTTP/1.1\r\nHost: x\r\n'], 0, 10_000);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(500 + 1_500);
  });

  it('the bounds are validated and named', () => {
    for (const [option, value] of [
      ['headersTimeoutMs', 0],
      ['bodyTimeoutMs', -1],
      ['bodyTimeoutMs', 1.5],
    ] as const) {
      expect(() => new RefreshProxy({ upstream: mock.url, secret: SECRET, [option]: value })).toThrow(
        ConfigError,
      );
      expect(() => new RefreshProxy({ upstream: mock.url, secret: SECRET, [option]: value })).toThrow(option);
    }
  });
});

describe('bodies over the limit', () => {
  it('a chunked body over 1 MiB on the token path is answered 413 (then the connection closes), not reset', async () => {
    const chunk = new TextEncoder().encode(`refresh_token=${'c'.repeat(64 * 1024)}&`);
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent >= 2 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${proxy.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'payload_too_large' });
    expect(response.headers.get('connection')).toBe('close');
  });
});

describe('grants the proxy does not coalesce pass through as they are', () => {
  it('a non-refresh grant with a repeated parameter (scope twice) reaches the upstream byte for byte', async () => {
    const seen: string[] = [];
    const upstream = await startFakeUpstream(async (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => req.on('end', resolve));
      seen.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"access_token":"from-upstream"}');
    });
    const passing = await startProxy({ upstream: upstream.url });
    try {
      const body = 'grant_type=client_credentials&scope=a&scope=b&client_id=cli';
      const response = await fetch(`${passing.url}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(response.status).toBe(200);
      expect(seen).toEqual([body]);
      // A refresh grant stays strict: a repeated parameter there is ambiguous.
      const refresh = await fetch(`${passing.url}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token&refresh_token=a&refresh_token=b',
      });
      expect(refresh.status).toBe(400);
      expect(seen).toHaveLength(1);
    } finally {
      await passing.close();
      await upstream.close();
    }
  });
});
