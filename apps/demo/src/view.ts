import type { Timeline } from './timeline.ts';
import type { Entry, EntryKind, Run, RunCounters } from './types.ts';

const MAX_RUNS = 3;
const LANE_LABEL_PX = 92;
const MIN_TRACK_PX = 280;
/** Below this width the lane titles go above the tracks (see style.css). */
const NARROW_PX = 600;
const LABEL_ROWS = 3;
const ROW_PX = 17;
const BAR_PX = 5;
/** The server lane's strip of API answers. */
const API_STRIP_PX = 4;
const GROUP_PX = 40;
/** Border, padding and gaps around a lane's track inside a run card. */
const CHROME_PX = 36;
/** Padding and border of a mark's label (style.css `.label`), plus a pixel of rounding. */
const LABEL_CHROME_PX = 11;
/** Room kept between two axis labels. */
const AXIS_GAP_PX = 10;

let measuring: CanvasRenderingContext2D | null | undefined;
/** The width of `text` in pixels, as drawn with `weight` and `sizePx` in the page's font. */
function textWidth(text: string, weight: number, sizePx: number): number {
  measuring ??= document.createElement('canvas').getContext('2d');
  if (!measuring) return text.length * sizePx * 0.7; // no canvas: a generous guess
  measuring.font = `${weight} ${sizePx}px ${getComputedStyle(document.body).fontFamily}`;
  return Math.ceil(measuring.measureText(text).width);
}

type Tone = 'fatal' | 'bad' | 'good' | 'adopt' | 'lock' | 'neutral' | 'refresh';

interface MarkStyle {
  tone: Tone;
  /** Label of a group of `n` such entries; none: a dot without a label. */
  label?: (n: number, first: Entry) => string;
}

/** `1 login`, `2 logins`, `0 families`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const times = (n: number) => (n > 1 ? ` ×${n}` : '');
/** ` · 231 ms in server` for one answer whose handling was timed. */
const serverTime = (n: number, e: Entry) =>
  n === 1 && e.since !== undefined ? ` · ${e.at - e.since} ms in server` : '';

/** How each kind of entry is drawn. Ticks (small strokes under a lane) are the requests. */
const TICKS: Partial<Record<EntryKind, string>> = {
  'api:401': 't401',
  'api:ok': 'tok',
  'api:failed': 'tfail',
  'request:replayed': 'treplay',
};
const MARKS: Partial<Record<EntryKind, MarkStyle>> = {
  login: { tone: 'good', label: () => 'login' },
  logout: { tone: 'bad', label: () => 'logout' },
  'burst:start': { tone: 'neutral', label: (_, e) => `burst: ${e.text?.split(' ')[0] ?? ''} requests` },
  'burst:done': { tone: 'neutral', label: (_, e) => `done: ${e.ok ?? 0} ok, ${e.failed ?? 0} failed` },
  'refresh:start': { tone: 'refresh', label: (n) => (n > 1 ? `${n} refresh calls` : 'refresh →') },
  'refresh:success': { tone: 'good', label: (n) => `✓ new token${times(n)}` },
  'refresh:failure': { tone: 'bad', label: (n) => `✗ invalid_grant${times(n)}` },
  'refresh:adopted': { tone: 'adopt', label: (n) => `adopted other tab's token${times(n)}` },
  'lock:wait': { tone: 'lock', label: () => 'waits for lock' },
  'lock:acquired': { tone: 'lock' },
  'token:received': { tone: 'adopt', label: () => 'token from other tab' },
  'session:expired': { tone: 'fatal', label: () => 'SESSION EXPIRED' },
  'server:issued': { tone: 'good', label: (n, e) => `200 rotated${times(n)}${serverTime(n, e)}` },
  'server:issued-grace': { tone: 'good', label: (n, e) => `200 new token${times(n)}${serverTime(n, e)}` },
  'server:invalid_grant': {
    tone: 'bad',
    label: (n, e) =>
      `400 ${e.text?.replace('invalid_grant ', '').replace(/ \(.*\)$/, '') ?? 'invalid_grant'}${times(n)}`,
  },
  'server:reuse_detected': { tone: 'fatal', label: (n) => `REUSE DETECTED: family revoked${times(n)}` },
  'server:csrf': { tone: 'bad', label: () => '403 csrf' },
  'server:login': { tone: 'good', label: () => 'login' },
  'server:logout': { tone: 'bad', label: () => 'logout: family revoked' },
  'server:expire': { tone: 'neutral', label: () => 'expire now' },
};
const PRIORITY: Record<Tone, number> = {
  fatal: 0,
  bad: 1,
  good: 2,
  adopt: 2,
  refresh: 3,
  lock: 4,
  neutral: 5,
};

