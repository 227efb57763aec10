import { describe, expect, test } from 'vitest';
import { createClient } from './support/client.js';
import { type Echo, useTestServer } from './support/server.js';

const server = useTestServer();

const bodies: Array<[string, () => { body?: BodyInit; json?: unknown }, (echo: Echo) => void]> = [
  [
    'JSON',
    () => ({ json: { hello: 'world', n: 1 } }),
    (echo) => {
      expect(JSON.parse(echo.body)).toEqual({ hello: 'world', n: 1 });
      expect(echo.contentType).toBe('application/json');
    },
  ],
  ['text', () => ({ body: 'plain text body' }), (echo) => expect(echo.body).toBe('plain text body')],
  [
    'FormData',
    () => {
      const form = new FormData();
      form.append('field', 'value');
      form.append('file', new Blob(['file contents'], { type: 'text/plain' }), 'a.txt');
      return { body: form };
    },
    (echo) => {
      expect(echo.contentType).toMatch(/^multipart\/form-data; boundary=/);
      // The replayed body is delimited by the boundary its Content-Type announces.
      expect(echo.body).toContain(`--${echo.contentType?.split('boundary=')[1]}`);
      expect(echo.body).toContain('name="field"');
      expect(echo.body).toContain('value');
      expect(echo.body).toContain('file contents');
    },
  ],
  [
    'Blob',
    () => ({ body: new Blob([new Uint8Array([104, 105, 33])], { type: 'application/octet-stream' }) }),
    (echo) => {
      expect(echo.body).toBe('hi!');
      expect(echo.contentType).toBe('application/octet-stream');
    },
  ],
  [
    'URLSearchParams',
    () => ({ body: new URLSearchParams({ a: '1', b: 'two words' }) }),
    (echo) => {
      expect(echo.body).toBe('a=1&b=two+words');
      expect(echo.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    },
  ],
];

describe.each([
  ['default retry', {}],
  ['retry: 0', { retry: 0 }],
])('replay after a 401 (%s)', (_, kyOptions) => {
  test.each(bodies)('keeps method, headers and a %s body', async (_, makeBody, check) => {
    const { auth, api } = createClient({}, kyOptions);
    await auth.setToken('stale-token');
    const echo = await api.put('echo', { ...makeBody(), headers: { 'x-custom': 'kept' } }).json<Echo>();
    expect(echo.method).toBe('PUT');
    expect(echo.custom).toBe('kept');
    check(echo);
    expect(server.current.refreshCalls).toBe(1);
    expect(server.current.apiHits.map((hit) => hit.status)).toEqual([401, 200]);
  });
});
