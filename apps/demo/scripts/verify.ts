/**
 * Drives the demo headlessly through `window.__demo`, with two tabs (pages) in one browser context:
 * naive client, then ky-token-refresh, each with a burst in all tabs right after "expire now".
 * Prints the numbers and saves screenshots.
 *
 *   node scripts/verify.ts [url] [outDir]      (the dev or preview server must be running)
 *   BURST=n (requests per tab, default 10), ALL_PRESETS=1 (also the naive client on okta, supabase, supertokens)
 */
import { chromium, type Page } from 'playwright';
import { chromiumLaunchOptions } from '../../../chromium.mjs';
import type {} from '../src/app.ts'; // window.__demo's type

const url = process.argv[2] ?? 'http://127.0.0.1:5173/';
const outDir = process.argv[3] ?? '/tmp';
const perTab = Number(process.env.BURST ?? 10);

const browser = await chromium.launch(chromiumLaunchOptions);
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });

async function open(): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('pageerror:', error.message));
  await page.goto(url);
  await page.waitForFunction(() => window.__demo?.ready === true);
  return page;
}

const a = await open();
const b = await open();
await a.waitForFunction(() => (window.__demo?.tabs().length ?? 0) >= 2);

async function scenario(
  client: 'naive' | 'protected',
  reset: boolean,
  preset: 'strict' | 'okta' | 'supabase' | 'supertokens' = 'strict',
) {
  await a.evaluate(
    async ({ client, reset, preset }) => {
      const demo = window.__demo!;
      if (reset) await demo.reset({ preset, accessTtlMs: 60_000, latencyMs: 200 });
      demo.setClient(client);
      await demo.login(); // after the naive run the family is revoked: a new login, as a user would
    },
    { client, reset, preset },
  );
  await b.waitForFunction((client) => window.__demo?.getClient() === client, client);
  await b.waitForTimeout(300);
  const result = await a.evaluate(async (n) => {
    const demo = window.__demo!;
    await demo.expireNow();
    return demo.fireBurstAll(n);
  }, perTab);
  const stats = await a.evaluate(() => window.__demo!.stats()); // cumulative since the reset
  console.log(`\n=== ${client} · ${preset} · refresh latency 200 ms · 2 tabs × ${perTab} requests ===`);
  console.log('run:', JSON.stringify({ ok: result.ok, failed: result.failed, missing: result.missing }));
  console.log('counters:', JSON.stringify(result.counters));
  console.log(
    'server since reset:',
    JSON.stringify({
      refreshRequests: stats.refreshRequests,
      rotations: stats.rotations,
      reuseDetections: stats.reuseDetections,
      familyRevocations: stats.familyRevocations,
      refreshFailures: stats.refreshFailures,
      maxInFlightRefreshPerFamily: stats.maxInFlightRefreshPerFamily,
    }),
  );
  console.log('errors (first 3):', result.errors.slice(0, 3));
  console.log(
    'tab B has a token:',
    await b.evaluate(() => window.__demo!.hasToken()),
    '· tab A:',
    await a.evaluate(() => window.__demo!.hasToken()),
  );
  return result;
}

await scenario('naive', true);
await a.waitForTimeout(400);
await a.screenshot({ path: `${outDir}/demo-naive-1280.png`, fullPage: true });
await scenario('protected', false);
await a.waitForTimeout(400);
await a.screenshot({ path: `${outDir}/demo-1280.png` });
await a.screenshot({ path: `${outDir}/demo-1280-full.png`, fullPage: true });
await a.locator('.run summary').nth(1).click();
await a
  .locator('.run')
  .nth(1)
  .screenshot({ path: `${outDir}/demo-naive-events-1280.png` });
await b.screenshot({ path: `${outDir}/demo-tabB-1280-full.png`, fullPage: true });
await a.setViewportSize({ width: 390, height: 844 });
await a.waitForTimeout(400);
await a.screenshot({ path: `${outDir}/demo-390.png` });
await a.screenshot({ path: `${outDir}/demo-390-full.png`, fullPage: true });
await a.locator('.timeline').scrollIntoViewIfNeeded();
await a.screenshot({ path: `${outDir}/demo-390-timeline.png` });
await a
  .locator('.run')
  .nth(1)
  .screenshot({ path: `${outDir}/demo-390-naive-run.png` });
if (process.env.ALL_PRESETS) {
  for (const preset of ['okta', 'supabase', 'supertokens'] as const) await scenario('naive', true, preset);
}
await browser.close();
