/**
The server of the upload benchmark: node:http on 127.0.0.1, in its own process (started by `lib/child.ts`), so
its buffers never count in the memory of the client under test. It reads every request body to the end,
counting the bytes without keeping them, then answers `{ bytes }`: 200 when the Authorization header is the
expected one, 401 otherwise. The 401 comes after the whole body was read, so a rejected first attempt has
streamed the entire upload before the replay starts it again (the worst case for a copy kept for a replay).
Argument: the expected Authorization header value.
*/
import { createServer } from 'node:http';
import type { UploadAnswer } from '../lib/upload-types.ts';

const expected = process.argv[2] ?? '';

const server = createServer((request, response) => {
  let bytes = 0;
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  request.on('end', () => {
    const authorized = request.headers.authorization === expected;
    const answer: UploadAnswer = authorized ? { bytes } : { bytes, error: 'invalid_token' };
    const body = Buffer.from(JSON.stringify(answer));
    response.writeHead(authorized ? 200 : 401, {
      'content-type': 'application/json',
      'content-length': String(body.length),
    });
    response.end(body);
  });
  request.on('error', () => response.destroy());
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.send?.({ url: `http://127.0.0.1:${address.port}` });
});
process.on('disconnect', () => process.exit(0));
