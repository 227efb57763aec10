import type { Browser, BrowserContext, BrowserContextOptions, Page } from '@playwright/test';

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

const BLANK_PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><title>tab</title></head><body></body></html>';

/**
`count` tabs in a new context of `browser` (or in `context`), opened one after the other, each loaded and
ready before the next opens. Usable without the Playwright test runner. The caller closes the context.
*/
export async function openTabs(
  target: Browser | BrowserContext,
  count: number,
  options: OpenTabsOptions,
): Promise<TabSet> {
  const context = 'newContext' in target ? await target.newContext(options.contextOptions) : target;
  for (const script of options.initScripts ?? []) await context.addInitScript(script);
  if (options.blankPage)
    await context.route(
      (url) => url.href === options.url,
      (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: BLANK_PAGE }),
    );
  const pages: Page[] = [];
  const open = async (): Promise<Page> => {
    const page = await context.newPage();
    const index = pages.length;
    page.on('pageerror', (error) => console.error(`[tab ${index}] pageerror`, error));
    await page.goto(options.url);
    await options.ready?.(page);
    pages.push(page);
    return page;
  };
  for (let index = 0; index < count; index++) await open();
  return { context, pages, open };
}
