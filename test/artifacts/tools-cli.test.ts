// Tools from the command line (`node bin/vql.js`, the bundle): `--tool NAME=PATH`, `--tools DIR`
// and the default `<datastore>/tools`, with Velociraptor's Linux.OSQuery.Generic (unchanged, from
// ../shared) fetching a fake osqueryi (a shell script printing JSON) through our
// Generic.Utils.FetchBinary and really running it (--allow-execve); and without the tool.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));
const OSQUERY = join(CORPUS, 'Linux', 'OSQuery', 'Generic.yaml');
const skip = process.platform === 'win32'
  ? 'the fake osqueryi is a shell script'
  : existsSync(OSQUERY) ? false : `../shared/velociraptor-artifacts is absent (${OSQUERY}): Linux.OSQuery.Generic not run`;
if (skip) console.log(`# ${skip}`);

// bin/vql.js runs the bundle: build it once if it is missing.
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-tools-cli-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

// A fake osqueryi: `osqueryi --json QUERY` prints a JSON array naming the query it was given.
const FAKE = join(TMP, 'fake-osqueryi');
writeFileSync(FAKE, '#!/bin/sh\nprintf \'[{"name":"fake osquery","flag":"%s","query":"%s"}]\\n\' "$1" "$2"\n');
chmodSync(FAKE, 0o755);

/** A data home of the test's own, so `<datastore>/tools` is a folder the test controls. */
const XDG = join(TMP, 'xdg');
mkdirSync(XDG);

function vql(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_DATA_HOME: XDG } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonl(s: string): Array<Record<string, unknown>> {
  return s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function assertNoCrash(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at\s.+/m, `stack trace on stderr:\n${stderr}`);
  assert.doesNotMatch(stderr, /Unhandled|Node\.js v\d|TypeError|RangeError/, stderr);
}

const EXPECTED = [{ name: 'fake osquery', flag: '--json', query: 'SELECT 1', _Source: 'Linux.OSQuery.Generic' }];

test('Linux.OSQuery.Generic runs the tool given with --tool (real execution, --allow-execve)', { skip }, () => {
  const r = vql('artifacts', 'collect', 'Linux.OSQuery.Generic', '--definitions', OSQUERY, '--tool', `OSQueryLinux=${FAKE}`, '--allow-execve', '--args', 'Query=SELECT 1', '--format', 'jsonl');
  assertNoCrash(r.stderr);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(jsonl(r.stdout), EXPECTED);
});

test('the same through --timeout (the worker thread gets the tools too)', { skip }, () => {
  const r = vql('artifacts', 'collect', 'Linux.OSQuery.Generic', '--definitions', OSQUERY, '--tool', `OSQueryLinux=${FAKE}`, '--allow-execve', '--args', 'Query=SELECT 1', '--format', 'jsonl', '--timeout', '60');
  assertNoCrash(r.stderr);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(jsonl(r.stdout), EXPECTED);
});

test('--tools DIR on vql query, and the default <datastore>/tools', { skip }, () => {
  const dir = join(TMP, 'tools-dir');
  mkdirSync(join(dir, 'OSQueryLinux'), { recursive: true });
  copyFileSync(FAKE, join(dir, 'OSQueryLinux', 'osqueryi'));
  const q = vql('query', 'SELECT * FROM Artifact.Linux.OSQuery.Generic(Query="SELECT 1")', '--definitions', OSQUERY, '--tools', dir, '--allow-execve', '--format', 'jsonl');
  assertNoCrash(q.stderr);
  assert.equal(q.status, 0, q.stderr);
  assert.deepEqual(jsonl(q.stdout), EXPECTED);
  // The datastore's tools folder (XDG_DATA_HOME/vql-workbench/tools here), with no flag at all.
  const store = join(XDG, 'vql-workbench', 'tools');
  mkdirSync(store, { recursive: true });
  copyFileSync(FAKE, join(store, 'OSQueryLinux'));
  try {
    const c = vql('artifacts', 'collect', 'Linux.OSQuery.Generic', '--definitions', OSQUERY, '--allow-execve', '--args', 'Query=SELECT 1', '--format', 'jsonl');
    assertNoCrash(c.stderr);
    assert.equal(c.status, 0, c.stderr);
    assert.deepEqual(jsonl(c.stdout), EXPECTED);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});

test('without the tool: one clear message naming the tool, the folder and --tool; no rows, no crash', { skip }, () => {
  // The GitHub API is unreachable (a closed port of this machine; tests never use the internet).
  process.env.VQL_GITHUB_API = 'http://127.0.0.1:9';
  const r = vql('artifacts', 'collect', 'Linux.OSQuery.Generic', '--definitions', OSQUERY, '--allow-execve', '--format', 'jsonl');
  assertNoCrash(r.stderr);
  assert.deepEqual(jsonl(r.stdout), []);
  const lines = r.stderr.split('\n').filter((l) => l.includes('FetchBinary'));
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes('tool OSQueryLinux is not available'), lines[0]);
  assert.ok(lines[0]!.includes('cannot read the latest release of Velocidex/OSQuery-Releases from http://127.0.0.1:9/'), lines[0]);
  assert.ok(lines[0]!.includes(join(XDG, 'vql-workbench', 'tools', 'OSQueryLinux')), lines[0]);
  assert.ok(lines[0]!.includes('--tool OSQueryLinux=PATH'), lines[0]);
});

test('bad --tool and --tools values are usage errors', () => {
  const missing = vql('artifacts', 'collect', 'Generic.Client.Info', '--tool', `X=${join(TMP, 'absent')}`);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /--tool X=.*absent does not exist/);
  const form = vql('query', 'SELECT 1 FROM scope()', '--tool', 'nonsense');
  assert.equal(form.status, 1);
  assert.match(form.stderr, /--tool takes NAME=PATH/);
  const dir = vql('artifacts', 'collect', 'Generic.Client.Info', '--tools', FAKE);
  assert.equal(dir.status, 1);
  assert.match(dir.stderr, /--tools .*fake-osqueryi: not a folder/);
});
