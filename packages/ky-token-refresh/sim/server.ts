/**
The auth server of the simulation: the pure refresh rules of packages/mock-auth-server (check, then apply;
all presets, `atomic: false` too) over its `ServerState`, with token values used as their own hashes and
unsigned JWTs as access tokens (nothing here is cryptographic, so a schedule costs microseconds). Latency,
faults and the cookie jar live in the world, not here.
*/
import { applyConfigPatch, DEFAULT_CONFIG, type PresetName } from '../../mock-auth-server/src/core/config.ts';
import {
  applyRefresh,
  checkRefresh,
  type RefreshDecision,
  type RefreshOutcome,
} from '../../mock-auth-server/src/core/refresh-rules.ts';
import { initialState, type ServerState } from '../../mock-auth-server/src/core/state.ts';

const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');

export interface AccessToken {
  readonly family: string;
  readonly epoch: number;
  /** `exp` in ms (whole seconds, as in a JWT). */
  readonly expMs: number;
  /** Issue order: a tab's token may only move to a later one. */
  readonly seq: number;
}

export class SimServer {
  readonly state: ServerState;
  /** Bumped by the `expire` operation: every access token issued before answers 401. */
  epoch = 0;
  readonly tokens = new Map<string, AccessToken>();
  #seq = 0;
  #families = 0;
  #children = 0;
  /** Access tokens carry `iat` (the library then places a fresh token's expiry on the browser's clock). */
  readonly #iat: boolean;

  constructor(preset: PresetName, atomic: boolean, accessTtlMs: number, { iat = true } = {}) {
    this.#iat = iat;
    this.state = initialState(
      applyConfigPatch({ ...DEFAULT_CONFIG }, { preset, atomic, accessTtlMs, refreshTtlMs: 86_400_000 }),
    );
  }

  #access(family: string, now: number): string {
    const seq = ++this.#seq;
    const iat = Math.floor(now / 1000);
    const exp = iat + Math.ceil(this.state.config.accessTtlMs / 1000);
    const payload = Buffer.from(
      JSON.stringify({ sub: 'user', sid: family, n: seq, ...(this.#iat ? { iat } : {}), exp }),
    ).toString('base64url');
    const token = `${header}.${payload}.sig`;
    this.tokens.set(token, { family, epoch: this.epoch, expMs: exp * 1000, seq });
    return token;
  }

  /** A new family (session): the access token and the refresh token for the cookie. */
  login(now: number): { accessToken: string; refreshToken: string; family: string } {
    const family = `f${++this.#families}`;
    const refreshToken = `${family}.r0`;
    this.state.families[family] = { sub: 'user', createdAt: now, revoked: null, inFlight: 0 };
    this.state.tokens[refreshToken] = {
      familyId: family,
      parentHash: null,
      issuedAt: now,
      expiresAt: now + this.state.config.refreshTtlMs,
      usedAt: null,
      childHashes: [],
      displacedAt: null,
    };
    return { accessToken: this.#access(family, now), refreshToken, family };
  }

  logout(refreshToken: string | null): void {
    const family = refreshToken === null ? undefined : this.state.tokens[refreshToken]?.familyId;
    const record = family === undefined ? undefined : this.state.families[family];
    if (record && record.revoked === null) record.revoked = 'logout';
  }

  /** An administrative revocation (the injected `400 invalid_grant`). */
  revoke(refreshToken: string | null): void {
    this.logout(refreshToken);
  }

  /** The check step (used alone at arrival by a non-atomic server). */
  decide(refreshToken: string, now: number): RefreshDecision {
    return checkRefresh(this.state, refreshToken, now);
  }

  /** Check (unless a stale decision is given) and apply, then mint the access token. */
  refresh(
    refreshToken: string,
    now: number,
    decision?: RefreshDecision,
  ): RefreshOutcome & { accessToken?: string } {
    const child = `${refreshToken.split('.')[0]}.r${++this.#children}`;
    const outcome = applyRefresh(
      this.state,
      decision ?? checkRefresh(this.state, refreshToken, now),
      {
        presentedHash: refreshToken,
        derivedChild: { token: `${refreshToken}~d`, hash: `${refreshToken}~d` },
        randomChild: { token: child, hash: child },
      },
      now,
    );
    if (!outcome.ok) return outcome;
    return { ...outcome, accessToken: this.#access(outcome.familyId, now) };
  }

  /** Whether /api/* accepts this access token now. */
  accepts(token: string | undefined, now: number): boolean {
    const record = token === undefined ? undefined : this.tokens.get(token);
    if (!record || record.epoch !== this.epoch || now >= record.expMs) return false;
    return this.state.families[record.family]?.revoked === null;
  }
}
