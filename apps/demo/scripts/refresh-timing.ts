/**
How long the ky-token-refresh lane shows the refresh in flight, and where that time goes. Starts the demo
(Vite dev server on a free port), opens 2 tabs in one context, and runs ROUNDS × "expire + burst in all
tabs" with ky-token-refresh, strict, LATENCY ms of refresh latency, API_LATENCY ms of API latency, BURST
requests per tab. Per round, from the timeline (every tab's entries, Date.now() clock):
- in flight: the holder tab's refresh:start → refresh:success (the bar of the lane);
- server: the mock's handler for POST /auth/refresh, from the request reaching it to its answer (the
  server-lane bar: configured latency + the mock's own work, mostly its IndexedDB state), when recorded;
- replays: when the replayed requests went out (request:replayed) and when their 200s came back (api:ok),
  from the burst (T+0); with API latency 0 the time between them is the service worker's trip and the
  mock's own work;
- IndexedDB: readwrite/readonly transactions on the mock's database during the burst, in both tabs.

  node apps/demo/scripts/refresh-timing.ts     ROUNDS=n (8), BURST=n (10), LATENCY=ms (200), API_LATENCY=ms (0)
*/
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../../../chromium.mjs';
import type {} from '../src/app.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 8);
const BURST = Number(process.env.BURST ?? 10);
const LATENCY = Number(process.env.LATENCY ?? 200);
const API_LATENCY = Number(process.env.API_LATENCY ?? 0);

const root = fileURLToPath(new URL('..', import.meta.url));
const vite = await createServer({ root, logLevel: 'warn', server: { port: 0, strictPort: false } });
await vite.listen();
const url = vite.resolvedUrls?.local[0] ?? '';

/** Counts and times every IndexedDB transaction on the mock's database (`mock-auth-server`). */
const instrumentIdb = () => {
  const stats = { readwrite: [] as number[], readonly: [] as number[], on: false };
  (window as unknown as { __idb: typeof stats }).__idb = stats;
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof original>) {
    const tx = original.apply(this, args);
    if (this.name === 'mock-auth-server' && stats.on) {
      const t0 = performance.now();
      const list = tx.mode === 'readwrite' ? stats.readwrite : stats.readonly;
      const done = () => list.push(performance.now() - t0);
      tx.addEventListener('complete', done);
      tx.addEventListener('abort', done);
    }
    return tx;
  } as typeof original;
};

const browser = await chromium.launch(chromiumLaunchOptions);
const context = await browser.newContext();
await context.addInitScript(instrumentIdb);

