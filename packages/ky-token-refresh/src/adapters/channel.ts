import { report } from '../core/report.js';
import type { Channel, ChannelMessage } from '../core/types.js';
import { channelName, deliver, type Listener } from './deliver.js';

export { FallbackChannel, type FallbackMethod } from './fallback-channel.js';

/**
A Channel over the native `BroadcastChannel`: every other tab, worker and instance of the origin that uses
the same `name` receives each message, in the order it was posted; the sender does not.
*/
export class NativeChannel implements Channel {
  readonly #channel: BroadcastChannel;
  readonly #listeners = new Set<Listener>();
  #closed = false;

  constructor(name: string) {
    this.#channel = new BroadcastChannel(channelName(name));
    this.#channel.onmessage = (event: MessageEvent) => deliver(this.#listeners, event.data);
  }

  post(message: ChannelMessage): void {
    if (this.#closed) return;
    try {
      this.#channel.postMessage(message);
    } catch (error) {
      // A value that cannot be cloned: a lost message, never a thrown one.
      report(error);
    }
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#channel.close();
  }
}

/** Whether the native `BroadcastChannel` exists here. */
export const hasNativeBroadcastChannel = (): boolean => typeof BroadcastChannel === 'function';
