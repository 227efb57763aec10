// Sums the JSON reports every test suite wrote under */test-results/ and prints one closing line:
// "tests: N passed, N failed, N skipped". Exits 1 when a report is missing or a test failed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const reports = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const report of reports) {
  const path = join(root, report);
  if (!existsSync(path)) {
    console.error(`missing test report: ${report}`);
    missing++;
    continue;
  }
  const data = JSON.parse(readFileSync(path, 'utf8'));
  if (data.stats && 'expected' in data.stats) {
    // Playwright's JSON reporter.
    passed += data.stats.expected + (data.stats.flaky ?? 0);
    failed += data.stats.unexpected;
    skipped += data.stats.skipped;
  } else {
    // Vitest's JSON reporter.
    passed += data.numPassedTests;
    failed += data.numFailedTests;
    skipped += (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing > 0 || passed === 0 ? 1 : 0);
