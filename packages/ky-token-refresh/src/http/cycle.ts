import type { Coordinator, RefreshCall } from '../core/coordinator.js';
import { isDueForRefresh } from '../core/token.js';
import type { TokenRecord } from '../core/types.js';
import { ReplayError } from '../errors/replay-error.js';
import { isSessionExpiredError } from '../errors/session-expired-error.js';
import { bearer, isSameOrigin, isUnauthorized, sameOrigin } from '../options.js';

/** The parts of the user options the request cycle uses, already validated and defaulted. */
export interface CycleConfig {
  shouldRefresh: (response: Response, request: Request) => boolean | Promise<boolean>;
  isAuthorizedUrl: (url: URL) => boolean;
  authorize: (request: Request, token: string) => Request | undefined | void;
  refreshBeforeExpiryMs: number;
}

/** Sends one request over the network (the app's `fetch`, ky's `fetch` option, …). */
export type Transport = (request: Request) => Promise<Response>;

/** What the cycle knows about one call, besides its Request. */
export interface CallState {
  /** The caller's own signal, watched besides `request.signal` (in Node the latter may stop following it). */
  readonly signal?: AbortSignal | null | undefined;
  /** The call opted out: sent as it is, no token, its 401 returned untouched. */
  readonly skip?: boolean | undefined;
  /** Set once the call has been replayed: a call is replayed at most once, whatever retries follow. */
  replayed?: boolean;
  /**
  The `refresh()` call of this instance that was running, its request not yet recognised, when this attempt
  started: this attempt may be its request, so it is never held behind that call.
  */
  during?: RefreshCall | undefined;
}

/**
Whether a request body can be sent again as it is (so it is kept by reference, not copied): everything but a
stream.
*/
export const isResendable = (body: unknown): body is BodyInit =>
  typeof body === 'string' ||
  body instanceof Blob ||
  body instanceof ArrayBuffer ||
  ArrayBuffer.isView(body) ||
  body instanceof URLSearchParams ||
  body instanceof FormData;

/**
`request` (whose body was consumed) with `body` again. FormData is serialised anew with a new boundary, so
its Content-Type is left for the new body to set.
*/
const withBody = (request: Request, body: BodyInit): Request => {
  if (!(body instanceof FormData)) return new Request(request, { body });
  // From the entries: in Node (undici), `new Headers(headers)` can miss a header set after the last read.
  const headers = new Headers([...request.headers]);
  headers.delete('content-type');
  return new Request(request, { body, headers });
};

/** A 401 whose `WWW-Authenticate` says the access token was refused (RFC 6750 `error="invalid_token"`). */
const saysInvalidToken = (response: Response): boolean =>
  /\berror="?invalid_token\b/.test(response.headers.get('www-authenticate') ?? '');

/** The URL without query or fragment (they may carry secrets). */
const safeUrl = (request: Request): string => {
  const url = new URL(request.url);
  return `${url.origin}${url.pathname}`;
};

/**
The request cycle on plain Request/Response, shared by both doors (the ky hooks and `auth.fetch`):
- authorize: on a URL `isAuthorizedUrl` accepts, wait for the shared record, get a token first when none is
  known yet (one bootstrap refresh from the cookie, shared by every tab) or when it is about to expire,
  attach it, and remember the generation it was sent with;
- keep what a replay needs: the request as it is finally sent (after the app's own hooks); its body by
  reference when the door knows it and it can be sent again (a string, Blob, FormData, …), else a copy of
  the request taken before the first send (a stream);
- a 401 (`shouldRefresh`) on a request that carried a token: one shared refresh, then one replay of that
  request with the new token. A 401 on a request that carried none (a login form, a visitor) goes back to
  the caller untouched.

The refresh request is never held behind the refresh it belongs to. It is recognised by the signal handed
to `refresh()` (on the request, or given to the door by the caller) and then passes untouched. A client in
between may derive its own signal from that one (openapi-fetch and ky build a Request; `AbortSignal.any`),
so any attempt that starts while this instance's `refresh()` call runs, before its request has been
recognised, may be it: it is sent at once with the token this tab holds (or none), never waiting for that
call. A 401 to it is replayed once that call has returned when it comes after, or when it says the access
token was refused (`WWW-Authenticate: Bearer error="invalid_token"`, RFC 6750: an API's answer, not a
refresh endpoint's refusal); any other 401 that comes while the call runs goes back as it is (the refresh
request's own refusal: `refresh()` is waiting for it).
*/
export class RequestCycle {
  readonly #core: Coordinator;
  readonly #config: CycleConfig;

  /** `isAuthorizedUrl` on `Request.url`; the default builds no `URL`. */
  readonly #isAuthorized: (url: string) => boolean;

  constructor(core: Coordinator, config: CycleConfig) {
    this.#core = core;
    this.#config = config;
    const check = config.isAuthorizedUrl;
    this.#isAuthorized = check === sameOrigin ? isSameOrigin : (url) => check(new URL(url));
  }