/** Labels placed before any other: the turning points of the story. */
const FIRST_LABELS: ReadonlySet<EntryKind> = new Set([
  'session:expired',
  'server:reuse_detected',
  'server:issued',
  'server:issued-grace',
  'refresh:success',
  'refresh:adopted',
]);

const EVENT_TEXT: Partial<Record<EntryKind, string>> = {
  login: 'logs in',
  logout: 'logs out',
  'burst:start': 'fires the burst',
  'burst:done': 'burst done',
  'api:401': 'sees 401 (token expired)',
  'api:failed': 'request FAILED',
  'refresh:start': 'calls /auth/refresh',
  'refresh:success': 'gets a new token',
  'refresh:failure': 'refresh refused',
  'refresh:adopted': "adopts the other tab's token (no network call)",
  'lock:wait': 'waits for the refresh lock',
  'lock:acquired': 'holds the refresh lock',
  'token:received': 'receives the token from another tab',
  'session:expired': 'SESSION EXPIRED: user sent to the login page',
  'server:issued': 'answers 200: rotates the refresh token',
  'server:issued-grace': 'answers 200: a new token (rotation or grace)',
  'server:invalid_grant': 'answers 400',
  'server:reuse_detected': 'answers 400 reuse_detected: revokes the whole family',
  'server:csrf': 'answers 403 (no CSRF header)',
  'server:login': 'login: new family',
  'server:logout': 'logout: family revoked',
  'server:expire': 'expires every access token',
};

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

