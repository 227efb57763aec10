/**
The race report: naive (the ky README recipe) vs ky-token-refresh, tabs × requests × server preset, headless
Chromium against the Node adapter of the mock auth server (real HttpOnly cookies), every tab firing at the
moment the access tokens expire. Prints a table and writes it as JSON and an SVG chart to results/race/, and
the chart to docs/race-chart.svg (shown by the root README).

  pnpm --filter e2e run race          RACE_WAVES=n (expiries per cell, default 2), CHROMIUM_PATH
  pnpm --filter e2e run race --from-json   print and draw the last results again, without measuring

Recovery latency: for each request answered 401, the time from that 401 to its final success. Its physical
floor, measured in every wave against the same server and knobs: one POST /auth/refresh round trip plus one
GET /api/* round trip, with bare fetch in one idle tab.
*/
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from '@playwright/test';
import type { ConfigPatch, PresetName } from 'mock-auth-server';
import { startMockAuthServer } from 'mock-auth-server/node';
import { chromiumLaunchOptions } from '../../chromium.mjs';
import { buildHarness, harnessDir, invalidGrants, openHarnessTabs, type Tabs } from '../support/tabs.ts';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '../results/race');

const WAVES = Number(process.env.RACE_WAVES ?? 2);
const CLIENTS = ['naive', 'library'] as const;
const TABS = [2, 5, 8];
const REQUESTS = [1, 20];
const PRESETS: PresetName[] = ['strict', 'okta', 'supabase', 'supertokens'];
/** Refresh latency opens the race window; the API answers fast. No jitter: the floor is one number. */
const KNOBS = { accessTtlMs: 120_000, latencyMs: 150, jitterMs: 0, apiLatencyMs: 20, apiJitterMs: 0 };

type Client = (typeof CLIENTS)[number];
const CLIENT_LABEL: Record<Client, string> = { naive: 'naive (ky README)', library: 'ky-token-refresh' };

export interface Row {
  client: Client;
  preset: PresetName;
  tabs: number;
  perTab: number;
  expiries: number;
  requests: number;
  refreshCalls: number;
  rotations: number;
  graceHits: number;
  invalidGrant: number;
  reuseDetected: number;
  /** Tabs sent back to the login page (onSessionExpired), summed over the expiries. */
  logouts: number;
  failedRequests: number;
  /** Over every request that was answered 401 and then succeeded; null when none did. */
  recoveryP50Ms: number | null;
  recoveryP95Ms: number | null;
  /** Median over the expiries of (refresh round trip + request round trip). */
  floorMs: number;
}

const percentile = (values: number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};
const round = (value: number | null): number | null => (value === null ? null : Math.round(value));

const waitForToken = (page: Page, token: string) =>
  page.waitForFunction((expected) => window.harness.token() === expected, token, {
    polling: 20,
    timeout: 10_000,
  });

/** One cell of the matrix, `WAVES` expiries, each from a fresh server state and a fresh login. */
const runCell = async (
  tabs: Tabs,
  mock: Awaited<ReturnType<typeof startMockAuthServer>>,
  client: Client,
  preset: PresetName,
  perTab: number,
): Promise<Row> => {
  const { authServer } = mock;
  const pages = tabs.pages;
  const lead = pages[0] as Page;
  const row: Row = {
    client,
    preset,
    tabs: pages.length,
    perTab,
    expiries: WAVES,
    requests: 0,
    refreshCalls: 0,
    rotations: 0,
    graceHits: 0,
    invalidGrant: 0,
    reuseDetected: 0,
    logouts: 0,
    failedRequests: 0,
    recoveryP50Ms: null,
    recoveryP95Ms: null,
    floorMs: 0,
  };
  const recoveries: number[] = [];
  const floors: number[] = [];
  for (let wave = 0; wave < WAVES; wave++) {
    const reset = await authServer.reset({ preset, ...KNOBS } satisfies ConfigPatch);
    if (!reset.ok) throw new Error(`reset: ${JSON.stringify(reset.error)}`);
    await tabs.call(lead, 'login');
    // The floor, in the lead tab while nothing else runs; its token then becomes everyone's token.
    const floor = await tabs.call(lead, 'floor');
    floors.push(floor.refreshMs + floor.requestMs);
    if (client === 'naive') for (const page of pages.slice(1)) await tabs.call(page, 'setToken', floor.token);
    await Promise.all(pages.map((page) => waitForToken(page, floor.token)));
    const expiredBefore = await Promise.all(pages.map((page) => tabs.call(page, 'sessionExpiredCalls')));

    const before = await authServer.stats();
    await authServer.expireAccessTokens();
    const startAt = Date.now() + 100;
    const results = await Promise.all(pages.map((page) => tabs.call(page, 'burst', perTab, startAt)));
    const after = await authServer.stats();
    const expiredAfter = await Promise.all(pages.map((page) => tabs.call(page, 'sessionExpiredCalls')));

    row.requests += pages.length * perTab;
    row.refreshCalls += after.refreshRequests - before.refreshRequests;
    row.rotations += after.rotations - before.rotations;
    row.graceHits += after.graceHits - before.graceHits;
    row.invalidGrant += invalidGrants(after) - invalidGrants(before);
    row.reuseDetected += after.reuseDetections - before.reuseDetections;
    row.logouts += expiredAfter.filter((count, index) => count > (expiredBefore[index] ?? 0)).length;
    row.failedRequests += results.reduce((sum, result) => sum + result.failures.length, 0);
    for (const result of results) recoveries.push(...result.recoveryMs);
  }
  row.recoveryP50Ms = round(percentile(recoveries, 50));
  row.recoveryP95Ms = round(percentile(recoveries, 95));
  row.floorMs = round(percentile(floors, 50)) as number;
  return row;
};

