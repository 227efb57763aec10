// tsc rewrites relative `.ts` specifiers to `.js` in the emitted JavaScript but not in declaration files
// (microsoft/TypeScript#61037): do it here, so editors and every resolver find the .d.ts next to the .js.
// Then stamp dist/ (see ensure-built.mjs).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const specifier = /(from\s+|import\s*\(\s*)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g;
for (const entry of await readdir(dist, { recursive: true })) {
  if (!entry.endsWith('.d.ts')) continue;
  const file = join(dist, entry);
  const text = await readFile(file, 'utf8');
  const fixed = text.replace(specifier, '$1$2$3.js$2');
  if (fixed !== text) await writeFile(file, fixed);
}
await writeFile(join(dist, '.built'), `${new Date().toISOString()}\n`);
