/**
Processes for the overhead benchmark, each on its own (as deployed); each prints `{"url":…}` once listening.

- no argument: a constant upstream that answers every request at once with a fresh token pair;
- `echo`: answers `{}` only (the floor of one loopback HTTP hop to a trivial Node server);
- `forward <url>`: a bare Node forwarder to `<url>` (keep-alive, the body buffered both ways, nothing else):
  the least any proxy written on Node's HTTP stack adds.
*/
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';

const mode = process.argv[2] ?? 'upstream';
const target = mode === 'forward' ? new URL(process.argv[3] ?? '') : null;
const agent = new Agent({ keepAlive: true });
let calls = 0;

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    calls += 1;
    if (target !== null) {
      const body = Buffer.concat(chunks);
      const headers = {
        'content-type': String(req.headers['content-type'] ?? ''),
        'content-length': String(body.byteLength),
      };
      const outgoing = request(target, { path: req.url, method: req.method, headers, agent }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => {
          const text = Buffer.concat(parts);
          res.writeHead(answer.statusCode ?? 502, {
            'content-type': answer.headers['content-type'] ?? 'application/json',
            'content-length': String(text.byteLength),
          });
          res.end(text);
        });
      });
      outgoing.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(
      mode === 'echo'
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
