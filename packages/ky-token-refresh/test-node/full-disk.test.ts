/**
The Node door on a full disk: the credentials file lives on a 1 MiB tmpfs mounted by the test (root), filled
with a filler file at the worst moments. Before the lock: nothing is sent, the request fails with a typed
error that says why. After the server rotated: the new token is kept in memory and used, the app is told
(a process warning), and the process keeps the lock while it writes again, so that the file gets the new
refresh token once space is freed and no other instance presents the rotated one.
*/
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createTokenRefresh, type TokenRefresh } from '../src/node/index.js';
import { asResult, tokenGrant as grant, useMockAuthServer, useProcessWarnings } from './support.js';

const running = useMockAuthServer();
const warnings = useProcessWarnings();
let mountPoint: string;
let file: string;
let filler: string;
const instances: TokenRefresh[] = [];

beforeEach(async () => {
  mountPoint = await mkdtemp(join(tmpdir(), 'ktr-full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mountPoint]);
  file = join(mountPoint, 'credentials.json');
  filler = join(mountPoint, 'filler');
});
afterEach(async () => {
  for (const auth of instances.splice(0)) auth.dispose();
  // Let the disposed instances' last file operations end before the file system goes away.
  await new Promise((resolve) => setTimeout(resolve, 100));
  execFileSync('umount', ['-l', mountPoint]);
  await rm(mountPoint, { recursive: true, force: true });
});

/** Fill the disk: the filler takes every free block (its write ends with ENOSPC). */
const fillDisk = async (): Promise<void> => {
  await writeFile(filler, Buffer.alloc(2 << 20, 1)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOSPC') throw error;
  });
  await expect(writeFile(join(mountPoint, 'probe'), 'x')).rejects.toMatchObject({ code: 'ENOSPC' });
};
const freeDisk = () => unlink(filler);

const tokenGrant = (body: Record<string, string>) => grant(running.url, body);

/** An instance on the file; `afterRotation` runs once the server has answered a refresh. */
const create = (afterRotation?: () => Promise<void>): TokenRefresh => {
  const auth = createTokenRefresh({
    credentialsFile: file,
    isAuthorizedUrl: (url) => url.origin === running.url,
    refreshBeforeExpiryMs: 0,
    refreshTimeoutMs: 3000,
    refresh: async ({ refreshToken }) => {
      const answer = await tokenGrant({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' });
      await afterRotation?.();
      return asResult(answer);
    },
  });
  instances.push(auth);
  return auth;
};

const storedRecord = async () =>
  (JSON.parse(await readFile(file, 'utf8')) as { record: { token: string; refreshToken: string } }).record;

const mentionsNoSpace = (error: unknown): boolean =>
  /ENOSPC/.test(`${String(error)} ${String((error as { cause?: unknown } | undefined)?.cause)}`);

test('a disk full before the refresh: the lock cannot be written, nothing is sent, the request fails with a typed error that says why; once space is freed the next request refreshes', async () => {
  const auth = create();
  await auth.setToken(
    asResult(await tokenGrant({ grant_type: 'password', username: 'ann', password: 'pw' })),
  );
  const before = await storedRecord();
  await fillDisk();
  await running.authServer.expireAccessTokens();
  const error = await auth.fetch(`${running.url}/api/me`).catch((caught: unknown) => caught);
  expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED' });
  expect(mentionsNoSpace(error)).toBe(true);
  expect((await running.authServer.stats()).refreshRequests).toBe(0);
  expect(await storedRecord()).toEqual(before);

  await freeDisk();
  expect((await auth.fetch(`${running.url}/api/me`)).status).toBe(200);
  expect((await storedRecord()).token).toBe(auth.getToken());
}, 30_000);

test('a disk that fills after the server rotated: the new token is used and kept in memory, the app is warned, the lock is held while it writes again, and the file gets it once space is freed: another instance adopts it, no refresh token is presented twice', async () => {
  let filled = false;
  const auth = create(async () => {
    if (filled) return;
    filled = true;
    await fillDisk();
    // Space comes back while the holder is still writing again (its attempts after 50, 250 and 1000 ms).
    setTimeout(() => void freeDisk(), 200);
  });
  await auth.setToken(
    asResult(await tokenGrant({ grant_type: 'password', username: 'ann', password: 'pw' })),
  );
  const old = await storedRecord();
  await running.authServer.expireAccessTokens();
  expect((await auth.fetch(`${running.url}/api/me`)).status).toBe(200);
  expect(filled).toBe(true);
  // Told why: the write failed for lack of space.
  expect(warnings.some(mentionsNoSpace)).toBe(true);
  const stored = await storedRecord();
  expect(stored.token).toBe(auth.getToken());
  expect(stored.refreshToken).not.toBe(old.refreshToken);

  // Another instance (another CLI) on the same file: it takes the stored record, no refresh.
  const other = create();
  expect((await other.fetch(`${running.url}/api/me`)).status).toBe(200);
  expect(other.getToken()).toBe(auth.getToken());
  const stats = await running.authServer.stats();
  expect(stats.rotations).toBe(1);
  expect(stats.refreshFailures).toEqual({});
}, 30_000);

test('a disk that stays full after the server rotated: the request still succeeds on the new token, the file keeps the old record, the app is warned, nothing hangs', async () => {
  const auth = create(fillDisk);
  await auth.setToken(
    asResult(await tokenGrant({ grant_type: 'password', username: 'ann', password: 'pw' })),
  );
  const old = await storedRecord();
  await running.authServer.expireAccessTokens();
  const started = Date.now();
  expect((await auth.fetch(`${running.url}/api/me`)).status).toBe(200);
  // Bounded: the attempts to write again end (50 + 250 + 1000 ms and their own bounds).
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(warnings.some(mentionsNoSpace)).toBe(true);
  expect(await storedRecord()).toEqual(old);
  expect(auth.getToken()).not.toBe(old.token);
}, 30_000);