  /**
  Send `request` with `transport`. `body`: the body `request` was built from, when it is known and
  resendable; the replay then re-sends it by reference instead of a copy of the request's stream.
  */
  async send(
    request: Request,
    transport: Transport,
    call: CallState = {},
    body?: BodyInit,
  ): Promise<Response> {
    const core = this.#core;
    if (call.skip || core.disposed || !this.#isAuthorized(request.url)) {
      return transport(request);
    }
    if (core.isRefreshRequest(call.signal, request.signal)) return transport(request);
    call.during = core.refreshCall;
    const record = await this.#tokenFor(request, call);
    // Without a token, only an attempt that may be the refresh request's can be replayed (see the class).
    if (record.token === null && call.during === undefined) return transport(request);

    let copy: Request | undefined;
    let copyError: unknown;
    try {
      // Sent again as it is: a request without a body, or one whose resendable body is known. A stream
      // (or a body of unknown origin) needs its own copy, taken before the first send consumes it.
      copy = request.body === null || body !== undefined ? undefined : request.clone();
    } catch (error) {
      copyError = error;
    }
    const sent = record.token === null ? request : (this.#config.authorize(request, record.token) ?? request);
    const response = await transport(sent);
    if (call.replayed || core.disposed) return response;
    // Awaited only when it is a promise: the happy path pays no extra turn for the default check.
    const verdict = this.#config.shouldRefresh(response, sent);
    if (verdict !== true && (verdict === false || !(await verdict))) return response;
    return this.replay(request, response, record, transport, call, body, copy, copyError);
  }

  /**
  The record a request to `url` can go out with at once, with no `Request` built: when the default
  `authorize` and `shouldRefresh` are in use, the shared record has been read, and this tab holds a token
  that is not due. `undefined` otherwise: then the door takes `send`. (The fetch door's happy path: it puts
  the token on the caller's own init, and hands a 401 to `replay`.)
  */
  ready(url: URL): TokenRecord | undefined {
    const core = this.#core;
    const record = core.current;
    const { authorize, shouldRefresh, refreshBeforeExpiryMs } = this.#config;
    if (authorize !== bearer || shouldRefresh !== isUnauthorized || !core.isReady) return;
    // While `refresh()` runs, a call may be its request: `send` recognises it.
    if (core.disposed || core.refreshing) return;
    if (record.token === null || isDueForRefresh(record, refreshBeforeExpiryMs, Date.now())) return;
    return this.#config.isAuthorizedUrl(url) ? record : undefined;
  }

  /**
  After a 401 (`shouldRefresh`) to `request` sent with `record`: one shared refresh, then one replay of
  `request` (as it was before the token went on it) with the new token. `copy`: a copy of it taken before
  the first send, for a body that cannot be re-sent as it is.
  */
  async replay(
    request: Request,
    response: Response,
    record: TokenRecord,
    transport: Transport,
    call: CallState,
    body?: BodyInit,
    copy?: Request,
    copyError?: unknown,
  ): Promise<Response> {
    const core = this.#core;
    // Disposed meanwhile: the answer goes back as fetch gave it.
    if (core.disposed) return response;
    const signals = [request.signal, call.signal] as const;
    if (call.during !== undefined && !call.during.settled) {
      // An attempt that may be the request of the `refresh()` call still running (see the class): a 401 that
      // says the access token is invalid (RFC 6750 `invalid_token`) is the app's, replayed once that call
      // has returned; any other goes back as it is (it may be the refresh's own refusal, which that call
      // is waiting for).
      if (!saysInvalidToken(response)) return response;
      await core.afterCall(call.during, record, ...signals);
    }
    call.replayed = true;
    // An attempt sent without a token (see `send`) is replayed only with a token that came meanwhile (it
    // starts no refresh of its own: it may be a login form's); else its own answer stands.
    const fresh =
      record.token === null
        ? await core.afterRefresh(record, ...signals)
        : await core.ensureFresh(record, ...signals);
    if (fresh.token === null) return response;
    if (request.body !== null && body === undefined && !copy) {
      throw new ReplayError({ method: request.method, url: safeUrl(request) }, { cause: copyError });
    }
    // The 401's body is not read: free its connection.
    response.body?.cancel().catch(() => undefined);
    // From the request as it was finally sent, before the old token went on it.
    const replay = copy ?? (body === undefined ? new Request(request) : withBody(request, body));
    const authorized = this.#config.authorize(replay, fresh.token as string) ?? replay;
    core.replayed(fresh.generation, `${authorized.method} ${safeUrl(authorized)}`);
    return transport(authorized);
  }

  /**
  The record to send with: the current one, after a bootstrap refresh when no token is known yet and no
  session has ended in this tab, or after a proactive refresh when the token is about to expire.
  */
  async #tokenFor(request: Request, call: CallState): Promise<TokenRecord> {
    const core = this.#core;
    if (!core.isReady) await core.ensureReady(request.signal, call.signal);
    const record = core.current;
    // It may be the refresh request: never wait for the call it belongs to (see the class).
    if (call.during !== undefined) return record;
    const bootstrap = record.token === null && !record.reason;
    if (!bootstrap && !isDueForRefresh(record, this.#config.refreshBeforeExpiryMs, Date.now())) return record;
    try {
      return await core.ensureFresh(record, request.signal, call.signal);
    } catch (error) {
      if (request.signal.aborted || call.signal?.aborted) throw error;
      // No session to bootstrap (a visitor, a refused cookie) or a transient failure: send without a token.
      if (bootstrap) return core.current;
      // A token that is still valid may be sent after a transient failure; anything else is final.
      const stillValid = record.expiresAt !== undefined && record.expiresAt > Date.now();
      if (isSessionExpiredError(error) || !stillValid) throw error;
      return core.current;
    }
  }
}
