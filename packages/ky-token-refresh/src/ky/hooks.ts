import { type Hooks, type Options, TimeoutError } from 'ky';
import type { Coordinator } from '../core/coordinator.js';
import { isDueForRefresh } from '../core/token.js';
import { ReplayError } from '../errors/replay-error.js';
import { isSessionExpiredError } from '../errors/session-expired-error.js';

/** The parts of the user options the hooks use, already validated and defaulted. */
export interface HookConfig {
  shouldRefresh: (response: Response, request: Request) => boolean | Promise<boolean>;
  isAuthorizedUrl: (url: URL) => boolean;
  authorize: (request: Request, token: string) => Request | undefined | void;
  refreshBeforeExpiryMs: number;
}

/** What the hooks remember about one ky call, keyed by its (per-call) `context` object. */
interface RequestState {
  /** The call is the refresh request itself: the hooks leave it alone. */
  readonly isRefresh: boolean;
  /** ky's `timeout` for this call, applied to the replay too. */
  readonly timeout: number | false;
  /** The caller's own signal, watched directly while waiting and replaying. */
  readonly signal: AbortSignal | undefined;
  /** ky's `fetch` for this call (the replay goes through it too). */
  readonly fetch: ((input: Request) => Promise<Response>) | undefined;
  /** Set when a token was (or could have been) attached: the URL is authorized. */
  generation?: number;
  /** A copy made before sending, body included, to send again after a refresh. */
  replay?: Request | undefined;
  replayError?: unknown;
  replayed?: boolean;
}

/** The URL without query or fragment (they may carry secrets). */
const safeUrl = (request: Request): string => {
  const url = new URL(request.url);
  return `${url.origin}${url.pathname}`;
};

/**
The only part of the package that knows ky. `init` tags each call (and recognises the refresh call by the
signal handed to `refresh()`), `beforeRequest` attaches the token (refreshing first when it is about to
expire) and keeps a replayable copy, `afterResponse` turns a 401 into one shared refresh and one replay.
*/
export const createHooks = (
  core: Coordinator,
  config: HookConfig,
): Required<Pick<Hooks, 'init' | 'beforeRequest' | 'afterResponse'>> => {
  const states = new WeakMap<object, RequestState>();

  const init = (options: Options): void => {
    // ky has already shallow-cloned `context` for this call because an init hook exists.
    const context: Record<string, unknown> = { ...options.context };
    options.context = context;
    states.set(context, {
      isRefresh: core.isRefreshSignal(options.signal),
      signal: options.signal ?? undefined,
      timeout: options.timeout ?? 10_000,
      fetch: options.fetch as RequestState['fetch'],
    });
  };

  const beforeRequest: Hooks['beforeRequest'] = [
    async ({ request, options }) => {
      const state = states.get(options.context);
      if (!state || state.isRefresh || core.disposed) return;
      if (!config.isAuthorizedUrl(new URL(request.url))) return;
      await core.ready;
      let record = core.current;
      if (isDueForRefresh(record, config.refreshBeforeExpiryMs, Date.now())) {
        try {
          record = await core.ensureFresh(record.generation, request.signal, state.signal);
        } catch (error) {
          // A token that is still valid may be sent after a transient failure; anything else is final.
          const stillValid = record.expiresAt !== undefined && record.expiresAt > Date.now();
          if (isSessionExpiredError(error) || request.signal.aborted || state.signal?.aborted || !stillValid)
            throw error;
          record = core.current;
        }
      }
      state.generation = record.generation;
      try {
        // A request without a body can be sent again as it is; one with a body needs its own copy.
        state.replay = request.body === null ? request : request.clone();
      } catch (error) {
        state.replayError = error;
      }
      if (record.token !== null) return config.authorize(request, record.token) ?? undefined;
      return undefined;
    },
  ];

  const afterResponse: Hooks['afterResponse'] = [
    async ({ request, options, response }) => {
      const state = states.get(options.context);
      if (state?.generation === undefined || state.replayed || core.disposed) return;
      if (!(await config.shouldRefresh(response, request))) return;
      state.replayed = true;
      const record = await core.ensureFresh(state.generation, request.signal, state.signal);
      const copy = state.replay;
      state.replay = undefined;
      if (!copy)
        throw new ReplayError(
          { method: request.method, url: safeUrl(request) },
          { cause: state.replayError },
        );
      const token = record.token as string;
      const replay = config.authorize(copy, token) ?? copy;
      // ky may still retry this call itself (e.g. a 5xx on the replay): let that use the new token too.
      if (replay !== request) config.authorize(request, token);
      core.replayed(record.generation, `${replay.method} ${safeUrl(replay)}`);
      const timeoutSignal = state.timeout === false ? undefined : AbortSignal.timeout(state.timeout);
      const signals = [replay.signal, state.signal, timeoutSignal].filter((signal) => signal !== undefined);
      try {
        return await (state.fetch ?? globalThis.fetch)(
          new Request(replay, { signal: AbortSignal.any(signals) }),
        );
      } catch (error) {
        if (timeoutSignal?.aborted && !replay.signal.aborted && !state.signal?.aborted)
          throw new TimeoutError(replay);
        throw error;
      }
    },
  ];

  return { init: [init], beforeRequest, afterResponse };
};
