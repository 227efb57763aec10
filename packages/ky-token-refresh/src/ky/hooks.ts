import type { Hooks, Options } from 'ky';
import type { Coordinator } from '../core/coordinator.js';
import { type CallState, isResendable, type RequestCycle } from '../http/cycle.js';

/**
The key of ky's per-call `context` that opts one call out: `{ context: { tokenRefresh: false } }` sends the
request as it is, with no token, and returns its 401 untouched (a login form, a public endpoint).
*/
export const OPT_OUT_KEY = 'tokenRefresh';

type KyFetch = NonNullable<Options['fetch']>;

/** One ky call, as the door sees it. */
interface KyCall extends CallState {
  /** The Request ky built, before any app hook ran, and the resendable body it was built from. */
  built?: Request;
  builtBody?: BodyInit | undefined;
}

/**
The ky door, the only part of the package that knows ky. Its `init` hook gives each call its own `fetch`:
a closure over the call (no per-call state hangs on an object the app's hooks may replace) that runs the
shared request cycle around the `fetch` the call would have used. So the cycle sees the request as it is
finally sent, after every `beforeRequest` hook of the app's; the replay is sent from inside that `fetch`,
so ky treats its outcome (a network error, a timeout, a 5xx to retry) like that of any attempt; and two
instances on one ky instance nest, each handling the URLs it authorizes.

Its `beforeRequest` hook (first in line) only notes the Request ky built and the body it was built from:
when ky's `fetch` is handed that same Request, no app hook replaced it, and a string, Blob, FormData, … body
is re-sent by reference instead of copying the request's stream (an upload is not held twice in memory).
That note travels on `context` under a symbol (object spreads keep it); where it is lost, the request is
copied, as for a stream.

The refresh request itself, sent with the signal handed to `refresh()`, is left alone; one sent with a
signal derived from it is recognised by the cycle (see `RequestCycle`).
*/
export const createHooks = (
  core: Coordinator,
  cycle: RequestCycle,
): Required<Pick<Hooks, 'init' | 'beforeRequest'>> => {
  const key = Symbol('ky-token-refresh call');
  const init = (options: Options): void => {
    if (core.isRefreshRequest(options.signal)) return;
    const inner = options.fetch as KyFetch | undefined;
    const context = options.context as Record<PropertyKey, unknown> | undefined;
    const call: KyCall = { signal: options.signal, skip: context?.[OPT_OUT_KEY] === false };
    options.context = { ...context, [key]: call } as Record<string, unknown>;
    options.fetch = (input, requestInit) => {
      const request = input instanceof Request ? input : new Request(input, requestInit);
      return cycle.send(
        request,
        (sent) => (inner ?? globalThis.fetch)(sent, requestInit),
        call,
        request === call.built ? call.builtBody : undefined,
      );
    };
  };
  const noteBuilt: NonNullable<Hooks['beforeRequest']>[number] = ({ request, options }) => {
    const call = (options.context as Record<PropertyKey, unknown>)[key] as KyCall | undefined;
    if (!call) return;
    call.built = request;
    call.builtBody = isResendable(options.body) ? options.body : undefined;
  };
  return { init: [init], beforeRequest: [noteBuilt] };
};
