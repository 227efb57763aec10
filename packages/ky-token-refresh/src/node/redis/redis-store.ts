import type { Store, TokenRecord } from '../../core/types.js';
import { RedisRecordError } from '../../errors/redis-record-error.js';
import { invalidField } from '../record-fields.js';
import { type RedisConnection, redisKeys } from './connection.js';
import { RecordSealer } from './sealer.js';

export interface RedisStoreOptions {
  /**
  The secret the record is encrypted with (AES-256-GCM, key derived by HKDF-SHA256): at least 16 bytes, the
  same in every process, never in Redis. Redis alone then yields no token.
  */
  key: string | Uint8Array;
  /**
  How long the record lives in Redis after its last write: bind it to the refresh token's lifetime (a record
  older than its refresh token holds nothing usable).
  @default 30 days
  */
  ttlMs?: number;
  /**
  How many times `update()` reads and tries its compare-and-set again when another writer changed the
  record in between (its `updater` runs each time), after a jittered pause that doubles up to 50 ms.
  @default 32
  */
  maxAttempts?: number;
}

const GET = "return redis.call('GET', KEYS[1])";

// Compare-and-set on the whole sealed value (a fresh IV at each write makes it a version).
const SET_IF_UNCHANGED = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/**
The record shared by the processes (on any machine) that use the same Redis, `name` and `key`: one Redis
string `{name}:record`, sealed (AES-256-GCM under `key`, the key's name as associated data), with a TTL.

- `get()`: one `GET` (in a script, so that Redis Cluster routes it like the writes).
- `update(updater)`: reads, runs `updater`, and writes with a compare-and-set script on the value it read;
  when another writer got in between, it reads again and runs `updater` again (up to `maxAttempts`). So a
  writer that read an old record (a holder whose lease expired meanwhile) never overwrites a newer one: its
  `updater` sees the newer record (the coordinator's generation check then keeps it).
- A record that does not open with `key`, or is not a record, is a `RedisRecordError` from both, and is
  never overwritten.
*/
export class RedisStore implements Store {
  readonly #client: RedisConnection;
  readonly #key: string;
  readonly #sealer: RecordSealer;
  readonly #ttlMs: number;
  readonly #maxAttempts: number;

  constructor(client: RedisConnection, name: string, options: RedisStoreOptions) {
    this.#client = client;
    this.#key = redisKeys(name).record;
    this.#sealer = new RecordSealer(options.key);
    this.#ttlMs = options.ttlMs ?? 30 * 24 * 3600 * 1000;
    this.#maxAttempts = options.maxAttempts ?? 32;
    if (!Number.isSafeInteger(this.#ttlMs) || this.#ttlMs <= 0)
      throw new TypeError('`ttlMs` of the Redis store must be a positive whole number of ms.');
  }

  async get(): Promise<TokenRecord | undefined> {
    return (await this.#read()).record;
  }

  async update(updater: (current: TokenRecord | undefined) => TokenRecord): Promise<TokenRecord> {
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      const { raw, record } = await this.#read();
      const next = updater(record);
      const field = invalidField(next);
      if (field) throw new TypeError(`The store updater returned an invalid record (field "${field}").`);
      const sealed = this.#sealer.seal(this.#key, JSON.stringify(next));
      const written = await this.#client.eval(SET_IF_UNCHANGED, {
        keys: [this.#key],
        arguments: [raw ?? '', sealed, String(this.#ttlMs)],
      });
      if (Number(written) === 1) return next;
      const backoffMs = Math.min(50, 2 ** attempt) * Math.random();
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
    throw new Error(`The Redis record ${this.#key} changed under ${this.#maxAttempts} writes in a row.`);
  }

  async #read(): Promise<{ raw: string | undefined; record: TokenRecord | undefined }> {
    const raw = await this.#client.eval(GET, { keys: [this.#key], arguments: [] });
    if (raw === null || raw === undefined) return { raw: undefined, record: undefined };
    if (typeof raw !== 'string') throw new RedisRecordError('foreign', this.#key, 'not a string');
    const text = this.#sealer.open(this.#key, raw);
    if (text === undefined) throw new RedisRecordError('undecryptable', this.#key);
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      throw new RedisRecordError('foreign', this.#key, 'not JSON');
    }
    const field = invalidField(record);
    if (field) throw new RedisRecordError('foreign', this.#key, `invalid field "${field}"`);
    return { raw, record: record as TokenRecord };
  }
}
