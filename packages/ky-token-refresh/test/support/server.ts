import { delay, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** The app's origin in these tests; `api` below is same-origin with it. */
/** What the test server's `/api/echo` answers: the request as it arrived (after any replay). */
export interface Echo {
  method: string;
  path: string;
  contentType: string | null;
  custom: string | null;
  body: string;
}

export const ORIGIN = 'http://app.test';
export const FOREIGN = 'http://foreign.test';
/** A second API with its own auth server (two token sets on one ky instance). */
export const SECOND = 'http://second.test';

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned JWT: the library only reads `exp`/`iat`, the server below checks by equality. */
export const makeJwt = (claims: Record<string, unknown>): string =>
  `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.sig`;

export type RefreshMode = 'ok' | 'invalid_grant' | 'unauthorized' | 'unavailable' | 'network' | 'hang';

export interface ApiHit {
  method: string;
  path: string;
  authorization: string | null;
  status: number;
}

/**
A small auth server for the unit tests: one valid access token at a time (the last one issued), one
refresh endpoint whose behaviour a test sets, and API routes that answer 401 to any other token.
*/
export class TestAuthServer {
  mode: RefreshMode = 'ok';
  refreshLatencyMs = 20;
  /** When set, issued tokens are JWTs that expire after this many seconds; else opaque strings. */
  ttlSeconds: number | undefined;
  /** Shift the server clock (iat/exp) by this many seconds, to test client clock skew. */
  clockSkewSeconds = 0;
  /** Issue JWTs with `exp` but no `iat`. */
  omitIat = false;
  /** Accept no token at all (to test the loop guard). */
  rejectAll = false;
  /** The next this many requests that carry the valid token fail with a network error. */
  networkErrorsOnValid = 0;
  refreshCalls = 0;
  validToken: string | undefined;
  readonly apiHits: ApiHit[] = [];
  readonly foreignHits: ApiHit[] = [];
  readonly origin: string;
  #issued = 0;

  constructor(origin = ORIGIN) {
    this.origin = origin;
  }

  issue(): string {
    this.#issued++;
    const now = Math.floor(Date.now() / 1000) + this.clockSkewSeconds;
    this.validToken =
      this.ttlSeconds === undefined
        ? `${this.origin === ORIGIN ? 'opaque' : 'second'}-${this.#issued}`
        : makeJwt({
            sub: 'user',
            n: this.#issued,
            ...(this.omitIat ? {} : { iat: now }),
            exp: now + this.ttlSeconds,
          });
    return this.validToken;
  }

  get api401s(): number {
    return this.apiHits.filter((hit) => hit.status === 401).length;
  }

  get handlers() {
    return [
      http.post(`${this.origin}/auth/refresh`, async () => {
        this.refreshCalls++;
        if (this.mode === 'hang') await delay('infinite');
        await delay(this.refreshLatencyMs);
        switch (this.mode) {
          case 'invalid_grant':
            return HttpResponse.json({ error: 'invalid_grant', reason: 'reused' }, { status: 400 });
          case 'unauthorized':
            return HttpResponse.json({ error: 'unauthorized' }, { status: 401 });
          case 'unavailable':
            return HttpResponse.json({ error: 'unavailable' }, { status: 503 });
          case 'network':
            return HttpResponse.error();
          default:
            return HttpResponse.json({ access_token: this.issue() });
        }
      }),
      http.all(`${this.origin}/api/*`, async ({ request }) => {
        const url = new URL(request.url);
        const authorization = request.headers.get('authorization');
        const wait = Number(url.searchParams.get('delay') ?? 0);
        if (wait > 0) await delay(wait);
        const ok =
          !this.rejectAll && this.validToken !== undefined && authorization === `Bearer ${this.validToken}`;
        if (ok && this.networkErrorsOnValid > 0) {
          this.networkErrorsOnValid--;
          return HttpResponse.error();
        }
        this.apiHits.push({
          method: request.method,
          path: url.pathname,
          authorization,
          status: ok ? 200 : 401,
        });
        if (!ok) {
          return HttpResponse.json(
            { error: 'invalid_token' },
            { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } },
          );
        }
        return HttpResponse.json({
          method: request.method,
          path: url.pathname,
          contentType: request.headers.get('content-type'),
          custom: request.headers.get('x-custom'),
          body: await request.text(),
        });
      }),
      http.all(`${this.origin === ORIGIN ? FOREIGN : `${this.origin}/foreign`}/*`, ({ request }) => {
        const url = new URL(request.url);
        const authorization = request.headers.get('authorization');
        this.foreignHits.push({ method: request.method, path: url.pathname, authorization, status: 401 });
        return HttpResponse.json({ error: 'nope' }, { status: 401 });
      }),
    ];
  }
}

/**
Install an msw/node server for the current test file and return a fresh TestAuthServer per test (`second`:
another one on the origin SECOND).
*/
export const useTestServer = (): { readonly current: TestAuthServer; readonly second: TestAuthServer } => {
  const holder = { current: new TestAuthServer(), second: new TestAuthServer(SECOND) };
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    holder.current = new TestAuthServer();
    holder.second = new TestAuthServer(SECOND);
    server.use(...holder.current.handlers, ...holder.second.handlers);
  });
  afterAll(() => server.close());
  server.use(...holder.current.handlers, ...holder.second.handlers);
  return holder;
};
