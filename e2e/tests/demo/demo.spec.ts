/**
The demo SPA on the MSW mock (server state in IndexedDB shared by the tabs, emulated cookie jar), driven
through `window.__demo`: the race with the naive client, and the fix, on a representative subset of the
matrix (the full tabs × requests matrix runs against the Node adapter).
*/
import type { Page } from '@playwright/test';
import type { ConfigPatch } from 'mock-auth-server';
import {
  burstAll,
  type DemoTabs,
  expect,
  hasTokens,
  type RunResult,
  startSession,
  test,
} from '../../support/demo.ts';

/** The members of the demo's `window.__demo` (apps/demo/README.md) these tests use besides the shared ones. */
declare module '../../support/demo.ts' {
  interface DemoApi {
    logout(): Promise<void>;
    fireBurst(n?: number): Promise<{ ok: number; failed: number }>;
    runs(): { id: string; t0: number; counters: RunResult['counters'] }[];
  }
}

const STRICT: ConfigPatch = { preset: 'strict', accessTtlMs: 60_000, latencyMs: 200 };

/** One more tab of the demo in the same context (the same server), once the others already run. */
const openTab = async (demo: DemoTabs): Promise<Page> => {
  const page = await demo.context.newPage();
  await page.goto('/');
  await page.waitForFunction(() => window.__demo?.ready === true, undefined, { timeout: 30_000 });
  demo.pages.push(page);
  const count = demo.pages.length;
  await expect.poll(() => demo.lead.evaluate(() => window.__demo!.tabs().length)).toBe(count);
  return page;
};

test('the page loads without a console error or a 404 (favicon); the server summary is pluralised', async ({
  page,
}) => {
  const problems: string[] = [];
  // Chromium asks for the page's icon once it is loaded; Playwright reports that request only when the page
  // names its icon (a <link rel="icon">): the default /favicon.ico shows up only as a console error.
  let iconSettled = false;
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    problems.push(`console: ${message.text()} (${message.location().url})`);
    if (message.location().url.includes('favicon')) iconSettled = true;
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    if (/\/favicon\./.test(response.url())) iconSettled = true;
  });
  await page.goto('/');
  await page.waitForFunction(() => window.__demo?.ready === true, undefined, { timeout: 30_000 });
  await expect.poll(() => iconSettled, { message: 'the icon was asked for', timeout: 15_000 }).toBe(true);
  expect(problems).toEqual([]);

  await page.evaluate(async (config) => {
    await window.__demo!.reset(config);
    window.__demo!.setClient('protected');
    await window.__demo!.login();
    await window.__demo!.expireNow();
    await window.__demo!.fireBurst(2);
    await window.__demo!.logout();
  }, STRICT);
  await expect(page.locator('#server-now')).toHaveText(
    'Server since reset: 1 login, 1 refresh call, 1 rotation, 0 reuse detected, 1 family revoked',
  );
});

test('a tab opened after the login has the session, with either client; both tabs then count in the race', async ({
  openDemo,
}) => {
  const demo = await openDemo(1);
  await startSession(demo, 'naive', STRICT);
  const late = await openTab(demo);
  expect(await late.evaluate(() => window.__demo!.getClient())).toBe('naive');
  expect(await late.evaluate(() => window.__demo!.hasToken()), 'naive: the late tab has a token').toBe(true);
  const { run } = await burstAll(demo, 10);
  expect(run.missing).toEqual([]);
  expect(run.counters.refreshCalls, 'refresh calls: 10 per tab').toBe(20);
  expect(run.counters.forcedLogouts, 'both tabs had a session and lost it').toBe(2);
  expect(await hasTokens(demo)).toEqual([false, false]);

  await startSession(demo, 'protected', STRICT);
  const later = await openTab(demo);
  await expect
    .poll(() => later.evaluate(() => window.__demo!.hasToken()), {
      message: 'ky-token-refresh: the late tab',
    })
    .toBe(true);
  const protectedRun = (await burstAll(demo, 10)).run;
  expect(protectedRun.ok).toBe(30);
  expect(protectedRun.counters.refreshCalls).toBe(1);
});

