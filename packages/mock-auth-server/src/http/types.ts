/** A request as the router sees it; each transport builds one from its own request type. */
export interface AuthRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** Cookies the client sent (Node: the Cookie header; MSW: the emulated browser jar). */
  cookies: Readonly<Record<string, string>>;
  /** Reads the body as UTF-8 text, up to `limitBytes`. Reading twice is not supported. */
  readBody(limitBytes: number): Promise<BodyReadResult>;
}

/** Result of reading a request body under a size limit. */
export type BodyReadResult = { ok: true; text: string } | { ok: false; reason: 'too_large' };

/** A cookie the response sets (or clears, with `maxAge: 0`). */
export interface SetCookie {
  name: string;
  value: string;
  path: string;
  /** Seconds. */
  maxAge: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'Strict' | 'Lax' | 'None';
}

/** A response as the router produces it; cookies are kept apart because browsers forbid Set-Cookie in fetch. */
export interface AuthResponse {
  status: number;
  headers: Record<string, string>;
  /** Serialised body (JSON text), or null for no body. */
  body: string | null;
  cookies: SetCookie[];
}
