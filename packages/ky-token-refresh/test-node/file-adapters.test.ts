import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createTokenRefresh } from '../src/index.js';
import { createFileAdapters, FileChannel, FileLock, FileStore } from '../src/node/file-adapters.js';
import { sleep, useTempDir } from './support.js';

const dir = useTempDir();

describe('createFileAdapters', () => {
  it('builds the lock, the credentials file and the channel in the directory (names configurable)', async () => {
    const directory = join(dir(), 'state');
    const adapters = createFileAdapters(directory);
    expect(adapters.lock).toBeInstanceOf(FileLock);
    expect(adapters.store).toBeInstanceOf(FileStore);
    expect(adapters.channel).toBeInstanceOf(FileChannel);
    expect((adapters.lock as FileLock).path).toBe(join(directory, 'ky-token-refresh.lock'));
    expect((adapters.store as FileStore).path).toBe(join(directory, 'credentials.json'));
    expect((adapters.channel as FileChannel).directory).toBe(join(directory, 'ky-token-refresh.channel'));
    expect((await stat(directory)).mode & 0o777).toBe(0o700);

    const seen = await adapters.lock.request(async () => readdir(directory), {
      signal: new AbortController().signal,
    });
    expect(seen.sort()).toEqual(['ky-token-refresh.channel', 'ky-token-refresh.lock']);
    await adapters.store.update(() => ({ generation: 1, token: 't' }));
    expect((await readdir(directory)).sort()).toEqual(['credentials.json', 'ky-token-refresh.channel']);
    adapters.channel.close();

    const named = createFileAdapters(directory, { name: 'app', fileName: 'tokens.json' });
    expect((named.lock as FileLock).path).toBe(join(directory, 'app.lock'));
    expect((named.store as FileStore).path).toBe(join(directory, 'tokens.json'));
    expect((named.channel as FileChannel).directory).toBe(join(directory, 'app.channel'));
    named.channel.close();
  });

  it('two instances on one directory share a login: the other reads it from the store (no token in the channel)', async () => {
    const refresh = vi.fn(async () => 'refreshed');
    const make = () => {
      const adapters = createFileAdapters(dir());
      const auth = createTokenRefresh({ name: 'app', refresh, crossTab: adapters });
      return { auth, adapters };
    };
    const a = make();
    const b = make();
    await sleep(100);
    await a.auth.setToken('login-token');
    await vi.waitFor(() => expect(b.auth.getToken()).toBe('login-token'), { timeout: 5000 });
    const file = JSON.parse(await readFile(join(dir(), 'credentials.json'), 'utf8'));
    expect(file).toMatchObject({ 'ky-token-refresh': 1, record: { token: 'login-token' } });
    const messages = await readdir(join(dir(), 'ky-token-refresh.channel'));
    expect(messages.length).toBeGreaterThan(0);
    for (const entry of messages) {
      expect(await readFile(join(dir(), 'ky-token-refresh.channel', entry), 'utf8')).not.toContain(
        'login-token',
      );
    }
    expect(refresh).not.toHaveBeenCalled();
    a.auth.dispose();
    b.auth.dispose();
  });
});
