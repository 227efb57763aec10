/**
The server of the happy-path benchmark: node:http on 127.0.0.1, one small JSON answer per request. It runs in
its own process (started by `lib/child.ts`) so the client under test has the event loop to itself. It checks
the Authorization header, so a variant that forgot the token would show up as failures, not as speed.
*/
import { createServer } from 'node:http';

const expected = process.argv[2] ?? '';
const ok = Buffer.from(JSON.stringify({ ok: true }));
const denied = Buffer.from(JSON.stringify({ error: 'invalid_token' }));

const server = createServer((request, response) => {
  request.resume();
  const authorized = request.headers.authorization === expected;
  response.writeHead(authorized ? 200 : 401, {
    'content-type': 'application/json',
    'content-length': String(authorized ? ok.length : denied.length),
  });
  response.end(authorized ? ok : denied);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.send?.({ url: `http://127.0.0.1:${address.port}` });
});
process.on('disconnect', () => process.exit(0));
