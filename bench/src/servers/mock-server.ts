/**
The mock auth server (packages/mock-auth-server, Node adapter: real HttpOnly cookies) in its own process, so
its JWT signing and verification do not share the event loop of the client under test.
Argument: JSON `{ config, staticDir?, tls?: { key, cert } }` (PEM file paths). Always listens on plain http
(the control endpoints are driven from there); with `tls`, the same state machine is also served over HTTP/2
(TLS, HTTP/1.1 allowed too), so a browser can multiplex a burst instead of queueing it on 6 connections.
*/
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createMockAuthRequestListener, startMockAuthServer } from 'mock-auth-server/node';

const { config, staticDir, tls } = JSON.parse(process.argv[2] ?? '{}') as {
  config?: Record<string, unknown>;
  staticDir?: string;
  tls?: { key: string; cert: string };
};
const running = await startMockAuthServer({
  port: 0,
  ...(config && { config }),
  ...(staticDir && { staticDir }),
});

let secureUrl: string | undefined;
let closeSecure = () => undefined as void;
if (tls) {
  const listener = createMockAuthRequestListener({
    server: running.authServer,
    ...(staticDir && { staticDir }),
  });
  const secure = createSecureServer(
    { key: readFileSync(tls.key), cert: readFileSync(tls.cert), allowHTTP1: true },
    (req, res) => {
      // The adapter speaks node:http; over HTTP/2 the compat request differs only in its pseudo-headers
      // (`:authority` instead of Host). Give it plain headers, keeping method and url (read from them).
      if (req.httpVersionMajor === 2) {
        const { method, url, authority } = req;
        const headers: Record<string, string | string[] | undefined> = { host: authority };
        for (const [name, value] of Object.entries(req.headers))
          if (!name.startsWith(':')) headers[name] = value;
        Object.defineProperties(req, {
          headers: { value: headers },
          method: { value: method },
          url: { value: url },
        });
      }
      listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    },
  );
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  secureUrl = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
  closeSecure = () => {
    secure.close();
  };
}

process.send?.({ url: running.url, secureUrl });
process.on('disconnect', () => {
  closeSecure();
  running.close().finally(() => process.exit(0));
});
