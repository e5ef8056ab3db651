// profile() from the bundled CLI: `vql query --timeout` runs the query in a worker thread, where
// the profiles describe the worker and the trace goes through the main thread's inspector; and
// `--timeout` ends a long CPU profile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function vql(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
    assert.equal(b.status, 0, `npm run build failed:\n${b.stdout}\n${b.stderr}`);
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'vql.js'), ...args], { encoding: 'utf8', timeout: 110_000 });
  if (r.error) throw r.error;
  return r;
}

test('in a --timeout worker thread: the goroutine dump is the worker\'s, the trace is taken', { timeout: 120_000 }, () => {
  // The files go when the run ends: read the dump inside the query.
  const r = vql(['query', '--timeout', '100', '--format', 'jsonl',
    "SELECT Type, if(condition=Type = 'goroutine', then=read_file(filename=OSPath)) AS Text, OSPath =~ '[.]json$' AS IsJson FROM profile(trace=TRUE, goroutine=TRUE, duration=1)"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(rows.map((x) => x.Type), ['goroutine', 'trace']);
  assert.match(String(rows[0]!.Text), /^vql engine: pid \d+, worker thread \d+/);
  assert.equal(rows[1]!.IsJson, true);
  assert.doesNotMatch(r.stderr, /ERROR/);
});

test('--timeout ends a long CPU profile early', { timeout: 120_000 }, () => {
  const r = vql(['query', '--timeout', '3', 'SELECT Type FROM profile(profile=TRUE, duration=600)']);
  assert.equal(r.status, 124, r.stderr);
  assert.match(r.stderr, /timed out after 3s/);
});

test('profile, profile_goroutines and profile_memory are in `vql docs` with every argument', () => {
  const r = vql(['docs', 'profile', 'profile_goroutines', 'profile_memory']);
  assert.equal(r.status, 0, r.stderr);
  const args = ['allocs', 'block', 'goroutine', 'heap', 'mutex', 'profile', 'trace', 'logs', 'queries', 'metrics', 'debug', 'duration', 'type'];
  assert.match(r.stdout, /^plugin profile\(allocs\?: bool, block\?: bool/m);
  for (const arg of args) assert.match(r.stdout, new RegExp(`\\n {4}${arg} +(bool|int|string) `), arg);
  assert.match(r.stdout, /plugin profile_goroutines\(\)/);
  assert.match(r.stdout, /plugin profile_memory\(\)/);
});
