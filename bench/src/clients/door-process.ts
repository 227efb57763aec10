/**
One process of the fan-out benchmark of `ky-token-refresh/node` (forked by `node-door.ts`): an instance of
the Node door on the credentials file all the processes name, with a local `refresh()` (no network: the
figure is the coordination's). Argument: `DoorProcessConfig` as JSON; commands and reports over IPC
(`lib/door-types.ts`).
- holder: on `refresh`, calls `auth.refresh()`; its `refresh()` reports `refreshing` and waits for `go`
  (bounded: the door aborts it after `refreshTimeoutMs`), so it holds the refresh lock while the waiters line
  up. Its store is the door's `FileStore` with the time its `update()` resolved noted: the commit.
- waiter: on `wait`, calls `auth.refresh()`, which waits on the lock the holder holds (reported on its
  `lock:wait` event) and ends on the holder's token (adopted, not refreshed again).
*/
import { randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { DoorCommand, DoorProcessConfig, DoorReport } from '../lib/door-types.ts';
import { fakeJwt } from '../lib/fake-jwt.ts';
import type { NodeLibrary } from '../lib/library.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as DoorProcessConfig;
const { createTokenRefresh, FileStore } = (await import(config.libraryUrl)) as NodeLibrary;

const now = () => Number(process.hrtime.bigint()) / 1e6;
const report = (message: DoorReport) => process.send?.(message);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

let committedAt = Number.NaN;
let go: (() => void) | undefined;
let minted = 0;
const store = new FileStore(dirname(config.file), basename(config.file));

const auth = createTokenRefresh({
  name: 'bench-door',
  credentialsFile: config.file,
  isAuthorizedUrl: () => false,
  refreshBeforeExpiryMs: 0,
  refreshTimeoutMs: config.refreshTimeoutMs,
  ...(config.role === 'holder' && {
    crossTab: {
      store: {
        get: () => store.get(),
        update: async (updater) => {
          const record = await store.update(updater);
          committedAt = now();
          return record;
        },
      },
    },
  }),
  refresh: async ({ signal }) => {
    if (config.role === 'holder') {
      report({ type: 'refreshing' });
      await new Promise<void>((resolve, reject) => {
        go = resolve;
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      go = undefined;
    }
    minted++;
    return {
      accessToken: fakeJwt(3600, `${config.role}-${process.pid}-${minted}`),
      refreshToken: randomUUID(),
      expiresAt: Date.now() + 3_600_000,
    };
  },
});

let waiting = false;
let held: { heldAt: number; via: string; generation: number } | undefined;
let committed = -1;
auth.subscribe((event) => {
  const at = now();
  if (event.type === 'refresh:success') committed = event.generation;
  if (!waiting) return;
  if (event.type === 'lock:wait') report({ type: 'waiting' });
  else if (held === undefined && (event.type === 'token:received' || event.type === 'refresh:adopted'))
    held = { heldAt: at, via: event.type, generation: event.generation };
});

process.on('message', (command: DoorCommand) => {
  if (command.type === 'refresh') {
    committedAt = Number.NaN;
    committed = -1;
    auth.refresh().then(
      () =>
        report({ type: 'committed', committedAt, generation: committed, refreshes: auth.stats().refreshes }),
      (error) => report({ type: 'error', message: `holder: ${errorText(error)}` }),
    );
  } else if (command.type === 'go') {
    go?.();
  } else if (command.type === 'wait') {
    held = undefined;
    waiting = true;
    auth.refresh().then(
      () => {
        waiting = false;
        const { refreshes } = auth.stats();
        if (held === undefined)
          report({ type: 'error', message: 'waiter: refresh() resolved without adopting a token' });
        else report({ type: 'held', ...held, refreshes });
      },
      (error) => {
        waiting = false;
        report({ type: 'error', message: `waiter: ${errorText(error)}` });
      },
    );
  } else if (command.type === 'exit') {
    auth.dispose();
    process.disconnect();
  }
});
process.on('disconnect', () => {
  // The disposed instance drains its last writes (bounded); then nothing keeps the process alive.
  setTimeout(() => process.exit(0), 2000).unref();
});
report({ type: 'ready', pid: process.pid });
