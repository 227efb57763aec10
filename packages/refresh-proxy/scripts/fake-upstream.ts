/**
A constant upstream for the overhead benchmark, in a process of its own (as deployed): answers every
request at once with a fresh token pair (a refresh grant) and prints `{"url":…}` once listening. With
`echo` as argument it answers `{}` only: the floor of one loopback HTTP hop to a trivial Node server.
*/
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const echo = process.argv[2] === 'echo';
let calls = 0;
const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    calls += 1;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(
      echo
        ? '{}'
        : `{"access_token":"bench-access-${calls}","token_type":"Bearer","expires_in":60,"refresh_token":"bench-child-${calls}-${randomUUID()}"}`,
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
