// Workspace consumers import mock-auth-server's dist/ (as a user does). This rebuilds it when it is missing
// or older than any source, so a changed src/ is never tested through a stale dist/. Synchronous: it runs
// while a config file (the root playwright.config.ts, the demo's vite.config.ts) is being loaded.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(packageDir, 'dist/.built');

const newestSource = () => {
  const inputs = ['package.json', 'tsconfig.build.json', 'scripts/fix-dts.mjs'].map((file) =>
    join(packageDir, file),
  );
  for (const entry of readdirSync(join(packageDir, 'src'), { recursive: true }))
    inputs.push(join(packageDir, 'src', entry));
  return Math.max(...inputs.map((file) => statSync(file).mtimeMs));
};

/** Builds dist/ unless it is newer than every source; returns whether it built. */
export function ensureBuilt() {
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) return false;
  const tsc = createRequire(join(packageDir, 'package.json')).resolve('typescript/bin/tsc');
  rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
  const options = { cwd: packageDir, stdio: 'inherit' };
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], options);
  execFileSync(process.execPath, ['scripts/fix-dts.mjs'], options);
  return true;
}

// `node packages/mock-auth-server/scripts/ensure-built.mjs`: the same from a shell (before `node` scripts).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (ensureBuilt()) console.error('mock-auth-server: dist/ rebuilt');
}
