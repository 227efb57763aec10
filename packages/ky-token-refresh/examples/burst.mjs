// A runnable example: 20 requests hit an expired token at once; one refresh serves them all.
// Run from the repo root with `bash scripts/start.sh example` (it builds the package first).
import ky from 'ky';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { createTokenRefresh } from '../dist/index.js';

const origin = 'http://example.test';
let valid = 'token-0';
let refreshCalls = 0;
const server = setupServer(
  http.post(`${origin}/auth/refresh`, async () => {
    refreshCalls++;
    await new Promise((resolve) => setTimeout(resolve, 50));
    valid = `token-${refreshCalls}`;
    return HttpResponse.json({ access_token: valid });
  }),
  http.get(`${origin}/api/:item`, ({ request, params }) =>
    request.headers.get('authorization') === `Bearer ${valid}`
      ? HttpResponse.json({ item: params.item })
      : HttpResponse.json({ error: 'invalid_token' }, { status: 401 }),
  ),
);
server.listen({ onUnhandledFrame: 'error' });

const auth = createTokenRefresh({
  refresh: async ({ signal }) => (await ky.post(`${origin}/auth/refresh`, { signal }).json()).access_token,
  isAuthorizedUrl: (url) => url.origin === origin,
});
auth.subscribe((event) => console.log(`  ${event.type.padEnd(18)} generation ${event.generation}`));
const api = ky.create({ prefix: `${origin}/api`, hooks: auth.hooks });

await auth.setToken('expired-token');
console.log('20 requests with an expired token:');
const results = await Promise.allSettled(
  Array.from({ length: 20 }, (_, index) => api.get(`item-${index}`).json()),
);
const ok = results.filter((result) => result.status === 'fulfilled').length;
console.log(`\n${ok} of 20 requests succeeded, ${refreshCalls} refresh call(s) reached the server.`);
console.log('stats:', auth.stats());
server.close();
process.exit(ok === 20 && refreshCalls === 1 ? 0 : 1);
