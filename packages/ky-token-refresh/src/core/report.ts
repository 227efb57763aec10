/**
Surface an error nobody awaits (a throwing listener or callback, a failed adapter call) without throwing:
`reportError` where there is one (browsers, Deno), else a process warning (Node: printed to stderr, and a
`'warning'` event). The library's errors never carry a token.
*/
export const report = (error: unknown): void => {
  const scope = globalThis as {
    reportError?: (error: unknown) => void;
    process?: { emitWarning?: (warning: Error) => void };
  };
  if (scope.reportError) scope.reportError(error);
  else scope.process?.emitWarning?.(error instanceof Error ? error : new Error(String(error)));
};

/**
Call an app's callback (a listener, `onSessionExpired`) so that nothing it does breaks the caller: a throw,
or a promise it returns that rejects (an `async` callback), is reported, never thrown nor left unhandled.
*/
export const callSafely = <A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): void => {
  try {
    const result = callback(...args) as { then?: unknown } | undefined;
    if (typeof result?.then === 'function') (result as PromiseLike<unknown>).then(undefined, report);
  } catch (error) {
    report(error);
  }
};