test('a forced logout is counted only for a tab that had a session: a burst after logging out logs nobody out', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  for (const client of ['naive', 'protected'] as const) {
    await startSession(demo, client, STRICT);
    await demo.lead.evaluate(() => window.__demo!.logout());
    for (const page of demo.pages)
      await expect.poll(() => page.evaluate(() => window.__demo!.hasToken())).toBe(false);
    const { run } = await burstAll(demo, 3);
    expect(run.missing, `${client}: tabs that did not answer`).toEqual([]);
    expect(run.failed, `${client}: no session, every request fails`).toBe(6);
    expect(run.counters.forcedLogouts, `${client}: forced logouts`).toBe(0);
    const timeline = await demo.lead.evaluate(() => window.__demo!.runs().at(-1)?.counters.forcedLogouts);
    expect(timeline, `${client}: the drawn counter`).toBe(0);
  }
});

test('naive client, strict, 2 tabs × 10 at expiry: invalid_grant, reuse detected, both tabs logged out — twice', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  for (let attempt = 1; attempt <= 2; attempt++) {
    await startSession(demo, 'naive', STRICT);
    const { run, after } = await burstAll(demo, 10);
    expect(run.missing, 'tabs that did not answer').toEqual([]);
    expect(run.tabs).toBe(2);
    expect(run.counters.refreshCalls, `attempt ${attempt}: refresh calls`).toBe(20);
    expect(run.counters.rotations, `attempt ${attempt}: rotations`).toBe(1);
    expect(run.counters.invalidGrant, `attempt ${attempt}: invalid_grant`).toBe(19);
    expect(run.counters.reuseDetections, `attempt ${attempt}: reuse detected`).toBeGreaterThanOrEqual(1);
    expect(after.familyRevocations, `attempt ${attempt}: families revoked`).toBe(1);
    expect(run.counters.forcedLogouts, `attempt ${attempt}: tabs logged out`).toBe(2);
    expect(run.failed, `attempt ${attempt}: failed requests`).toBeGreaterThan(0);
    expect(await hasTokens(demo)).toEqual([false, false]);
  }
});

const matrix = [
  { tabs: 2, perTab: 1 },
  { tabs: 2, perTab: 20 },
  { tabs: 2, perTab: 50 },
  { tabs: 5, perTab: 20 },
];

test.describe('ky-token-refresh, strict: 1 refresh, 1 rotation, 0 invalid_grant, 0 logouts, every request ok', () => {
  for (const tabs of [2, 5]) {
    const cells = matrix.filter((cell) => cell.tabs === tabs);
    test(`${tabs} tabs × ${cells.map((cell) => cell.perTab).join(' / ')} requests`, async ({ openDemo }) => {
      const demo = await openDemo(tabs);
      await startSession(demo, 'protected', STRICT);
      for (const { perTab } of cells) {
        for (let round = 1; round <= 2; round++) {
          const label = `${tabs} × ${perTab}, expiry ${round}`;
          const { run, api401s } = await burstAll(demo, perTab);
          expect(run.missing, `${label}: tabs that did not answer`).toEqual([]);
          expect.soft(run.errors, `${label}: errors`).toEqual([]);
          expect(run.ok, `${label}: ok`).toBe(tabs * perTab);
          expect(run.counters.refreshCalls, `${label}: refresh calls`).toBe(1);
          expect(run.counters.rotations, `${label}: rotations`).toBe(1);
          expect(run.counters.invalidGrant, `${label}: invalid_grant`).toBe(0);
          expect(run.counters.forcedLogouts, `${label}: logouts`).toBe(0);
          expect(api401s, `${label}: the wave met the expiry`).toBeGreaterThan(0);
        }
      }
      expect(await hasTokens(demo)).toEqual(Array(tabs).fill(true));
    });
  }
});

test('proactive refresh (10 s tokens, refreshed when half spent): 2 tabs × 20, 0 API 401s, 1 refresh', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  await startSession(demo, 'protected', { ...STRICT, accessTtlMs: 10_000 });
  await demo.lead.waitForTimeout(5_500);
  const { run, api401s } = await burstAll(demo, 20, false);
  expect.soft(run.errors).toEqual([]);
  expect(run.ok).toBe(40);
  expect(api401s, 'API 401s').toBe(0);
  expect(run.counters.refreshCalls).toBe(1);
  expect(run.counters.rotations).toBe(1);
});

