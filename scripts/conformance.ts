/**
 * `npm run conformance -- <cases.json> [<fixtures.json>] [--skip-missing] [--only ID]`
 * Runs every case, prints each failure with a diff, and ends with `N passed, N failed`.
 * Exits 1 when any case failed.
 */
import { readFileSync } from 'node:fs';
import { loadCases, runCases } from './conformance/harness.ts';

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const files = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--only');
if (files.length < 1) {
  console.error('usage: npm run conformance -- <cases.json> [<fixtures.json>] [--skip-missing] [--only ID]');
  process.exit(2);
}
let cases = loadCases(files[0]!);
if (only) cases = cases.filter((c) => c.id === only);
const fixtures = files[1] ? JSON.parse(readFileSync(files[1], 'utf8')) : undefined;
const results = await runCases(cases, { fixtures, skipMissing: flags.has('--skip-missing') });
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  if (r.status === 'pass') passed++;
  else if (r.status === 'skip') {
    skipped++;
    if (flags.has('--verbose')) console.log(`SKIP ${r.id} ${r.name}: ${r.detail}`);
  } else {
    failed++;
    console.log(`FAIL ${r.id} ${r.name}\n${r.detail}\n`);
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed ? 1 : 0;