const open = async (): Promise<Page> => {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('pageerror:', error.message));
  await page.goto(url);
  await page.waitForFunction(() => window.__demo?.ready === true, undefined, { timeout: 60_000 });
  return page;
};
const a = await open();
const b = await open();
await a.waitForFunction(() => (window.__demo?.tabs().length ?? 0) >= 2);
await a.evaluate(
  ({ latencyMs, apiLatencyMs }) =>
    window.__demo!.reset({ preset: 'strict', accessTtlMs: 60_000, latencyMs, apiLatencyMs }),
  { latencyMs: LATENCY, apiLatencyMs: API_LATENCY },
);
await a.evaluate(() => window.__demo!.setClient('protected'));
await b.waitForFunction(() => window.__demo?.getClient() === 'protected');

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
};
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
interface Row {
  inFlight: number;
  server: number | null;
  /** T+ of the first replay out, of the last replay out, of the first and the last 200 after them. */
  replayFrom: number;
  replayTo: number;
  okFrom: number;
  okTo: number;
  /** Time in the mock of the replays' answers (server lane, `server:api`): median and max; null: not drawn. */
  replayServer: number | null;
  replayServerMax: number | null;
  rw: number;
  rwMean: number;
  ro: number;
}
const rows: Row[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  await a.evaluate(() => window.__demo!.login());
  await b.waitForFunction(() => window.__demo!.hasToken());
  await a.waitForTimeout(300);
  for (const page of [a, b])
    await page.evaluate(() => {
      const idb = (window as unknown as { __idb: { readwrite: number[]; readonly: number[]; on: boolean } })
        .__idb;
      idb.readwrite.length = 0;
      idb.readonly.length = 0;
      idb.on = true;
    });
  const run = await a.evaluate(async (n) => {
    await window.__demo!.expireNow();
    return window.__demo!.fireBurstAll(n);
  }, BURST);
  const idb = await Promise.all(
    [a, b].map((page) =>
      page.evaluate(() => {
        const stats = (
          window as unknown as { __idb: { readwrite: number[]; readonly: number[]; on: boolean } }
        ).__idb;
        stats.on = false;
        return { readwrite: [...stats.readwrite], readonly: [...stats.readonly] };
      }),
    ),
  );
  await a.waitForTimeout(400); // the other tab's entries reach this one over the channel
  const entries = await a.evaluate((runId) => {
    const demo = window.__demo!;
    const found = demo.runs().find((r) => r.id === runId);
    return demo.timeline().filter((e) => found !== undefined && e.at >= found.t0);
  }, run.runId);
  const start = entries.find((e) => e.kind === 'refresh:start');
  const success = entries.find((e) => e.kind === 'refresh:success' && e.tabId === start?.tabId);
  const issued = entries.find((e) => e.kind === 'server:issued' && e.since !== undefined);
  if (!start || !success || run.failed > 0) {
    console.log(`round ${round}: no single refresh (failed ${run.failed}); skipped`);
    continue;
  }
  const rw = idb.flatMap((t) => t.readwrite);
  const t0 =
    (await a.evaluate((runId) => window.__demo!.runs().find((r) => r.id === runId)?.t0, run.runId)) ?? 0;
  const replays = entries.filter((e) => e.kind === 'request:replayed').map((e) => e.at - t0);
  const oks = entries
    .filter((e) => e.kind === 'api:ok' && e.at - t0 >= Math.min(...replays))
    .map((e) => e.at - t0);
  const replayServer = entries
    .filter((e) => e.kind === 'server:api' && e.since !== undefined && e.since - t0 >= Math.min(...replays))
    .map((e) => e.at - (e.since ?? e.at));
  const row: Row = {
    inFlight: success.at - start.at,
    server: issued?.since !== undefined ? issued.at - issued.since : null,
    replayFrom: Math.min(...replays),
    replayTo: Math.max(...replays),
    okFrom: Math.min(...oks),
    okTo: Math.max(...oks),
    replayServer: replayServer.length ? median(replayServer) : null,
    replayServerMax: replayServer.length ? Math.max(...replayServer) : null,
    rw: rw.length,
    rwMean: Math.round(mean(rw)),
    ro: idb.reduce((s, t) => s + t.readonly.length, 0),
  };
  rows.push(row);
  console.log(
    `round ${round}: refresh in flight ${row.inFlight} ms · server ${row.server ?? '?'} ms · ` +
      `replays out +${row.replayFrom}..+${row.replayTo} ms, their 200s +${row.okFrom}..+${row.okTo} ms` +
      `${row.replayServer === null ? '' : ` (in the mock ${row.replayServer} ms median, ${row.replayServerMax} max)`} · ` +
      `mock IndexedDB: ${row.rw} readwrite (mean ${row.rwMean} ms), ${row.ro} readonly · ok ${run.ok}`,
  );
}
const servers = rows.flatMap((r) => (r.server === null ? [] : [r.server]));
const med = (pick: (row: Row) => number) => median(rows.map(pick));
const inMock = rows.flatMap((r) => (r.replayServer === null ? [] : [r]));
console.log(
  `\nmedian over ${rows.length} rounds (2 tabs × ${BURST}, strict, refresh latency ${LATENCY} ms, API latency ` +
    `${API_LATENCY} ms): refresh in flight ${med((r) => r.inFlight)} ms` +
    `${servers.length ? `, of which server ${median(servers)} ms` : ''}; replays out +${med((r) => r.replayFrom)}` +
    `..+${med((r) => r.replayTo)} ms, their 200s +${med((r) => r.okFrom)}..+${med((r) => r.okTo)} ms ` +
    `(last 200 ${med((r) => r.okTo - r.replayFrom)} ms after the first replay` +
    `${inMock.length ? `; each replay in the mock ${median(inMock.map((r) => r.replayServer ?? 0))} ms median, ${median(inMock.map((r) => r.replayServerMax ?? 0))} max` : ''}); mock IndexedDB per burst: ` +
    `${med((r) => r.rw)} readwrite (mean ${med((r) => r.rwMean)} ms each), ${med((r) => r.ro)} readonly`,
);
await browser.close();
await vite.close();
