import axios, { AxiosError, type AxiosProgressEvent } from 'axios';
import { afterEach, describe, expect, test } from 'vitest';
import {
  createTokenRefresh,
  isReplayError,
  isSessionExpiredError,
  type ReplayError,
  SessionExpiredError,
} from '../src/fetch.js';
import { type Echo, ORIGIN, useTestServer } from './support/server.js';

/*
axios (≥ 1.12) over `auth.fetch`: its fetch adapter with `env.fetch`. What axios does, read in its
lib/adapters/fetch.js (1.21) and checked below:
- it always hands `fetch` a `Request` it built (never a URL and an init), so `auth.fetch` takes its general
  path and keeps a copy of every body (`request.clone()`) before the first send;
- a rejected `fetch` goes through `AxiosError.from(error, error.code, …)`: the call rejects with an
  `AxiosError` whose `cause` is the library's error, and whose `name` and `code` are copied from it;
- with `onUploadProgress`, where the runtime has request streams, it reads the body through a
  `ReadableStream` of its own (`trackStream`) and reports progress as that stream is read: only then does
  it report upload progress at all.
*/

const server = useTestServer();

let scope = 0;

/** The README's "With axios" snippet, on the test server's origin (plus a name, no cross-tab, the origin). */
const createAxiosClient = () => {
  const auth = createTokenRefresh({
    name: `axios-${++scope}`,
    crossTab: false,
    isAuthorizedUrl: (url) => url.origin === ORIGIN,
    refresh: async ({ signal }) =>
      (await axios.post<{ access_token: string }>(`${ORIGIN}/auth/refresh`, null, { signal })).data
        .access_token,
  });
  const api = axios.create({ baseURL: `${ORIGIN}/api`, adapter: 'fetch', env: { fetch: auth.fetch } });
  return { auth, api };
};

interface Attempt {
  authorization: string | null;
  contentType: string | null;
  custom: string | null;
  body: string | null;
  /** The upload progress axios had reported (last `loaded`) when this attempt was handed to the network. */
  uploaded: number | undefined;
}

let network: typeof fetch | undefined;
afterEach(() => {
  if (network) globalThis.fetch = network;
  network = undefined;
});

/**
Put a recorder between `auth.fetch` and the network (msw's `fetch`): it reads each request's whole body
before passing it on, as a network that uploads the body before the server answers does, and records what
each attempt carried.
*/
const recordAttempts = (uploaded: () => number | undefined = () => undefined): Attempt[] => {
  const attempts: Attempt[] = [];
  const next = globalThis.fetch;
  network = next;
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const progress = uploaded();
    const bytes = request.body === null ? null : await request.arrayBuffer();
    attempts.push({
      authorization: request.headers.get('authorization'),
      contentType: request.headers.get('content-type'),
      custom: request.headers.get('x-custom'),
      body: bytes === null ? null : new TextDecoder().decode(bytes),
      uploaded: progress,
    });
    return next(new Request(request, { body: bytes }));
  };
  return attempts;
};

/** The first attempt with the stale token, then one replay with the refreshed one, both carrying the same. */
const expectReplayedAsSent = (attempts: Attempt[]) => {
  expect(attempts.map((attempt) => attempt.authorization)).toEqual(['Bearer stale-token', 'Bearer opaque-1']);
  const [first, replay] = attempts;
  expect(replay).toEqual({ ...first, authorization: 'Bearer opaque-1', uploaded: replay?.uploaded });
  expect(server.current.refreshCalls).toBe(1);
  expect(server.current.apiHits.map((hit) => hit.status)).toEqual([401, 200]);
};