const formatT = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
/** An axis tick: `250 ms`, `1 s`, `1.25 s`. */
const formatTick = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(2))} s`);

function niceStep(span: number, maxTicks: number): number {
  const steps = [10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 30_000, 60_000];
  return steps.find((s) => span / s <= maxTicks) ?? 60_000;
}

interface Lane {
  key: string;
  title: string;
  subtitle: string;
  entries: Entry[];
  server: boolean;
}

function lanesOf(entries: Entry[], selfTabId: string): Lane[] {
  const tabs = new Map<string, Lane>();
  const server: Lane = { key: 'server', title: 'Server', subtitle: 'mock auth', entries: [], server: true };
  for (const entry of entries) {
    if (entry.lane === 'server') {
      server.entries.push(entry);
      continue;
    }
    let lane = tabs.get(entry.tabId);
    if (lane === undefined) {
      lane = {
        key: entry.tabId,
        title: entry.tabLabel,
        subtitle: entry.tabId === selfTabId ? 'this tab' : '',
        entries: [],
        server: false,
      };
      tabs.set(entry.tabId, lane);
    }
    lane.entries.push(entry);
  }
  const sorted = [...tabs.values()].sort((a, b) => a.title.localeCompare(b.title, 'en', { numeric: true }));
  return [...sorted, server];
}

/** Pairs each start with the next unmatched end, first come first served. */
function spans(entries: Entry[], starts: EntryKind[], ends: EntryKind[], endOfRun: number) {
  const open: Entry[] = [];
  const result: { from: number; to: number; open: boolean; failed: boolean; end?: Entry }[] = [];
  for (const entry of entries) {
    if (starts.includes(entry.kind)) open.push(entry);
    else if (ends.includes(entry.kind)) {
      const start = open.shift();
      if (start !== undefined) {
        result.push({
          from: start.at,
          to: entry.at,
          open: false,
          failed: entry.kind === 'refresh:failure',
          end: entry,
        });
      }
    }
  }
  for (const start of open) result.push({ from: start.at, to: endOfRun, open: true, failed: false });
  return result;
}

/** Interval packing: the first row whose last interval ends before `from`. */
function pack(rows: number[], from: number, to: number, gap = 2): number {
  const row = rows.findIndex((end) => end + gap <= from);
  if (row >= 0) {
    rows[row] = to;
    return row;
  }
  rows.push(to);
  return rows.length - 1;
}

/**
Server time of one refresh, split: the configured latency (the mock waits on purpose), then the rest (the
mock's own work: its state in IndexedDB, shared with every request of every tab, and the page's main thread).
*/
function serverBars(entries: Entry[], latencyMs: number | undefined) {
  return entries.flatMap((entry) => {
    if (entry.since === undefined) return [];
    const total = entry.at - entry.since;
    const latency = Math.min(total, latencyMs ?? 0);
    const what = entry.kind === 'server:api' ? `${entry.text ?? 'API'} (${entry.tabLabel}): ` : '';
    const title = `${what}server time ${total} ms: ${latency} ms configured latency + ${total - latency} ms the mock's own work (IndexedDB state, page main thread); drawn as a split, not in the handler's order`;
    return [
      {
        from: entry.since,
        to: entry.since + latency,
        open: false,
        failed: false,
        cls: 'server latency',
        title,
      },
      { from: entry.since + latency, to: entry.at, open: false, failed: false, cls: 'server work', title },
    ].filter((bar) => bar.to > bar.from);
  });
}

function renderLane(
  lane: Lane,
  t0: number,
  span: number,
  width: number,
  step: number,
  latency: { refresh?: number | undefined; api?: number | undefined } = {},
): HTMLElement {
  const x = (at: number) => Math.max(0, Math.min(width, ((at - t0) / span) * width));
  // The API answers' time in the mock: one thin strip under the refresh bars, not one row each.
  const apiAnswers = lane.entries.filter((e) => e.kind === 'server:api' && e.since !== undefined);
  const row = el('div', `lane${lane.server ? ' server' : ''}`);
  const head = el('div', 'lane-head');
  // On a narrow screen the head sits above the track: it wraps at the track's width, not wider.
  head.style.maxWidth = `${width}px`;
  head.append(el('strong', '', lane.title));
  if (lane.subtitle) head.append(el('span', '', lane.subtitle));
  const count = (kind: EntryKind) => lane.entries.filter((e) => e.kind === kind).length;
  if (!lane.server) {
    const summary = [`${count('api:401')}×401`, `${count('api:ok')} ok`];
    if (count('api:failed') > 0) summary.push(`${count('api:failed')} failed`);
    head.append(el('span', 'lane-sum', summary.join(' · ')));
  } else if (apiAnswers.length > 0) {
    const work = apiAnswers
      .map((e) => e.at - (e.since ?? e.at) - (latency.api ?? 0))
      .sort((a, b) => a - b)
      .map((ms) => Math.max(0, ms));
    const p50 = work[Math.floor((work.length - 1) / 2)] ?? 0;
    const sum = el(
      'span',
      'lane-sum api',
      `API ×${apiAnswers.length} in the mock: p50 ${p50}, max ${work.at(-1)} ms`,
    );
    sum.title = `${apiAnswers.length} API answers drawn in the strip under the refresh bars; the mock's own work in each (beyond the configured API latency, ${latency.api ?? 0} ms): median ${p50} ms, at most ${work.at(-1)} ms`;
    head.append(sum);
  }
  row.append(head);

  const track = el('div', 'track');
  track.style.width = `${width}px`;

  // Spans: refresh calls in flight, lock waits; on the server lane, the server time of each refresh.
  const endOfRun = t0 + span;
  const barRows: number[] = [];
  const bars: { from: number; to: number; open: boolean; failed: boolean; cls: string; title?: string }[] =
    lane.server
      ? serverBars(
          lane.entries.filter((e) => e.kind !== 'server:api'),
          latency.refresh,
        )
      : [
          ...spans(lane.entries, ['refresh:start'], ['refresh:success', 'refresh:failure'], endOfRun).map(
            (s) => ({
              ...s,
              cls: s.failed ? 'refresh failed' : 'refresh',
              // A refused refresh has its own colour, legend entry and words: what the server answered.
              ...(s.failed && {
                title: `refresh refused: T+${formatT(s.from - t0)} → T+${formatT(s.to - t0)} (${Math.round(
                  s.to - s.from,
                )} ms)${s.end?.text ? `: ${s.end.text}` : ''}`,
              }),
            }),
          ),
          ...spans(
            lane.entries,
            ['lock:wait'],
            ['lock:acquired', 'refresh:adopted', 'token:received'],
            endOfRun,
          ).map((s) => ({ ...s, cls: 'lock' })),
        ].sort((a, b) => a.from - b.from);
  // A refresh's two server parts (latency, then the mock's work) share a row: pack them as one interval.
  let previous: { bar: (typeof bars)[number]; row: number } | undefined;
  const placedBars = bars.map((bar) => {
    const left = x(bar.from);
    const right = Math.max(left + 3, x(bar.to));
    const joined =
      previous?.bar.cls === 'server latency' && bar.cls === 'server work' && previous.bar.to === bar.from;
    const row = joined && previous ? previous.row : pack(barRows, left, right);
    if (joined) barRows[row] = right;
    previous = { bar, row };
    return { bar, left, right, row };
  });
  const barRowCount = Math.min(barRows.length, 12);
  const lineY = LABEL_ROWS * ROW_PX + 8;
  const barsY = lineY + 9;
  const ticksY = barsY + barRowCount * (BAR_PX + 2) + 4;
  const apiY = ticksY - 2;
  const height = ticksY + (lane.server ? (apiAnswers.length > 0 ? API_STRIP_PX + 2 : 0) : 12) + 4;
  track.style.height = `${height}px`;

  for (let t = 0; t <= span; t += step) {
    const grid = el('i', 'gridline');
    grid.style.left = `${x(t0 + t)}px`;
    track.append(grid);
  }
  const line = el('i', 'line');
  line.style.top = `${lineY}px`;
  track.append(line);

  for (const { bar, left, right, row: r } of placedBars) {
    if (r >= barRowCount) continue;
    const node = el('i', `bar ${bar.cls}${bar.open ? ' open' : ''}`);
    node.style.left = `${left}px`;
    node.style.width = `${right - left}px`;
    node.style.top = `${barsY + r * (BAR_PX + 2)}px`;
    node.title =
      bar.title ??
      `${bar.cls.startsWith('refresh') ? 'refresh in flight' : 'lock wait'}: T+${formatT(bar.from - t0)} → ${
        bar.open ? 'still open' : `T+${formatT(bar.to - t0)} (${Math.round(bar.to - bar.from)} ms)`
      }`;
    track.append(node);
  }

  // Ticks: one stroke per request outcome.
  if (!lane.server) {
    for (const entry of lane.entries) {
      const cls = TICKS[entry.kind];
      if (cls === undefined) continue;
      const tick = el('i', `tick ${cls}`);
      tick.style.left = `${x(entry.at)}px`;
      tick.style.top = `${ticksY}px`;
      tick.title = `T+${formatT(entry.at - t0)} ${EVENT_TEXT[entry.kind] ?? entry.kind} ${entry.text ?? ''}`;
      track.append(tick);
    }
  }

  // Marks: groups of the same kind close together, with labels packed in rows above the line.
  const groups: { kind: EntryKind; entries: Entry[]; x: number }[] = [];
  for (const entry of lane.entries) {
    if (MARKS[entry.kind] === undefined) continue;
    const last = groups.findLast((g) => g.kind === entry.kind);
    if (last !== undefined && x(entry.at) - last.x <= GROUP_PX) last.entries.push(entry);
    else groups.push({ kind: entry.kind, entries: [entry], x: x(entry.at) });
  }
  const labelRows: { from: number; to: number }[][] = Array.from({ length: LABEL_ROWS }, () => []);
  const rank = (kind: EntryKind) => (FIRST_LABELS.has(kind) ? -1 : PRIORITY[MARKS[kind]!.tone]);
  const ordered = [...groups].sort((a, b) => rank(a.kind) - rank(b.kind) || a.x - b.x);
  for (const group of ordered) {
    const style = MARKS[group.kind]!;
    const first = group.entries[0]!;
    const dot = el('i', `dot ${style.tone}`);
    dot.style.left = `${group.x}px`;
    dot.style.top = `${lineY}px`;
    const description = group.entries
      .map((e) => `T+${formatT(e.at - t0)} ${EVENT_TEXT[e.kind] ?? e.kind}${e.text ? ` (${e.text})` : ''}`)
      .join('\n');
    dot.title = description;
    track.append(dot);
    if (style.label === undefined) continue;
    const text = style.label(group.entries.length, first);
    // Measured, so a label never runs past the end of its lane (it is cut short, with an ellipsis, only
    // when it is wider than the whole lane).
    const w = Math.min(width, textWidth(text, 600, 11) + LABEL_CHROME_PX);
    const left = Math.max(0, Math.min(group.x - 4, width - w));
    const r = labelRows.findIndex((taken) => taken.every((o) => left + w + 3 <= o.from || left >= o.to + 3));
    if (r < 0) continue;
    labelRows[r]!.push({ from: left, to: left + w });
    const top = lineY - 6 - (r + 1) * ROW_PX + 2;
    const label = el('span', `label ${style.tone}`, text);
    label.style.left = `${left}px`;
    label.style.maxWidth = `${w}px`;
    label.style.top = `${top}px`;
    label.title = description;
    const stem = el('i', `stem ${style.tone}`);
    stem.style.left = `${group.x}px`;
    stem.style.top = `${top + ROW_PX - 2}px`;
    stem.style.height = `${lineY - (top + ROW_PX - 2)}px`;
    track.append(stem, label);
  }

  // Every API answer on one strip, see-through: darker where more of them were in the mock at once.
  for (const bar of serverBars(apiAnswers, latency.api)) {
    const left = x(bar.from);
    const node = el('i', `bar api ${bar.cls}`);
    node.style.left = `${left}px`;
    node.style.width = `${Math.max(2, x(bar.to) - left)}px`;
    node.style.top = `${apiY}px`;
    node.title = bar.title;
    track.append(node);
  }

  row.append(track);
  return row;
}

