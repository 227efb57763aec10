import ky from 'ky';
import { expect, test } from 'vitest';
import { createTokenRefresh, ReplayError } from '../src/index.js';
import { ORIGIN, useTestServer } from './support/server.js';

const server = useTestServer();

test('a streamed body that could not be kept for replay fails with ReplayError, never an empty replay', async () => {
  const auth = createTokenRefresh({
    name: 'no-replay',
    crossTab: false,
    isAuthorizedUrl: () => true,
    refresh: async ({ signal }) =>
      (await ky.post(`${ORIGIN}/auth/refresh`, { signal }).json<{ access_token: string }>()).access_token,
  });
  const api = ky.create({
    prefix: `${ORIGIN}/api`,
    // With retries on, ky clones the request itself before sending and would fail first.
    retry: 0,
    hooks: {
      ...auth.hooks,
      beforeRequest: [
        ({ request }) => {
          // Stands for a body that cannot be cloned (e.g. a one-shot stream a runtime refuses to tee).
          request.clone = () => {
            throw new TypeError('body cannot be cloned');
          };
        },
        ...(auth.hooks.beforeRequest ?? []),
      ],
    },
  });
  await auth.setToken('stale-token');

  const error = await api
    .post('echo', { body: new Blob(['payload']).stream(), headers: { 'content-type': 'text/plain' } })
    .json()
    .catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(ReplayError);
  expect(error).toMatchObject({
    code: 'ERR_REPLAY_UNAVAILABLE',
    request: { method: 'POST', url: `${ORIGIN}/api/echo` },
  });
  expect((error as ReplayError).cause).toBeInstanceOf(TypeError);
  expect(server.current.apiHits).toHaveLength(1);
});
