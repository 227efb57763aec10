import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { TokenRecord } from '../src/core/types.js';
import { type CredentialsFileError, isCredentialsFileError } from '../src/errors/credentials-file-error.js';
import { isTokenRefreshError } from '../src/errors/token-refresh-error.js';
import { FileStore } from '../src/node/file-store.js';
import { forkFixture, isRoot, useTempDir } from './support.js';

const dir = useTempDir();
const SECRET = 'secret-token-value-7f3a';

/** The file's bytes and mtime, to show it was not touched. */
const snapshot = async (path: string) => ({
  text: await readFile(path, 'utf8'),
  mtimeMs: (await stat(path)).mtimeMs,
});

/** Expect `promise` to reject with a CredentialsFileError of `reason` about `path`, quoting nothing of the file. */
const expectCredentialsError = async (promise: Promise<unknown>, reason: string, path: string) => {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(isCredentialsFileError(error)).toBe(true);
  expect(isTokenRefreshError(error)).toBe(true);
  expect(error).toMatchObject({ name: 'CredentialsFileError', code: 'ERR_CREDENTIALS_FILE', reason, path });
  expect(
    `${(error as Error).message} ${String((error as Error).cause)} ${JSON.stringify(error)}`,
  ).not.toContain(SECRET);
  return error as CredentialsFileError;
};

