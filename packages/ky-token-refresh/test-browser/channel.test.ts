import { describe, expect, it, vi } from 'vitest';
import type { Channel, ChannelMessage } from '../src/core/types.js';
import { channelTransports, sleep, uniqueName } from './support.js';

const token = (generation: number, tabId = 'a'): ChannelMessage => ({
  type: 'token',
  generation,
  tabId,
  token: `t${generation}`,
});

describe.each(channelTransports)(
  'Channel contract: $label',
  ({ create, ready, isolatesListenerErrors, redactsTokens }) => {
    /** A message as the other instances receive it. */
    const received = (message: ChannelMessage): ChannelMessage => {
      if (!redactsTokens || message.type !== 'token') return message;
      const { token: _token, ...rest } = message;
      return rest;
    };

    const open = async (name: string, count: number): Promise<Channel[]> => {
      const channels = Array.from({ length: count }, () => create(name));
      await Promise.all(channels.map((channel) => ready(channel)));
      return channels;
    };

    it('delivers to every other instance, never back to the sender', async () => {
      const [a, b, c] = (await open(uniqueName('channel'), 3)) as [Channel, Channel, Channel];
      const got = { a: [] as unknown[], b: [] as unknown[], c: [] as unknown[] };
      a.subscribe((message) => got.a.push(message));
      b.subscribe((message) => got.b.push(message));
      c.subscribe((message) => got.c.push(message));
      a.post(token(1, 'a'));
      await vi.waitFor(() => {
        expect(got.b).toEqual([received(token(1, 'a'))]);
        expect(got.c).toEqual([received(token(1, 'a'))]);
      });
      await sleep(300);
      expect(got.a).toEqual([]);
      for (const channel of [a, b, c]) channel.close();
    });

    it('keeps the order of one sender (30 messages)', async () => {
      const [a, b] = (await open(uniqueName('channel'), 2)) as [Channel, Channel];
      const generations: number[] = [];
      b.subscribe((message) => generations.push(message.generation));
      for (let generation = 1; generation <= 30; generation++) a.post(token(generation));
      const expected = Array.from({ length: 30 }, (_, index) => index + 1);
      await vi.waitFor(() => expect(generations).toEqual(expected), { timeout: 5000 });
      a.close();
      b.close();
    });

    it('passes malformed messages to the listener without throwing, and keeps delivering', async () => {
      const [a, b] = (await open(uniqueName('channel'), 2)) as [Channel, Channel];
      const got: unknown[] = [];
      // A listener that throws must not break delivery to the others, nor later messages.
      if (isolatesListenerErrors) {
        b.subscribe(() => {
          throw new Error('listener bug');
        });
      }
      b.subscribe((message) => got.push(message));
      const malformed = [
        'garbage',
        42,
        null,
        { type: 'token' },
        { type: 'token', generation: 'x', tabId: 1 },
      ];
      const onError = vi.fn();
      const previousReportError = globalThis.reportError;
      globalThis.reportError = onError;
      try {
        for (const value of malformed) expect(() => a.post(value as unknown as ChannelMessage)).not.toThrow();
        a.post(token(7));
        await vi.waitFor(() => expect(got).toEqual([...malformed, received(token(7))]), { timeout: 5000 });
      } finally {
        globalThis.reportError = previousReportError;
      }
      // Each of the six deliveries hit the throwing listener; each was reported, none escaped.
      if (isolatesListenerErrors) expect(onError).toHaveBeenCalledTimes(6);
      a.close();
      b.close();
    });

    it('stops delivering after unsubscribe and after close', async () => {
      const [a, b, c] = (await open(uniqueName('channel'), 3)) as [Channel, Channel, Channel];
      const gotB: unknown[] = [];
      const gotC: unknown[] = [];
      const off = b.subscribe((message) => gotB.push(message));
      c.subscribe((message) => gotC.push(message));
      off();
      c.close();
      a.post(token(1));
      // A closed instance must not throw when posted to.
      expect(() => c.post(token(2, 'c'))).not.toThrow();
      await sleep(400);
      expect(gotB).toEqual([]);
      expect(gotC).toEqual([]);
      a.close();
      b.close();
    });
  },
);