// ---------- output ----------

const cellLabel = (row: Row) => `${row.preset} ${row.tabs}×${row.perTab}`;

const printTable = (rows: Row[]): string => {
  const header = [
    'client',
    'preset',
    'tabs×req',
    'refresh calls',
    'rotations',
    'grace hits',
    'invalid_grant',
    'reuse detected',
    'logouts',
    'failed / requests',
    'recovery p50',
    'p95',
    'floor',
    'p50 / floor',
  ];
  const ms = (value: number | null) => (value === null ? '—' : `${value} ms`);
  const lines = rows.map((row) => [
    CLIENT_LABEL[row.client],
    row.preset,
    `${row.tabs}×${row.perTab}`,
    String(row.refreshCalls),
    String(row.rotations),
    String(row.graceHits),
    String(row.invalidGrant),
    String(row.reuseDetected),
    `${row.logouts}/${row.tabs * row.expiries}`,
    `${row.failedRequests}/${row.requests}`,
    ms(row.recoveryP50Ms),
    ms(row.recoveryP95Ms),
    ms(row.floorMs),
    row.recoveryP50Ms === null ? '—' : `${(row.recoveryP50Ms / row.floorMs).toFixed(2)}×`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] as string).length)),
  );
  const numeric = (column: number) => column >= 3;
  const format = (cells: string[]) =>
    `| ${cells
      .map((cell, column) =>
        numeric(column) ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number),
      )
      .join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (numeric(column) ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [format(header), rule, ...lines.map(format)].join('\n');
};

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
Three panels over the same cells, naive and ky-token-refresh side by side: refresh calls per expiry (log
scale), failed requests (share), recovery latency p50 (bar) and p95 (whisker) against the floor (black line).
*/
const svgChart = (rows: Row[]): string => {
  const cells = [...new Set(rows.map(cellLabel))];
  const find = (client: Client, cell: string) =>
    rows.find((r) => r.client === client && cellLabel(r) === cell);
  const colors: Record<Client, string> = { naive: '#d9534f', library: '#2e8b57' };
  const left = 70;
  const slot = 44;
  const width = left + cells.length * slot + 30;
  const panel = 180;
  const gap = 120;
  const tops = [90, 90 + panel + gap, 90 + 2 * (panel + gap)];
  const height = (tops[2] as number) + panel + 135;
  const parts: string[] = [];
  const text = (x: number, y: number, content: string, extra = '') =>
    parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${escapeXml(content)}</text>`);
  const line = (x1: number, y1: number, x2: number, y2: number, style: string, title = '') =>
    parts.push(
      `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${style}>${title ? `<title>${escapeXml(title)}</title>` : ''}</line>`,
    );
  const rect = (x: number, y: number, w: number, h: number, fill: string, title: string) =>
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(1, h).toFixed(1)}" fill="${fill}"><title>${escapeXml(title)}</title></rect>`,
    );
  const barX = (index: number, side: number) => left + index * slot + 6 + side * 16;

  /** A panel: title, gridlines at `ticks`, cell labels; `y` maps a value to a coordinate. */
  const frame = (top: number, title: string, ticks: number[], y: (value: number) => number, unit: string) => {
    text(left, top - 8, title, 'font-size="13" font-weight="bold"');
    for (const tick of ticks) {
      line(left, y(tick), width - 20, y(tick), 'stroke="#ddd" stroke-width="1"');
      text(left - 6, y(tick) + 4, `${tick}${unit}`, 'text-anchor="end" font-size="11"');
    }
    cells.forEach((cell, index) => {
      const x = left + index * slot + slot / 2;
      const yl = top + panel + 14;
      text(x, yl, cell, `font-size="10" text-anchor="end" transform="rotate(-50 ${x} ${yl})"`);
    });
  };

  text(
    left,
    24,
    `Race report: naive vs ky-token-refresh, every tab firing at expiry (${WAVES} expiries per cell)`,
    'font-size="16" font-weight="bold"',
  );
  CLIENTS.forEach((client, index) => {
    rect(left + index * 190, 38, 12, 12, colors[client], client);
    text(left + index * 190 + 18, 49, CLIENT_LABEL[client], 'font-size="12"');
  });
  line(left + 390, 44, left + 420, 44, 'stroke="#000" stroke-width="2"');
  text(
    left + 426,
    49,
    'floor: one refresh + one request round trip (same run, same server)',
    'font-size="12"',
  );

  // Panel 1: refresh calls per expiry, log scale (1 is the goal; naive makes one per request).
  {
    const top = tops[0] as number;
    const max = Math.max(10, ...rows.map((row) => row.refreshCalls / row.expiries));
    const decades = Math.ceil(Math.log10(max));
    // The axis starts at 0.5 so that a bar of 1 (the goal) is visible.
    const floorLog = Math.log10(0.5);
    const y = (value: number) =>
      top + panel - (panel * (Math.log10(Math.max(0.5, value)) - floorLog)) / (decades - floorLog);
    frame(top, 'Refresh calls per expiry (log scale)', [1, 10, 100, 1000].slice(0, decades + 1), y, '');
    cells.forEach((cell, index) => {
      CLIENTS.forEach((client, side) => {
        const row = find(client, cell);
        if (!row) return;
        const value = row.refreshCalls / row.expiries;
        const title = `${CLIENT_LABEL[client]} ${cell}: ${value} refresh calls per expiry, ${row.rotations} rotations`;
        rect(barX(index, side), y(value), 14, top + panel - y(value), colors[client], title);
      });
    });
  }

  // Panel 2: failed requests, % of requests sent.
  {
    const top = tops[1] as number;
    const y = (value: number) => top + panel - (panel * value) / 100;
    frame(top, 'Failed requests (% of requests; a logout with them)', [0, 25, 50, 75, 100], y, '%');
    cells.forEach((cell, index) => {
      CLIENTS.forEach((client, side) => {
        const row = find(client, cell);
        if (!row) return;
        const share = row.requests === 0 ? 0 : (100 * row.failedRequests) / row.requests;
        const title = `${CLIENT_LABEL[client]} ${cell}: ${row.failedRequests}/${row.requests} failed, ${row.logouts} logouts`;
        rect(barX(index, side), y(share), 14, top + panel - y(share), colors[client], title);
      });
    });
  }

  // Panel 3: recovery p50 (bar) and p95 (whisker) against the floor.
  {
    const top = tops[2] as number;
    const maxLatency = Math.max(1, ...rows.flatMap((row) => [row.recoveryP95Ms ?? 0, row.floorMs]));
    const step = maxLatency > 2000 ? 1000 : maxLatency > 800 ? 250 : 100;
    const scaleMax = Math.ceil(maxLatency / step) * step;
    const y = (value: number) => top + panel - (panel * value) / scaleMax;
    const ticks = Array.from({ length: scaleMax / step + 1 }, (_, index) => index * step);
    frame(top, 'Recovery latency, ms (bar p50, whisker p95; black line: floor)', ticks, y, '');
    cells.forEach((cell, index) => {
      CLIENTS.forEach((client, side) => {
        const row = find(client, cell);
        if (!row) return;
        const x = barX(index, side);
        if (row.recoveryP50Ms === null) {
          text(x + 7, top + panel - 4, '×', `font-size="11" text-anchor="middle" fill="${colors[client]}"`);
          return;
        }
        const title = `${CLIENT_LABEL[client]} ${cell}: p50 ${row.recoveryP50Ms} ms, p95 ${row.recoveryP95Ms} ms, floor ${row.floorMs} ms`;
        rect(x, y(row.recoveryP50Ms), 14, top + panel - y(row.recoveryP50Ms), colors[client], title);
        const p95 = y(row.recoveryP95Ms ?? row.recoveryP50Ms);
        line(x + 7, p95, x + 7, y(row.recoveryP50Ms), 'stroke="#222" stroke-width="1.5"');
        line(x + 3, p95, x + 11, p95, 'stroke="#222" stroke-width="1.5"');
      });
      const floor = find('library', cell)?.floorMs ?? find('naive', cell)?.floorMs;
      if (floor !== undefined) {
        const x = left + index * slot + 3;
        line(x, y(floor), x + 38, y(floor), 'stroke="#000" stroke-width="2"', `floor ${floor} ms`);
      }
    });
  }
  text(
    left,
    height - 28,
    "Recovery: per request answered 401, from that 401 to its success (× = none recovered). Naive replays wait ky's default 300 ms retry delay;",
    'font-size="11" fill="#555"',
  );
  text(
    left,
    height - 12,
    'Chromium keeps at most 6 HTTP/1.1 connections per origin, so with 20 requests per tab the replays queue behind each other.',
    'font-size="11" fill="#555"',
  );

  // A title (the chart's alternative text, also what lint asks of an SVG committed under docs/).
  const title =
    'Race report: refresh calls per expiry, failed requests and recovery latency, naive client vs ky-token-refresh';
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<title>${escapeXml(title)}</title>
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`;
};

// ---------- main ----------

const jsonPath = resolve(outDir, 'race-report.json');
const svgPath = resolve(outDir, 'race-report.svg');
const mdPath = resolve(outDir, 'race-report.md');
/** The chart the root README shows, committed: `pnpm race` redraws it. */
const docsSvgPath = resolve(here, '../../docs/race-chart.svg');

/** Run the matrix: one context of N tabs per (client, N), every preset and request count in it. */
const measure = async (): Promise<Row[]> => {
  await buildHarness();
  const server = await startMockAuthServer({ staticDir: harnessDir, config: { preset: 'strict' } });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch(chromiumLaunchOptions);
    const rows: Row[] = [];
    for (const client of CLIENTS) {
      for (const tabCount of TABS) {
        const query = client === 'naive' ? { query: 'client=naive' } : {};
        const tabs = await openHarnessTabs(browser, server.url, tabCount, query);
        for (const preset of PRESETS) {
          for (const perTab of REQUESTS) {
            const row = await runCell(tabs, server, client, preset, perTab);
            rows.push(row);
            process.stdout.write(
              `${CLIENT_LABEL[client].padEnd(18)} ${preset.padEnd(11)} ${`${tabCount}×${perTab}`.padEnd(5)} ` +
                `refresh ${row.refreshCalls}, invalid_grant ${row.invalidGrant}, logouts ${row.logouts}, failed ${row.failedRequests}/${row.requests}\n`,
            );
          }
        }
        await tabs.context.close();
      }
    }
    return rows;
  } finally {
    await browser?.close();
    await server.close();
  }
};

const started = Date.now();
// `--from-json`: print and draw the last run again without measuring (to work on the chart).
const fromJson = process.argv.includes('--from-json');
const rows = fromJson
  ? (JSON.parse(await readFile(jsonPath, 'utf8')) as { rows: Row[] }).rows
  : await measure();
// Side by side: each cell's naive row above its ky-token-refresh row.
const order = (row: Row) =>
  PRESETS.indexOf(row.preset) * 1e6 + row.tabs * 1e3 + row.perTab * 10 + CLIENTS.indexOf(row.client);
rows.sort((a, b) => order(a) - order(b));
const table = printTable(rows);
const seconds = Math.round((Date.now() - started) / 1000);
console.log(
  `\nRace report — headless Chromium, Node mock auth server (real HttpOnly cookies), refresh latency ${KNOBS.latencyMs} ms, ` +
    `API latency ${KNOBS.apiLatencyMs} ms, ${rows[0]?.expiries ?? WAVES} expiries per cell, every tab firing at expiry` +
    `${fromJson ? '' : ` (${seconds} s)`}\n`,
);
console.log(table);
console.log(
  '\nrefresh calls … failed: totals over the expiries of a cell; logouts: tabs sent to the login page / tab-expiries.' +
    '\nrecovery: per request answered 401, from that 401 to its success (p50/p95 over the cell); floor: one refresh' +
    '\nround trip + one request round trip, bare fetch, same server and latency, measured in every wave (median).' +
    "\nThe naive recipe's ky.retry() waits ky's default retry delay (300 ms) before its replay. Chromium keeps at most" +
    '\n6 HTTP/1.1 connections per origin: with 20 requests per tab the replays queue behind each other.',
);
await mkdir(outDir, { recursive: true });
if (!fromJson) {
  const report = {
    generatedAt: new Date().toISOString(),
    durationS: seconds,
    server: KNOBS,
    expiriesPerCell: WAVES,
  };
  await writeFile(jsonPath, `${JSON.stringify({ ...report, rows }, null, 2)}\n`);
}
const chart = svgChart(rows);
await writeFile(svgPath, chart);
await mkdir(dirname(docsSvgPath), { recursive: true });
await writeFile(docsSvgPath, chart);
await writeFile(mdPath, `${table}\n`);
const shown = (path: string) => relative(process.cwd(), path) || path;
console.log(
  `\nwrote ${shown(jsonPath)}\n      ${shown(mdPath)}\n      ${shown(svgPath)}\n      ${shown(docsSvgPath)} (the README's chart)`,
);
