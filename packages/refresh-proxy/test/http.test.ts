/** One in-memory instance over real HTTP: bad input, pass-through, the dedup window, overuse, /healthz, /metrics. */
import type { RunningMockAuthServer } from 'mock-auth-server/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory.ts';
import type { CompleteRequest, CompleteResult } from '../src/store/types.ts';
import {
  capturedLogs,
  childToken,
  cliLogin,
  cookieRefresh,
  formRefresh,
  metric,
  type RunningProxy,
  sleep,
  startFakeUpstream,
  startMock,
  startProxy,
  tokenLeaks,
} from './helpers.ts';

let mock: RunningMockAuthServer;
let proxy: RunningProxy;
const metricTexts: string[] = [];

beforeAll(async () => {
  mock = await startMock();
  proxy = await startProxy({ upstream: mock.url, maxBodyBytes: 1024 });
});
afterAll(async () => {
  metricTexts.push(await (await fetch(`${proxy.url}/metrics`)).text());
  await proxy?.close();
  await mock?.close();
});
beforeEach(async () => {
  await mock.authServer.reset({ preset: 'strict', latencyMs: 0 });
});

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const post = (
  path: string,
  body: BodyInit | null,
  headers: Record<string, string> = FORM,
  base = proxy.url,
) => fetch(`${base}${path}`, { method: 'POST', headers, body });

