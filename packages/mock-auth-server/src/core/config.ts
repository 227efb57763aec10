/** How a refresh token that was rotated moments ago is treated when it is presented again within `graceMs`. */
export type GraceMode = 'same-child' | 'sibling' | 'displace';

/** Every knob of the mock auth server. All durations are in milliseconds. */
export interface AuthServerConfig {
  /**
   * Lifetime of an access token. JWT `iat`/`exp` are whole seconds: `exp = iat + ceil(accessTtlMs / 1000)`,
   * so a token can expire up to one second earlier than `accessTtlMs` after it was issued.
   */
  accessTtlMs: number;
  /** Lifetime of a refresh token (and of the cookie that carries it). */
  refreshTtlMs: number;
  /** Rotate the refresh token on every refresh (one-time use). Off: the same refresh token is reused. */
  rotation: boolean;
  /** Window after a rotation in which the just-rotated parent is still honoured. 0 disables the grace window. */
  graceMs: number;
  /**
   * What a re-presented parent gets within the grace window:
   * - `same-child`: the same child token again (Supabase);
   * - `sibling`: a new sibling child, the parent stays valid for the window (Okta);
   * - `displace`: a new child that invalidates the previous child (SuperTokens).
   */
  graceMode: GraceMode;
  /** Presenting a used token outside the grace window revokes the whole family (RFC 9700 4.14.2). */
  reuseDetection: boolean;
  /**
   * `true` (default): the check-and-rotate step is one atomic read-modify-write.
   * `false`: mimics servers that read, work (latency), then write, so two concurrent refreshes with the same
   * token both pass the check and mint two children.
   */
  atomic: boolean;
  /** Fixed latency of /auth/refresh. */
  latencyMs: number;
  /** Random extra latency of /auth/refresh, uniform in [0, jitterMs]. */
  jitterMs: number;
  /** Fixed latency of /api/*. */
  apiLatencyMs: number;
  /** Random extra latency of /api/*, uniform in [0, apiJitterMs]. */
  apiJitterMs: number;
}

/** Names of the built-in presets. */
export type PresetName = 'strict' | 'okta' | 'supabase' | 'supertokens';

/** The knobs a preset sets; the others (TTLs, latency, atomic) keep their current values. */
export type PresetKnobs = Pick<AuthServerConfig, 'rotation' | 'graceMs' | 'graceMode' | 'reuseDetection'>;

/** Refresh-token policies of well-known servers. */
export const PRESETS: Readonly<Record<PresetName, Readonly<PresetKnobs>>> = {
  /** RFC 9700 best practice taken literally: rotation, no grace, reuse detection. */
  strict: { rotation: true, graceMs: 0, graceMode: 'same-child', reuseDetection: true },
  /** Okta: 30 s grace, each re-presentation of the parent mints a sibling. */
  okta: { rotation: true, graceMs: 30_000, graceMode: 'sibling', reuseDetection: true },
  /** Supabase: 10 s reuse interval, re-presentation returns the same child. */
  supabase: { rotation: true, graceMs: 10_000, graceMode: 'same-child', reuseDetection: true },
  /** SuperTokens: 30 s grace, a new child displaces the previous one. */
  supertokens: { rotation: true, graceMs: 30_000, graceMode: 'displace', reuseDetection: true },
};

/** The configuration a fresh server starts with: the strict preset, 60 s access tokens, no latency. */
export const DEFAULT_CONFIG: Readonly<AuthServerConfig> = {
  accessTtlMs: 60_000,
  refreshTtlMs: 24 * 60 * 60 * 1000,
  ...PRESETS.strict,
  atomic: true,
  latencyMs: 0,
  jitterMs: 0,
  apiLatencyMs: 0,
  apiJitterMs: 0,
};

/** A partial configuration, optionally starting from a preset: `{ preset: 'okta', accessTtlMs: 5000 }`. */
export type ConfigPatch = Partial<AuthServerConfig> & { preset?: PresetName };

/** Why a configuration patch was refused. */
export type ConfigError =
  | { kind: 'not_an_object' }
  | { kind: 'unknown_key'; key: string }
  | { kind: 'invalid_value'; knob: string; message: string };

/** Result of validating untrusted input as a {@link ConfigPatch}. */
export type ConfigValidation = { ok: true; patch: ConfigPatch } | { ok: false; error: ConfigError };

const MAX_DURATION_MS = 365 * 24 * 60 * 60 * 1000;
const MAX_LATENCY_MS = 60_000;

type Check = (value: unknown) => string | null;

const duration =
  (min: number, max: number): Check =>
  (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? null
      : `must be a finite number between ${min} and ${max}`;

const boolean: Check = (value) => (typeof value === 'boolean' ? null : 'must be a boolean');

const oneOf =
  (values: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && values.includes(value) ? null : `must be one of ${values.join(', ')}`;

const CHECKS: Record<keyof AuthServerConfig | 'preset', Check> = {
  preset: oneOf(Object.keys(PRESETS)),
  accessTtlMs: duration(1, MAX_DURATION_MS),
  refreshTtlMs: duration(1, MAX_DURATION_MS),
  rotation: boolean,
  graceMs: duration(0, MAX_DURATION_MS),
  graceMode: oneOf(['same-child', 'sibling', 'displace']),
  reuseDetection: boolean,
  atomic: boolean,
  latencyMs: duration(0, MAX_LATENCY_MS),
  jitterMs: duration(0, MAX_LATENCY_MS),
  apiLatencyMs: duration(0, MAX_LATENCY_MS),
  apiJitterMs: duration(0, MAX_LATENCY_MS),
};

const isKnownKey = (key: string): key is keyof typeof CHECKS => Object.hasOwn(CHECKS, key);

/** Validates untrusted input (e.g. a POST /__mock/config body). Names the first unknown key or bad knob. */
export function validateConfigPatch(input: unknown): ConfigValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: { kind: 'not_an_object' } };
  }
  for (const [key, value] of Object.entries(input)) {
    if (!isKnownKey(key)) return { ok: false, error: { kind: 'unknown_key', key } };
    const message = CHECKS[key](value);
    if (message !== null) return { ok: false, error: { kind: 'invalid_value', knob: key, message } };
  }
  return { ok: true, patch: input as ConfigPatch };
}

/** Applies a validated patch: the preset's knobs first (if any), then the explicit keys. */
export function applyConfigPatch(base: AuthServerConfig, patch: ConfigPatch): AuthServerConfig {
  const { preset, ...rest } = patch;
  const withPreset = preset === undefined ? base : { ...base, ...PRESETS[preset] };
  const next: AuthServerConfig = { ...withPreset };
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) Object.assign(next, { [key]: value });
  }
  return next;
}
