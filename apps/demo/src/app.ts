import type { MockAuthWorker } from 'mock-auth-server/browser';
import { createBus } from './bus.ts';
import {
  createNaiveClient,
  createProtectedClient,
  type DemoClient,
  describeError,
  NAIVE_TOKEN_KEY,
} from './clients.ts';
import {
  type ConfigPatch,
  DEMO_DEFAULTS,
  describeConfig,
  diffStats,
  mock,
  presetOf,
  recordServerLane,
  type ServerConfig,
  type ServerStats,
} from './server.ts';
import { createTimeline } from './timeline.ts';
import type { BurstResult, ClientKind, Entry, EntryKind, Run, RunResult, Settings } from './types.ts';
import { plural, renderRuns } from './view.ts';

/** The test API on `window.__demo` (documented in README.md). */
export interface DemoApi {
  ready: true;
  tabId: string;
  tabLabel: string;
  login(username?: string, password?: string): Promise<void>;
  logout(): Promise<void>;
  setClient(kind: ClientKind): void;
  getClient(): ClientKind;
  setBurstSize(n: number): void;
  configure(patch: ConfigPatch): Promise<ServerConfig>;
  config(): Promise<ServerConfig>;
  expireNow(): Promise<void>;
  fireBurst(n?: number): Promise<BurstResult>;
  fireBurstAll(n?: number): Promise<RunResult>;
  stats(): Promise<ServerStats>;
  clientStats(): ReturnType<DemoClient['stats']>;
  hasToken(): boolean;
  tabs(): { tabId: string; label: string }[];
  runs(): (Run & { counters: ReturnType<ReturnType<typeof createTimeline>['counters']> })[];
  timeline(): Entry[];
  reset(patch?: ConfigPatch): Promise<void>;
  openTab(): Window | null;
}

declare global {
  interface Window {
    __demo?: DemoApi;
  }
}

const SETTINGS_KEY = 'demo:settings';
const TAB_ANSWER_TIMEOUT_MS = 20_000;

const $ = <T extends HTMLElement>(selector: string): T => {
  const element = document.querySelector<T>(selector);
  if (element === null) throw new Error(`missing ${selector}`);
  return element;
};

function loadSettings(): Settings {
  try {
    const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') as Partial<Settings>;
    return {
      client: saved.client === 'protected' ? 'protected' : 'naive',
      burst: typeof saved.burst === 'number' && saved.burst > 0 ? saved.burst : 10,
    };
  } catch {
    return { client: 'naive', burst: 10 };
  }
}

