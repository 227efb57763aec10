/**
mycli: a small CLI that logs in once and then calls an API, keeping its credentials in a file as CLIs do.
Several of them (two terminals, a script's background jobs, a tool that reads the same file) share that file,
and with it one rotating refresh token. Run it through `mycli.ts`:

  node examples/cli/mycli.ts login --server <url> [--username ann] [--password pw]
  node examples/cli/mycli.ts call  --server <url>             GET /api/me through ky-token-refresh/node
  node examples/cli/mycli.ts call  --server <url> --naive     the same, the way CLIs do it today

--file <path>   the credentials file (default ~/.mycli/credentials.json, or $MYCLI_CREDENTIALS)
--server <url>  the auth server and API (or $MYCLI_SERVER): POST /oauth/token, GET /api/me
--naive         `login` writes, and `call` reads, the naive CLI's own file format
--json          print one JSON line (for scripts); never a token
--at <ms>       `call` waits until this time (ms since the epoch) before calling: a script can start several
                calls at the same moment (race.ts does)
*/
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTokenRefresh, isTokenRefreshError, type RefreshResult } from 'ky-token-refresh/node';

const usage = 'usage: mycli <login|call> --server <url> [--file <path>] [--naive] [--json] [--at <ms>]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    server: { type: 'string', default: process.env.MYCLI_SERVER },
    file: {
      type: 'string',
      default: process.env.MYCLI_CREDENTIALS ?? join(homedir(), '.mycli', 'credentials.json'),
    },
    username: { type: 'string', default: 'ann' },
    password: { type: 'string', default: 'pw' },
    naive: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    at: { type: 'string' },
  },
});
const [command] = positionals;
if ((command !== 'login' && command !== 'call') || values.server === undefined) {
  console.error(usage);
  process.exit(2);
}
const server = new URL(values.server);
const file = values.file;

/** What the command did: printed as one JSON line with --json, as a sentence otherwise. */
interface Outcome {
  command: 'login' | 'call';
  mode: 'naive' | 'library';
  /** The HTTP status of the last answer (0: no answer, the session is over). */
  status: number;
  error?: string;
  /** `call --at`: when this process was ready to call (ms since it started), and how late it called. */
  readyMs?: number;
  lateMs?: number;
  body?: unknown;
}

// ---------- the auth server: OAuth's token endpoint, form-encoded ----------

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
}

/** POST /oauth/token. Throws with `status` on a refusal: 400 (invalid_grant) means the session is over. */
const tokenGrant = async (form: Record<string, string>, signal?: AbortSignal): Promise<TokenAnswer> => {
  const response = await fetch(new URL('/oauth/token', server), {
    method: 'POST',
    body: new URLSearchParams(form),
    signal: signal ?? null,
  });
  const body = (await response.json()) as TokenAnswer & { error?: string };
  if (!response.ok) {
    const error = new Error(`the token endpoint answered ${response.status} ${body.error ?? ''}`.trim());
    throw Object.assign(error, { status: response.status, code: body.error });
  }
  return body;
};

const toRecord = (answer: TokenAnswer): RefreshResult => ({
  accessToken: answer.access_token,
  refreshToken: answer.refresh_token,
  expiresAt: Date.now() + answer.expires_in * 1000,
});

// ---------- ky-token-refresh/node: one refresh per expiry for every process that names the file ----------

const openAuth = () =>
  createTokenRefresh({
    credentialsFile: file,
    isAuthorizedUrl: (url) => url.origin === server.origin,
    // Called once per expiry across the processes, under the file lock, with the newest refresh token.
    refresh: async ({ signal, refreshToken }) => {
      if (refreshToken === undefined) return null; // never logged in: no session
      return toRecord(await tokenGrant({ grant_type: 'refresh_token', refresh_token: refreshToken }, signal));
    },
  });

const libraryLogin = async (answer: TokenAnswer): Promise<void> => {
  const auth = openAuth();
  try {
    await auth.setToken(toRecord(answer));
  } finally {
    auth.dispose();
  }
};

