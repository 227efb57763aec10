/**
The invariants checked on the end state of every schedule (the world checks the others as they happen:
overlapping or redundant refresh() calls, refusals on a one-time-use server, onSessionExpired, tokens on
foreign URLs, generations going back).
*/
import { HTTPError } from 'ky';
import { isRefreshFailedError, isRefreshTimeoutError, isSessionExpiredError } from '../src/index.js';
import { type RequestRecord, UnauthorizedAnswer, type World } from './world.js';

const refreshFaults = ['refresh-5xx', 'refresh-network', 'refresh-hang', 'refresh-late'];

/** The longest a request may take on the virtual clock, given the world's knobs and faults. */
export const requestBound = (world: World): number => {
  const { input } = world;
  const freeze = input.ops.reduce((sum, { op }) => sum + (op.kind === 'freeze' ? op.forMs : 0), 0);
  const slow = input.storeFaults.reduce(
    (sum, { fault }) => sum + (typeof fault === 'object' ? fault.slowMs : 0),
    0,
  );
  return 12 * input.refreshTimeoutMs + 8 * input.maxLatencyMs + freeze + slow + 10 * input.channelDelayMs;
};

const describe = (error: unknown): string =>
  error instanceof Error
    ? `${error.constructor.name}(${(error as { code?: string }).code ?? error.message})`
    : String(error);

/** Why a failed request is allowed to fail, or undefined when it is a violation. */
const excuse = (request: RequestRecord, hold = false, lease = false): string | undefined => {
  const { error, excuses, session } = request;
  if (request.aborted) return 'aborted';
  if (excuses.has('dispose')) return 'disposed';
  const sessionOver =
    excuses.has('refused') ||
    excuses.has('logout') ||
    excuses.has('previous-session') ||
    session.loggedOut ||
    session.refusals > 0;
  if (isSessionExpiredError(error)) return sessionOver ? 'session over' : undefined;
  const transient = refreshFaults.some((fault) => excuses.has(fault));
  // RefreshTimeoutError is a RefreshFailedError: test it first.
  if (isRefreshTimeoutError(error))
    return transient || excuses.has('store') || excuses.has('freeze') || excuses.has('lease-crash')
      ? 'timeout under a fault'
      : undefined;
  if (isRefreshFailedError(error))
    return transient || excuses.has('lease-crash')
      ? 'transient refresh fault'
      : // A lease holder frozen past its lease: its refresh is aborted (or not sent), a transient failure.
        lease && excuses.has('freeze')
        ? 'lease lost by a frozen holder'
        : // Holding the refresh token, a store read that fails under the lock is a transient failure (no
          // refresh with a refresh token that may have rotated).
          hold && (excuses.has('store') || excuses.has('freeze'))
          ? 'store fault, refresh token unknown'
          : undefined;
  if ((error instanceof HTTPError && error.response.status === 401) || error instanceof UnauthorizedAnswer) {
    if (request.foreign) return 'foreign 401';
    return sessionOver || excuses.has('expire') || excuses.has('login') || excuses.has('stale-token')
      ? 'token changed meanwhile'
      : undefined;
  }
  return undefined;
};

/** SIM_KNOWN_DEFECTS=during: a 401 handed back because it came while the tab's refresh() ran (issue 16). */
const knownDuring = (world: World, request: RequestRecord): boolean =>
  (world.sabotage.knownDefects?.has('during') ?? false) &&
  request.excuses.has('during-refresh') &&
  ((request.error instanceof HTTPError && request.error.response.status === 401) ||
    request.error instanceof UnauthorizedAnswer);

