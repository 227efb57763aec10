import { base64url } from 'jose';

/** `bytes` random bytes, base64url-encoded: refresh tokens, session ids, jti. */
export function randomToken(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** base64url(SHA-256(value)): the only form in which refresh tokens are stored. */
export async function sha256(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return base64url.encode(new Uint8Array(digest));
}

/**
 * base64url(HMAC-SHA-256(secret, value)). Used to derive a child refresh token from its parent, so graceMode
 * `same-child` can return the same child again without the server ever storing a token value.
 */
export async function hmac(secret: string, value: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new Uint8Array(base64url.decode(secret)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(value));
  return base64url.encode(new Uint8Array(mac));
}
