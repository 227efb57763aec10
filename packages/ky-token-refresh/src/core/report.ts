/** Surface an error nobody awaits (a throwing listener or callback, a failed adapter call) without throwing. */
export const report = (error: unknown): void => {
  (globalThis as { reportError?: (error: unknown) => void }).reportError?.(error);
};