/**
`holdRefreshToken`, once idle, when the store had no faults: the stored record's refresh token is the server's
live one of the session of its access token (neither rotated nor displaced: unless that rotation was made for
a tab that died or gave up, whose child never reached the record), and a record without a token (a logout, a
refusal) has none. No tab's `stats()` holds one, and a tab counts `lostRotations` only for a refusal after a takeover.
*/
const checkHeldRefreshToken = (world: World): void => {
  if (!world.hold) return;
  for (const tab of world.tabs) {
    if (tab.dead) continue;
    const stats = tab.auth.stats();
    world.noRefreshToken(tab, 'stats()', stats);
    // A lost rotation is a refusal right after a takeover of the lock: counted only where the lock was taken
    // over from a holder whose lease ran out, and the server refused a refresh, at most once per takeover.
    if (stats.lostRotations === 0) continue;
    world.count('hold:lost-rotation-counted');
    const takeovers = world.counts['lease:took-over'] ?? 0;
    if (world.refusals === 0 || stats.lostRotations > takeovers)
      world.violation(
        `tab ${tab.id}: stats().lostRotations is ${stats.lostRotations}, after ${takeovers} takeover(s) and ${world.refusals} refusal(s)`,
      );
  }
  const record = world.storeHub.value;
  if (world.sabotage.noCrossTab || world.input.storeFaults.length > 0 || record === undefined) return;
  const { refreshToken } = record;
  if (record.token === null) {
    if (refreshToken !== undefined)
      world.violation(
        `idle: the store's record without a token (${record.reason ?? 'none'}) holds refresh token ${refreshToken}`,
      );
    return;
  }
  const { tokens, families } = world.server.state;
  const family = world.server.tokens.get(record.token)?.family;
  const issued = refreshToken === undefined ? undefined : tokens[refreshToken];
  const live = Object.entries(tokens)
    .filter(([, token]) => token.familyId === family && token.usedAt === null && token.displacedAt === null)
    .map(([value]) => value);
  const what = `the store's record (generation ${record.generation}, family ${family}) holds refresh token ${refreshToken ?? 'none'}; the server's live one: ${live.join(', ') || 'none'}`;
  if (refreshToken === undefined || issued === undefined || issued.familyId !== family) {
    world.violation(`idle: ${what}`);
    return;
  }
  if (families[issued.familyId]?.revoked != null) world.count('idle:store-refresh-token-revoked');
  if (issued.usedAt === null && issued.displacedAt === null) return;
  // The session was logged out in a tab that died before its logout reached the store (its message told
  // the others, whose refresh answers then went nowhere): counted, as for the tabs above.
  const session = world.sessionOf(record.token);
  if (session?.loggedOut && session.logoutBy?.dead && !session.logoutStored) {
    world.count('idle:logout-caller-died');
    return;
  }
  // Rotated for a tab that died or gave up (its child never reached the record), or displaced by a
  // presentation the world judged unavoidable (a request left behind): counted.
  const unavoidable = Object.keys(world.counts).some((key) => key.startsWith('hold:rotated-presented:'));
  if (issued.usedAt !== null ? world.rotationLost(refreshToken) : unavoidable) {
    world.count('idle:store-refresh-token-lost');
    return;
  }
  world.violation(`idle: ${issued.usedAt !== null ? 'rotated' : 'displaced'}: ${what}`);
};