test.describe('other server policies, ky-token-refresh: still 0 logouts', () => {
  const policies: { label: string; patch: ConfigPatch }[] = [
    { label: 'okta', patch: { preset: 'okta' } },
    { label: 'supabase', patch: { preset: 'supabase' } },
    { label: 'supertokens', patch: { preset: 'supertokens' } },
    { label: 'strict, atomic: false', patch: { preset: 'strict', atomic: false } },
  ];
  test(`${policies.map((policy) => policy.label).join(' / ')}: 2 tabs × 20`, async ({ openDemo }) => {
    const demo = await openDemo(2);
    for (const { label, patch } of policies) {
      await startSession(demo, 'protected', { ...STRICT, ...patch });
      const { run } = await burstAll(demo, 20);
      expect.soft(run.errors, `${label}: errors`).toEqual([]);
      expect(run.ok, `${label}: ok`).toBe(40);
      expect(run.counters.refreshCalls, `${label}: refresh calls`).toBe(1);
      expect(run.counters.invalidGrant, `${label}: invalid_grant`).toBe(0);
      expect(run.counters.forcedLogouts, `${label}: logouts`).toBe(0);
    }
  });
});

test('no Web Locks (IndexedDB lease lock): 2 tabs × 20, 1 refresh, 0 logouts', async ({ openDemo }) => {
  const demo = await openDemo(2, { without: ['locks'] });
  expect(await demo.lead.evaluate(() => 'locks' in navigator)).toBe(false);
  await startSession(demo, 'protected', STRICT);
  for (let round = 1; round <= 2; round++) {
    const { run } = await burstAll(demo, 20);
    expect.soft(run.errors).toEqual([]);
    expect(run.ok).toBe(40);
    expect(run.counters.refreshCalls).toBe(1);
    expect(run.counters.invalidGrant).toBe(0);
    expect(run.counters.forcedLogouts).toBe(0);
  }
});

test('definitive failure (session forgotten by the server): every tab logged out, every request failed', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  await startSession(demo, 'protected', STRICT);
  // Forget every session at the server behind the clients' back (the demo's own reset logs them out).
  await demo.lead.evaluate(async (config) => {
    const response = await fetch('/__mock/reset', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(config),
    });
    if (!response.ok) throw new Error(`reset: ${response.status}`);
  }, STRICT);
  const { run } = await burstAll(demo, 5);
  expect(run.ok).toBe(0);
  expect(run.failed).toBe(10);
  for (const error of run.errors) expect(error).toContain('SessionExpiredError');
  expect(run.counters.refreshCalls, 'refresh calls').toBe(1);
  expect(run.counters.forcedLogouts, 'tabs logged out').toBe(2);
  expect(await hasTokens(demo)).toEqual([false, false]);
});

/** What the timeline looks like, measured from its element boxes in the page. */
const measureTimeline = (page: Page) =>
  page.evaluate(() => {
    const box = (node: Element) => node.getBoundingClientRect();
    const name = (node: Element) => `${node.className}: "${node.textContent}"`;
    const cut: string[] = [];
    for (const track of document.querySelectorAll('.run .track')) {
      const t = box(track);
      for (const node of track.querySelectorAll('.label, .axis-tick')) {
        const b = box(node);
        if (b.left < t.left - 0.5 || b.right > t.right + 0.5) {
          cut.push(
            `${name(node)} [${Math.round(b.left)}, ${Math.round(b.right)}] outside [${t.left}, ${t.right}]`,
          );
        }
        // A label shortened to fit: its text is cut too.
        if (node.scrollWidth > node.clientWidth + 1) cut.push(`${name(node)} shortened`);
      }
    }
    for (const chart of document.querySelectorAll('.run .chart')) {
      if (chart.scrollWidth > chart.clientWidth + 1)
        cut.push(`chart scrolls: ${chart.scrollWidth} > ${chart.clientWidth}`);
    }
    const page = document.documentElement;
    if (page.scrollWidth > page.clientWidth + 1)
      cut.push(`page scrolls: ${page.scrollWidth} > ${page.clientWidth}`);
    // Milliseconds per pixel of each run, from the centre of an axis tick inside its track (not the first or
    // the last: those are kept inside the track's ends).
    const scales = [...document.querySelectorAll('.run')].map((run) => {
      const axis = run.querySelector('.lane.axis .track');
      const ticks = [...(axis?.querySelectorAll('.axis-tick') ?? [])];
      const tick = ticks[1];
      if (axis === null || tick === undefined || ticks.length < 3) return Number.NaN;
      const match = /^\+([\d.]+) (ms|s)$/.exec(tick.textContent ?? '');
      if (match === null) return Number.NaN;
      const ms = Number(match[1]) * (match[2] === 's' ? 1000 : 1);
      const b = box(tick);
      return ms / ((b.left + b.right) / 2 - box(axis).left - 1); // the track's 1 px border
    });
    return { cut, scales, runs: scales.length };
  });

