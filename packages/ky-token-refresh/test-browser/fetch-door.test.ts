import { afterEach, expect, it } from 'vitest';
import { createTokenRefresh } from '../src/create-token-refresh.js';
import { uniqueName } from './support.js';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** A `fetch` that answers 401 to any token but `valid`, and records the Authorization it saw. */
const stubFetch = (valid: string) => {
  const seen: (string | null)[] = [];
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const authorization = request.headers.get('authorization');
    seen.push(authorization);
    return new Response(null, { status: authorization === `Bearer ${valid}` ? 200 : 401 });
  };
  return seen;
};

it('auth.fetch with a relative URL: resolved against the page, authorized by the default same-origin check', async () => {
  const seen = stubFetch('fresh');
  const auth = createTokenRefresh({ name: uniqueName('fetch-door'), refresh: async () => 'fresh' });
  await auth.setToken('stale');
  const response = await auth.fetch('api/data', { method: 'POST', body: 'kept' });
  expect(response.status).toBe(200);
  // The first attempt with the stale token, then one refresh and one replay.
  expect(seen).toEqual(['Bearer stale', 'Bearer fresh']);
  expect(await auth.fetch('/api/again')).toMatchObject({ status: 200 });
  expect(seen.at(-1)).toBe('Bearer fresh');
  auth.dispose();
});

it('auth.fetch sends no token to another origin', async () => {
  const seen = stubFetch('fresh');
  const auth = createTokenRefresh({ name: uniqueName('fetch-door'), refresh: async () => 'fresh' });
  await auth.setToken('fresh');
  const response = await auth.fetch('https://elsewhere.test/api');
  expect(response.status).toBe(401);
  expect(seen).toEqual([null]);
  auth.dispose();
});
