import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const HKDF_SALT = Buffer.from('refresh-proxy/answer/v1');
const VERSION = 'v1';

/**
 * Keys and sealing. A store entry is keyed by HMAC-SHA256(server secret, refresh token + client binding),
 * and the shared answer is sealed with AES-256-GCM under a key derived from the refresh token (HKDF-SHA256),
 * so the store alone yields neither the token nor the answer: only a request that presents the token can
 * open what another request with the same token stored.
 */
export class TokenCrypto {
  readonly #secret: Buffer;

  constructor(secret: string | Buffer) {
    this.#secret = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
  }

  /** The store key of a refresh token (hex); `binding` separates clients that authenticate differently. */
  key(refreshToken: string, binding = ''): string {
    return createHmac('sha256', this.#secret).update(binding).update('\0').update(refreshToken).digest('hex');
  }

  /** Encrypts `plain` under the token's key; the store key is authenticated too (no swapping entries). */
  seal(refreshToken: string, storeKey: string, plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#derive(refreshToken), iv);
    cipher.setAAD(Buffer.from(storeKey));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      body.toString('base64url'),
    ].join('.');
  }

  /** Decrypts what {@link seal} made; null when it was not sealed for this token and key (or is damaged). */
  open(refreshToken: string, storeKey: string, sealed: string): string | null {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) return null;
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.#derive(refreshToken),
        Buffer.from(iv, 'base64url'),
      );
      decipher.setAAD(Buffer.from(storeKey));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return null;
    }
  }

  #derive(refreshToken: string): Buffer {
    return Buffer.from(hkdfSync('sha256', refreshToken, HKDF_SALT, 'refresh-proxy answer key', 32));
  }
}

/** A short, non-reversible id of a store key for log lines (never the token). */
export const keyId = (storeKey: string): string => storeKey.slice(0, 12);