test('the timeline at 1024 and 1440 px: no label or tick cut off, every run on one time scale', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  await startSession(demo, 'naive', STRICT);
  // Two runs drawn from entries posted on the demo's channel, as a tab posts its own: a 1 s run whose last
  // labels (the widest: SESSION EXPIRED, REUSE DETECTED) and last axis tick sit at the very end of the lanes,
  // and a 0.3 s run.
  await demo.lead.evaluate(() => {
    const tabs = window.__demo!.tabs();
    const channel = new BroadcastChannel('ky-token-refresh-demo');
    const t0 = Date.now() - 60_000;
    const entries: object[] = [];
    const runs: object[] = [];
    const add = (tab: number, lane: 'tab' | 'server', at: number, kind: string, text = '') => {
      const { tabId, label } = tabs[tab]!;
      entries.push({
        id: `${tabId}:x${entries.length}`,
        tabId,
        tabLabel: label,
        lane,
        at,
        kind,
        client: 'naive',
        text,
      });
    };
    for (const [number, start, length] of [
      [1, t0, 962],
      [2, t0 + 10_000, 300],
    ] as const) {
      runs.push({
        id: `${tabs[0]!.tabId}:${start}`,
        number,
        t0: start,
        client: 'naive',
        perTab: 2,
        scope: 'all',
        originTabId: tabs[0]!.tabId,
        originLabel: tabs[0]!.label,
        server: 'strict · TTL 60 s · latency 200 ms',
        grace: false,
        latencyMs: 200,
        endedAt: start + length,
      });
      for (const tab of [0, 1]) {
        add(tab, 'tab', start, 'burst:start', '2 × GET /api/items/:i');
        add(tab, 'tab', start + 20, 'refresh:start');
        add(
          tab,
          'tab',
          start + length - 4,
          'refresh:failure',
          'HTTPError 400 POST /auth/refresh invalid_grant',
        );
        add(tab, 'tab', start + length - 2, 'session:expired', 'refresh refused: back to the login page');
        add(tab, 'tab', start + length, 'api:failed', 'GET /api/items/0');
      }
      add(
        0,
        'server',
        start + length - 3,
        'server:reuse_detected',
        'invalid_grant reuse_detected: the family is revoked',
      );
      add(
        1,
        'server',
        start + length - 1,
        'server:reuse_detected',
        'invalid_grant reuse_detected: the family is revoked',
      );
    }
    channel.postMessage({ type: 'runs', runs });
    channel.postMessage({ type: 'entries', entries });
    channel.close();
  });
  for (const width of [1024, 1440]) {
    await demo.lead.setViewportSize({ width, height: 900 });
    await expect.poll(() => measureTimeline(demo.lead).then((m) => m.runs)).toBe(2);
    // The timeline redraws 50 ms after its width changes (a debounced ResizeObserver): until then it still
    // has the previous width's layout. Nothing may be cut off once it has redrawn.
    await expect
      .poll(() => measureTimeline(demo.lead).then((m) => m.cut), { message: `${width} px: cut off` })
      .toEqual([]);
    const { scales } = await measureTimeline(demo.lead);
    expect(scales[0], `${width} px: scale`).toBeGreaterThan(0);
    expect(scales[1], `${width} px: both runs on one scale`).toBeCloseTo(scales[0]!, 2);
  }

  // And real runs: the naive race, then (logged in again) ky-token-refresh: the stacked pair a user compares.
  await startSession(demo, 'naive', STRICT);
  await burstAll(demo, 10);
  await demo.lead.evaluate(async () => {
    window.__demo!.setClient('protected');
    await window.__demo!.login();
  });
  for (const page of demo.pages)
    await expect.poll(() => page.evaluate(() => window.__demo!.hasToken())).toBe(true);
  await burstAll(demo, 10);
  for (const width of [1024, 1440]) {
    await demo.lead.setViewportSize({ width, height: 900 });
    await expect.poll(() => measureTimeline(demo.lead).then((m) => m.runs)).toBe(2);
    await demo.lead.waitForTimeout(300); // the last entries of the other tab
    await expect
      .poll(() => measureTimeline(demo.lead).then((m) => m.cut), {
        message: `${width} px, real runs: cut off`,
      })
      .toEqual([]);
    const { scales } = await measureTimeline(demo.lead);
    for (const scale of scales.slice(1)) expect(scale, `${width} px: one scale`).toBeCloseTo(scales[0]!, 2);
  }
});

