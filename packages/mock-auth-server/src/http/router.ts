/**
 * The HTTP surface of the mock, over transport-neutral request/response types: the MSW handlers and the
 * Node adapter both delegate here, so both speak exactly the same protocol.
 */
import type { AuthServer, ConfigureResult, IssuedTokens } from '../core/auth-server.ts';
import type { ConfigError } from '../core/config.ts';
import { MAX_BODY_BYTES } from './body.ts';
import { refreshCookie, refreshCookieName } from './cookies.ts';
import type { AuthRequest, AuthResponse, SetCookie } from './types.ts';

/** Options of {@link createAuthRouter}. */
export interface AuthRouterOptions {
  /** Largest accepted request body. Default {@link MAX_BODY_BYTES} (64 KiB). */
  maxBodyBytes?: number;
}

/** Answers a request, or resolves to null when the path is not the mock's (/auth, /api, /oauth, /__mock). */
export type AuthRouter = (request: AuthRequest) => Promise<AuthResponse | null>;

const NO_STORE = { 'Cache-Control': 'no-store' };

function json(status: number, body: unknown, extra: Partial<AuthResponse> = {}): AuthResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json', ...NO_STORE, ...extra.headers },
    body: JSON.stringify(body),
    cookies: extra.cookies ?? [],
  };
}

function noContent(cookies: SetCookie[] = []): AuthResponse {
  return { status: 204, headers: { ...NO_STORE }, body: null, cookies };
}

const methodNotAllowed = (allow: string) =>
  json(405, { error: 'method_not_allowed', allow }, { headers: { Allow: allow } });

const isJsonType = (contentType: string | null) =>
  contentType !== null && /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType);

/** A parsed JSON body, or the response that refuses it (413, 415, 400). */
type JsonBody = { ok: true; value: unknown } | { ok: false; response: AuthResponse };

async function readJson(request: AuthRequest, maxBytes: number, optional = false): Promise<JsonBody> {
  const body = await request.readBody(maxBytes);
  if (!body.ok) return { ok: false, response: json(413, { error: 'payload_too_large', limit: maxBytes }) };
  if (optional && body.text.trim() === '') return { ok: true, value: {} };
  if (!isJsonType(request.headers.get('content-type'))) {
    return {
      ok: false,
      response: json(415, { error: 'unsupported_media_type', error_description: 'Send application/json' }),
    };
  }
  try {
    return { ok: true, value: JSON.parse(body.text) as unknown };
  } catch {
    return {
      ok: false,
      response: json(400, { error: 'invalid_request', error_description: 'Malformed JSON' }),
    };
  }
}

function configError(error: ConfigError): AuthResponse {
  switch (error.kind) {
    case 'not_an_object':
      return json(400, { error: 'invalid_config', error_description: 'The body must be a JSON object' });
    case 'unknown_key':
      return json(400, {
        error: 'invalid_config',
        key: error.key,
        error_description: `Unknown config key "${error.key}"`,
      });
    case 'invalid_value':
      return json(400, {
        error: 'invalid_config',
        knob: error.knob,
        error_description: `"${error.knob}" ${error.message}`,
      });
  }
}

const configResponse = (result: ConfigureResult) =>
  result.ok ? json(200, result.config) : configError(result.error);

function tokenResponse(url: URL, tokens: IssuedTokens): AuthResponse {
  const cookies =
    tokens.refreshToken === null ? [] : [refreshCookie(url, tokens.refreshToken, tokens.refreshMaxAge)];
  return json(
    200,
    { access_token: tokens.accessToken, token_type: 'Bearer', expires_in: tokens.expiresIn },
    { cookies },
  );
}

const isFormType = (contentType: string | null) =>
  contentType !== null && /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType);

/** An RFC 6749 §5.2 error answer (400), with the mock's `reason` where there is one. */
const oauthError = (error: string, description: string, extra: Record<string, unknown> = {}) =>
  json(400, { error, error_description: description, ...extra }, { headers: { Pragma: 'no-cache' } });

/** Parsed `application/x-www-form-urlencoded` parameters, or why they are refused. */
type FormBody = { ok: true; params: Map<string, string> } | { ok: false; response: AuthResponse };

/** Parses a form body strictly: bad percent-encoding and repeated parameters (RFC 6749 §3.2) are refused. */
function parseForm(text: string): FormBody {
  const params = new Map<string, string>();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const index = part.indexOf('=');
    const [rawName, rawValue] = index < 0 ? [part, ''] : [part.slice(0, index), part.slice(index + 1)];
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replaceAll('+', ' '));
      value = decodeURIComponent(rawValue.replaceAll('+', ' '));
    } catch {
      return { ok: false, response: oauthError('invalid_request', 'Malformed form body') };
    }
    if (params.has(name)) {
      return { ok: false, response: oauthError('invalid_request', `Parameter "${name}" is repeated`) };
    }
    params.set(name, value);
  }
  return { ok: true, params };
}

/** The RFC 6749 §5.1 answer: the refresh token in the body (no cookie), omitted when rotation is off. */
function oauthTokenResponse(tokens: IssuedTokens): AuthResponse {
  return json(
    200,
    {
      access_token: tokens.accessToken,
      token_type: 'Bearer',
      expires_in: tokens.expiresIn,
      ...(tokens.refreshToken !== null && { refresh_token: tokens.refreshToken }),
    },
    { headers: { Pragma: 'no-cache' } },
  );
}

