/**
How long the ky-token-refresh lane shows the refresh in flight, and where that time goes. Starts the demo
(Vite dev server on a free port), opens 2 tabs in one context, and runs ROUNDS × "expire + burst in all
tabs" with ky-token-refresh, strict, 200 ms refresh latency, BURST requests per tab. Per round, from the
timeline (every tab's entries, Date.now() clock):
- in flight: the holder tab's refresh:start → refresh:success (the bar of the lane);
- server: the mock's handler for POST /auth/refresh, from the request reaching it to its answer (the
  server-lane bar: configured latency + the mock's own work, mostly its IndexedDB state), when recorded;
- IndexedDB: readwrite/readonly transactions on the mock's database during the burst, in both tabs.

  node apps/demo/scripts/refresh-timing.ts        ROUNDS=n (default 8), BURST=n (default 10)
*/
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../../../chromium.mjs';
import type {} from '../src/app.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 8);
const BURST = Number(process.env.BURST ?? 10);

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
await a.evaluate(() => window.__demo!.reset({ preset: 'strict', accessTtlMs: 60_000, latencyMs: 200 }));
await a.evaluate(() => window.__demo!.setClient('protected'));
await b.waitForFunction(() => window.__demo?.getClient() === 'protected');

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
};
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
const rows: { inFlight: number; server: number | null; rw: number; rwMean: number; ro: number }[] = [];
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
  const row = {
    inFlight: success.at - start.at,
    server: issued?.since !== undefined ? issued.at - issued.since : null,
    rw: rw.length,
    rwMean: Math.round(mean(rw)),
    ro: idb.reduce((s, t) => s + t.readonly.length, 0),
  };
  rows.push(row);
  console.log(
    `round ${round}: refresh in flight ${row.inFlight} ms · server ${row.server ?? '?'} ms · ` +
      `mock IndexedDB: ${row.rw} readwrite (mean ${row.rwMean} ms), ${row.ro} readonly · ok ${run.ok}`,
  );
}
const servers = rows.flatMap((r) => (r.server === null ? [] : [r.server]));
console.log(
  `\nmedian over ${rows.length} rounds (2 tabs × ${BURST}, strict, 200 ms): refresh in flight ${median(
    rows.map((r) => r.inFlight),
  )} ms${servers.length ? `, of which server ${median(servers)} ms` : ''}; mock IndexedDB per burst: ${median(
    rows.map((r) => r.rw),
  )} readwrite (mean ${median(rows.map((r) => r.rwMean))} ms each), ${median(rows.map((r) => r.ro))} readonly`,
);
await browser.close();
await vite.close();