function renderAxis(span: number, width: number, step: number): HTMLElement {
  const axis = el('div', 'lane axis');
  axis.append(el('div', 'lane-head', ''));
  const track = el('div', 'track');
  track.style.width = `${width}px`;
  // Centred on its time, but inside the track: the last one ends at the track's end, and a label that would
  // then touch the one before it is left out.
  let taken = Number.NEGATIVE_INFINITY;
  for (let t = 0; t <= span; t += step) {
    const text = t === 0 ? 'T+0' : `+${formatTick(t)}`;
    const w = textWidth(text, 400, 11) + 2;
    const at = (t / span) * width;
    const left = Math.max(0, Math.min(width - w, t === 0 ? 0 : at - w / 2));
    if (left < taken + AXIS_GAP_PX) continue;
    taken = left + w;
    const tick = el('span', 'axis-tick', text);
    tick.dataset.ms = String(t);
    tick.style.left = `${left}px`;
    tick.style.width = `${w}px`;
    track.append(tick);
  }
  axis.append(track);
  return axis;
}

function verdict(run: Run, c: RunCounters, tabs: number): { text: string; tone: 'good' | 'bad' | 'neutral' } {
  const requests = c.ok + c.failed;
  const where = `${plural(requests, 'request')} in ${plural(tabs, 'tab')}`;
  if (c.forcedLogouts > 0 || c.reuseDetections > 0 || c.invalidGrant > 0) {
    return {
      tone: 'bad',
      text: `Race: ${plural(c.refreshCalls, 'refresh call')} for one expiry; the server rotated ${c.rotations}, refused ${c.invalidGrant} (reuse detected ${c.reuseDetections}); ${c.failed} of ${plural(requests, 'request')} failed; ${plural(c.forcedLogouts, 'tab')} logged out.`,
    };
  }
  if (run.endedAt === undefined) return { tone: 'neutral', text: `Running: ${where}…` };
  if (c.failed === 0 && c.refreshCalls <= 1) {
    return {
      tone: 'good',
      text: `${c.refreshCalls === 0 ? 'No refresh needed' : 'One refresh'} for ${where}; ${plural(c.adopted, 'adoption')}; all requests ok.`,
    };
  }
  return {
    tone: c.failed > 0 ? 'bad' : 'neutral',
    text: `${plural(c.refreshCalls, 'refresh call')}, ${plural(c.rotations, 'rotation')} for ${where}; ${c.failed} failed.`,
  };
}