export const checkEnd = (world: World): void => {
  for (const call of world.calls) {
    if (!call.settled && !call.tab.dead) world.violation(`tab ${call.tab.id}: ${call.label} never settled`);
  }
  const bound = requestBound(world);
  for (const request of world.requests) {
    if (request.tab.dead) continue;
    const label = `request ${request.id} (${request.method}${request.foreign ? ' foreign' : ''}, tab ${request.tab.id})`;
    if (request.settledAt === undefined) {
      world.violation(`${label} never settled`);
      continue;
    }
    const took = request.settledAt - request.startedAt;
    if (took > bound) world.violation(`${label} took ${took} ms on the virtual clock (bound ${bound} ms)`);
    if (request.ok || request.foreign) continue;
    if (
      excuse(request, world.hold, world.input.lock === 'lease') === undefined &&
      knownDuring(world, request)
    ) {
      world.count('known-defect:during-401');
    } else if (excuse(request, world.hold, world.input.lock === 'lease') === undefined) {
      world.violation(
        `${label} failed with ${describe(request.error)}; excuses: ${[...request.excuses].join(',') || 'none'}`,
      );
    }
  }
  // Logout finality: once idle, no live tab holds a token of a session logged out (a later login starts
  // another session), whatever the store did.
  for (const tab of world.tabs) {
    if (tab.dead || tab.disposed) continue;
    const session = world.sessionOf(tab.auth.getToken());
    // A tab that died inside its logout() may have told the others but not the store, nor the server (the
    // app revokes after logout() settles): a tab opened later may start from the stored session (which
    // another path, a disposed tab's logout request, may have revoked at the server). Counted.
    if (session?.loggedOut && session.logoutBy?.dead && (!session.revoked || !session.logoutStored)) {
      world.count('idle:logout-caller-died');
      continue;
    }
    // The logout reached the store, but the tab that stored it died before its message left it (held while
    // it was frozen, lost at the crash), or was disposed and had released its channel when its write landed
    // (frozen past the drain's bound), and this tab last read the store before it landed: nothing reaches
    // it before its next request (whose 401 or refresh reads the store), as with any record stored by a dead
    // tab (below). Counted.
    if (
      session?.loggedOut &&
      (session.logoutBy?.dead || session.logoutBy?.disposed) &&
      session.logoutStoredTick !== undefined &&
      tab.storeSeenTick < session.logoutStoredTick
    ) {
      world.count('idle:logout-stored-by-a-dead-tab');
      continue;
    }
    // The logout's store write never answered (a hanging store) and the tab that called it was disposed:
    // it answers the hellos of new tabs while its last writes drain (bounded by refreshTimeoutMs), and this
    // tab opened after that. Nothing knows of the logout any more: the documented limit. Counted.
    const T = world.input.refreshTimeoutMs;
    if (
      session?.loggedOut &&
      session.logoutBy?.disposed &&
      !session.logoutStored &&
      world.input.storeFaults.some(({ fault }) => fault === 'hang') &&
      tab.openedAt > (session.logoutAt ?? 0) + T + Math.min(2_000, Math.floor(T / 4))
    ) {
      world.count('idle:logout-lost-with-a-hanging-store');
      continue;
    }
    if (session?.loggedOut && session.concurrentLogout) {
      world.count('idle:login-won-concurrent-logout');
      continue;
    }
    if (session?.loggedOut)
      world.violation(
        `idle: logout not final: tab ${tab.id} holds a token of session ${session.index}, logged out by tab ${session.logoutBy?.id}`,
      );
  }
  checkHeldRefreshToken(world);
  // Live tabs converge on the stored record once the world is idle.
  if (world.input.storeFaults.length > 0 || world.storeHub.value === undefined) return;
  const record = world.storeHub.value;
  // persistToken false: the store holds the version; its token is one broadcast with it. Two tabs may each
  // have made a record of that version (the store answering neither): then the tabs must agree on one.
  const candidates = record.withheld ? world.tokensOf(record) : [];
  const held = new Set(
    world.tabs.filter((tab) => !tab.dead && !tab.disposed).map((tab) => tab.auth.getToken()),
  );
  const agreed = held.size === 1 ? [...held][0] : undefined;
  const stored = record.withheld
    ? agreed !== undefined && candidates.includes(agreed)
      ? agreed
      : candidates[0]
    : (record.token ?? undefined);
  if (record.withheld && stored === undefined) {
    world.count('idle:withheld-token-unknown');
    return;
  }
  for (const tab of world.tabs) {
    if (tab.dead || tab.disposed) continue;
    const token = tab.auth.getToken();
    // A tab that never learnt a token (its first read timed out while it was frozen) gets one on first use.
    if (token === undefined && stored !== undefined) {
      world.count('idle:tab-without-token');
      continue;
    }
    // A tab that stored a record and died before its message left it (held while it was frozen, lost at
    // the crash), or that was disposed and had released its channel when the write landed (frozen past the
    // drain's bound) while this tab last read the store before: the live tabs learn the record at their next
    // refresh (which adopts it from the store) or when they become visible; nothing reaches them before.
    // Counted, not a violation.
    if (
      token !== stored &&
      world.tabs.some(
        (other) =>
          (other.dead || (other.disposed && tab.storeSeenTick < world.storeWriteTick)) &&
          other.auth.getToken() === stored,
      )
    ) {
      world.count('idle:stored-by-a-dead-tab');
      continue;
    }
    if (token !== stored) {
      const seq = (value: string | undefined) =>
        value === undefined ? 'none' : `#${world.server.tokens.get(value)?.seq}`;
      world.violation(`idle: tab ${tab.id} holds token ${seq(token)}, the store ${seq(stored)}`);
    }
  }
};
