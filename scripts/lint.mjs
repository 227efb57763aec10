// Lints (biome) the files the repository tracks, so a newcomer's untracked notes or scratch files never stop
// the test command. Outside a git checkout it lints everything under the root.
//   node scripts/lint.mjs            check, as CI does (biome ci)
//   node scripts/lint.mjs --write    format and apply safe fixes (biome check --write)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const biome = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url));

/** Tracked files that exist (a tracked file deleted in the work tree is not linted), or null without git. */
function trackedFiles() {
  try {
    const listed = execFileSync('git', ['ls-files', '-z'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    return listed.split('\0').filter((file) => file !== '' && existsSync(`${root}/${file}`));
  } catch {
    return null;
  }
}

const files = trackedFiles();
const mode = process.argv.includes('--write') ? ['check', '--write'] : ['ci'];
// Biome's own includes (biome.json) still apply to the listed files; files it cannot lint are skipped.
const result = spawnSync(
  biome,
  [...mode, '--files-ignore-unknown=true', '--no-errors-on-unmatched', ...(files ?? ['.'])],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
