// The test runner: every test/**/*.test.ts under node's test runner (via tsx), spec reporter.
// Node 20 does not expand globs itself, so the file list is built here. The spec reporter lists
// the failing (and todo) tests after its summary; a TAP copy of the run gives the summary again
// as the last line, so the output ends with the counts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** `tests 3811 · pass 3789 · fail 0 · ...` from the counts at the end of a TAP stream, or null. */
function tapSummary(tap) {
  const counts = [];
  for (const m of tap.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/gm)) counts.push([m[1], m[2]]);
  if (!counts.length) return null;
  // The run's totals are the last of each name (nested summaries come first).
  const last = new Map(counts);
  return [...last].map(([k, v]) => (k === 'duration_ms' ? `duration ${Math.round(Number(v) / 1000)} s` : `${k} ${v}`)).join(' · ');
}

const filter = process.argv[2];
const files = find('test').filter((f) => !filter || f.includes(filter));
const dir = mkdtempSync(join(tmpdir(), 'vql-test-run-'));
const tapFile = join(dir, 'run.tap');
try {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files], { stdio: 'inherit' });
  let summary = null;
  try {
    summary = tapSummary(readFileSync(tapFile, 'utf8'));
  } catch {
    // No TAP copy (the runner did not start): its own output says why.
  }
  if (summary) process.stdout.write(`\nsummary: ${summary}\n`);
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
