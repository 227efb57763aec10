/** Resolve after `ms` of real time. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` every 5 ms until it holds or `timeoutMs` passes; resolves with its last value. */
export const until = async (check: () => boolean, timeoutMs = 1_000): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(5);
  return check();
};
