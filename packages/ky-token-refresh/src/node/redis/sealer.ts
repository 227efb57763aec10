import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
AES-256-GCM under a key derived (HKDF-SHA256) from the application's secret, with the Redis key's name as
associated data (a sealed record cannot be moved to another key). Redis alone yields no token: the secret
never goes there.
*/
export class RecordSealer {
  readonly #key: Buffer;

  /** @param secret At least 16 bytes (or 16 characters) of secret, the same in every process. */
  constructor(secret: string | Uint8Array) {
    const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
    if (bytes.length < 16)
      throw new TypeError(
        'The Redis record `key` must be a secret of at least 16 bytes (the same in every process).',
      );
    this.#key = Buffer.from(hkdfSync('sha256', bytes, 'ky-token-refresh/redis', 'record key v1', 32));
  }

  seal(name: string, plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(name, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** What `seal` made for `name`, or `undefined` when it does not open with this key. */
  open(name: string, sealed: string): string | undefined {
    const [version, iv, tag, body, extra] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined || extra !== undefined) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(name, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return undefined;
    }
  }
}
