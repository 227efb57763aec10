import { type ChildProcess, fork } from 'node:child_process';

export interface Child {
  url: string;
  secureUrl?: string;
  stop(): Promise<void>;
}

/** Start a server script in a child Node process; it reports `{ url }` over IPC once it listens. */
export const startChild = (script: URL, args: string[] = []): Promise<Child> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const onExit = (code: number | null) => reject(new Error(`${script.pathname} exited early (${code})`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.once('message', (message) => {
      child.off('exit', onExit);
      const { url, secureUrl } = message as { url: string; secureUrl?: string };
      resolve({
        url,
        ...(secureUrl && { secureUrl }),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            child.disconnect();
          }),
      });
    });
  });
