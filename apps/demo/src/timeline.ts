import type { Bus } from './bus.ts';
import type { ClientKind, Entry, EntryKind, Run, RunCounters } from './types.ts';

/**
 * Every tab's entries and runs, kept in every tab: each tab posts what it records on the demo's
 * BroadcastChannel, and a tab that opens asks the others for what they have.
 */
export interface Timeline {
  record(
    kind: EntryKind,
    client: ClientKind,
    fields?: Partial<Pick<Entry, 'text' | 'ok' | 'failed' | 'session'>>,
  ): Entry;
  recordServer(kind: EntryKind, client: ClientKind, text?: string, at?: number, since?: number): Entry;
  startRun(run: Run): void;
  updateRun(run: Run): void;
  entries(): Entry[];
  runs(): Run[];
  /** Entries inside a run: from its `t0` up to the next run's `t0`. */
  entriesOf(run: Run): Entry[];
  /** `entries`: the run's entries when the caller has them already (`entriesOf(run)`). */
  counters(run: Run, entries?: Entry[]): RunCounters;
  clear(): void;
  onChange(listener: () => void): () => void;
}

const MAX_ENTRIES = 5000;
/** Entries this long after a run ended still belong to it (late answers of the other tabs)... */
const RUN_TAIL_MS = 300;
/** ...but not these: what a user does between two runs, and what it makes the tabs do. */
const BETWEEN_RUNS: ReadonlySet<EntryKind> = new Set([
  'login',
  'logout',
  'server:login',
  'server:logout',
  'server:expire',
  'token:received',
  'burst:start',
]);

export function createTimeline(bus: Bus): Timeline {
  const byId = new Map<string, Entry>();
  const runs = new Map<string, Run>();
  const listeners = new Set<() => void>();
  let seq = 0;
  let scheduled = false;
  /** Every entry by time, kept until the next change (a redraw asks for it once per run). */
  let sorted: Entry[] | undefined;

  const changed = () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      for (const listener of listeners) listener();
    }, 50);
  };

  const add = (entries: Entry[]) => {
    sorted = undefined;
    for (const entry of entries) byId.set(entry.id, entry);
    if (byId.size > MAX_ENTRIES) {
      const sorted = [...byId.values()].sort((a, b) => a.at - b.at);
      for (const old of sorted.slice(0, byId.size - MAX_ENTRIES)) byId.delete(old.id);
    }
    changed();
  };
  const addRuns = (list: Run[]) => {
    for (const run of list) runs.set(run.id, { ...runs.get(run.id), ...run });
    changed();
  };

  bus.subscribe((message) => {
    if (message.type === 'entries') add(message.entries);
    else if (message.type === 'runs') addRuns(message.runs);
    else if (message.type === 'hello') {
      // A new tab: give it what this tab recorded itself (every tab does the same, so it gets everything).
      const own = [...byId.values()].filter((e) => e.tabId === bus.self.tabId);
      if (own.length > 0) bus.post({ type: 'entries', entries: own });
      const ownRuns = [...runs.values()].filter((r) => r.originTabId === bus.self.tabId);
      if (ownRuns.length > 0) bus.post({ type: 'runs', runs: ownRuns });
    } else if (message.type === 'reset') {
      sorted = undefined;
      byId.clear();
      runs.clear();
      changed();
    }
  });

  const make = (lane: Entry['lane'], kind: EntryKind, client: ClientKind, at: number): Entry => ({
    id: `${bus.self.tabId}:${seq++}`,
    tabId: bus.self.tabId,
    tabLabel: bus.self.label,
    lane,
    at,
    kind,
    client,
  });
  const publish = (entry: Entry) => {
    add([entry]);
    bus.post({ type: 'entries', entries: [entry] });
    return entry;
  };

  const sortedRuns = () => [...runs.values()].sort((a, b) => a.t0 - b.t0);

  const timeline: Timeline = {
    record(kind, client, fields = {}) {
      return publish({ ...make('tab', kind, client, Date.now()), ...fields });
    },
    recordServer(kind, client, text, at = Date.now(), since) {
      const entry = make('server', kind, client, at);
      return publish({
        ...entry,
        ...(text !== undefined && { text }),
        ...(since !== undefined && { since }),
      });
    },
    startRun(run) {
      addRuns([run]);
      bus.post({ type: 'runs', runs: [run] });
    },
    updateRun(run) {
      addRuns([run]);
      bus.post({ type: 'runs', runs: [run] });
    },
    entries: () => {
      sorted ??= [...byId.values()].sort((a, b) => a.at - b.at);
      return [...sorted];
    },
    runs: sortedRuns,
    entriesOf(run) {
      // Up to the next run, and not long after every tab answered (late answers); a user's action after the
      // run ended (a login, a logout, an "expire now") belongs to none, even right after it.
      const next = sortedRuns().find((r) => r.t0 > run.t0);
      const ended = run.endedAt ?? Number.POSITIVE_INFINITY;
      const end = Math.min(next?.t0 ?? Number.POSITIVE_INFINITY, ended + RUN_TAIL_MS);
      sorted ??= [...byId.values()].sort((a, b) => a.at - b.at);
      return sorted.filter(
        (e) => e.at >= run.t0 && e.at < end && (e.at < ended || !BETWEEN_RUNS.has(e.kind)),
      );
    },
    counters(run, entries = timeline.entriesOf(run)) {
      const count = (kind: EntryKind) => entries.filter((e) => e.kind === kind).length;
      const sum = (field: 'ok' | 'failed') =>
        entries.filter((e) => e.kind === 'burst:done').reduce((total, e) => total + (e[field] ?? 0), 0);
      const delta = run.serverDelta;
      // A forced logout is a tab that had a session and lost it: not a tab that fired without one.
      const withoutSession = new Set(
        entries.filter((e) => e.kind === 'burst:start' && e.session === false).map((e) => e.tabId),
      );
      const loggedOut = entries.filter((e) => e.kind === 'session:expired' && !withoutSession.has(e.tabId));
      // Until the originating tab has read the server's counters, count what the tabs saw.
      return {
        ok: sum('ok'),
        failed: sum('failed'),
        refreshCalls: delta?.refreshRequests ?? count('refresh:start'),
        rotations: delta?.rotations ?? 0,
        graceHits: delta?.graceHits ?? 0,
        invalidGrant: delta?.invalidGrant ?? count('server:invalid_grant') + count('server:reuse_detected'),
        reuseDetections: delta?.reuseDetections ?? count('server:reuse_detected'),
        forcedLogouts: new Set(loggedOut.map((e) => e.tabId)).size,
        clientRefreshes: count('refresh:start'),
        adopted: count('refresh:adopted'),
      };
    },
    clear() {
      sorted = undefined;
      byId.clear();
      runs.clear();
      changed();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return timeline;
}
