/**
What the race kit (the fixtures `app`, `tabs`, `newTabs`, `burst`) needs from the app under test and found
missing. Each code names one piece of the contract in the README's "Reproduce the race in your app":

- `APP_NOT_BUILT`: `mockStaticDir` or the file a tab loads from it does not exist (the message names the path).
- `TAB_LOAD_FAILED`: a tab's page answered an HTTP error.
- `APP_HOOK_MISSING`: no `window.app`, or one of its methods `login`, `hasToken`, `get` (the message names it).
- `LOGIN_FAILED`: `window.app.login()` rejected, or resolved without the tab holding a token.
- `TOKEN_NOT_SHARED`: after the login, a tab still holds no token (the naive client must share it).
- `CSRF_HEADER_MISSING`: refresh requests were refused 403 for want of the `X-Requested-With` header.
- `API_NOT_REACHED`: none of the burst's `window.app.get()` calls reached the mock's `/api/*`.
*/
export type RaceKitErrorCode =
  | 'APP_NOT_BUILT'
  | 'TAB_LOAD_FAILED'
  | 'APP_HOOK_MISSING'
  | 'LOGIN_FAILED'
  | 'TOKEN_NOT_SHARED'
  | 'CSRF_HEADER_MISSING'
  | 'API_NOT_REACHED';

const SEE = 'see "Reproduce the race in your app" in the README of mock-auth-server';

/** The app under test lacks a piece the race kit needs: `code` says which, the message names it. */
export class RaceKitError extends Error {
  override readonly name = 'RaceKitError';
  readonly code: RaceKitErrorCode;

  constructor(code: RaceKitErrorCode, message: string) {
    super(`${message} [${code}; ${SEE}]`);
    this.code = code;
  }
}

/** Whether `error` is a {@link RaceKitError} (of `code`, when given). */
export const isRaceKitError = (error: unknown, code?: RaceKitErrorCode): error is RaceKitError =>
  error instanceof RaceKitError && (code === undefined || error.code === code);