/** Each body, the headers it is sent with besides `x-custom`, and what the server must have got. */
const bodies: Array<[string, () => unknown, Record<string, string>, (echo: Echo) => void]> = [
  [
    'JSON',
    () => ({ hello: 'world', n: 1 }),
    {},
    (echo) => {
      expect(JSON.parse(echo.body)).toEqual({ hello: 'world', n: 1 });
      expect(echo.contentType).toBe('application/json');
    },
  ],
  [
    'URLSearchParams',
    () => new URLSearchParams({ a: '1', b: 'two words' }),
    {},
    (echo) => {
      expect(echo.body).toBe('a=1&b=two+words');
      expect(echo.contentType).toBe('application/x-www-form-urlencoded;charset=utf-8');
    },
  ],
  [
    'FormData',
    () => {
      const form = new FormData();
      form.append('field', 'value');
      form.append('file', new Blob(['file contents'], { type: 'text/plain' }), 'a.txt');
      return form;
    },
    // Outside a browser axios leaves its default `application/x-www-form-urlencoded` on a FormData (its
    // resolveConfig clears it only in a browser): say multipart, and its fetch adapter drops the header for
    // fetch to set it with the boundary.
    { 'content-type': 'multipart/form-data' },
    (echo) => {
      expect(echo.contentType).toMatch(/^multipart\/form-data; boundary=/);
      // The replayed body is delimited by the boundary its Content-Type announces.
      expect(echo.body).toContain(`--${echo.contentType?.split('boundary=')[1]}`);
      expect(echo.body).toContain('name="field"');
      expect(echo.body).toContain('file contents');
    },
  ],
  [
    'Blob',
    () => new Blob([new Uint8Array([104, 105, 33])], { type: 'application/octet-stream' }),
    { 'content-type': 'application/octet-stream' },
    (echo) => expect(echo).toMatchObject({ body: 'hi!', contentType: 'application/octet-stream' }),
  ],
  [
    'ArrayBuffer',
    () => new Uint8Array([104, 105, 33]).buffer,
    { 'content-type': 'application/octet-stream' },
    (echo) => expect(echo).toMatchObject({ body: 'hi!', contentType: 'application/octet-stream' }),
  ],
];

describe('axios with the fetch adapter over auth.fetch', () => {
  test.each(bodies)(
    'a %s body is replayed after a 401, behind one refresh',
    async (_, makeBody, headers, check) => {
      const { auth, api } = createAxiosClient();
      await auth.setToken('stale-token');
      const attempts = recordAttempts();
      const { data, status } = await api.put<Echo>('echo', makeBody(), {
        headers: { ...headers, 'x-custom': 'kept' },
      });
      expect(status).toBe(200);
      expect(data).toMatchObject({ method: 'PUT', custom: 'kept' });
      check(data);
      expect(attempts[1]?.body).toBe(data.body);
      expectReplayedAsSent(attempts);
    },
  );

  test('10 concurrent calls at expiry: one refresh, each replayed once with its own body', async () => {
    const { auth, api } = createAxiosClient();
    await auth.setToken('stale-token');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        api.post<Echo>('echo', { n }, { headers: { 'x-custom': 'kept' } }),
      ),
    );
    expect(responses.map(({ data }) => JSON.parse(data.body).n)).toEqual(
      Array.from({ length: 10 }, (_, n) => n),
    );
    expect(responses.every(({ data }) => data.custom === 'kept')).toBe(true);
    expect(server.current.refreshCalls).toBe(1);
    const statuses = server.current.apiHits.map((hit) => hit.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(auth.stats()).toMatchObject({ refreshes: 1, replays: 10 });
  });

  test('a refused refresh: the call rejects with an AxiosError whose cause is SessionExpiredError', async () => {
    const { auth, api } = createAxiosClient();
    server.current.mode = 'invalid_grant';
    await auth.setToken('stale-token');
    const error = await api.get('data').catch((caught: unknown) => caught);

    // axios wraps what `fetch` rejected with (AxiosError.from): an AxiosError, no response, the library's
    // error as `cause`, its name and code copied onto it.
    expect(error).toBeInstanceOf(AxiosError);
    expect(axios.isAxiosError(error)).toBe(true);
    const axiosError = error as AxiosError;
    expect(axiosError.cause).toBeInstanceOf(SessionExpiredError);
    expect(axiosError).toMatchObject({
      name: 'SessionExpiredError',
      code: 'ERR_SESSION_EXPIRED',
      message: (axiosError.cause as SessionExpiredError).message,
    });
    expect(axiosError.response).toBeUndefined();
    expect(axiosError.status).toBeUndefined();
    // The README's check.
    expect(axios.isAxiosError(error) && isSessionExpiredError(error.cause)).toBe(true);
    // The guards test the class: on the AxiosError itself they say no; its `cause` is the typed error.
    expect(isSessionExpiredError(axiosError)).toBe(false);
    expect(isSessionExpiredError(axiosError.cause)).toBe(true);
    // The refresh was written with plain axios: its 400 (an AxiosError with `response.status`) was read as
    // a refusal, and is the cause of the SessionExpiredError.
    expect(axios.isAxiosError((axiosError.cause as SessionExpiredError).cause)).toBe(true);
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.apiHits.map((hit) => hit.status)).toEqual([401]);
  });

  test('a second 401 is an AxiosError with that response: no loop', async () => {
    const { auth, api } = createAxiosClient();
    server.current.rejectAll = true;
    await auth.setToken('stale-token');
    const error = await api.get('data').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AxiosError);
    expect(error).toMatchObject({ code: 'ERR_BAD_REQUEST', status: 401, response: { status: 401 } });
    expect((error as AxiosError).cause).toBeUndefined();
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.apiHits).toHaveLength(2);
  });
});