const libraryCall = async (at: number | undefined): Promise<Outcome> => {
  const auth = openAuth();
  try {
    await waitUntil(at);
    try {
      const response = await auth.fetch(new URL('/api/me', server));
      return {
        command: 'call',
        mode: 'library',
        status: response.status,
        body: await response.json(),
      };
    } catch (error) {
      // SessionExpiredError (ERR_SESSION_EXPIRED): the server refused the refresh token; log in again.
      const code = isTokenRefreshError(error) ? error.code : String(error);
      return { command: 'call', mode: 'library', status: 0, error: code };
    }
  } finally {
    auth.dispose();
  }
};

// ---------- naive: what CLIs do today (read the file, call, on 401 refresh and write back) ----------

interface NaiveFile {
  access_token: string;
  refresh_token: string;
}

const readNaive = async (): Promise<NaiveFile> => {
  const content = JSON.parse(await readFile(file, 'utf8')) as Partial<NaiveFile>;
  if (typeof content.access_token !== 'string' || typeof content.refresh_token !== 'string')
    throw new Error(`${file} is not a naive credentials file (log in with --naive)`);
  return content as NaiveFile;
};
const writeNaive = async (answer: TokenAnswer): Promise<void> => {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const content: NaiveFile = { access_token: answer.access_token, refresh_token: answer.refresh_token ?? '' };
  await writeFile(file, JSON.stringify(content), { mode: 0o600 });
};

/** No lock, no compare-and-set: two processes that meet a 401 together both spend the same refresh token. */
const naiveCall = async (at: number | undefined): Promise<Outcome> => {
  await readNaive(); // the format, checked before the race starts
  await waitUntil(at);
  const me = (token: string) =>
    fetch(new URL('/api/me', server), { headers: { authorization: `Bearer ${token}` } });
  let response = await me((await readNaive()).access_token);
  if (response.status === 401) {
    let answer: TokenAnswer;
    try {
      answer = await tokenGrant({
        grant_type: 'refresh_token',
        refresh_token: (await readNaive()).refresh_token,
      });
    } catch (error) {
      const { status, code } = error as { status?: number; code?: string };
      return { command: 'call', mode: 'naive', status: status ?? 0, error: code ?? String(error) };
    }
    await writeNaive(answer);
    response = await me(answer.access_token);
  }
  return { command: 'call', mode: 'naive', status: response.status, body: await response.json() };
};

// ---------- the commands ----------

/** `--at`: wait for the agreed moment; what it took is printed with --json (race.ts sets the next one by it). */
let timing: { readyMs: number; lateMs: number } | undefined;
const waitUntil = async (at: number | undefined): Promise<void> => {
  if (at === undefined) return;
  const wait = at - Date.now();
  timing = { readyMs: Math.round(performance.now()), lateMs: Math.max(0, -wait) };
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
};

const mode = values.naive ? 'naive' : 'library';
const at = values.at === undefined ? undefined : Number(values.at);
const run = async (): Promise<Outcome> => {
  if (command === 'login') {
    const answer = await tokenGrant({
      grant_type: 'password',
      username: values.username,
      password: values.password,
    });
    await (mode === 'naive' ? writeNaive(answer) : libraryLogin(answer));
    return { command, mode, status: 200 };
  }
  if (!existsSync(file)) return { command, mode, status: 0, error: `not logged in (no ${file})` };
  return mode === 'naive' ? naiveCall(at) : libraryCall(at);
};
const outcome = await run().catch(
  (error: Error & { status?: number; code?: string }): Outcome => ({
    command,
    mode,
    status: error.status ?? 0,
    error: error.code ?? error.message,
  }),
);

if (values.json) console.log(JSON.stringify({ ...outcome, ...timing }));
else if (outcome.status === 200)
  console.log(command === 'login' ? `logged in (${file})` : JSON.stringify(outcome.body));
else {
  // ERR_SESSION_EXPIRED (the library) or invalid_grant (naive): the session is over.
  const over = outcome.error === 'ERR_SESSION_EXPIRED' || outcome.error === 'invalid_grant';
  console.error(
    `mycli ${command}: ${outcome.error ?? `answered ${outcome.status}`}${over ? ' (log in again)' : ''}`,
  );
}
process.exitCode = outcome.status === 200 ? 0 : 1;
