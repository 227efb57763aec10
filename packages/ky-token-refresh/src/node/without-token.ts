import type { ChannelMessage } from '../core/types.js';

/**
What a channel between processes sends for `message` (a message file, Redis pub/sub): a `'token'` message
loses its `token`, so that tokens never travel through the channel; receivers read the store.
*/
export const withoutToken = (message: ChannelMessage): unknown => {
  if (typeof message !== 'object' || message === null || message.type !== 'token' || !('token' in message))
    return message;
  const { token: _token, ...rest } = message;
  return rest;
};
