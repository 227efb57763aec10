import { TokenRefreshError } from './token-refresh-error.js';

/**
Why the record a Redis store holds could not be used:
- `undecryptable`: it does not open with this key (another key, or it was altered): AES-GCM authenticates it;
- `foreign`: it opens, but is not a record this package wrote (a field of the wrong type).
*/
export type RedisRecordErrorReason = 'undecryptable' | 'foreign';

/**
The record stored in Redis under `key` (a `RedisStore`) cannot be used. It is never overwritten because of
it: give every process the same `key` option, or delete the Redis key. Carries the Redis key's name, never
its content.
*/
export class RedisRecordError extends TokenRefreshError {
  override name = 'RedisRecordError';
  /** What is wrong with the record. */
  readonly reason: RedisRecordErrorReason;
  /** The Redis key of the record. */
  readonly key: string;

  constructor(reason: RedisRecordErrorReason, key: string, detail?: string) {
    const what =
      reason === 'undecryptable'
        ? 'does not open with this key (another key, or altered)'
        : 'is not a ky-token-refresh record';
    super(
      'ERR_REDIS_RECORD',
      `The record in Redis at ${key} ${what}${detail ? ` (${detail})` : ''}; it was left untouched.`,
    );
    this.reason = reason;
    this.key = key;
  }
}

export const isRedisRecordError = (error: unknown): error is RedisRecordError =>
  error instanceof RedisRecordError;
