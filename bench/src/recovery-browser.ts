/**
Recovery latency in real Chromium: T tabs (pages of one Playwright context: shared cookies, Web Locks,
BroadcastChannel, IndexedDB) against mock-auth-server's Node adapter, which also serves the page (the library
bundled with esbuild). Each round: the floor (one refresh round trip, one request round trip, the same burst
with a valid token), then the server expires the token and every tab fires its burst at the same instant.
Also the cross-tab propagation time: the holder's `refresh:success` to each other tab's adoption.
*/
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TokenRefreshEvent } from 'ky-token-refresh';
import type { AuthServerStats } from 'mock-auth-server';
import { type Browser, chromium, type Page } from 'playwright';
import { chromiumArgs } from '../../chromium.mjs';
import { librarySource } from './lib/library.ts';
import { startMock } from './lib/mock.ts';
import type { RecoveryRound, RecoverySummary } from './lib/recovery-types.ts';
import { sleep } from './lib/stats.ts';
import { summarizeRecovery } from './lib/summarize.ts';
import type { BurstResult } from './page/page.ts';

export type Protocol = 'h2' | 'http/1.1';

export interface Scenario {
  tabs: number;
  requests: number;
  protocol: Protocol;
}

export interface BrowserRecoveryOptions {
  /** Each scenario opens its own context: `tabs` pages over `protocol`, each firing `requests` at expiry. */
  scenarios: Scenario[];
  rounds: number;
  warmup: number;
  refreshLatencyMs: number;
  apiLatencyMs: number;
  executablePath: string | undefined;
}

const pageDir = fileURLToPath(new URL('../results/.build/page/', import.meta.url));

