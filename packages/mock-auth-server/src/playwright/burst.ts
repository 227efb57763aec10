import type { Page } from '@playwright/test';

/** Default lead time of {@link atOneInstant}: long enough for every tab to be armed before the instant. */
export const DEFAULT_BURST_DELAY_MS = 150;

/**
Runs `fire` for every page at once and hands each the same instant `startAt` (ms since the epoch, the clock
Node and the pages share on one machine), `delayMs` from now: the page waits until then and fires, so every
tab fires at one instant however long the calls into the pages take. Resolves with the results, in order.
*/
export function atOneInstant<R>(
  pages: readonly Page[],
  fire: (page: Page, startAt: number, tab: number) => Promise<R>,
  delayMs = DEFAULT_BURST_DELAY_MS,
): Promise<R[]> {
  const startAt = Date.now() + delayMs;
  return Promise.all(pages.map((page, tab) => fire(page, startAt, tab)));
}

/** One failed call of a burst. */
export interface BurstFailure {
  /** The error's name (`HTTPError`, `TypeError`...); `HTTP` for a `Response` that is not ok; `Hang` if bounded out. */
  name: string;
  message: string;
  /** HTTP status: of the `Response` returned, or of the error's `response` (ky's HTTPError, axios). */
  status?: number;
  /** The error's `code`, when it has one (ky-token-refresh's errors do). */
  code?: string;
}

/** What one tab's burst settled to. */
export interface TabSettled {
  tab: number;
  ok: number;
  failed: number;
  failures: BurstFailure[];
  /** From the instant to the last call settled, in this tab. */
  durationMs: number;
}

/** What a burst settled to, over every tab. */
export interface Settled {
  ok: number;
  failed: number;
  failures: (BurstFailure & { tab: number })[];
  tabs: TabSettled[];
}

/** Options of {@link fireBurst}. */
export interface BurstOptions {
  /** Lead time before the common instant (default 150 ms). */
  delayMs?: number;
  /** Bound on each call: one that has not settled by then fails as `Hang` (default 30 s). */
  timeoutMs?: number;
}

/**
A call of the burst, run in the page: `index` is the call's number in its tab, `tab` the tab's. It is sent to
the page as source text, like any `page.evaluate` function: it can use the page's globals, not the test's
variables. It succeeds when it resolves, except to a `Response` that is not ok; it fails when it rejects.
*/
export type BurstCall = (index: number, tab: number) => unknown;

/** Runs in the page (serialized): waits for the instant, fires, and describes what settled. */
const runInPage = async (
  call: BurstCall,
  args: { startAt: number; perTab: number; tab: number; timeoutMs: number },
): Promise<TabSettled> => {
  const summarize = (error: unknown) => {
    const { name, message, code, response, status } = (error ?? {}) as {
      name?: unknown;
      message?: unknown;
      code?: unknown;
      status?: unknown;
      response?: { status?: unknown };
    };
    const httpStatus = typeof response?.status === 'number' ? response.status : status;
    return {
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : String(error),
      ...(typeof httpStatus === 'number' && { status: httpStatus }),
      ...(typeof code === 'string' && { code }),
    };
  };
  const wait = args.startAt - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: args.perTab }, async (_, index) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new Error(`call ${index} did not settle within ${args.timeoutMs} ms`);
          error.name = 'Hang';
          reject(error);
        }, args.timeoutMs);
      });
      try {
        const value = await Promise.race([Promise.resolve().then(() => call(index, args.tab)), hang]);
        if (value instanceof Response && !value.ok)
          return { name: 'HTTP', message: `${value.status} ${value.url}`, status: value.status };
        return null;
      } catch (error) {
        return summarize(error);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const failures = outcomes.filter((outcome) => outcome !== null);
  return {
    tab: args.tab,
    ok: outcomes.length - failures.length,
    failed: failures.length,
    failures,
    durationMs: performance.now() - t0,
  };
};

/**
Every page fires `perTab` calls of `call` at one instant (see {@link atOneInstant}); resolves once every
call in every tab has settled (or hung past `timeoutMs`), with the counts per tab and in total.
*/
export function fireBurst(
  pages: readonly Page[],
  perTab: number,
  call: BurstCall,
  options: BurstOptions = {},
): Promise<Settled> {
  return fireBurstSource(pages, perTab, call.toString(), options);
}

/** {@link fireBurst} with the call given as source text (a function expression). */
export async function fireBurstSource(
  pages: readonly Page[],
  perTab: number,
  callSource: string,
  options: BurstOptions = {},
): Promise<Settled> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tabs = await atOneInstant(
    pages,
    (page, startAt, tab) =>
      // One expression, so the call's source needs no eval in the page (a CSP without unsafe-eval is fine).
      page.evaluate(
        `(${runInPage.toString()})(${callSource}, ${JSON.stringify({ startAt, perTab, tab, timeoutMs })})`,
      ) as Promise<TabSettled>,
    options.delayMs,
  );
  return {
    ok: tabs.reduce((sum, tab) => sum + tab.ok, 0),
    failed: tabs.reduce((sum, tab) => sum + tab.failed, 0),
    failures: tabs.flatMap((tab) => tab.failures.map((failure) => ({ ...failure, tab: tab.tab }))),
    tabs,
  };
}
