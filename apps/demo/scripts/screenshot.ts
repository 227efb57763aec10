/**
The root README's demo picture: two tabs, strict rotation, 200 ms refresh latency, "expire + burst in all
tabs" with the naive client, then with ky-token-refresh; the timeline of both runs, saved as a PNG.

  node apps/demo/scripts/screenshot.ts [out.png]      (default docs/demo-timeline.png; starts its own Vite)
  WIDTH=px (the window's width, default 1100), PAGE=1 (the whole page, not only the timeline)
*/
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../../../chromium.mjs';
import type {} from '../src/app.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.argv[2] ?? resolve(root, '../../docs/demo-timeline.png'));
const width = Number(process.env.WIDTH ?? 1100);
const vite = await createServer({ root, logLevel: 'warn', server: { port: 0, strictPort: false } });
await vite.listen();
const url = vite.resolvedUrls?.local[0] ?? '';

const browser = await chromium.launch(chromiumLaunchOptions);
try {
  const context = await browser.newContext({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
  const open = async (): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.__demo?.ready === true, undefined, { timeout: 60_000 });
    return page;
  };
  // The README's order: log in, then open another tab (it has the session with either client).
  const a = await open();
  await a.evaluate(async () => {
    await window.__demo!.reset({ preset: 'strict', accessTtlMs: 60_000, latencyMs: 200 });
    window.__demo!.setClient('naive');
    await window.__demo!.login();
  });
  const b = await open();
  await a.waitForFunction(() => (window.__demo?.tabs().length ?? 0) >= 2);
  for (const client of ['naive', 'protected'] as const) {
    if (client === 'protected') {
      await a.waitForTimeout(1000); // a user reads the naive run before logging in again
      await a.evaluate(async (kind) => {
        window.__demo!.setClient(kind);
        await window.__demo!.login();
      }, client);
    }
    await b.waitForFunction(
      (kind) => window.__demo?.getClient() === kind && window.__demo.hasToken(),
      client,
    );
    await a.waitForTimeout(300);
    const run = await a.evaluate(async () => {
      await window.__demo!.expireNow();
      return window.__demo!.fireBurstAll(10);
    });
    console.log(`${client}: ${run.ok} ok, ${run.failed} failed, counters ${JSON.stringify(run.counters)}`);
  }
  await a.waitForTimeout(600); // the last entries and the redraw
  if (process.env.PAGE) await a.screenshot({ path: out, fullPage: true });
  else await a.locator('.timeline').screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await vite.close();
}
