/**
The demo's mock auth server: `startMockAuthWorker` (mock-auth-server/browser), as any MSW user starts it.

Its storage is batched (a tab's concurrent reads and writes of the server state share IndexedDB
transactions) and its cookie jar is read only under /auth (the refresh cookie's path). Why (measured with
scripts/refresh-timing.ts: 2 tabs × 10 at expiry, strict, 200 ms refresh latency, API latency 0): the whole
server state is one record, and every request made two or three transactions on it (the cookie-jar read,
the state read, the counters' write); IndexedDB runs them one after the other across the tabs, so the
refresh's own read and write, and then the replayed requests, queued behind the burst's. What remains is
drawn on the timeline: the server lane's bars, the configured latency, then the mock's own work.
*/
import type { ConfigPatch } from 'mock-auth-server';
import { type MockAuthWorker, startMockAuthWorker } from 'mock-auth-server/browser';

export const startDemoMockWorker = (config: ConfigPatch): Promise<MockAuthWorker> =>
  startMockAuthWorker({ config });
