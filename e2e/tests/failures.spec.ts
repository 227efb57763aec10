/**
Transient failures keep the session (and recover on the next expiry), against the Node adapter: the refresh
endpoint down (503), the refresh call lost to the network, the whole browser offline. And `persistToken: false`.
*/
import type { Page, Route } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';
import { loginEverywhere, sessionExpiredCalls, wave } from '../support/waves.ts';

const TABS = 3;
const PER_TAB = 10;

const outages: { label: string; fail: (route: Route) => Promise<void>; code: string }[] = [
  {
    label: 'refresh endpoint down (503)',
    fail: (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"down"}' }),
    code: 'ERR_REFRESH_FAILED',
  },
  {
    label: 'refresh call lost to the network (route abort)',
    fail: (route) => route.abort('internetdisconnected'),
    code: 'ERR_REFRESH_FAILED',
  },
];

for (const outage of outages) {
  test(`${outage.label}, then back: RefreshFailedError, session kept, next expiry recovers with 1 rotation`, async ({
    openTabs,
    mock,
  }) => {
    await mock.reset({ latencyMs: 50 });
    const tabs = await openTabs(TABS);
    const token = await loginEverywhere(tabs);
    let intercepted = 0;
    await tabs.context.route('**/auth/refresh', async (route) => {
      intercepted++;
      await outage.fail(route);
    });
    const down = await wave(tabs, mock, PER_TAB);
    expect(down.ok).toBe(0);
    expect(down.failures).toHaveLength(TABS * PER_TAB);
    for (const failure of down.failures) expect(failure.code, failure.message).toBe(outage.code);
    expect(intercepted, 'refresh attempts while down').toBeGreaterThanOrEqual(1);
    expect(down.server.refreshRequests, 'refresh calls that reached the server').toBe(0);
    // Transient: nobody logged out, every tab keeps its (expired) token and the cookie is intact.
    expect(await sessionExpiredCalls(tabs)).toEqual(Array(TABS).fill(0));
    for (const page of tabs.pages as Page[]) expect(await tabs.call(page, 'token')).toBe(token);

    await tabs.context.unrouteAll({ behavior: 'wait' });
    const back = await wave(tabs, mock, PER_TAB, { expire: false });
    expect.soft(back.failures).toEqual([]);
    expect(back.ok).toBe(TABS * PER_TAB);
    expect(back.server.refreshRequests).toBe(1);
    expect(back.server.rotations).toBe(1);
    expect(back.server.invalidGrants).toBe(0);
    expect(await sessionExpiredCalls(tabs)).toEqual(Array(TABS).fill(0));
  });
}

test('offline blip (context.setOffline): requests fail as network errors, no logout, back online recovers', async ({
  openTabs,
  mock,
}) => {
  await mock.reset({ latencyMs: 50 });
  const tabs = await openTabs(TABS);
  const token = await loginEverywhere(tabs);
  await mock.expire();
  await tabs.context.setOffline(true);
  const offline = await wave(tabs, mock, PER_TAB, { expire: false });
  expect(offline.ok).toBe(0);
  expect(offline.failures).toHaveLength(TABS * PER_TAB);
  for (const failure of offline.failures) {
    expect(failure.code).not.toBe('ERR_SESSION_EXPIRED');
    expect(failure.status).toBeUndefined();
  }
  expect(offline.server.refreshRequests + offline.server.api200s + offline.server.api401s).toBe(0);
  for (const page of tabs.pages as Page[]) expect(await tabs.call(page, 'token')).toBe(token);

  await tabs.context.setOffline(false);
  const online = await wave(tabs, mock, PER_TAB, { expire: false });
  expect.soft(online.failures).toEqual([]);
  expect(online.ok).toBe(TABS * PER_TAB);
  expect(online.server.refreshRequests).toBe(1);
  expect(online.server.rotations).toBe(1);
  expect(await sessionExpiredCalls(tabs)).toEqual(Array(TABS).fill(0));
});

test('persistToken: false: the store holds the generation only, tabs still refresh once, a late tab gets the token', async ({
  openTabs,
  mock,
}) => {
  await mock.reset({ latencyMs: 100, apiJitterMs: 20 });
  const tabs = await openTabs(5, { query: 'persistToken=0' });
  const token = await loginEverywhere(tabs);
  const stored = await tabs.call(tabs.pages[0]!, 'storedRecord');
  expect(stored?.generation).toBeGreaterThanOrEqual(1);
  expect(stored?.hasToken, 'token written to IndexedDB').toBe(false);
  for (let round = 1; round <= 3; round++) {
    const { ok, failures, server } = await wave(tabs, mock, 20);
    expect.soft(failures, `round ${round}`).toEqual([]);
    expect(ok, `round ${round}: ok`).toBe(100);
    expect(server.refreshRequests, `round ${round}: refresh calls`).toBe(1);
    expect(server.invalidGrants, `round ${round}: invalid_grant`).toBe(0);
  }
  expect((await tabs.call(tabs.pages[0]!, 'storedRecord'))?.hasToken).toBe(false);
  // A tab opened now finds no token in the store and asks the others over the channel.
  const current = await tabs.call(tabs.pages[0]!, 'token');
  expect(current).not.toBe(token);
  const late = await tabs.open();
  await expect.poll(() => tabs.call(late, 'token')).toBe(current);
  const after = await wave(tabs, mock, 20);
  expect(after.ok).toBe(120);
  expect(after.server.refreshRequests).toBe(1);
  expect(await sessionExpiredCalls(tabs)).toEqual(Array(6).fill(0));
});

test('control: with persistToken left on, the token is in the store', async ({ openTabs, mock }) => {
  await mock.reset();
  const tabs = await openTabs(1);
  await loginEverywhere(tabs);
  expect((await tabs.call(tabs.pages[0]!, 'storedRecord'))?.hasToken).toBe(true);
});
