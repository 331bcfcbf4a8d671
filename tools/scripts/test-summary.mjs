// Adds up the per-project results written by tools/jest/results-file-reporter.js and prints one closing
// line, "tests: N passed, N failed", that CI and people can read at a glance.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../../coverage');
// `--integration` sums the integration tier instead of the unit tier; `--all` sums both.
const wanted = process.argv.includes('--all')
  ? ['test-results.json', 'test-results-integration.json']
  : process.argv.includes('--integration')
    ? ['test-results-integration.json']
    : ['test-results.json'];
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (wanted.includes(entry)) files.push(path);
  }
};
if (existsSync(root)) walk(root);

const results = files
  .map((file) => JSON.parse(readFileSync(file, 'utf8')))
  .sort((a, b) => a.project.localeCompare(b.project));
if (results.length === 0) {
  console.error('no test results found: did any test run?');
  process.exit(1);
}
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  console.log(
    `${r.project.padEnd(28)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(3)} failed`,
  );
  passed += r.passed;
  failed += r.failed + r.suitesFailed;
  skipped += r.skipped;
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failed > 0 || passed === 0) process.exit(1);
