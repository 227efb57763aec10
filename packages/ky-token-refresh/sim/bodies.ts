/**
Request bodies of every shape a caller may hand to either door, and the canonical form of what a request
carries (method, URL, headers but Authorization, body), in which the server echoes what it received and the
differential invariant compares what the doors sent with what plain `fetch` would send.
*/
import type { BodyShape } from './model.js';

/** One request body, built anew for each use (a stream can be read once). */
export interface BuiltBody {
  readonly body: BodyInit;
  /** Content-Type the caller sets itself (the others come from the body). */
  readonly contentType?: string;
  /** A stream needs `duplex: 'half'`. */
  readonly duplex?: 'half';
}

const text = (id: number): string => JSON.stringify({ r: id });

/** The body of request `id` in `shape`. */
export const buildBody = (shape: BodyShape, id: number): BuiltBody => {
  switch (shape) {
    case 'json':
      return { body: text(id), contentType: 'application/json' };
    case 'blob':
      return { body: new Blob([text(id)], { type: 'text/plain' }) };
    case 'form': {
      const form = new FormData();
      form.append('r', String(id));
      form.append('file', new Blob([`x${id}`], { type: 'text/plain' }), 'f.txt');
      return { body: form };
    }
    case 'params':
      return { body: new URLSearchParams({ r: String(id), q: 'a b' }) };
    case 'buffer':
      return { body: new TextEncoder().encode(text(id)).buffer as ArrayBuffer };
    case 'typed':
      return { body: new TextEncoder().encode(text(id)) };
    case 'stream': {
      const bytes = new TextEncoder().encode(text(id));
      return {
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        }),
        contentType: 'application/octet-stream',
        duplex: 'half',
      };
    }
  }
};

/** What the server must have received as the body of request `id` in `shape` (its canonical form). */
export const expectedBody = (shape: BodyShape, id: number): string => {
  switch (shape) {
    case 'form':
      return JSON.stringify([
        ['r', String(id)],
        ['file', `file:f.txt:x${id}`],
      ]);
    case 'params':
      return `r=${id}&q=a+b`;
    default:
      return text(id);
  }
};

/** A request as the network sees it, Authorization aside; FormData by its entries (its boundary is random). */
export interface Canon {
  readonly method: string;
  readonly url: string;
  readonly headers: string;
  readonly body: string;
}

/** The canonical form of `request` (reads its body). */
export const canon = async (request: Request): Promise<Canon> => {
  const type = request.headers.get('content-type') ?? '';
  const multipart = type.startsWith('multipart/form-data');
  const headers = [...request.headers]
    .filter(([name]) => name !== 'authorization')
    .map(
      ([name, value]) => `${name}: ${name === 'content-type' && multipart ? 'multipart/form-data' : value}`,
    )
    .join('\n');
  let body = '';
  if (request.body !== null) {
    if (multipart) {
      const entries = await Promise.all(
        [...(await request.formData())].map(async ([name, value]) => [
          name,
          typeof value === 'string' ? value : `file:${value.name}:${await value.text()}`,
        ]),
      );
      body = JSON.stringify(entries);
    } else body = await request.text();
  }
  return { method: request.method, url: request.url, headers, body };
};

/** The first difference between two canonical requests, or undefined. */
export const difference = (expected: Canon, got: Canon): string | undefined => {
  for (const key of ['method', 'url', 'headers', 'body'] as const) {
    if (expected[key] !== got[key])
      return `${key}: expected ${JSON.stringify(expected[key])}, got ${JSON.stringify(got[key])}`;
  }
  return undefined;
};
