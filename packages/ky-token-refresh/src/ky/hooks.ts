import type { Hooks, Options } from 'ky';
import type { Coordinator } from '../core/coordinator.js';
import type { CallState, RequestCycle } from '../http/cycle.js';

/**
The key of ky's per-call `context` that opts one call out: `{ context: { tokenRefresh: false } }` sends the
request as it is, with no token, and returns its 401 untouched (a login form, a public endpoint).
*/
export const OPT_OUT_KEY = 'tokenRefresh';

type KyFetch = NonNullable<Options['fetch']>;

/**
The ky door, the only part of the package that knows ky. Its one `init` hook gives each call its own
`fetch`: a closure over the call (no per-call state hangs on an object the app's hooks may replace) that
runs the shared request cycle around the `fetch` the call would have used. So the cycle sees the request as
it is finally sent, after every `beforeRequest` hook of the app's; the replay is sent from inside that
`fetch`, so ky treats its outcome (a network error, a timeout, a 5xx to retry) like that of any attempt;
and two instances on one ky instance nest, each handling the URLs it authorizes.

The refresh request itself (recognised by the signal handed to `refresh()`) is left alone.
*/
export const createHooks = (core: Coordinator, cycle: RequestCycle): Required<Pick<Hooks, 'init'>> => {
  const init = (options: Options): void => {
    if (core.isRefreshSignal(options.signal)) return;
    const inner = options.fetch as KyFetch | undefined;
    const call: CallState = {
      signal: options.signal,
      skip: (options.context as Record<string, unknown> | undefined)?.[OPT_OUT_KEY] === false,
    };
    options.fetch = (input, requestInit) =>
      cycle.send(
        input instanceof Request ? input : new Request(input, requestInit),
        (request) => (inner ?? globalThis.fetch)(request, requestInit),
        call,
      );
  };
  return { init: [init] };
};
