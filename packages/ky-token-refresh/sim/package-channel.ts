/**
The `broadcast-channel` package as the library's `FallbackChannel` sees it, over the world's channel hub:
sim/setup.ts mocks the package with this module, so the real `FallbackChannel` runs unchanged (its queue
until the package is loaded, its delivery). The tab of a channel is read from its name: the world names
each tab's fallback channel `sim#<tab id>` (the name only routes; every tab shares one hub). The
`localstorage` method passes messages through JSON (undefined members are dropped), `idb` structured-clones
them (the hub does); both deliver asynchronously to every other open channel, never to the sender.
*/
import type { Channel, ChannelMessage } from '../src/index.js';
import type { SimTab } from './adapters.js';

/** Set by the world while a schedule runs: its channel endpoints by tab. */
export const packageWorld: {
  channelFor?: ((tabId: number) => { tab: SimTab; channel: Channel }) | undefined;
} = {};

/** Channels created, by method (counted by the world). */
export const packageCounts = { idb: 0, localstorage: 0 };

export class BroadcastChannel {
  readonly #channel: Channel;
  readonly #json: boolean;
  #closed = false;

  constructor(name: string, options: { type?: 'idb' | 'localstorage' } = {}) {
    const tabId = Number(/#(\d+):channel$/.exec(name)?.[1] ?? Number.NaN);
    const endpoint = packageWorld.channelFor?.(tabId);
    if (!endpoint) throw new Error(`sim: broadcast-channel "${name}" outside of a schedule`);
    this.#channel = endpoint.channel;
    this.#json = options.type === 'localstorage';
    packageCounts[options.type === 'localstorage' ? 'localstorage' : 'idb']++;
  }

  postMessage(message: unknown): Promise<void> {
    if (this.#closed)
      return Promise.reject(
        new Error('BroadcastChannel.postMessage(): Cannot post message after channel has closed'),
      );
    const copy = this.#json ? (JSON.parse(JSON.stringify(message)) as unknown) : message;
    this.#channel.post(copy as ChannelMessage);
    return Promise.resolve();
  }

  addEventListener(_type: 'message', handler: (data: unknown) => void): void {
    this.#channel.subscribe(handler);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#channel.close();
    return Promise.resolve();
  }
}
