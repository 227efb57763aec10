import { report } from '../core/report.js';
import type { ChannelMessage } from '../core/types.js';

export type Listener = (message: ChannelMessage) => void;

/** The channel name on the wire for the package's `name`. */
export const channelName = (name: string): string => `${name}:channel`;

/**
Hand whatever arrived to every listener. Nothing is validated here (the coordinator checks each message
and ignores what is not one of its own) and nothing thrown by a listener escapes into the transport.
*/
export const deliver = (listeners: Set<Listener>, data: unknown): void => {
  for (const listener of listeners) {
    try {
      listener(data as ChannelMessage);
    } catch (error) {
      report(error);
    }
  }
};
