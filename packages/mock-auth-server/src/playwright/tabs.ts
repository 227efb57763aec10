import type { Browser, BrowserContext, BrowserContextOptions, Page } from '@playwright/test';
import { RaceKitError } from './errors.ts';

/** Options of {@link openTabs}. */
export interface OpenTabsOptions {
  /** Absolute URL every tab loads. */
  url: string;
  /** Scripts run in every tab before the page's own (e.g. to take a browser feature away). */
  initScripts?: (() => void)[];
  /** Resolves once a freshly loaded tab is usable (default: the `load` event of `goto`). */
  ready?: (page: Page) => Promise<void>;
  /** Options of the new context (ignored when an existing context is given). */
  contextOptions?: BrowserContextOptions;
  /** Answer `url` itself with an empty HTML page (for tests that only need the origin: cookies, storage). */
  blankPage?: boolean;
}

/** Pages of one browser context: they share cookies, Web Locks, BroadcastChannel and IndexedDB, like tabs. */
export interface TabSet {
  context: BrowserContext;
  pages: Page[];
  /** Open one more tab like the others (same URL, init scripts and readiness); it joins `pages`. */
  open(): Promise<Page>;
}

/** What went wrong while each tab loaded (HTTP errors, failed requests, page errors), for error messages. */
const loadProblems = new WeakMap<Page, string[]>();

/** What went wrong while `page` loaded and since: `404 GET http://…/app.js`, `pageerror: …` (at most 5). */
export const problemsOf = (page: Page): string[] => loadProblems.get(page) ?? [];

const watch = (page: Page): void => {
  const problems: string[] = [];
  loadProblems.set(page, problems);
  const answered = new Set<string>();
  const note = (problem: string) => {
    if (problems.length < 5) problems.push(problem);
  };
  page.on('response', (response) => {
    if (response.status() < 400) return;
    answered.add(response.url());
    note(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    // A failed request that had an answer (a 404 script is then aborted) is noted as that answer.
    if (!answered.has(request.url()))
      note(`${request.method()} ${request.url()} failed: ${request.failure()?.errorText ?? 'no answer'}`);
  });
  page.on('pageerror', (error) => note(`pageerror: ${error.name}: ${error.message}`));
};

const BLANK_PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><title>tab</title></head><body></body></html>';

/**
`count` tabs in a new context of `browser` (or in `context`), opened one after the other, each loaded and
ready before the next opens. Usable without the Playwright test runner. The caller closes the context; if a
tab fails to open, a context made here is closed and the error thrown: a page that answers an HTTP error
(404...) throws a {@link RaceKitError} `TAB_LOAD_FAILED`.
*/
export async function openTabs(
  target: Browser | BrowserContext,
  count: number,
  options: OpenTabsOptions,
): Promise<TabSet> {
  const ownContext = 'newContext' in target;
  const context = ownContext ? await target.newContext(options.contextOptions) : target;
  const pages: Page[] = [];
  const open = async (): Promise<Page> => {
    const page = await context.newPage();
    const index = pages.length;
    watch(page);
    page.on('pageerror', (error) => console.error(`[tab ${index}] pageerror`, error));
    const response = await page.goto(options.url);
    if (response !== null && response.status() >= 400)
      throw new RaceKitError(
        'TAB_LOAD_FAILED',
        `tab ${index}: GET ${options.url} answered ${response.status()} ${response.statusText()}`,
      );
    await options.ready?.(page);
    pages.push(page);
    return page;
  };
  try {
    for (const script of options.initScripts ?? []) await context.addInitScript(script);
    if (options.blankPage)
      await context.route(
        (url) => url.href === options.url,
        (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: BLANK_PAGE }),
      );
    for (let index = 0; index < count; index++) await open();
  } catch (error) {
    if (ownContext) await context.close().catch(() => undefined);
    throw error;
  }
  return { context, pages, open };
}
