import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createConnection } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ConfigPatch } from 'mock-auth-server';
import { type RunningMockAuthServer, startMockAuthServer } from 'mock-auth-server/node';
import { createLogger, RefreshProxy, type RefreshProxyOptions } from '../src/index.ts';
import { createRedisStore } from '../src/store/redis.ts';

export const SECRET = 'test-secret-0123456789abcdef';
const START_TS = fileURLToPath(new URL('../src/start.ts', import.meta.url));

/** A free loopback port (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends one inline command to Redis and reads the first line of the reply (bounded). */
export function redisCommand(port: number, command: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('redis timeout'));
    }, timeoutMs);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(`${command}\r\n`);
  });
}

/** A redis-server of the test's own on a free loopback port, persistence off; stopped by PID. */
export class TestRedis {
  port = 0;
  #process: ChildProcess | undefined;
  static all = new Set<TestRedis>();

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  get running(): boolean {
    const child = this.#process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async start(): Promise<this> {
    if (this.running) return this;
    if (this.port === 0) this.port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
      {
        stdio: 'ignore',
      },
    );
    this.#process = child;
    TestRedis.all.add(this);
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const pong = await redisCommand(this.port, 'PING').catch(() => '');
      if (pong.startsWith('+PONG')) return this;
      await sleep(50);
    }
    throw new Error('redis-server did not start within 5 s');
  }

  /** Stops it by PID (SIGTERM, then SIGKILL after 2 s). Same port on the next start(). */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  async flush(): Promise<void> {
    await redisCommand(this.port, 'FLUSHALL');
  }
}

// A failing test file must not leave redis-server running.
process.once('exit', () => {
  for (const redis of TestRedis.all) void redis.stop();
});

/** Log lines of every proxy a test file starts, in process or child (for the token-leak check). */
export const capturedLogs: string[] = [];

/** Every token the file's clients saw (login and refresh answers), for the token-leak check. */
export const issuedTokens = new Set<string>();

export function captureStream(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') capturedLogs.push(line);
      callback();
    },
  });
}

/** Starts the mock auth server (strict by default) in this process. */
export function startMock(config: ConfigPatch = {}): Promise<RunningMockAuthServer> {
  return startMockAuthServer({ config: { preset: 'strict', ...config } });
}

export interface RunningProxy {
  proxy: RefreshProxy;
  url: string;
  close(): Promise<void>;
}

/** Starts a proxy in this process; `redisUrl` gives it a Redis store, else memory. Logs at debug, captured. */
export async function startProxy(
  options: Partial<RefreshProxyOptions> & {
    upstream: string;
    redisUrl?: string;
    redisCluster?: boolean;
    storeTimeoutMs?: number;
  },
): Promise<RunningProxy> {
  const { redisUrl, redisCluster, storeTimeoutMs, ...rest } = options;
  const logger = createLogger({ level: 'debug' }, captureStream());
  const store =
    redisUrl === undefined
      ? undefined
      : createRedisStore({
          url: redisUrl,
          cluster: redisCluster === true,
          commandTimeoutMs: storeTimeoutMs ?? 1_000,
          logger,
        });
  const proxy = new RefreshProxy({ secret: SECRET, logger, ...rest, ...(store && { store }) });
  const { url } = await proxy.listen(0);
  return { proxy, url, close: () => proxy.close() };
}

/** A proxy as a child process (`node src/start.ts`), so it can be SIGKILLed. */
export class ChildProxy {
  url = '';
  readonly lines: string[] = [];
  #child: ChildProcess | undefined;
  static all = new Set<ChildProxy>();

  async start(env: Record<string, string>): Promise<this> {
    const child = spawn(process.execPath, [START_TS], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'debug', SECRET, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    ChildProxy.all.add(this);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        if (line === '') continue;
        this.lines.push(line);
        capturedLogs.push(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const listening = this.lines.find((line) => line.includes('"event":"listening"'));
      if (listening !== undefined) {
        this.url = (JSON.parse(listening) as { url: string }).url;
        return this;
      }
      if (child.exitCode !== null)
        throw new Error(`proxy exited ${child.exitCode}: ${this.lines.join('\n')}`);
      await sleep(50);
    }
    throw new Error('proxy did not start within 10 s');
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Sends `signal` by PID and waits (bounded) for the exit; returns the exit code or signal. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<string> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return 'gone';
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code, killedBy] = await exited;
    clearTimeout(timer);
    return killedBy ?? String(code);
  }
}

process.once('exit', () => {
  for (const proxy of ChildProxy.all) void proxy.kill('SIGKILL');
});

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  setCookies: string[];
  ms: number;
}

