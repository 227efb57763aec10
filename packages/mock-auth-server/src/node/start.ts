/**
 * Starts the mock auth server over node:http on a loopback port.
 *
 *   node src/node/start.ts [--port 0] [--host 127.0.0.1] [--static DIR] [--preset okta] [--config '{"accessTtlMs":5000}']
 *
 * PORT, HOST, STATIC_DIR, PRESET and MOCK_CONFIG (JSON) environment variables work too. Prints the URL on
 * stdout as `mock-auth-server listening on http://127.0.0.1:PORT`.
 */
import { parseArgs } from 'node:util';
import { validateConfigPatch } from '../core/config.ts';
import { startMockAuthServer } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '0' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    static: { type: 'string', ...(process.env.STATIC_DIR && { default: process.env.STATIC_DIR }) },
    preset: { type: 'string', ...(process.env.PRESET && { default: process.env.PRESET }) },
    config: { type: 'string', default: process.env.MOCK_CONFIG ?? '{}' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${values.port}`);
  process.exit(2);
}
let raw: unknown;
try {
  raw = { ...JSON.parse(values.config), ...(values.preset && { preset: values.preset }) };
} catch {
  console.error('--config / MOCK_CONFIG must be JSON');
  process.exit(2);
}
const validation = validateConfigPatch(raw);
if (!validation.ok) {
  console.error('Invalid configuration:', validation.error);
  process.exit(2);
}

const running = await startMockAuthServer({
  port,
  host: values.host,
  config: validation.patch,
  ...(values.static && { staticDir: values.static }),
});
console.log(`mock-auth-server listening on ${running.url}`);

const stop = () => {
  running.close().finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
