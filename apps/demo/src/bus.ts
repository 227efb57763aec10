import type { BurstResult, Entry, Run, Settings } from './types.ts';

/** Messages between the demo's tabs (the library has its own channel; this one is the demo's). */
export type BusMessage =
  | { type: 'hello'; tab: TabInfo }
  | { type: 'here'; tab: TabInfo }
  | { type: 'bye'; tabId: string }
  | { type: 'entries'; entries: Entry[] }
  | { type: 'runs'; runs: Run[] }
  | { type: 'settings'; settings: Settings }
  | { type: 'config-changed' }
  | { type: 'login' }
  | { type: 'logout' }
  | { type: 'reset' }
  | { type: 'burst'; runId: string; n: number; from: string }
  | { type: 'burst:result'; runId: string; result: BurstResult };

export interface TabInfo {
  tabId: string;
  label: string;
  startedAt: number;
}

const CHANNEL_NAME = 'ky-token-refresh-demo';
const HEARTBEAT_MS = 1500;
const STALE_MS = 5000;

/** The demo's own BroadcastChannel, and who else is open. */
export interface Bus {
  readonly self: TabInfo;
  post(message: BusMessage): void;
  subscribe(listener: (message: BusMessage) => void): () => void;
  /** Open tabs, this one included, oldest first. */
  tabs(): TabInfo[];
}

/**
 * Tab labels (A, B, C...) come from a counter in localStorage, incremented under a Web Lock so that two tabs
 * opened at once never get the same letter.
 */
async function nextLabel(): Promise<string> {
  const take = () => {
    const n = Number(localStorage.getItem('demo:tab-counter') ?? '0');
    localStorage.setItem('demo:tab-counter', String(n + 1));
    return n;
  };
  const n = 'locks' in navigator ? await navigator.locks.request('demo:tab-counter', take) : take();
  const letter = String.fromCharCode(65 + (n % 26));
  return n < 26 ? `Tab ${letter}` : `Tab ${letter}${Math.floor(n / 26)}`;
}

export async function createBus(): Promise<Bus> {
  const self: TabInfo = {
    tabId: crypto.randomUUID().slice(0, 8),
    label: await nextLabel(),
    startedAt: Date.now(),
  };
  const channel = new BroadcastChannel(CHANNEL_NAME);
  const listeners = new Set<(message: BusMessage) => void>();
  const seen = new Map<string, { tab: TabInfo; lastSeen: number }>();

  const note = (tab: TabInfo) => {
    const isNew = !seen.has(tab.tabId);
    seen.set(tab.tabId, { tab, lastSeen: Date.now() });
    return isNew;
  };

  channel.onmessage = (event: MessageEvent<BusMessage>) => {
    const message = event.data;
    if (message.type === 'hello' || message.type === 'here') {
      const isNew = note(message.tab);
      if (message.type === 'hello' || isNew) channel.postMessage({ type: 'here', tab: self });
    } else if (message.type === 'bye') {
      seen.delete(message.tabId);
    }
    for (const listener of listeners) listener(message);
  };

  channel.postMessage({ type: 'hello', tab: self } satisfies BusMessage);
  setInterval(() => channel.postMessage({ type: 'here', tab: self } satisfies BusMessage), HEARTBEAT_MS);
  addEventListener('pagehide', () =>
    channel.postMessage({ type: 'bye', tabId: self.tabId } satisfies BusMessage),
  );

  return {
    self,
    post: (message) => channel.postMessage(message),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tabs() {
      const now = Date.now();
      const others = [...seen.values()].filter((s) => now - s.lastSeen < STALE_MS).map((s) => s.tab);
      return [self, ...others].sort((a, b) => a.startedAt - b.startedAt);
    },
  };
}
