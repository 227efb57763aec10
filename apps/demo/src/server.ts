import {
  type AuthServerConfig,
  type AuthServerStats,
  type ConfigPatch,
  PRESETS,
  type PresetName,
} from 'mock-auth-server';
import type { MockAuthWorker } from 'mock-auth-server/browser';
import type { Timeline } from './timeline.ts';
import type { ClientKind, EntryKind, ServerDelta } from './types.ts';

export type ServerConfig = AuthServerConfig;
export type ServerStats = AuthServerStats;
export type Preset = PresetName;
export type { ConfigPatch };

/** The configuration every fresh server (and the demo's reset) starts from. */
export const DEMO_DEFAULTS: ConfigPatch = { preset: 'strict', accessTtlMs: 30_000, latencyMs: 200 };

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    ...(body !== undefined && {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return data as T;
}

export const mock = {
  stats: () => call<ServerStats>('GET', '/__mock/stats'),
  config: () => call<ServerConfig>('GET', '/__mock/config'),
  configure: (patch: ConfigPatch) => call<ServerConfig>('POST', '/__mock/config', patch),
  reset: (patch: ConfigPatch = DEMO_DEFAULTS) => call<ServerConfig>('POST', '/__mock/reset', patch),
  expire: () => call<unknown>('POST', '/__mock/expire'),
  login: (username: string, password: string) =>
    call<{ access_token: string; expires_in: number }>('POST', '/auth/login', { username, password }),
  logout: () => fetch('/auth/logout', { method: 'POST', credentials: 'include' }).then(() => undefined),
};

const sum = (counts: Partial<Record<string, number>>, except: string[] = []) =>
  Object.entries(counts).reduce((total, [key, n]) => (except.includes(key) ? total : total + (n ?? 0)), 0);

/** What changed on the server between two reads of its counters. */
export function diffStats(before: ServerStats, after: ServerStats): ServerDelta {
  return {
    refreshRequests: after.refreshRequests - before.refreshRequests,
    rotations: after.rotations - before.rotations,
    graceHits: after.graceHits - before.graceHits,
    reuseDetections: after.reuseDetections - before.reuseDetections,
    familyRevocations: after.familyRevocations - before.familyRevocations,
    invalidGrant: sum(after.refreshFailures, ['csrf']) - sum(before.refreshFailures, ['csrf']),
    api401s: sum(after.api401s) - sum(before.api401s),
    api200s: after.api200s - before.api200s,
    maxInFlightRefreshPerFamily: after.maxInFlightRefreshPerFamily,
  };
}

/** `strict · TTL 30 s · latency 200 ms` (`· API latency 20 ms` when there is one). */
export function describeConfig(config: ServerConfig): string {
  const preset = presetOf(config);
  const parts = [preset ?? 'custom', `TTL ${config.accessTtlMs / 1000} s`];
  if (config.graceMs > 0) parts.push(`grace ${config.graceMs / 1000} s ${config.graceMode}`);
  parts.push(`latency ${config.latencyMs} ms`);
  if (config.apiLatencyMs > 0) parts.push(`API latency ${config.apiLatencyMs} ms`);
  if (!config.atomic) parts.push('non-atomic');
  return parts.join(' · ');
}

/** The preset whose knobs the config has, if any. */
export function presetOf(config: ServerConfig): Preset | undefined {
  return (Object.keys(PRESETS) as Preset[]).find((name) => {
    const knobs = PRESETS[name];
    return (
      knobs.rotation === config.rotation &&
      knobs.graceMs === config.graceMs &&
      knobs.reuseDetection === config.reuseDetection &&
      (knobs.graceMs === 0 || knobs.graceMode === config.graceMode)
    );
  });
}

/** Requests whose time in the mock is drawn: the refresh, and the API's (the burst and its replays). */
const timed = (path: string) => path === '/auth/refresh' || path.startsWith('/api/');

/**
 * The server lane. MSW answers each request in the page that sent it, so every tab sees the mock's answers
 * to its own requests: record those that matter (refresh outcomes, logins, logouts, "expire now", and the
 * time each API request spent in the mock) and the timeline shares them with the other tabs.
 */
export function recordServerLane(worker: MockAuthWorker, timeline: Timeline, client: () => ClientKind): void {
  /** When the mock's handler got each timed request (by MSW request id): the start of server time. */
  const received = new Map<string, number>();
  /**
  When it answered: MSW's `request:end`, right after the handler's response went to the service worker.
  (`response:mocked`, which has the response, comes later: after the service worker's reply to the page and
  a message back, so its time would count that trip as the server's.)
  */
  const answered = new Map<string, number>();
  worker.worker.events.on('request:start', ({ request, requestId }) => {
    if (timed(new URL(request.url).pathname)) received.set(requestId, Date.now());
  });
  worker.worker.events.on('request:end', ({ request, requestId }) => {
    if (timed(new URL(request.url).pathname)) answered.set(requestId, Date.now());
  });
  worker.worker.events.on('response:mocked', ({ request, requestId, response }) => {
    const at = answered.get(requestId) ?? Date.now();
    answered.delete(requestId);
    const path = new URL(request.url).pathname;
    const put = (kind: EntryKind, text?: string, since?: number) =>
      timeline.recordServer(kind, client(), text, at, since);
    if (path.startsWith('/api/')) {
      const since = received.get(requestId);
      received.delete(requestId);
      put('server:api', `${request.method} ${path} → ${response.status}`, since);
    } else if (path === '/auth/refresh') {
      const since = received.get(requestId);
      received.delete(requestId);
      const took = since === undefined ? '' : ` (${at - since} ms in the server)`;
      if (response.ok) {
        put('server:issued', `refresh answered 200${took}`, since);
        return;
      }
      void response
        .clone()
        .json()
        .then((body: { error?: string; reason?: string }) => {
          if (response.status === 403)
            put('server:csrf', `refresh refused: no X-Requested-With${took}`, since);
          else if (body.reason === 'reuse_detected')
            put('server:reuse_detected', `invalid_grant reuse_detected: the family is revoked${took}`, since);
          else put('server:invalid_grant', `invalid_grant ${body.reason ?? ''}`.trim() + took, since);
        })
        .catch(() => put('server:invalid_grant', `refresh answered ${response.status}${took}`, since));
    } else if (path === '/auth/login' && response.ok) put('server:login', 'login: new family');
    else if (path === '/auth/logout') put('server:logout', 'logout: family revoked');
    else if (path === '/__mock/expire') put('server:expire', 'expire now: every access token answers 401');
  });
}