const buildPage = async () => {
  await mkdir(pageDir, { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL('./page/page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    target: 'chrome120',
    outdir: pageDir,
    logLevel: 'warning',
    alias: { 'ky-token-refresh': librarySource },
  });
  await copyFile(fileURLToPath(new URL('./page/index.html', import.meta.url)), `${pageDir}index.html`);
};

/** A throwaway self-signed certificate for 127.0.0.1 (openssl), for the HTTP/2 server. */
const makeCertificate = async (): Promise<{ key: string; cert: string }> => {
  const dir = fileURLToPath(new URL('../results/.build/tls/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const key = `${dir}key.pem`;
  const cert = `${dir}cert.pem`;
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
    ].concat([
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  return { key, cert };
};

const failuresOf = (stats: AuthServerStats) =>
  Object.values(stats.refreshFailures).reduce((sum, count) => sum + (count ?? 0), 0);

/** Holder's `refresh:success` → each other tab's first adoption of that generation (or a newer one). */
const propagation = (perTab: TokenRefreshEvent[][]): { refreshes: number; delays: number[] } => {
  const successes = perTab.flatMap((events, tab) =>
    events.filter((event) => event.type === 'refresh:success').map((event) => ({ tab, event })),
  );
  const delays: number[] = [];
  for (const { tab, event } of successes) {
    perTab.forEach((events, other) => {
      if (other === tab) return;
      const adopted = events.find(
        (candidate) =>
          (candidate.type === 'refresh:adopted' || candidate.type === 'token:received') &&
          candidate.generation >= event.generation,
      );
      if (adopted) delays.push(adopted.at - event.at);
    });
  }
  return { refreshes: successes.length, delays };
};

const measureTabs = async (
  browser: Browser,
  url: string,
  mock: Awaited<ReturnType<typeof startMock>>,
  { tabs, requests, protocol }: Scenario,
  options: BrowserRecoveryOptions,
  log: (line: string) => void,
): Promise<RecoverySummary> => {
  await mock.reset({
    preset: 'strict',
    accessTtlMs: 3_600_000,
    latencyMs: options.refreshLatencyMs,
    apiLatencyMs: options.apiLatencyMs,
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const pages: Page[] = [];
    for (let index = 0; index < tabs; index++) {
      const page = await context.newPage();
      page.on('pageerror', (error) => log(`  [tab ${index}] page error: ${error.message}`));
      await page.goto(`${url}/index.html`);
      await page.waitForFunction(() => document.title === 'ready');
      pages.push(page);
    }
    const first = pages[0]!;
    await first.evaluate(() => window.bench.login());
    const token = await first.evaluate(() => window.bench.token());
    // setToken reaches every tab (store + channel): wait until each one holds it.
    for (const page of pages)
      await page.waitForFunction((expected) => window.bench.token() === expected, token);
    const states = await Promise.all(pages.map((page) => page.evaluate(() => window.bench.state())));

    const everyTabBursts = async (): Promise<BurstResult[]> => {
      const startAt = Date.now() + 150;
      await Promise.all(
        pages.map((page) =>
          page.evaluate(([count, at]) => window.bench.startBurst(count, at), [requests, startAt] as const),
        ),
      );
      return Promise.all(pages.map((page) => page.evaluate(() => window.bench.burstResult()!)));
    };
    const span = (results: BurstResult[]) =>
      Math.max(...results.map((result) => result.end)) - Math.min(...results.map((result) => result.start));

    const rounds: RecoveryRound[] = [];
    for (let round = -options.warmup; round < options.rounds; round++) {
      const refreshRttMs = await first.evaluate(() => window.bench.refreshRtt());
      const requestRttMs = await first.evaluate(() => window.bench.requestRtt());
      const burstMs = span(await everyTabBursts());

      await Promise.all(pages.map((page) => page.evaluate(() => window.bench.clearEvents())));
      const before = await mock.stats();
      await mock.expire();
      const results = await everyTabBursts();
      const after = await mock.stats();
      const events = await Promise.all(pages.map((page) => page.evaluate(() => window.bench.events())));
      if (round < 0) continue;
      const spread = propagation(events);
      rounds.push({
        refreshRttMs,
        requestRttMs,
        burstMs,
        recoveryMs: span(results),
        requests: tabs * requests,
        ok: results.reduce((sum, result) => sum + result.ok, 0),
        refreshes: spread.refreshes,
        serverRotations: after.rotations - before.rotations,
        serverRefreshFailures: failuresOf(after) - failuresOf(before),
        propagationMs: spread.delays,
      });
      await sleep(50);
    }
    const finalStates = await Promise.all(pages.map((page) => page.evaluate(() => window.bench.state())));
    const apiProtocols = [...new Set(finalStates.flatMap((state) => state.apiProtocols))];
    const sessionExpiredCalls = (
      await Promise.all(pages.map((page) => page.evaluate(() => window.bench.sessionExpiredCalls())))
    ).reduce((sum, count) => sum + count, 0);
    const summary = summarizeRecovery(
      {
        where: `Chromium, ${protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1'}`,
        tabs,
        requestsPerTab: requests,
        serverLatency: { refreshMs: options.refreshLatencyMs, apiMs: options.apiLatencyMs },
        notes: [
          `tab 0: visibility ${states[0]?.visibility}, Web Locks ${states[0]?.locks}, BroadcastChannel ${states[0]?.broadcastChannel}; ` +
            `API requests went over: ${apiProtocols.join(', ')}` +
            (states.every((state) => state.visibility === 'visible') ? '' : ' (some tabs were not visible!)'),
          protocol === 'h2'
            ? 'HTTP/2 over TLS (self-signed, ignoreHTTPSErrors): one multiplexed connection, no queueing of the burst.'
            : 'HTTP/1.1: Chromium opens at most 6 connections per host for all tabs together, so a burst queues; the reactive floor includes that queueing.',
        ],
      },
      rounds,
      sessionExpiredCalls,
      tabs > 1 ? 1 : undefined,
    );
    log(
      `  ${summary.where}: recovery p50 ${summary.median.recoveryMs.toFixed(1)} ms, floor ${summary.median.floorMs.toFixed(1)} ms, ` +
        `reactive floor ${summary.median.reactiveFloorMs.toFixed(1)} ms, ${summary.totals.ok}/${summary.totals.requests} ok` +
        (summary.propagation
          ? `, propagation p50 ${summary.propagation.p50Ms} ms (${summary.propagation.samples} samples)`
          : ''),
    );
    return summary;
  } finally {
    await context.close();
  }
};

export const runRecoveryBrowser = async (
  options: BrowserRecoveryOptions,
  log: (line: string) => void,
): Promise<RecoverySummary[]> => {
  await buildPage();
  const needsTls = options.scenarios.some((scenario) => scenario.protocol === 'h2');
  const tls = needsTls ? await makeCertificate() : undefined;
  const mock = await startMock({ preset: 'strict' }, { staticDir: pageDir, ...(tls && { tls }) });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      ...(options.executablePath && { executablePath: options.executablePath }),
      args: chromiumArgs,
    });
    const summaries: RecoverySummary[] = [];
    for (const scenario of options.scenarios) {
      const url = scenario.protocol === 'h2' ? mock.secureUrl! : mock.url;
      summaries.push(await measureTabs(browser, url, mock, scenario, options, log));
    }
    return summaries;
  } finally {
    await browser?.close();
    await mock.stop();
  }
};
