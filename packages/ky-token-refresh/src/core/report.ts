/** Surface an error nobody awaits (a throwing listener or callback, a failed adapter call) without throwing. */
export const report = (error: unknown): void => {
  (globalThis as { reportError?: (error: unknown) => void }).reportError?.(error);
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