export async function mount(mockWorker: MockAuthWorker): Promise<void> {
  const bus = await createBus();
  const timeline = createTimeline(bus);
  let settings = loadSettings();
  let sessionNote = '';

  const record =
    (client: ClientKind) =>
    (kind: EntryKind, fields: Partial<Pick<Entry, 'text'>> = {}) =>
      timeline.record(kind, client, fields);
  const clients: Record<ClientKind, DemoClient> = {
    naive: createNaiveClient(record('naive')),
    protected: createProtectedClient(record('protected'), () => {
      sessionNote = 'Session expired (ky-token-refresh): log in again.';
      renderStatus();
    }),
  };
  const client = () => clients[settings.client];
  recordServerLane(mockWorker, timeline, () => settings.client);

  // ---------- actions ----------

  function applySettings(next: Settings, broadcast: boolean) {
    settings = next;
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
    if (broadcast) bus.post({ type: 'settings', settings });
    renderControls();
    renderStatus();
  }

  async function login(username = 'alice', password = 'secret') {
    const { access_token } = await mock.login(username, password);
    sessionNote = '';
    // Both keep it where every tab, one opened later too, finds it: the naive client in localStorage, the
    // library in its shared store.
    await clients.naive.setToken(access_token);
    await clients.protected.setToken(access_token);
    bus.post({ type: 'login' });
    timeline.record('login', settings.client, { text: `logged in as ${username}` });
    renderStatus();
  }

  async function logout() {
    await mock.logout();
    await Promise.all([clients.naive.clear(), clients.protected.clear()]);
    bus.post({ type: 'logout' });
    timeline.record('logout', settings.client, { text: 'logged out (button)' });
    sessionNote = '';
    renderStatus();
  }

  async function runBurst(n: number): Promise<BurstResult> {
    const current = client();
    const started = performance.now();
    // Whether this tab had a session: a tab without one that fails is not a forced logout.
    timeline.record('burst:start', current.kind, {
      text: `${n} × GET /api/items/:i`,
      session: current.hasToken(),
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: n }, async (_, i) => {
        try {
          const body = await current.api.get(`items/${i}`).json();
          timeline.record('api:ok', current.kind, { text: `GET /api/items/${i}` });
          return body;
        } catch (error) {
          timeline.record('api:failed', current.kind, {
            text: `GET /api/items/${i}: ${describeError(error)}`,
          });
          throw error;
        }
      }),
    );
    const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [describeError(o.reason)] : []));
    const ok = n - errors.length;
    timeline.record('burst:done', current.kind, {
      text: `${ok} ok, ${errors.length} failed`,
      ...{ ok, failed: errors.length },
    });
    renderStatus();
    return {
      tabId: bus.self.tabId,
      tabLabel: bus.self.label,
      client: current.kind,
      ok,
      failed: errors.length,
      errors,
      durationMs: Math.round(performance.now() - started),
    };
  }

  async function beginRun(scope: Run['scope'], n: number): Promise<{ run: Run; before: ServerStats }> {
    const [before, config] = await Promise.all([mock.stats(), mock.config()]);
    const run: Run = {
      id: `${bus.self.tabId}:${Date.now()}`,
      number: timeline.runs().length + 1,
      t0: Date.now(),
      client: settings.client,
      perTab: n,
      scope,
      originTabId: bus.self.tabId,
      originLabel: bus.self.label,
      server: describeConfig(config),
      grace: config.graceMs > 0 || !config.rotation,
      latencyMs: config.latencyMs,
      apiLatencyMs: config.apiLatencyMs,
    };
    timeline.startRun(run);
    return { run, before };
  }

  async function endRun(run: Run, before: ServerStats) {
    // Let the last server-lane entries (answers read asynchronously) land first.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const after = await mock.stats();
    timeline.updateRun({ ...run, serverDelta: diffStats(before, after), endedAt: Date.now() });
    return timeline.counters(timeline.runs().find((r) => r.id === run.id) ?? run);
  }

  async function fireBurst(n = settings.burst): Promise<BurstResult> {
    const { run, before } = await beginRun('tab', n);
    const result = await runBurst(n);
    await endRun(run, before);
    return result;
  }

  const pendingAnswers = new Map<string, (result: BurstResult) => void>();

  async function fireBurstAll(n = settings.burst): Promise<RunResult> {
    const tabs = bus.tabs();
    const { run, before } = await beginRun('all', n);
    const others = tabs.filter((t) => t.tabId !== bus.self.tabId);
    const answers = new Map<string, BurstResult>();
    const allAnswered = new Promise<void>((resolve) => {
      if (others.length === 0) resolve();
      pendingAnswers.set(run.id, (result) => {
        answers.set(result.tabId, result);
        if (others.every((t) => answers.has(t.tabId))) resolve();
      });
    });
    bus.post({ type: 'burst', runId: run.id, n, from: bus.self.tabId });
    const own = await runBurst(n);
    await Promise.race([allAnswered, new Promise((resolve) => setTimeout(resolve, TAB_ANSWER_TIMEOUT_MS))]);
    pendingAnswers.delete(run.id);
    const counters = await endRun(run, before);
    const perTab = [own, ...others.flatMap((t) => answers.get(t.tabId) ?? [])];
    return {
      runId: run.id,
      tabs: perTab.length,
      ok: perTab.reduce((total, r) => total + r.ok, 0),
      failed: perTab.reduce((total, r) => total + r.failed, 0),
      errors: perTab.flatMap((r) => r.errors.map((e) => `${r.tabLabel}: ${e}`)),
      perTab,
      missing: others.filter((t) => !answers.has(t.tabId)).map((t) => t.label),
      counters,
    };
  }

  async function reset(patch: ConfigPatch = DEMO_DEFAULTS) {
    await mock.reset(patch);
    await Promise.all([clients.naive.clear(), clients.protected.clear()]);
    bus.post({ type: 'reset' });
    timeline.clear();
    sessionNote = '';
    await renderConfig();
    renderStatus();
  }

  async function expireNow() {
    await mock.expire();
  }

  bus.subscribe((message) => {
    switch (message.type) {
      case 'settings':
        applySettings(message.settings, false);
        break;
      case 'login':
        sessionNote = '';
        renderStatus();
        break;
      case 'logout':
      case 'reset':
        void clients.naive.clear().then(renderStatus);
        sessionNote = '';
        if (message.type === 'reset') void renderConfig();
        break;
      case 'config-changed':
        void renderConfig();
        break;
      case 'burst':
        void runBurst(message.n)
          .catch((error: unknown) => ({
            tabId: bus.self.tabId,
            tabLabel: bus.self.label,
            client: settings.client,
            ok: 0,
            failed: message.n,
            errors: [describeError(error)],
            durationMs: 0,
          }))
          .then((result) => bus.post({ type: 'burst:result', runId: message.runId, result }));
        break;
      case 'burst:result':
        pendingAnswers.get(message.runId)?.(message.result);
        break;
      case 'hello':
      case 'here':
      case 'bye':
        renderTabs();
        break;
    }
  });

  // ---------- rendering ----------

  const statusEl = $('#status');
  function renderStatus() {
    const current = client();
    const session = current.hasToken() ? 'has an access token' : 'has no access token';
    const name = current.kind === 'naive' ? 'naive client' : 'ky-token-refresh';
    statusEl.textContent = `${bus.self.label} · ${name} · ${session}${sessionNote ? ` · ${sessionNote}` : ''}`;
    statusEl.classList.toggle('warn', Boolean(sessionNote));
    statusEl.dataset.client = current.kind;
  }

  const clientHelp: Record<ClientKind, string> = {
    naive:
      'The ky README recipe: an afterResponse hook that calls /auth/refresh on every 401, then ky.retry(). N requests, N refreshes.',
    protected:
      'createTokenRefresh(): 401s queue behind one refresh per tab, a Web Lock makes it one across tabs, and the others adopt the new token.',
  };
  function renderControls() {
    for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="client"]')) {
      radio.checked = radio.value === settings.client;
    }
    $('#client-help').textContent = clientHelp[settings.client];
    const burst = $<HTMLInputElement>('#burst-size');
    if (document.activeElement !== burst) burst.value = String(settings.burst);
  }

  const configForm = $<HTMLFormElement>('#config-form');
  let renderedGraceMs = 0;
  async function renderConfig() {
    const config = await mock.config();
    const field = (name: string) =>
      configForm.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
    field('preset').value = presetOf(config) ?? 'custom';
    field('accessTtlS').value = String(config.accessTtlMs / 1000);
    field('graceMs').value = String(config.graceMs);
    renderedGraceMs = config.graceMs;
    field('latencyMs').value = String(config.latencyMs);
    field('apiLatencyMs').value = String(config.apiLatencyMs);
    $('#config-summary').textContent =
      `Now: ${describeConfig(config)}${config.reuseDetection ? ' · reuse detection on' : ''}`;
  }

  function renderTabs() {
    const tabs = bus.tabs();
    $('#tabs').textContent =
      `Open tabs: ${tabs.map((t) => (t.tabId === bus.self.tabId ? `${t.label} (this one)` : t.label)).join(', ')}`;
  }

  async function renderServerNow() {
    try {
      const s = await mock.stats();
      const failures = Object.entries(s.refreshFailures)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ');
      $('#server-now').textContent =
        `Server since reset: ${plural(s.logins, 'login')}, ${plural(s.refreshRequests, 'refresh call')}, ` +
        `${plural(s.rotations, 'rotation')}, ${s.reuseDetections} reuse detected, ` +
        `${plural(s.familyRevocations, 'family', 'families')} revoked` +
        (failures ? ` · refused: ${failures}` : '');
    } catch {
      // the next tick tries again
    }
  }

  // The naive client's token is in localStorage: another tab's login, refresh or logout changes this tab's too.
  addEventListener('storage', (event) => {
    if (event.key === NAIVE_TOKEN_KEY || event.key === null) renderStatus();
  });

  const runsEl = $('#runs');
  const renderTimeline = () => renderRuns(runsEl, timeline, bus.self.tabId);
  timeline.onChange(renderTimeline);
  // Redrawn when the timeline's width changes: a resize, and also a page scrollbar that comes or goes (the
  // tracks are sized in pixels from that width).
  let drawnWidth = runsEl.clientWidth;
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  new ResizeObserver(() => {
    if (runsEl.clientWidth === drawnWidth) return;
    drawnWidth = runsEl.clientWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(renderTimeline, 50);
  }).observe(runsEl);

  // ---------- wiring ----------

  const busy = async (button: HTMLButtonElement, task: () => Promise<unknown>) => {
    button.disabled = true;
    try {
      await task();
    } catch (error) {
      sessionNote = describeError(error);
      renderStatus();
    } finally {
      button.disabled = false;
    }
  };
  const onClick = (selector: string, task: () => Promise<unknown>) => {
    const button = $<HTMLButtonElement>(selector);
    button.addEventListener('click', () => void busy(button, task));
  };

  $<HTMLFormElement>('#login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const submit = (event.currentTarget as HTMLFormElement).querySelector<HTMLButtonElement>(
      '[type=submit]',
    )!;
    void busy(submit, () => login(String(form.get('username')), String(form.get('password'))));
  });
  onClick('#logout', logout);
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="client"]')) {
    radio.addEventListener('change', () =>
      applySettings({ ...settings, client: radio.value as ClientKind }, true),
    );
  }
  $<HTMLInputElement>('#burst-size').addEventListener('change', (event) => {
    const n = Math.max(1, Math.min(100, Math.round(Number((event.target as HTMLInputElement).value)) || 1));
    applySettings({ ...settings, burst: n }, true);
  });
  configForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(configForm);
    const preset = String(form.get('preset'));
    const patch: ConfigPatch = {
      ...(preset !== 'custom' && { preset: preset as NonNullable<ConfigPatch['preset']> }),
      accessTtlMs: Number(form.get('accessTtlS')) * 1000,
      latencyMs: Number(form.get('latencyMs')),
      apiLatencyMs: Number(form.get('apiLatencyMs')),
    };
    // The preset sets the grace window; a grace value edited by hand is applied after it.
    const graceMs = Number(form.get('graceMs'));
    if (graceMs !== renderedGraceMs) patch.graceMs = graceMs;
    const submit = configForm.querySelector<HTMLButtonElement>('[type=submit]')!;
    void busy(submit, async () => {
      await mock.configure(patch);
      bus.post({ type: 'config-changed' });
      await renderConfig();
    });
  });
  configForm
    .querySelector('select[name="preset"]')
    ?.addEventListener('change', () => configForm.requestSubmit());
  onClick('#expire', expireNow);
  onClick('#burst', () => fireBurst());
  onClick('#burst-all', () => fireBurstAll());
  onClick('#expire-burst-all', async () => {
    await expireNow();
    await fireBurstAll();
  });
  $('#open-tab').addEventListener('click', () => window.open(location.href, '_blank'));
  onClick('#reset', () => reset());

  // ---------- start ----------

  renderControls();
  renderStatus();
  renderTabs();
  renderTimeline();
  await renderConfig();
  void renderServerNow();
  setInterval(() => void renderServerNow(), 1000);
  setInterval(renderStatus, 1000);

  window.__demo = {
    ready: true,
    tabId: bus.self.tabId,
    tabLabel: bus.self.label,
    login,
    logout,
    setClient: (kind) => applySettings({ ...settings, client: kind }, true),
    getClient: () => settings.client,
    setBurstSize: (n) => applySettings({ ...settings, burst: n }, true),
    async configure(patch) {
      const config = await mock.configure(patch);
      bus.post({ type: 'config-changed' });
      await renderConfig();
      return config;
    },
    config: mock.config,
    expireNow,
    fireBurst,
    fireBurstAll,
    stats: mock.stats,
    clientStats: () => client().stats(),
    hasToken: () => client().hasToken(),
    tabs: () => bus.tabs().map(({ tabId, label }) => ({ tabId, label })),
    runs: () => timeline.runs().map((run) => ({ ...run, counters: timeline.counters(run) })),
    timeline: () => timeline.entries(),
    reset,
    openTab: () => window.open(location.href, '_blank'),
  };
  document.documentElement.dataset.ready = 'true';
}