function renderCounters(c: RunCounters, client: Run['client']): HTMLElement {
  const list = el('dl', 'counters');
  const items: [string, number, boolean][] = [
    ['requests ok', c.ok, false],
    ['failed', c.failed, c.failed > 0],
    ['refresh calls', c.refreshCalls, c.refreshCalls > 1],
    ['rotations', c.rotations, false],
    ['invalid_grant', c.invalidGrant, c.invalidGrant > 0],
    ['reuse detected', c.reuseDetections, c.reuseDetections > 0],
    ['forced logouts', c.forcedLogouts, c.forcedLogouts > 0],
  ];
  if (client === 'protected') items.push(['adopted', c.adopted, false]);
  if (c.graceHits > 0) items.push(['grace hits', c.graceHits, false]);
  for (const [name, value, bad] of items) {
    const item = el('div', bad ? 'bad' : '');
    item.append(el('dt', '', name), el('dd', '', String(value)));
    list.append(item);
  }
  return list;
}

function renderEventList(entries: Entry[], t0: number): HTMLElement {
  const table = el('table', 'events');
  const head = el('tr');
  head.append(el('th', '', 'time'), el('th', '', 'who'), el('th', '', 'what'));
  table.append(head);
  const firstSeen = new Set<string>();
  for (const entry of entries) {
    if (entry.kind === 'api:ok' || entry.kind === 'request:replayed' || entry.kind === 'server:api') continue;
    if (entry.kind === 'api:401') {
      if (firstSeen.has(entry.tabId)) continue;
      firstSeen.add(entry.tabId);
    }
    const tr = el('tr', MARKS[entry.kind]?.tone ?? (entry.kind === 'api:failed' ? 'bad' : ''));
    const what = `${EVENT_TEXT[entry.kind] ?? entry.kind}${entry.text ? ` — ${entry.text}` : ''}`;
    tr.append(
      el('td', 'mono', `T+${formatT(entry.at - t0)}`),
      el('td', 'who', entry.lane === 'server' ? `Server ← ${entry.tabLabel}` : entry.tabLabel),
      el('td', '', what),
    );
    table.append(tr);
  }
  return table;
}