describe('FileStore: the file', () => {
  it('creates the directory 0700 and the file 0600, the record under the ky-token-refresh envelope', async () => {
    const directory = join(dir(), 'config', 'app');
    const store = new FileStore(directory, 'credentials.json');
    expect(await store.get()).toBeUndefined();
    const record: TokenRecord = {
      generation: 1,
      token: 'a',
      expiresAt: 10,
      epoch: 4,
      refreshToken: 'r',
    } as TokenRecord;
    await store.update(() => record);
    expect((await stat(join(dir(), 'config'))).mode & 0o777).toBe(0o700);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    const path = join(directory, 'credentials.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ 'ky-token-refresh': 1, record });
    expect(await new FileStore(directory, 'credentials.json').get()).toEqual(record);
    // Only the file: the write lock and the temporary file are gone.
    expect(await readdir(directory)).toEqual(['credentials.json']);
  });

  it('a reader never sees a partial file: 200 writes while a reader loops', async () => {
    const store = new FileStore(dir(), 'credentials.json');
    const path = join(dir(), 'credentials.json');
    await store.update(() => ({ generation: 0, token: 'x'.repeat(4096) }));
    let writing = true;
    let reads = 0;
    const failures: unknown[] = [];
    const reader = (async () => {
      while (writing) {
        try {
          JSON.parse(await readFile(path, 'utf8'));
          await store.get();
          reads++;
        } catch (error) {
          failures.push(error);
        }
      }
    })();
    for (let index = 1; index <= 200; index++) {
      // Records of varying size, so a partial write would show as broken JSON.
      await store.update(() => ({ generation: index, token: 'x'.repeat(index % 2 ? 4096 : 10) }));
    }
    writing = false;
    await reader;
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(20);
    expect((await store.get())?.generation).toBe(200);
  });

  it('update() is atomic across processes: 3 processes × 30 increments = 90, every one distinct', async () => {
    const children = Array.from({ length: 3 }, () => forkFixture('store-incrementer.ts', [dir(), '30']));
    await Promise.all(children.map((child) => child.next('ready')));
    for (const child of children) child.send('go');
    const results = await Promise.all(children.map((child) => child.next('done', 25_000)));
    const written = results.flatMap((result) => result.generations as number[]);
    expect(written).toHaveLength(90);
    expect(new Set(written).size).toBe(90);
    expect((await new FileStore(dir(), 'credentials.json').get())?.generation).toBe(90);
  });

  it('an updater that returns an invalid record rejects with a TypeError and writes nothing', async () => {
    const store = new FileStore(dir(), 'credentials.json');
    await store.update(() => ({ generation: 1, token: 'keep' }));
    const path = join(dir(), 'credentials.json');
    const before = await snapshot(path);
    await expect(store.update(() => ({ generation: -1, token: SECRET }))).rejects.toThrow(TypeError);
    await expect(
      store.update(() => ({ generation: 2, token: 't', refreshToken: 5 }) as never),
    ).rejects.toThrow(/refreshToken/);
    expect(await snapshot(path)).toEqual(before);
  });
});

describe('FileStore: a file it cannot use is an error, never overwritten', () => {
  const cases: { label: string; reason: string; content: string }[] = [
    {
      label: 'not JSON',
      reason: 'corrupt',
      content: `{"ky-token-refresh": 1, "record": {"token": "${SECRET}"`,
    },
    {
      label: 'JSON without the envelope',
      reason: 'foreign',
      content: JSON.stringify({ generation: 1, token: SECRET }),
    },
    {
      label: 'another version of the envelope',
      reason: 'foreign',
      content: JSON.stringify({ 'ky-token-refresh': 2, record: { generation: 1, token: SECRET } }),
    },
    {
      label: 'a record with a field of the wrong type',
      reason: 'foreign',
      content: JSON.stringify({ 'ky-token-refresh': 1, record: { generation: 'seven', token: SECRET } }),
    },
    {
      label: 'a refresh token that is not a string',
      reason: 'foreign',
      content: JSON.stringify({
        'ky-token-refresh': 1,
        record: { generation: 1, token: null, refreshToken: [SECRET] },
      }),
    },
  ];

  it.each(cases)('$label → $reason', async ({ reason, content }) => {
    const path = join(dir(), 'credentials.json');
    await writeFile(path, content, { mode: 0o600 });
    const before = await snapshot(path);
    const store = new FileStore(dir(), 'credentials.json');
    await expectCredentialsError(store.get(), reason, path);
    const updater = vi.fn(() => ({ generation: 1, token: 'new' }));
    await expectCredentialsError(store.update(updater), reason, path);
    expect(updater).not.toHaveBeenCalled();
    expect(await snapshot(path)).toEqual(before);
    expect(await readdir(dir())).toEqual(['credentials.json']);
  });

  it('a directory where the file should be → unreadable (EISDIR), left alone', async () => {
    // Running as root, chmod cannot make a file unreadable to this process; a directory in its place can.
    const path = join(dir(), 'credentials.json');
    await mkdir(path);
    const store = new FileStore(dir(), 'credentials.json');
    const error = await expectCredentialsError(store.get(), 'unreadable', path);
    expect((error.cause as { code?: string }).code).toBe('EISDIR');
    await expectCredentialsError(
      store.update(() => ({ generation: 1, token: 'new' })),
      'unreadable',
      path,
    );
    expect((await stat(path)).isDirectory()).toBe(true);
    expect(await readdir(path)).toEqual([]);
  });

  it('a file without read permission (chmod 000) → unreadable (EACCES), for a process of another user', async () => {
    // Root reads any file: when the tests run as root, the store runs in a child process as `nobody`.
    const path = join(dir(), 'credentials.json');
    await writeFile(
      path,
      JSON.stringify({ 'ky-token-refresh': 1, record: { generation: 1, token: SECRET } }),
    );
    await chmod(path, 0o000);
    await chmod(dir(), 0o777);
    const before = await snapshot(path);
    for (const op of ['get', 'update']) {
      const child = forkFixture('store-op.ts', [dir(), 'credentials.json', op], { asOtherUser: true });
      const { ok, error } = await child.next('result');
      expect(ok).toBe(false);
      expect(error).toMatchObject({
        name: 'CredentialsFileError',
        reason: 'unreadable',
        path,
        code: 'EACCES',
      });
      expect(JSON.stringify(error)).not.toContain(SECRET);
    }
    expect(await snapshot(path)).toEqual(before);
  });

  it('a directory without write permission → unwritable (EACCES), the old file intact', async () => {
    // As above: the writer is a process of another user (root writes anywhere).
    const path = join(dir(), 'credentials.json');
    await new FileStore(dir(), 'credentials.json').update(() => ({ generation: 1, token: SECRET }));
    await chmod(path, 0o644);
    await chmod(dir(), 0o555);
    const before = await snapshot(path);
    const child = forkFixture('store-op.ts', [dir(), 'credentials.json', 'update'], { asOtherUser: true });
    const { ok, error } = await child.next('result');
    expect(ok).toBe(false);
    expect(error).toMatchObject({ name: 'CredentialsFileError', reason: 'unwritable', path, code: 'EACCES' });
    expect(JSON.stringify(error)).not.toContain(SECRET);
    expect(await snapshot(path)).toEqual(before);
    expect(await readdir(dir())).toEqual(['credentials.json']);
  });

  it.skipIf(!isRoot)(
    'a failed rename over the file (sticky directory, file of another user) → unwritable, old file intact, temporary file removed',
    async () => {
      // The write lock and the temporary file can be created (the directory is world-writable), but the
      // sticky bit forbids replacing root's file: the failure comes from the write itself.
      const path = join(dir(), 'credentials.json');
      await new FileStore(dir(), 'credentials.json').update(() => ({ generation: 1, token: SECRET }));
      await chmod(path, 0o644);
      await chmod(dir(), 0o1777);
      const before = await snapshot(path);
      const child = forkFixture('store-op.ts', [dir(), 'credentials.json', 'update'], { asOtherUser: true });
      const { ok, error } = await child.next('result');
      expect(ok).toBe(false);
      expect(error).toMatchObject({ name: 'CredentialsFileError', reason: 'unwritable', path });
      expect(['EPERM', 'EACCES']).toContain((error as { code: string }).code);
      expect(await snapshot(path)).toEqual(before);
      expect(await readdir(dir())).toEqual(['credentials.json']);
    },
  );
});