/** Creates the router over an auth server. */
export function createAuthRouter(server: AuthServer, options: AuthRouterOptions = {}): AuthRouter {
  const maxBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  async function auth(request: AuthRequest, action: string): Promise<AuthResponse> {
    const { url } = request;
    if (!['login', 'refresh', 'logout'].includes(action)) return json(404, { error: 'not_found' });
    if (request.method !== 'POST') return methodNotAllowed('POST');
    const cookie = request.cookies[refreshCookieName(url)] ?? null;

    if (action === 'login') {
      const body = await readJson(request, maxBytes);
      if (!body.ok) return body.response;
      const { value } = body;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return json(400, { error: 'invalid_request', error_description: 'Expected {"username","password"}' });
      }
      const { username, password } = value as Record<string, unknown>;
      const result = await server.login(username, password);
      if (!result.ok) return json(401, { error: 'invalid_credentials' });
      return tokenResponse(url, result);
    }

    if (action === 'refresh') {
      const result = await server.refresh({
        refreshToken: cookie,
        requestedWith: request.headers.get('x-requested-with'),
      });
      if (result.ok) return tokenResponse(url, result);
      if (result.reason === 'csrf') {
        return json(403, {
          error: 'forbidden',
          reason: 'csrf',
          error_description: 'POST /auth/refresh requires the X-Requested-With header',
        });
      }
      return json(400, { error: 'invalid_grant', reason: result.reason });
    }

    await server.logout(cookie);
    return noContent([refreshCookie(url, null, 0)]);
  }

  /** POST /oauth/token: the password grant (login) and the refresh_token grant, form-encoded, CLI-style. */
  async function oauth(request: AuthRequest, action: string): Promise<AuthResponse> {
    if (action !== 'token') return json(404, { error: 'not_found' });
    if (request.method !== 'POST') return methodNotAllowed('POST');
    const body = await request.readBody(maxBytes);
    if (!body.ok) return json(413, { error: 'payload_too_large', limit: maxBytes });
    if (!isFormType(request.headers.get('content-type'))) {
      return json(415, {
        error: 'unsupported_media_type',
        error_description: 'Send application/x-www-form-urlencoded',
      });
    }
    const form = parseForm(body.text);
    if (!form.ok) return form.response;
    const { params } = form;
    const grantType = params.get('grant_type');
    if (grantType === 'password') {
      const result = await server.login(params.get('username'), params.get('password'));
      if (!result.ok) {
        return oauthError('invalid_grant', 'Wrong username or password', { reason: 'invalid_credentials' });
      }
      return oauthTokenResponse(result);
    }
    if (grantType === 'refresh_token') {
      const refreshToken = params.get('refresh_token') ?? '';
      if (refreshToken === '') return oauthError('invalid_request', 'refresh_token is missing');
      const result = await server.refresh({ refreshToken, requestedWith: null, grant: 'form' });
      if (result.ok) return oauthTokenResponse(result);
      return oauthError('invalid_grant', 'The refresh token is not valid', { reason: result.reason });
    }
    if (grantType === undefined || grantType === '') {
      return oauthError('invalid_request', 'grant_type is missing');
    }
    return oauthError('unsupported_grant_type', 'Use password or refresh_token');
  }

  async function api(request: AuthRequest, path: string): Promise<AuthResponse> {
    const isEcho = path === '/api/echo';
    const allowed = isEcho ? ['GET', 'POST', 'PUT'] : ['GET'];
    if (!allowed.includes(request.method)) return methodNotAllowed(allowed.join(', '));
    const auth = await server.authorize(request.headers.get('authorization'));
    if (!auth.ok) {
      const description = auth.description.replaceAll('"', "'");
      return json(
        401,
        { error: 'invalid_token', reason: auth.reason, error_description: auth.description },
        {
          headers: {
            'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
          },
        },
      );
    }
    if (isEcho && request.method !== 'GET') {
      const body = await request.readBody(maxBytes);
      if (!body.ok) return json(413, { error: 'payload_too_large', limit: maxBytes });
      return json(200, {
        ok: true,
        path,
        sub: auth.sub,
        method: request.method,
        contentType: request.headers.get('content-type'),
        body: body.text,
      });
    }
    return json(200, { ok: true, path, sub: auth.sub, sid: auth.sid, method: request.method });
  }

  async function mock(request: AuthRequest, action: string): Promise<AuthResponse> {
    const { method } = request;
    switch (action) {
      case 'stats':
        return method === 'GET' ? json(200, await server.stats()) : methodNotAllowed('GET');
      case 'config': {
        if (method === 'GET') return json(200, await server.config());
        if (method !== 'POST') return methodNotAllowed('GET, POST');
        const body = await readJson(request, maxBytes);
        return body.ok ? configResponse(await server.configure(body.value)) : body.response;
      }
      case 'reset': {
        if (method !== 'POST') return methodNotAllowed('POST');
        const body = await readJson(request, maxBytes, true);
        return body.ok ? configResponse(await server.reset(body.value)) : body.response;
      }
      case 'expire':
        if (method !== 'POST') return methodNotAllowed('POST');
        await server.expireAccessTokens();
        return noContent();
      default:
        return json(404, { error: 'not_found' });
    }
  }

  return async (request) => {
    const path = request.url.pathname;
    const declared = Number(request.headers.get('content-length') ?? '0');
    const owned = /^\/(auth|api|oauth|__mock)(\/|$)/.exec(path);
    if (owned === null) return null;
    if (declared > maxBytes) return json(413, { error: 'payload_too_large', limit: maxBytes });
    const action = path.slice(owned[0].length);
    switch (owned[1]) {
      case 'auth':
        return auth(request, action);
      case 'api':
        return api(request, path);
      case 'oauth':
        return oauth(request, action);
      default:
        return mock(request, action);
    }
  };
}