describe('bad input is answered by the proxy, never forwarded as a refresh', () => {
  it.each([
    ['refresh_token missing', 'grant_type=refresh_token', FORM, 400, 'invalid_request'],
    ['refresh_token empty', 'grant_type=refresh_token&refresh_token=', FORM, 400, 'invalid_request'],
    ['bad percent-encoding', 'grant_type=refresh_token&refresh_token=%E0%A4%A', FORM, 400, 'invalid_request'],
    [
      'a repeated parameter',
      'grant_type=refresh_token&refresh_token=a&refresh_token=b',
      FORM,
      400,
      'invalid_request',
    ],
    [
      'JSON instead of a form',
      '{"grant_type":"refresh_token"}',
      { 'Content-Type': 'application/json' },
      415,
      'unsupported_media_type',
    ],
    ['no content type', 'grant_type=refresh_token&refresh_token=abc', {}, 415, 'unsupported_media_type'],
    [
      'a body over the limit',
      `grant_type=refresh_token&refresh_token=${'a'.repeat(2_000)}`,
      FORM,
      413,
      'payload_too_large',
    ],
  ])('%s → %i', async (_name, body, headers, status, error) => {
    const response = await post('/oauth/token', body, headers as Record<string, string>);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error });
  });

  it('an oversized streamed body (no Content-Length) is 413 too', async () => {
    const chunk = new TextEncoder().encode(`grant_type=refresh_token&refresh_token=${'b'.repeat(3_000)}`);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetch(`${proxy.url}/oauth/token`, {
      method: 'POST',
      headers: FORM,
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('a cookie refresh with the CSRF header but no (or an empty) cookie → 400', async () => {
    for (const cookie of [undefined, 'rt=', 'other=1']) {
      const response = await post('/auth/refresh', null, {
        'X-Requested-With': 'fetch',
        ...(cookie !== undefined && { Cookie: cookie }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    }
    expect((await mock.authServer.stats()).refreshRequests).toBe(0);
  });

  it('a cookie refresh without the CSRF header passes through: the upstream refuses it (403), nothing coalesced', async () => {
    const { refreshToken } = await cliLogin(proxy.url);
    const before = metric(
      await (await fetch(`${proxy.url}/metrics`)).text(),
      'refresh_proxy_refresh_requests_total',
    );
    const response = await post('/auth/refresh', null, { Cookie: `rt=${refreshToken}` });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ reason: 'csrf' });
    const after = metric(
      await (await fetch(`${proxy.url}/metrics`)).text(),
      'refresh_proxy_refresh_requests_total',
    );
    expect(after).toBe(before);
  });
});

describe('everything else passes through untouched', () => {
  it('non-refresh grants, other methods and paths reach the upstream byte for byte, query and headers kept', async () => {
    const seen: Array<{
      method: string;
      url: string;
      body: string;
      type: string | undefined;
      custom: string | undefined;
    }> = [];
    const upstream = await startFakeUpstream(async (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => req.on('end', resolve));
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        type: req.headers['content-type'],
        custom: req.headers['x-custom'] as string | undefined,
      });
      res.writeHead(201, {
        'content-type': 'text/plain',
        'x-upstream': 'yes',
        'set-cookie': ['a=1; Path=/', 'b=2; Path=/'],
      });
      res.end('upstream body');
    });
    const passing = await startProxy({ upstream: upstream.url });
    try {
      const body = 'grant_type=client_credentials&scope=a%20b&client_id=cli';
      const grant = await post('/oauth/token?x=1', body, { ...FORM, 'X-Custom': 'kept' }, passing.url);
      expect(grant.status).toBe(201);
      expect(grant.headers.get('x-upstream')).toBe('yes');
      expect(grant.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
      expect(await grant.text()).toBe('upstream body');
      const get = await fetch(`${passing.url}/api/things?page=2`, { headers: { 'X-Custom': 'get' } });
      expect(await get.text()).toBe('upstream body');
      const json = await post(
        '/auth/login',
        '{"username":"a"}',
        { 'Content-Type': 'application/json' },
        passing.url,
      );
      expect(json.status).toBe(201);
      expect(seen).toEqual([
        {
          method: 'POST',
          url: '/oauth/token?x=1',
          body,
          type: 'application/x-www-form-urlencoded',
          custom: 'kept',
        },
        { method: 'GET', url: '/api/things?page=2', body: '', type: undefined, custom: 'get' },
        {
          method: 'POST',
          url: '/auth/login',
          body: '{"username":"a"}',
          type: 'application/json',
          custom: undefined,
        },
      ]);
    } finally {
      metricTexts.push(await (await fetch(`${passing.url}/metrics`)).text());
      await passing.close();
      await upstream.close();
    }
  });
});

describe('the dedup window', () => {
  it('default 10 s: a late duplicate gets the stored answer (no upstream call), in the shape it asked for', async () => {
    const { refreshToken } = await cliLogin(proxy.url);
    const first = await formRefresh(proxy.url, refreshToken);
    const late = await cookieRefresh(proxy.url, refreshToken);
    expect([first.status, late.status]).toEqual([200, 200]);
    expect(childToken(late)).toBe(childToken(first));
    expect(late.setCookies).toHaveLength(1);
    expect((await mock.authServer.stats()).refreshRequests).toBe(1);
  });

  it('0: duplicates in flight are coalesced, a late one goes upstream (and meets the rotation)', async () => {
    await mock.authServer.reset({ preset: 'strict', latencyMs: 200 });
    const zero = await startProxy({ upstream: mock.url, dedupWindowMs: 0 });
    try {
      const { refreshToken } = await cliLogin(zero.url);
      const inFlight = await Promise.all([
        formRefresh(zero.url, refreshToken),
        formRefresh(zero.url, refreshToken),
      ]);
      expect(inFlight.map((a) => a.status)).toEqual([200, 200]);
      const late = await formRefresh(zero.url, refreshToken);
      expect(late.body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
      expect((await mock.authServer.stats()).refreshRequests).toBe(2);
      const text = await (await fetch(`${zero.url}/metrics`)).text();
      metricTexts.push(text);
      expect(metric(text, 'refresh_proxy_conflicts_total')).toBe(1);
      expect(metric(text, 'refresh_proxy_conflict_ratio')).toBe(0.5);
    } finally {
      await zero.close();
    }
  });
});

/** A memory store whose `complete` (store, publish, free the lease) takes `delayMs`. */
class SlowCompleteStore extends MemoryStore {
  readonly completions: number[] = [];
  constructor(readonly delayMs: number) {
    super();
  }
  override async complete(request: CompleteRequest): Promise<CompleteResult> {
    await sleep(this.delayMs);
    const result = await super.complete(request);
    this.completions.push(performance.now());
    return result;
  }
}

describe('the holder answers its client first, then stores the answer', () => {
  it('a cacheable answer does not wait for the store; a duplicate in that window waits for it and is counted late', async () => {
    const store = new SlowCompleteStore(400);
    const slow = await startProxy({ upstream: mock.url, store });
    try {
      const { refreshToken } = await cliLogin(slow.url);
      const first = await formRefresh(slow.url, refreshToken);
      expect(first.status).toBe(200);
      expect(first.ms).toBeLessThan(300);
      // Still in flight: a graceful shutdown waits for the store call.
      expect(slow.proxy.inflight).toBe(1);
      const late = await formRefresh(slow.url, refreshToken);
      expect(childToken(late)).toBe(childToken(first));
      expect(store.completions).toHaveLength(1);
      expect((await mock.authServer.stats()).refreshRequests).toBe(1);
      const text = await (await fetch(`${slow.url}/metrics`)).text();
      expect(metric(text, 'refresh_proxy_rotated_token_presentations_total')).toBe(1);
      expect(slow.proxy.inflight).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('a failure is stored (the lease freed) before it is answered, so a retry goes upstream again', async () => {
    const upstream = await startFakeUpstream((_req, res, call) => {
      res.writeHead(call === 1 ? 503 : 200, { 'content-type': 'application/json' });
      res.end(
        call === 1
          ? '{"error":"temporarily_unavailable"}'
          : '{"access_token":"fake-access-token-503-4c3b2a1d","refresh_token":"fake-child-token-503-8e7d6c5b"}',
      );
    });
    const store = new SlowCompleteStore(300);
    const slow = await startProxy({ upstream: upstream.url, store });
    try {
      const failed = await formRefresh(slow.url, 'rt-503');
      expect(failed.status).toBe(503);
      expect(store.completions).toHaveLength(1);
      expect((await formRefresh(slow.url, 'rt-503')).status).toBe(200);
      expect(upstream.calls).toBe(2);
    } finally {
      await slow.close();
      await upstream.close();
    }
  });

  it('close() waits for a store call still running after the answer', async () => {
    const store = new SlowCompleteStore(300);
    const slow = await startProxy({ upstream: mock.url, store });
    const { refreshToken } = await cliLogin(slow.url);
    expect((await formRefresh(slow.url, refreshToken)).status).toBe(200);
    expect(store.completions).toHaveLength(0);
    await slow.close();
    expect(store.completions).toHaveLength(1);
  });
});

describe('a token presented more than 3 times after its rotation', () => {
  it('counts every late presentation, and logs one redacted warning and one overuse at the 4th', async () => {
    const { refreshToken } = await cliLogin(proxy.url);
    expect((await formRefresh(proxy.url, refreshToken)).status).toBe(200);
    const before = await (await fetch(`${proxy.url}/metrics`)).text();
    const logStart = capturedLogs.length;
    for (let i = 0; i < 5; i += 1) expect((await formRefresh(proxy.url, refreshToken)).status).toBe(200);
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    const delta = (name: string) => metric(text, name) - metric(before, name);
    expect(delta('refresh_proxy_rotated_token_presentations_total')).toBe(5);
    expect(delta('refresh_proxy_rotated_token_overuse_total')).toBe(1);
    const warnings = capturedLogs.slice(logStart).filter((line) => line.includes('rotated_token_overuse'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      level: 40,
      presentations: 4,
      threshold: 3,
      key: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(warnings[0]).not.toContain(refreshToken);
  });
});

describe('/healthz and /metrics', () => {
  it('/healthz answers the store state', async () => {
    const response = await fetch(`${proxy.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      store: 'memory',
      storeHealthy: true,
      storeFailure: 'open',
    });
  });

  it('/metrics exposes every series the alert rules and the README name', async () => {
    const response = await fetch(`${proxy.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    for (const name of [
      'refresh_proxy_refresh_requests_total',
      'refresh_proxy_upstream_calls_total',
      'refresh_proxy_conflicts_total',
      'refresh_proxy_conflict_ratio',
      'refresh_proxy_wait_seconds_bucket',
      'refresh_proxy_lease_renewals_total',
      'refresh_proxy_store_errors_total',
      'refresh_proxy_refresh_token_lifetime_seconds_bucket',
      'refresh_proxy_rotated_token_presentations_total',
      'refresh_proxy_rotated_token_overuse_total',
    ]) {
      expect(text).toContain(`# TYPE ${name.replace(/_bucket$/, '')} `);
    }
  });
});

describe('no token in any log line or metric', () => {
  it('greps the captured logs and /metrics: 0 hits', async () => {
    metricTexts.push(await (await fetch(`${proxy.url}/metrics`)).text());
    expect(tokenLeaks([...capturedLogs, ...metricTexts])).toEqual([]);
  });
});

describe('the shipped alert rules', () => {
  it('only name series that /metrics exposes', async () => {
    const { readFile } = await import('node:fs/promises');
    const rules = await readFile(new URL('../deploy/alerts.yml', import.meta.url), 'utf8');
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    const named = new Set(rules.match(/\brefresh_proxy_[a-z_]+/g) ?? []);
    expect(named.size).toBeGreaterThanOrEqual(4);
    for (const name of named) expect(text).toContain(`# TYPE ${name} `);
    expect(rules).toContain('> 0.05');
    expect(rules).toContain('refresh_proxy_rotated_token_overuse_total');
  });
});
