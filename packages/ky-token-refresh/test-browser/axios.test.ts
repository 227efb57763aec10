import axios, { AxiosError, type AxiosProgressEvent } from 'axios';
import { afterEach, expect, it } from 'vitest';
import { createTokenRefresh } from '../src/fetch.js';
import { uniqueName } from './support.js';

/*
axios's fetch adapter in Chromium, over auth.fetch (test/axios.test.ts covers the rest in Node). Chromium has
request streams, so with `onUploadProgress` axios sends the body as a ReadableStream it reads to report
progress; Chromium sends such a body only over HTTP/2 or HTTP/3.
*/

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** A `fetch` that answers 401 to any token but `valid`, and records what each attempt carried. */
const stubFetch = (valid: string) => {
  const seen: { authorization: string | null; contentType: string | null; body: string }[] = [];
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const authorization = request.headers.get('authorization');
    seen.push({
      authorization,
      contentType: request.headers.get('content-type'),
      body: await request.text(),
    });
    return Response.json({ ok: true }, { status: authorization === `Bearer ${valid}` ? 200 : 401 });
  };
  return seen;
};

const createAxiosClient = () => {
  let refreshes = 0;
  const auth = createTokenRefresh({
    name: uniqueName('axios'),
    refresh: async () => {
      refreshes++;
      return 'fresh';
    },
  });
  const api = axios.create({ baseURL: '/api', adapter: 'fetch', env: { fetch: auth.fetch } });
  return { auth, api, refreshes: () => refreshes };
};

it('a FormData body axios streams for onUploadProgress is replayed whole from its copy after a 401', async () => {
  const seen = stubFetch('fresh');
  const { auth, api, refreshes } = createAxiosClient();
  await auth.setToken('stale');
  const form = new FormData();
  form.append('field', 'value');
  form.append('file', new Blob(['z'.repeat(100_000)], { type: 'text/plain' }), 'big.txt');
  const events: AxiosProgressEvent[] = [];
  const { status } = await api.post('upload', form, { onUploadProgress: (event) => events.push(event) });

  expect(status).toBe(200);
  expect(refreshes()).toBe(1);
  expect(seen.map((attempt) => attempt.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
  const [first, replay] = seen;
  // axios's own multipart body (its boundary), streamed: the replay carries the same bytes and header.
  expect(first?.contentType).toMatch(/^multipart\/form-data; boundary=axios-/);
  expect(first?.body).toContain('z'.repeat(100_000));
  expect(replay).toEqual({ ...first, authorization: 'Bearer fresh' });
  // Progress is reported only for a body axios streams; it ends at the body's size, once.
  const size = new TextEncoder().encode(first?.body).byteLength;
  expect(events.length).toBeGreaterThan(0);
  expect(events.at(-1)).toMatchObject({ upload: true, loaded: size, total: size });
  expect(events.filter((event) => event.loaded === size)).toHaveLength(1);
  auth.dispose();
});

it('over HTTP/1.1 Chromium refuses a streamed upload: axios rejects with ERR_NETWORK, with or without auth.fetch', async () => {
  // The test page's own server speaks HTTP/1.1; what it answers does not matter, only whether fetch sends.
  const body = () => new Blob(['payload'], { type: 'text/plain' });
  const { auth, api } = createAxiosClient();
  await auth.setToken('fresh');
  const plain = axios.create({ adapter: 'fetch' });
  for (const client of [api, plain]) {
    // Without onUploadProgress the body is not streamed: the request goes out and gets an answer.
    const answered = await client
      .post('/__axios-probe', body(), { validateStatus: () => true })
      .then((response) => response.status);
    expect(answered).toBeGreaterThanOrEqual(200);
    const error = await client
      .post('/__axios-probe', body(), { onUploadProgress: () => undefined, validateStatus: () => true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AxiosError);
    expect(error).toMatchObject({ code: 'ERR_NETWORK', message: 'Network Error' });
    expect((error as AxiosError).cause).toBeInstanceOf(TypeError);
  }
  auth.dispose();
});