const openLists = new Set<string>();

/** A run's entries, as drawn (a 200 on a server with grace may be a grace hit, not a rotation). */
const entriesOf = (run: Run, timeline: Timeline): Entry[] =>
  timeline
    .entriesOf(run)
    .map((e): Entry => (run.grace && e.kind === 'server:issued' ? { ...e, kind: 'server:issued-grace' } : e));

/** How long a run's timeline lasts, from its burst to its last entry. */
const durationOf = (run: Run, entries: Entry[]) => Math.max(0, (entries.at(-1)?.at ?? run.t0) - run.t0);

interface Scale {
  /** Milliseconds drawn across a track. */
  span: number;
  /** A track's width in pixels. */
  width: number;
  step: number;
}

function renderRun(
  run: Run,
  entries: Entry[],
  timeline: Timeline,
  selfTabId: string,
  scale: Scale,
): HTMLElement {
  const counters = timeline.counters(run, timeline.entriesOf(run));
  const lanes = lanesOf(entries, selfTabId);
  const tabs = lanes.length - 1;
  const { span, width, step } = scale;

  const article = el('article', `run ${run.client}`);
  article.dataset.runId = run.id;
  const header = el('header');
  const title = el('h3');
  title.append(
    el('span', '', `Run ${run.number}`),
    el('span', `badge ${run.client}`, run.client === 'naive' ? 'naive client' : 'ky-token-refresh'),
  );
  const scope = run.scope === 'all' ? `burst in all tabs (${tabs})` : `burst in ${run.originLabel}`;
  header.append(title, el('p', 'meta', `${scope} · ${run.perTab} requests per tab · ${run.server}`));
  article.append(header, renderCounters(counters, run.client));
  const v = verdict(run, counters, tabs);
  article.append(el('p', `verdict ${v.tone}`, v.text));

  const chart = el('div', 'chart');
  const inner = el('div', 'chart-inner');
  for (const lane of lanes)
    inner.append(
      renderLane(lane, run.t0, span, width, step, { refresh: run.latencyMs, api: run.apiLatencyMs }),
    );
  inner.append(renderAxis(span, width, step));
  chart.append(inner);
  article.append(chart);

  const details = el('details');
  details.open = openLists.has(run.id);
  // The list is long (every step of every tab): built only while it is open, not on every redraw.
  const summary = el('summary', '', 'Event list');
  const list = () => (details.open ? [renderEventList(entries, run.t0)] : []);
  details.addEventListener('toggle', () => {
    if (details.open) openLists.add(run.id);
    else openLists.delete(run.id);
    details.replaceChildren(summary, ...list());
  });
  details.append(summary, ...list());
  article.append(details);
  return article;
}