test('a refused refresh has its own colour, legend entry and tooltip (not the mock-work colour)', async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  await startSession(demo, 'naive', STRICT);
  await burstAll(demo, 5);
  await expect(demo.lead.locator('.run .bar.refresh.failed').first()).toBeVisible();
  const look = await demo.lead.evaluate(() => {
    const color = (selector: string) => {
      const node = document.querySelector(selector);
      return node === null ? null : getComputedStyle(node).backgroundColor;
    };
    const entry = [...document.querySelectorAll('.legend li')].find((li) =>
      li.querySelector('.bar.refresh.failed'),
    );
    return {
      legend: entry?.textContent?.trim() ?? null,
      legendTitle: entry?.getAttribute('title') ?? null,
      legendSwatch: color('.legend .bar.refresh.failed'),
      bar: color('.run .bar.refresh.failed'),
      barTitle: document.querySelector('.run .bar.refresh.failed')?.getAttribute('title') ?? '',
      mockWork: color('.legend .bar.server.work'),
      inFlight: color('.legend .bar.refresh:not(.failed)'),
    };
  });
  expect(look.legend).toBe('refresh refused');
  expect(look.legendTitle).toContain('refused');
  expect(look.bar).toBe(look.legendSwatch);
  expect(look.bar).not.toBe(look.mockWork);
  expect(look.bar).not.toBe(look.inFlight);
  expect(look.barTitle).toMatch(
    /^refresh refused: T\+\d+ ms → T\+\d+ ms \(\d+ ms\): HTTPError 400 POST \/auth\/refresh invalid_grant/,
  );
});

test("the server lane shows each API request's time in the mock (what remains of its own work), split from the configured latency", async ({
  openDemo,
}) => {
  const demo = await openDemo(2);
  for (const apiLatencyMs of [0, 100]) {
    await startSession(demo, 'protected', { ...STRICT, apiLatencyMs });
    const { run } = await burstAll(demo, 5);
    expect(run.ok).toBe(10);
    await demo.lead.waitForTimeout(300); // the other tab's entries, and the redraw
    const drawn = await demo.lead.evaluate(() => {
      const lane = document.querySelector('.run .lane.server');
      const bars = [...(lane?.querySelectorAll<HTMLElement>('.bar.api') ?? [])];
      return {
        answers: bars.filter((bar) => bar.classList.contains('work')).length,
        latencyBars: bars.filter((bar) => bar.classList.contains('latency')).map((bar) => bar.title),
        titles: bars.map((bar) => bar.title),
        summary: lane?.querySelector('.lane-sum.api')?.textContent ?? '',
      };
    });
    // 10 requests answered 401, then 10 replays answered 200, in two tabs.
    expect(drawn.answers, `API latency ${apiLatencyMs}: one bar of own work per answer`).toBe(20);
    expect(drawn.summary).toMatch(/^API ×20 in the mock: p50 \d+, max \d+ ms$/);
    expect(
      drawn.titles.filter((title) => / → 200 \(Tab [AB]\): server time \d+ ms/.test(title)),
    ).toHaveLength(apiLatencyMs > 0 ? 20 : 10);
    for (const title of drawn.titles) {
      expect(title).toMatch(
        new RegExp(
          `: ${apiLatencyMs === 0 ? 0 : '\\d+'} ms configured latency \\+ \\d+ ms the mock's own work`,
        ),
      );
    }
    expect(drawn.latencyBars.length, 'the configured latency, drawn apart').toBe(apiLatencyMs > 0 ? 20 : 0);
  }
});
