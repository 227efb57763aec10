import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { randomToken } from './secrets.ts';

/** Signing material persisted in the storage, so every tab (or process) sharing it verifies the same tokens. */
export interface KeyMaterial {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  /** base64url secret for deriving same-child refresh tokens. */
  hmacSecret: string;
}

/** Imported keys, ready to sign and verify. */
export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  hmacSecret: string;
}

/** Issuer and audience of the access tokens. */
export interface TokenIdentity {
  issuer: string;
  audience: string;
}

/** The claims of an access token this server issues. */
export interface AccessClaims {
  sub: string;
  sid: string;
  /** Expiry epoch, see ServerState.accessEpoch. */
  ep: number;
}

const ALG = 'ES256';

/** A fresh ES256 key pair and HMAC secret, exported as JWK. */
export async function generateKeyMaterial(): Promise<KeyMaterial> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  return {
    kid: randomToken(8),
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
    hmacSecret: randomToken(32),
  };
}

/** Imports persisted key material. */
export async function importKeyMaterial(material: KeyMaterial): Promise<SigningKeys> {
  const [privateKey, publicKey] = await Promise.all([
    importJWK(material.privateJwk, ALG),
    importJWK(material.publicJwk, ALG),
  ]);
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) {
    throw new TypeError('ES256 JWKs must import as CryptoKey');
  }
  return { kid: material.kid, privateKey, publicKey, hmacSecret: material.hmacSecret };
}

/** Signs an access token: ES256, `typ: at+jwt`, claims iss, aud, sub, sid, jti, iat, exp (+ private `ep`). */
export async function signAccessToken(
  keys: SigningKeys,
  identity: TokenIdentity,
  claims: AccessClaims,
  nowMs: number,
  ttlMs: number,
): Promise<{ token: string; expiresIn: number }> {
  const iat = Math.floor(nowMs / 1000);
  // NumericDate is whole seconds: the token lives ceil(ttl) seconds counted from the start of this second.
  const exp = iat + Math.ceil(ttlMs / 1000);
  const token = await new SignJWT({ sid: claims.sid, ep: claims.ep })
    .setProtectedHeader({ alg: ALG, typ: 'at+jwt', kid: keys.kid })
    .setIssuer(identity.issuer)
    .setAudience(identity.audience)
    .setSubject(claims.sub)
    .setJti(randomToken(12))
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keys.privateKey);
  return { token, expiresIn: exp - iat };
}

/** Outcome of verifying a bearer token. */
export type VerifyResult =
  | { ok: true; claims: AccessClaims }
  | { ok: false; reason: 'expired' | 'invalid_token'; description: string };

/** Verifies signature, `typ`, issuer, audience and expiry (no clock tolerance) at `nowMs`. */
export async function verifyAccessToken(
  keys: SigningKeys,
  identity: TokenIdentity,
  token: string,
  nowMs: number,
): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      algorithms: [ALG],
      typ: 'at+jwt',
      issuer: identity.issuer,
      audience: identity.audience,
      requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
      currentDate: new Date(nowMs),
    });
    const { sub, sid, ep } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof ep !== 'number') {
      return { ok: false, reason: 'invalid_token', description: 'The access token claims are malformed' };
    }
    return { ok: true, claims: { sub, sid, ep } };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_JWT_EXPIRED') {
      return { ok: false, reason: 'expired', description: 'The access token expired' };
    }
    return { ok: false, reason: 'invalid_token', description: 'The access token is invalid' };
  }
}