/** Draws the newest runs, newest first, so a naive run and the protected run after it sit together. */
export function renderRuns(container: HTMLElement, timeline: Timeline, selfTabId: string): void {
  const runs = timeline.runs().slice(-MAX_RUNS).reverse();
  if (runs.length === 0) {
    container.querySelector('.run')?.remove();
    if (container.querySelector('.empty') === null) {
      container.replaceChildren(
        el('p', 'empty', 'No run yet. Log in, open a second tab, then fire a burst in all tabs.'),
      );
    }
    return;
  }
  // One scale for every run drawn: the same milliseconds per pixel, so the runs compare by eye.
  const drawn = runs.map((run) => ({ run, entries: entriesOf(run, timeline) }));
  const longest = Math.max(...drawn.map(({ run, entries }) => durationOf(run, entries)));
  const span = Math.max(300, longest * 1.04);
  const narrow = window.innerWidth <= NARROW_PX;
  const width = Math.max(
    MIN_TRACK_PX,
    Math.floor(container.clientWidth - (narrow ? 0 : LANE_LABEL_PX + 8) - CHROME_PX),
  );
  const scale: Scale = { span, width, step: niceStep(span, Math.max(3, Math.floor(width / 80))) };
  container.replaceChildren(
    ...drawn.map(({ run, entries }) => renderRun(run, entries, timeline, selfTabId, scale)),
  );
}
