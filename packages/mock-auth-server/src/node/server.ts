import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuthServer, createAuthServer } from '../core/auth-server.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import { createMockAuthRequestListener, type NodeAdapterOptions } from './adapter.ts';

/** Options of {@link startMockAuthServer}. */
export interface StartOptions extends NodeAdapterOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default the loopback 127.0.0.1. */
  host?: string;
}

/** A listening mock server. */
export interface RunningMockAuthServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  port: number;
  /** The state machine behind it (stats, configure, reset without HTTP). */
  authServer: AuthServer;
  httpServer: Server;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Starts the Node HTTP adapter (plain http, cookie `rt`) on a loopback port. */
export async function startMockAuthServer(options: StartOptions = {}): Promise<RunningMockAuthServer> {
  const { port = 0, host = '127.0.0.1', ...adapter } = options;
  const authServer =
    adapter.server ??
    createAuthServer({ storage: createMemoryStorage(), ...(adapter.config && { config: adapter.config }) });
  const httpServer = createServer(createMockAuthRequestListener({ ...adapter, server: authServer }));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostname}:${address.port}`,
    port: address.port,
    authServer,
    httpServer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpServer.close((error) => (error ? reject(error) : resolve()));
        httpServer.closeAllConnections();
      }),
  };
}
