import { describe, expect, it, vi } from 'vitest';
import { FallbackChannel } from '../src/adapters/channel.js';
import type { ChannelMessage } from '../src/core/types.js';
import { uniqueName } from './support.js';

const token = (generation: number, tabId = 'a'): ChannelMessage => ({
  type: 'token',
  generation,
  tabId,
  token: `t${generation}`,
});

describe('FallbackChannel specifics', () => {
  it.each(['idb', 'localstorage'] as const)(
    '%s: queues posts made before the package loaded, then sends them in order',
    async (method) => {
      const name = uniqueName('fallback');
      const receiver = new FallbackChannel(name, method);
      await receiver.ready;
      const got: number[] = [];
      receiver.subscribe((message) => got.push(message.generation));
      const sender = new FallbackChannel(name, method);
      sender.post(token(1));
      sender.post(token(2));
      sender.post(token(3));
      await vi.waitFor(() => expect(got).toEqual([1, 2, 3]), { timeout: 5000 });
      sender.close();
      receiver.close();
    },
  );
});
