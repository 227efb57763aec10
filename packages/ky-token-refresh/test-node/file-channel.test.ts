import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { ChannelMessage } from '../src/core/types.js';
import { FileChannel } from '../src/node/file-channel.js';
import { forkFixture, sleep, useTempDir } from './support.js';

const dir = useTempDir();
const SECRET = 'secret-access-token-9c1e';

/** Every file under `directory`, with its content. */
const filesUnder = async (directory: string): Promise<{ path: string; text: string }[]> => {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map(async (entry) => {
        const path = join(entry.parentPath, entry.name);
        return { path, text: await readFile(path, 'utf8') };
      }),
  );
};

describe('FileChannel', () => {
  it('carries messages between two processes, both ways, in order, never back to the sender', async () => {
    const peer = forkFixture('channel-peer.ts', [dir(), 'c']);
    await peer.next('ready');
    const channel = new FileChannel(dir(), 'c');
    const got: unknown[] = [];
    channel.subscribe((message) => got.push(message));

    const fromPeer = Array.from({ length: 5 }, (_, index) => ({
      type: 'hello',
      generation: index,
      tabId: 'peer',
    }));
    for (const message of fromPeer) peer.send({ type: 'post', message });
    await vi.waitFor(() => expect(got).toEqual(fromPeer), { timeout: 5000 });

    const fromHere: ChannelMessage = { type: 'logout', generation: 9, tabId: 'here', reason: 'logout' };
    channel.post(fromHere);
    expect((await peer.next('received')).message).toEqual(fromHere);
    await sleep(300);
    // The peer got only ours, we got only the peer's.
    expect(peer.has('received')).toBe(false);
    expect(got).toEqual(fromPeer);
    channel.close();
  });

  it('never writes a token: a token message arrives without it, and no file holds it; ask is written as is', async () => {
    const sender = new FileChannel(dir(), 'c');
    const peer = forkFixture('channel-peer.ts', [dir(), 'c']);
    await peer.next('ready');
    sender.post({ type: 'token', generation: 5, epoch: 2, tabId: 'a', token: SECRET, expiresAt: 1000 });
    const { message } = await peer.next('received');
    expect(message).toEqual({ type: 'token', generation: 5, epoch: 2, tabId: 'a', expiresAt: 1000 });
    expect(Object.hasOwn(message as object, 'token')).toBe(false);

    const ask: ChannelMessage = { type: 'ask', generation: 5, epoch: 2, tabId: 'a' };
    sender.post(ask);
    expect((await peer.next('received')).message).toEqual(ask);

    // Both message files are still there (the TTL is 5 s): one of them is the token message, without the token.
    const files = await filesUnder(dir());
    const messages = files.filter((file) => file.path.endsWith('.json')).map((file) => JSON.parse(file.text));
    expect(messages).toEqual([{ type: 'token', generation: 5, epoch: 2, tabId: 'a', expiresAt: 1000 }, ask]);
    expect(files.filter((file) => file.text.includes(SECRET))).toEqual([]);
    sender.close();
  });

  it('collects message files older than the TTL, and temporary files left by a dead writer', async () => {
    const channelDir = join(dir(), 'c.channel');
    const sender = new FileChannel(dir(), 'c', { ttlMs: 300, pollMs: 50 });
    const receiver = new FileChannel(dir(), 'c', { ttlMs: 300, pollMs: 50 });
    const got: unknown[] = [];
    receiver.subscribe((message) => got.push(message));
    const old = new Date(Date.now() - 60_000);
    const deadTemp = join(
      channelDir,
      '.000000000000001-0000000001-0123456789abcdef0123456789abcdef.json.tmp',
    );
    await writeFile(deadTemp, '{}');
    await utimes(deadTemp, old, old);
    for (let generation = 1; generation <= 3; generation++) {
      sender.post({ type: 'hello', generation, tabId: 'a' });
    }
    await vi.waitFor(() => expect(got).toHaveLength(3), { timeout: 3000 });
    expect((await readdir(channelDir)).filter((entry) => entry.endsWith('.json'))).toHaveLength(3);
    await vi.waitFor(async () => expect(await readdir(channelDir)).toEqual([]), {
      timeout: 3000,
      interval: 50,
    });
    sender.close();
    receiver.close();
  });

  it('creates its directory 0700 and message files 0600; skips what was there before it; quiet after close', async () => {
    const first = new FileChannel(dir(), 'c');
    first.post({ type: 'hello', generation: 1, tabId: 'a' });
    const channelDir = join(dir(), 'c.channel');
    // A message is written to a dot-file and renamed into place: wait for the message file itself.
    const messages = async () => (await readdir(channelDir)).filter((name) => !name.startsWith('.'));
    await vi.waitFor(async () => expect(await messages()).toHaveLength(1));
    const [file = ''] = await messages();
    expect((await stat(channelDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(channelDir, file))).mode & 0o777).toBe(0o600);

    // A channel created after that message does not receive it.
    const late = new FileChannel(dir(), 'c', { pollMs: 50 });
    const got: unknown[] = [];
    late.subscribe((message) => got.push(message));
    await sleep(200);
    expect(got).toEqual([]);

    // After close: posts are dropped, nothing is delivered.
    late.close();
    late.post({ type: 'hello', generation: 2, tabId: 'late' });
    first.post({ type: 'hello', generation: 3, tabId: 'a' });
    await sleep(200);
    expect(got).toEqual([]);
    expect(await readdir(channelDir)).toHaveLength(2);
    first.close();
  });
});
