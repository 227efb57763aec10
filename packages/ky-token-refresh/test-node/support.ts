import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { type RunningMockAuthServer, startMockAuthServer } from '../../mock-auth-server/dist/node/index.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Root bypasses file permissions: the permission tests then run their file operations as `nobody`. */
export const isRoot = process.getuid?.() === 0;

/** A fresh directory under the OS temporary directory for each test, removed after it (permissions restored). */
export const useTempDir = (): (() => string) => {
  let directory = '';
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'ky-token-refresh-node-'));
  });
  afterEach(async () => {
    await chmod(directory, 0o700).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
  });
  return () => directory;
};

/** The file's Node mock auth server, as far as the tests use it. */
export interface MockAuthServer {
  readonly url: string;
  readonly authServer: RunningMockAuthServer['authServer'];
}

/**
One Node mock auth server for the test file: started before its tests, closed after them, and reset to the
strict preset (one-time refresh tokens, reuse detection) before each test.
*/
export const useMockAuthServer = (): MockAuthServer => {
  let running: RunningMockAuthServer | undefined;
  const started = (): RunningMockAuthServer => {
    if (running === undefined) throw new Error('the mock auth server is used outside a test');
    return running;
  };
  beforeAll(async () => {
    running = await startMockAuthServer();
  });
  afterAll(async () => {
    await running?.close();
  });
  beforeEach(async () => {
    await started().authServer.reset({ preset: 'strict' });
  });
  return {
    get url() {
      return started().url;
    },
    get authServer() {
      return started().authServer;
    },
  };
};

/** The process warnings emitted during each test (the Node door reports what it could not save as one). */
export const useProcessWarnings = (): Error[] => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  beforeAll(() => {
    process.on('warning', onWarning);
  });
  afterAll(() => {
    process.off('warning', onWarning);
  });
  beforeEach(() => {
    warnings.length = 0;
  });
  return warnings;
};

/** What one fixture process answers for a round of calls: each call's outcome, and the token it ended on. */
export interface RoundResults {
  results: { status: number; error?: string }[];
  token: string | null;
}

/**
The library's verdict over rounds of processes calling at each expiry: exactly `requests` answers, all 200;
one rotation per round and no refusal, reuse or revocation at the server; every process of a round ends on
one token.
*/
export const expectOneRotationPerExpiry = async (
  mock: MockAuthServer,
  rounds: RoundResults[][],
  requests: number,
): Promise<void> => {
  const stats = await mock.authServer.stats();
  expect(rounds.flat().flatMap(({ results }) => results)).toEqual(
    Array.from({ length: requests }, () => ({ status: 200 })),
  );
  expect(stats.rotations).toBe(rounds.length);
  expect(stats.refreshFailures).toEqual({});
  expect(stats.reuseDetections).toBe(0);
  expect(stats.familyRevocations).toBe(0);
  for (const round of rounds) expect(new Set(round.map(({ token }) => token)).size).toBe(1);
};

export interface Message {
  type: string;
  [key: string]: unknown;
}

/** A forked fixture process; every message it sends is kept until a test takes it. */
export class Child {
  readonly process: ChildProcess;
  readonly #messages: Message[] = [];
  readonly #waiters = new Set<() => void>();
  exited = false;
  /** What it wrote to stdout and stderr, when forked with `capture` (else it goes to the test's output). */
  output = '';

  constructor(child: ChildProcess) {
    this.process = child;
    child.on('message', (message: Message) => {
      this.#messages.push(message);
      for (const waiter of [...this.#waiters]) waiter();
    });
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', () => {
      this.exited = true;
      for (const waiter of [...this.#waiters]) waiter();
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  send(message: unknown): void {
    this.process.send(message as object);
  }

  /** Whether a message of `type` came (without taking it). */
  has(type: string): boolean {
    return this.#messages.some((message) => message.type === type);
  }

  /** Take the next message of `type`, waiting for it at most `timeoutMs`. */
  next(type: string, timeoutMs = 10_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.#messages.findIndex((message) => message.type === type);
        if (index >= 0) {
          done();
          resolve(this.#messages.splice(index, 1)[0] as Message);
        } else if (this.exited) {
          done();
          reject(new Error(`The child ${this.pid} exited before sending "${type}".`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`No "${type}" from the child ${this.pid} within ${timeoutMs} ms.`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Resolves once the process has exited. */
  exit(timeoutMs = 10_000): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The child ${this.pid} did not exit.`)), timeoutMs);
      this.process.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

const children = new Set<Child>();
const register = pathToFileURL(fileURLToPath(new URL('./fixtures/register.ts', import.meta.url))).href;

/**
Fork `test-node/fixtures/<script>` (TypeScript, run by Node's type stripping). `asOtherUser`: as `nobody`
when the tests run as root (so that file permissions apply to it), as this user otherwise.
*/
export const forkFixture = (
  script: string,
  args: string[],
  options: { asOtherUser?: boolean; capture?: boolean } = {},
): Child => {
  const child = new Child(
    fork(fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url)), args, {
      execArgv: ['--disable-warning=ExperimentalWarning', '--import', register],
      stdio: ['ignore', options.capture ? 'pipe' : 'inherit', options.capture ? 'pipe' : 'inherit', 'ipc'],
      ...(options.asOtherUser && isRoot ? { uid: 65534, gid: 65534 } : {}),
    }),
  );
  children.add(child);
  return child;
};

// Every child is killed after each test (resumed first if it was stopped), whatever the test did.
afterEach(async () => {
  const all = [...children];
  children.clear();
  for (const child of all) {
    if (child.exited) continue;
    child.process.kill('SIGCONT');
    child.process.kill('SIGKILL');
  }
  await Promise.all(all.map((child) => child.exit().catch(() => undefined)));
});

/** Wait until the process `pid` is stopped (SIGSTOP delivered: state `T` in /proc), at most 5 s. */
export const waitStopped = async (pid: number): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    if (state === 'T' || state === 't') return;
    await sleep(5);
  }
  throw new Error(`The process ${pid} did not stop.`);
};

export { asResult, type TokenAnswer, tokenGrant } from './fixtures/server-calls.js';
