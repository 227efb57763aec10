/**
examples/cli's race command, run as a user runs it (no browser): 3 `mycli call` processes on one credentials
file at each expiry, strict server. The naive CLIs spend one refresh token several times and lose requests;
with ky-token-refresh/node every request succeeds with exactly one rotation per expiry.
*/
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import type { Row } from '../../examples/cli/race.ts';

const race = fileURLToPath(new URL('../../examples/cli/race.ts', import.meta.url));
const ROUNDS = 3;

test('examples/cli race: naive CLIs lose requests, ky-token-refresh/node rotates once per expiry with none lost', async () => {
  test.setTimeout(90_000);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [race, '--rounds', String(ROUNDS), '--json'],
    {
      timeout: 80_000,
    },
  );
  const { rows } = JSON.parse(stdout) as { rows: Row[] };
  const naive = rows.find((row) => row.mode === 'naive')!;
  const library = rows.find((row) => row.mode === 'library')!;

  expect(library).toMatchObject({
    requests: 3 * ROUNDS,
    ok: 3 * ROUNDS,
    failed: 0,
    refreshCalls: ROUNDS,
    rotations: ROUNDS,
    invalidGrant: 0,
    reuseDetected: 0,
    familiesRevoked: 0,
  });
  // The naive CLIs refresh with a refresh token another one has just spent: refused, reuse detected, the
  // family revoked (the winner's new tokens with it).
  expect(naive.failed).toBeGreaterThan(0);
  expect(naive.invalidGrant).toBeGreaterThan(0);
  expect(naive.familiesRevoked).toBeGreaterThan(0);
});
