import { report } from '../core/report.js';
import type { Channel, ChannelMessage } from '../core/types.js';
import { channelName, deliver, type Listener } from './deliver.js';

/** The part of the `broadcast-channel` package's channel this adapter uses. */
interface PackageChannel {
  postMessage(message: unknown): Promise<void>;
  addEventListener(type: 'message', handler: (data: unknown) => void): void;
  close(): Promise<void>;
}

export type FallbackMethod = 'idb' | 'localstorage';

/**
A Channel over the `broadcast-channel` package (its IndexedDB or localStorage method) for where the native
`BroadcastChannel` is missing. The package is loaded with a dynamic `import()` on creation, only when this
channel is used; messages posted before it is loaded are queued and sent, in order, once it is.
*/
export class FallbackChannel implements Channel {
  readonly #listeners = new Set<Listener>();
  #queue: ChannelMessage[] | undefined = [];
  #channel: PackageChannel | undefined;
  #closed = false;
  /** Settles when the package is loaded and the channel open (or failed to). */
  readonly ready: Promise<void>;

  constructor(name: string, method: FallbackMethod) {
    this.ready = import('broadcast-channel').then(
      ({ BroadcastChannel: PackageBroadcastChannel }) => {
        if (this.#closed) return;
        const channel: PackageChannel = new PackageBroadcastChannel(channelName(name), {
          type: method,
          webWorkerSupport: false,
        });
        channel.addEventListener('message', (data) => deliver(this.#listeners, data));
        this.#channel = channel;
        const queued = this.#queue ?? [];
        this.#queue = undefined;
        for (const message of queued) this.#send(message);
      },
      (error: unknown) => {
        this.#queue = undefined;
        report(error);
      },
    );
  }

  #send(message: ChannelMessage): void {
    this.#channel?.postMessage(message).catch(report);
  }

  post(message: ChannelMessage): void {
    if (this.#closed) return;
    if (this.#queue) this.#queue.push(message);
    else this.#send(message);
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
    this.#queue = undefined;
    void this.#channel?.close().catch(report);
  }
}
