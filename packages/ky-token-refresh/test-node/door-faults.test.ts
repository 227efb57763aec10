/**
The Node door when its credentials file goes wrong mid-run: corrupt, deleted, replaced by another login.
Nothing hangs, no request is lost for it, the file is never overwritten when it cannot be read, and the
app hears why (a process warning carrying the `CredentialsFileError`).
*/
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createTokenRefresh, isCredentialsFileError, type TokenRefresh } from '../src/node/index.js';
import { asResult, tokenGrant as grant, useMockAuthServer, useProcessWarnings } from './support.js';

const running = useMockAuthServer();
const warnings = useProcessWarnings();
let directory: string;
let file: string;
const instances: TokenRefresh[] = [];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'ktr-door-faults-'));
  file = join(directory, 'credentials.json');
});
afterEach(async () => {
  for (const auth of instances.splice(0)) auth.dispose();
  await rm(directory, { recursive: true, force: true });
});

const tokenGrant = (body: Record<string, string>) => grant(running.url, body);

const create = (): TokenRefresh => {
  const auth = createTokenRefresh({
    credentialsFile: file,
    isAuthorizedUrl: (url) => url.origin === running.url,
    refreshBeforeExpiryMs: 0,
    refreshTimeoutMs: 3000,
    refresh: async ({ refreshToken }) =>
      asResult(await tokenGrant({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' })),
  });
  instances.push(auth);
  return auth;
};

const loggedIn = async (): Promise<TokenRefresh> => {
  const auth = create();
  await auth.setToken(
    asResult(await tokenGrant({ grant_type: 'password', username: 'ann', password: 'pw' })),
  );
  return auth;
};

test('a credentials file corrupted mid-run: no refresh with a refresh token that may have rotated; the request fails with a typed error whose cause says why, the file is left as it is', async () => {
  const auth = await loggedIn();
  await writeFile(file, '{ not json');
  await running.authServer.expireAccessTokens();
  const error = await auth.fetch(`${running.url}/api/me`).catch((caught: unknown) => caught);
  expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED' });
  expect(isCredentialsFileError((error as { cause?: unknown }).cause)).toBe(true);
  expect((error as { cause: { reason: string } }).cause.reason).toBe('corrupt');
  expect(await readFile(file, 'utf8')).toBe('{ not json');
  expect((await running.authServer.stats()).refreshRequests).toBe(0);
  // Also reported once, as a process warning.
  expect(warnings.filter(isCredentialsFileError).length).toBeGreaterThan(0);
});

test('a credentials file deleted mid-run: the next refresh writes it again', async () => {
  const auth = await loggedIn();
  await unlink(file);
  await running.authServer.expireAccessTokens();
  expect((await auth.fetch(`${running.url}/api/me`)).status).toBe(200);
  const stored = JSON.parse(await readFile(file, 'utf8')) as {
    record: { token: string; refreshToken: string };
  };
  expect(stored.record.token).toBe(auth.getToken());
  expect(stored.record.refreshToken).toMatch(/^[\w-]{43}$/);
});

test('a credentials file replaced by a login in another process: this process takes the newer login, its old refresh token is not presented', async () => {
  const auth = await loggedIn();
  await running.authServer.expireAccessTokens();
  // Another process (`mycli login` again) logs in and writes the file.
  const other = create();
  await other.setToken(
    asResult(await tokenGrant({ grant_type: 'password', username: 'ann', password: 'pw' })),
  );
  const newer = other.getToken();
  other.dispose();
  expect((await auth.fetch(`${running.url}/api/me`)).status).toBe(200);
  expect(auth.getToken()).toBe(newer);
  const stats = await running.authServer.stats();
  expect(stats.refreshRequests).toBe(0);
  expect(stats.refreshFailures).toEqual({});
});
