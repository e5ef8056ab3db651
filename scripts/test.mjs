// The test runner: every test/**/*.test.ts under node's test runner (via tsx), spec reporter.
// Node 20 does not expand globs itself, so the file list is built here. The spec reporter lists
// the failing (and todo) tests after its summary; a TAP copy of the run gives the summary again
// as the last line, so the output ends with the counts, preceded by the failing tests (name, file
// and line, first line of the error), so the tail of a CI log says what failed.
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

/** The failing tests of a TAP stream (todo and skipped ones, and suites that fail only through
 *  their tests, left out): `name (file:line:col): first line of the error`. */
function tapFailures(tap) {
  const lines = tap.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m || /# (TODO|SKIP)\b/.test(m[2])) continue;
    const indent = m[1] + '  ';
    const info = {};
    if (lines[i + 1] === `${indent}---`) {
      for (let j = i + 2; j < lines.length && lines[j] !== `${indent}...`; j++) {
        const f = /^(\w+): (.*)$/.exec(lines[j].slice(indent.length));
        if (!f || lines[j].slice(0, indent.length) !== indent) continue;
        // A block scalar (`|-`): its first line is the next one.
        info[f[1]] = f[2] === '|-' ? (lines[j + 1] ?? '').trim() : f[2].replace(/^'(.*)'$/, '$1');
      }
    }
    if (info.failureType === 'subtestsFailed') continue;
    out.push(`${m[2]} (${info.location ?? '?'}): ${info.error ?? info.failureType ?? 'failed'}`);
  }
  return out;
}

const filter = process.argv[2];
const files = find('test').filter((f) => !filter || f.includes(filter));
const dir = mkdtempSync(join(tmpdir(), 'vql-test-run-'));
const tapFile = join(dir, 'run.tap');
try {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files], { stdio: 'inherit' });
  let tap = null;
  try {
    tap = readFileSync(tapFile, 'utf8');
  } catch {
    // No TAP copy (the runner did not start): its own output says why.
  }
  const failures = tap ? tapFailures(tap) : [];
  if (failures.length) process.stdout.write(`\nfailed tests:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
  const summary = tap ? tapSummary(tap) : null;
  if (summary) process.stdout.write(`\nsummary: ${summary}\n`);
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
