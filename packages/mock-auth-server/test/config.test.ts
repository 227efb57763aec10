import { describe, expect, it } from 'vitest';
import { applyConfigPatch, DEFAULT_CONFIG, PRESETS, validateConfigPatch } from '../src/index.ts';
import { testServer } from './helpers.ts';

describe('config', () => {
  it('defaults to the strict preset with 60 s access tokens', () => {
    expect(DEFAULT_CONFIG).toEqual({
      accessTtlMs: 60_000,
      refreshTtlMs: 86_400_000,
      rotation: true,
      graceMs: 0,
      graceMode: 'same-child',
      reuseDetection: true,
      atomic: true,
      latencyMs: 0,
      jitterMs: 0,
      apiLatencyMs: 0,
      apiJitterMs: 0,
    });
  });

  it('has the four presets', () => {
    expect(PRESETS).toEqual({
      strict: { rotation: true, graceMs: 0, graceMode: 'same-child', reuseDetection: true },
      okta: { rotation: true, graceMs: 30_000, graceMode: 'sibling', reuseDetection: true },
      supabase: { rotation: true, graceMs: 10_000, graceMode: 'same-child', reuseDetection: true },
      supertokens: { rotation: true, graceMs: 30_000, graceMode: 'displace', reuseDetection: true },
    });
  });

  it('applies the preset first, then explicit keys', () => {
    const config = applyConfigPatch({ ...DEFAULT_CONFIG, latencyMs: 50 }, { preset: 'okta', graceMs: 5000 });
    expect(config).toMatchObject({
      graceMode: 'sibling',
      graceMs: 5000,
      latencyMs: 50,
      reuseDetection: true,
    });
  });

  it.each([
    [[], { kind: 'not_an_object' }],
    [null, { kind: 'not_an_object' }],
    ['okta', { kind: 'not_an_object' }],
    [{ graceMS: 10 }, { kind: 'unknown_key', key: 'graceMS' }],
    [{ __proto__x: 1 }, { kind: 'unknown_key', key: '__proto__x' }],
    [{ graceMode: 'twin' }, { kind: 'invalid_value', knob: 'graceMode' }],
    [{ preset: 'auth0' }, { kind: 'invalid_value', knob: 'preset' }],
    [{ accessTtlMs: 0 }, { kind: 'invalid_value', knob: 'accessTtlMs' }],
    [{ accessTtlMs: '1000' }, { kind: 'invalid_value', knob: 'accessTtlMs' }],
    [{ graceMs: -1 }, { kind: 'invalid_value', knob: 'graceMs' }],
    [{ latencyMs: Number.NaN }, { kind: 'invalid_value', knob: 'latencyMs' }],
    [{ latencyMs: 120_000 }, { kind: 'invalid_value', knob: 'latencyMs' }],
    [{ rotation: 'yes' }, { kind: 'invalid_value', knob: 'rotation' }],
    [{ atomic: 1 }, { kind: 'invalid_value', knob: 'atomic' }],
  ])('refuses %j', (input, error) => {
    const result = validateConfigPatch(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject(error);
  });

  it('configure keeps the state, reset restores the initial configuration and clears everything', async () => {
    const { server } = testServer({ accessTtlMs: 5000 });
    await server.login('ann', 'pw');
    const configured = await server.configure({ preset: 'supabase', latencyMs: 10 });
    expect(configured).toMatchObject({
      ok: true,
      config: { graceMs: 10_000, latencyMs: 10, accessTtlMs: 5000 },
    });
    expect((await server.stats()).logins).toBe(1);

    const reset = await server.reset();
    expect(reset).toEqual({ ok: true, config: { ...DEFAULT_CONFIG, accessTtlMs: 5000 } });
    expect((await server.stats()).logins).toBe(0);

    expect(await server.reset({ preset: 'okta' })).toMatchObject({
      ok: true,
      config: { graceMode: 'sibling' },
    });
    expect(await server.configure({ nope: true })).toEqual({
      ok: false,
      error: { kind: 'unknown_key', key: 'nope' },
    });
    expect((await server.config()).graceMode).toBe('sibling');
  });
});
