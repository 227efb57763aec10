import type { IncomingMessage } from 'node:http';
import type { Shape } from './answer.ts';

/** What the proxy does with a request, decided from its method, path, headers and (refresh paths) body. */
export type Classified =
  /** Not a refresh: forwarded as it is. `body` when the proxy had to read it (non-refresh grants). */
  | { kind: 'pass'; body: Buffer | null }
  /** A refresh to coalesce. `binding` separates clients that authenticate differently. */
  | { kind: 'refresh'; token: string; binding: string; shape: Shape; body: Buffer }
  /** Refused by the proxy itself, with an OAuth-style error. */
  | { kind: 'reject'; status: number; error: string; description: string };

/** Where refreshes are recognised. */
export interface RecognizerOptions {
  tokenPath: string;
  cookiePath: string;
  cookieName: string;
  /** Lower-case; '' for none. */
  csrfHeader: string;
  maxBodyBytes: number;
}

type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

/**
Reads the body up to `limit`. Past it, it resolves `too_large` at once (the proxy answers 413 with
`Connection: close` while the rest is discarded), whether the size was declared or streamed (chunked).
*/
function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) chunks.push(chunk);
      else resolve({ ok: false, reason: 'too_large' });
    });
    req.on('end', () =>
      resolve(size > limit ? { ok: false, reason: 'too_large' } : { ok: true, body: Buffer.concat(chunks) }),
    );
    req.on('error', () => resolve({ ok: false, reason: 'aborted' }));
    req.on('close', () => {
      if (!req.complete) resolve({ ok: false, reason: size > limit ? 'too_large' : 'aborted' });
    });
  });
}

/** Parses a form strictly: bad percent-encoding or a repeated parameter (RFC 6749 §3.2) gives null. */
export function parseForm(text: string): Map<string, string> | null {
  const params = new Map<string, string>();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const index = part.indexOf('=');
    const [rawName, rawValue] = index < 0 ? [part, ''] : [part.slice(0, index), part.slice(index + 1)];
    try {
      const name = decodeURIComponent(rawName.replaceAll('+', ' '));
      if (params.has(name)) return null;
      params.set(name, decodeURIComponent(rawValue.replaceAll('+', ' ')));
    } catch {
      return null;
    }
  }
  return params;
}

/** The value of cookie `name` in a Cookie header (first occurrence), or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return null;
}

const reject = (status: number, error: string, description: string): Classified => ({
  kind: 'reject',
  status,
  error,
  description,
});

/** Recognises the two refresh shapes; everything else passes through untouched. */
export class RefreshRecognizer {
  readonly #options: RecognizerOptions;

  constructor(options: RecognizerOptions) {
    this.#options = options;
  }

  async classify(req: IncomingMessage): Promise<Classified> {
    const { tokenPath, cookiePath, maxBodyBytes } = this.#options;
    if (req.method !== 'POST') return { kind: 'pass', body: null };
    const path = (req.url ?? '/').split('?')[0];
    if (path === tokenPath) return this.#form(req);
    if (path !== cookiePath) return { kind: 'pass', body: null };
    const { csrfHeader, cookieName } = this.#options;
    // Without the upstream's CSRF header the request must not receive anyone's answer: the upstream decides.
    if (csrfHeader !== '' && req.headers[csrfHeader] === undefined) return { kind: 'pass', body: null };
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > maxBodyBytes)
      return reject(413, 'payload_too_large', `The body exceeds ${maxBodyBytes} bytes`);
    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) return reject(413, 'payload_too_large', `The body exceeds ${maxBodyBytes} bytes`);
    const token = cookieValue(req.headers.cookie, cookieName);
    if (token === null || token === '') {
      return reject(400, 'invalid_request', `The refresh cookie "${cookieName}" is missing or empty`);
    }
    return { kind: 'refresh', token, binding: '', shape: 'cookie', body: read.body };
  }

  async #form(req: IncomingMessage): Promise<Classified> {
    const { maxBodyBytes } = this.#options;
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > maxBodyBytes)
      return reject(413, 'payload_too_large', `The body exceeds ${maxBodyBytes} bytes`);
    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) return reject(413, 'payload_too_large', `The body exceeds ${maxBodyBytes} bytes`);
    const contentType = req.headers['content-type'] ?? '';
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
      return reject(
        415,
        'unsupported_media_type',
        'The token endpoint takes application/x-www-form-urlencoded',
      );
    }
    const text = read.body.toString('utf8');
    const params = parseForm(text);
    // Only a refresh grant is the proxy's to judge: any other grant passes through as it is, even one the
    // strict parser refuses (a repeated scope, say).
    if (params === null) {
      if (!new URLSearchParams(text).getAll('grant_type').includes('refresh_token'))
        return { kind: 'pass', body: read.body };
      return reject(400, 'invalid_request', 'Malformed form body (encoding or repeated parameter)');
    }
    if (params.get('grant_type') !== 'refresh_token') return { kind: 'pass', body: read.body };
    const token = params.get('refresh_token') ?? '';
    if (token === '') return reject(400, 'invalid_request', 'refresh_token is missing or empty');
    const authorization = req.headers.authorization ?? '';
    const clientAuth = [params.get('client_id') ?? '', params.get('client_secret') ?? '', authorization];
    const binding = clientAuth.every((part) => part === '') ? '' : clientAuth.join('\0');
    return { kind: 'refresh', token, binding, shape: 'form', body: read.body };
  }
}