describe('axios upload progress (onUploadProgress) over auth.fetch', () => {
  test.each<[string, () => Blob | FormData]>([
    ['Blob', () => new Blob(['x'.repeat(200_000)], { type: 'application/octet-stream' })],
    [
      'FormData',
      () => {
        const form = new FormData();
        form.append('field', 'value');
        form.append('file', new Blob(['y'.repeat(200_000)], { type: 'text/plain' }), 'big.txt');
        return form;
      },
    ],
  ])(
    'a %s body streamed by axios for progress is replayed whole from its copy; progress counts it once',
    async (_, makeBody) => {
      const { auth, api } = createAxiosClient();
      await auth.setToken('stale-token');
      const events: AxiosProgressEvent[] = [];
      const attempts = recordAttempts(() => events.at(-1)?.loaded ?? 0);
      const { data } = await api.post<Echo>('echo', makeBody(), {
        headers: { 'x-custom': 'kept' },
        onUploadProgress: (event) => events.push(event),
      });

      const size = new TextEncoder().encode(attempts[0]?.body ?? '').byteLength;
      expect(size).toBeGreaterThanOrEqual(200_000);
      expect(data.body).toBe(attempts[0]?.body);
      expectReplayedAsSent(attempts);
      // axios reported progress, which it does only when it streams the body (trackStream): the body
      // auth.fetch got was a stream, and its copy was replayed whole.
      expect(events.length).toBeGreaterThan(0);
      expect(
        events.every((event) => event.upload === true && event.total === size && event.loaded <= size),
      ).toBe(true);
      // Reported as the first attempt read the body (to the end, before the 401 came); the replay, from the
      // copy, adds nothing: the bar ends at 100% once.
      expect(attempts[1]?.uploaded).toBe(size);
      expect(events.at(-1)?.loaded).toBe(size);
      expect(events.filter((event) => event.loaded === size)).toHaveLength(1);
    },
  );

  test('a body whose copy cannot be taken: AxiosError with cause ReplayError, one attempt, never an empty replay', async () => {
    const { auth, api } = createAxiosClient();
    await auth.setToken('stale-token');
    // Stands for a runtime that refuses to tee the stream (as test/replay-unavailable does for ky): the
    // library's copy of this request fails once; later clones (msw's) work.
    const clone = Request.prototype.clone;
    let refused = false;
    Request.prototype.clone = function (this: Request) {
      if (!refused && this.headers.has('x-no-copy')) {
        refused = true;
        throw new TypeError('body cannot be cloned');
      }
      return clone.call(this);
    };
    try {
      const error = await api
        .post('echo', new Blob(['payload']), {
          headers: { 'x-no-copy': '1' },
          onUploadProgress: () => undefined,
        })
        .catch((caught: unknown) => caught);
      expect(refused).toBe(true);
      expect(error).toBeInstanceOf(AxiosError);
      const cause = (error as AxiosError).cause;
      expect(isReplayError(cause)).toBe(true);
      expect(cause).toMatchObject({
        code: 'ERR_REPLAY_UNAVAILABLE',
        request: { method: 'POST', url: `${ORIGIN}/api/echo` },
      });
      expect((cause as ReplayError).cause).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ name: 'ReplayError', code: 'ERR_REPLAY_UNAVAILABLE' });
      expect(server.current.refreshCalls).toBe(1);
      expect(server.current.apiHits.map((hit) => hit.status)).toEqual([401]);
    } finally {
      Request.prototype.clone = clone;
    }
  });
});