function remember(body: Record<string, unknown>, setCookies: string[]): void {
  for (const field of ['access_token', 'refresh_token']) {
    const value = body[field];
    if (typeof value === 'string' && value !== '') issuedTokens.add(value);
  }
  for (const cookie of setCookies) {
    const value = /^[^=]+=([^;]*)/.exec(cookie)?.[1];
    if (value) issuedTokens.add(value);
  }
}

async function answer(response: Response, started: number): Promise<TokenAnswer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  const setCookies = response.headers.getSetCookie();
  remember(body, setCookies);
  return { status: response.status, body, setCookies, ms: performance.now() - started };
}

/** A CLI-style login: the password grant on /oauth/token. Returns the tokens. */
export async function cliLogin(
  base: string,
  username = 'ann',
): Promise<{ accessToken: string; refreshToken: string }> {
  const started = performance.now();
  const response = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password: 'pw' }),
  });
  const { status, body } = await answer(response, started);
  if (status !== 200) throw new Error(`login failed: ${status} ${JSON.stringify(body)}`);
  return { accessToken: String(body.access_token), refreshToken: String(body.refresh_token) };
}

/** A CLI-style refresh (RFC 6749 §6 form grant). Bounded by `timeoutMs`. */
export async function formRefresh(
  base: string,
  refreshToken: string,
  timeoutMs = 20_000,
): Promise<TokenAnswer> {
  const started = performance.now();
  const response = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return answer(response, started);
}

/** A browser-style refresh: the token in the `rt` cookie, with the CSRF header. */
export async function cookieRefresh(
  base: string,
  refreshToken: string,
  timeoutMs = 20_000,
): Promise<TokenAnswer> {
  const started = performance.now();
  const response = await fetch(`${base}/auth/refresh`, {
    method: 'POST',
    headers: { Cookie: `rt=${refreshToken}`, 'X-Requested-With': 'fetch' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return answer(response, started);
}

/** The new refresh token of a successful answer (body or cookie). */
export function childToken(result: TokenAnswer): string | null {
  if (typeof result.body.refresh_token === 'string') return result.body.refresh_token;
  for (const cookie of result.setCookies) {
    const value = /^rt=([^;]*)/.exec(cookie)?.[1];
    if (value) return value;
  }
  return null;
}

/** Reads a counter or gauge from a /metrics text (sum over the label sets that match `labels`). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const set = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}

/** Every occurrence of any issued token in `texts` (log lines, /metrics output); [] when clean. */
export function tokenLeaks(texts: readonly string[]): string[] {
  const leaks: string[] = [];
  for (const token of issuedTokens) {
    for (const text of texts)
      if (text.includes(token)) leaks.push(`${token.slice(0, 6)}… in ${text.slice(0, 120)}`);
  }
  return leaks;
}

/** A scripted upstream: `handler` answers each call; counts calls. */
export interface FakeUpstream {
  url: string;
  calls: number;
  close(): Promise<void>;
}

export async function startFakeUpstream(
  handler: (req: IncomingMessage, res: ServerResponse, call: number) => void | Promise<void>,
): Promise<FakeUpstream> {
  const state = { calls: 0 };
  const server: Server = createServer((req, res) => {
    state.calls += 1;
    req.resume();
    void handler(req, res, state.calls);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return state.calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ClientRun {
  refresh: TokenAnswer | null;
  apiStatus: number;
}

/** A naive client: call the API; on 401 refresh once (its own shape) and call again. No coordination. */
export async function naiveClient(
  base: string,
  shape: 'form' | 'cookie',
  tokens: { accessToken: string; refreshToken: string },
): Promise<ClientRun> {
  const first = await fetch(`${base}/api/me`, { headers: { Authorization: `Bearer ${tokens.accessToken}` } });
  await first.text();
  if (first.status !== 401) return { refresh: null, apiStatus: first.status };
  const refresh =
    shape === 'form'
      ? await formRefresh(base, tokens.refreshToken)
      : await cookieRefresh(base, tokens.refreshToken);
  if (refresh.status !== 200) return { refresh, apiStatus: 401 };
  const again = await fetch(`${base}/api/me`, {
    headers: { Authorization: `Bearer ${String(refresh.body.access_token)}` },
  });
  await again.text();
  return { refresh, apiStatus: again.status };
}

/**
2 CLI clients and 1 cookie client sharing one refresh token, at expiry (the mock at `mockUrl` expires its
access tokens first), each through its own base URL.
*/
export async function raceAtExpiry(
  mockUrl: string,
  bases: [string, string, string],
  tokens: { accessToken: string; refreshToken: string },
): Promise<ClientRun[]> {
  await fetch(`${mockUrl}/__mock/expire`, { method: 'POST' });
  return Promise.all([
    naiveClient(bases[0], 'form', tokens),
    naiveClient(bases[1], 'form', tokens),
    naiveClient(bases[2], 'cookie', tokens),
  ]);
}
