// End-to-end tests of `vql artifacts list|show|collect|verify` (VELOCIRAPTOR.md 2.4, 2.6, 2.7):
// each test spawns the real command, `node bin/vql.js artifacts ...`, and checks stdout, stderr
// and the exit status. Timing bounds are generous; nothing depends on tight timing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
const BUILTIN_DIR = join(ROOT, 'artifacts');
const BUILTIN_NAMES = readdirSync(BUILTIN_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();

// bin/vql.js runs the bundle: build it once if it is missing.
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-artifacts-cli-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** A --definitions folder with test artifacts. */
const DEFS = join(TMP, 'defs');
mkdirSync(join(DEFS, 'nested'), { recursive: true });
writeFileSync(join(DEFS, 'Args.yaml'), `name: Test.Cli.Args
description: Echoes its parameters.
parameters:
  - name: Flag
    type: bool
    default: N
  - name: Num
    type: int
    default: "1"
  - name: List
    type: json_array
    default: "[]"
  - name: Text
    default: default text
sources:
  - query: |
      SELECT Flag, Num, List, Text FROM scope()
`);
writeFileSync(join(DEFS, 'nested', 'Lib.yaml'), `name: Test.Cli.Lib
export: |
  LET Greeting = 'hello from the library'
sources:
  - query: SELECT Greeting FROM scope()
`);
writeFileSync(join(DEFS, 'BadImport.yaml'), `name: Test.Cli.BadImport
imports:
  - Test.Cli.Missing
sources:
  - query: SELECT 1 AS X FROM scope()
`);

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `vql artifacts <args>` to completion (a 30 s safety limit). */
function artifacts(...args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, 'artifacts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function clip(s: string, max = 2000): string {
  return s.length > max ? s.slice(0, max) + `... (${s.length - max} more characters)` : s;
}

function assertNoCrash(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at\s.+/m, `stack trace on stderr:\n${clip(stderr)}`);
  assert.doesNotMatch(stderr, /Unhandled|Node\.js v\d|TypeError|RangeError/, `crash on stderr:\n${clip(stderr)}`);
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

function jsonl(s: string): Array<Record<string, unknown>> {
  return lines(s).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Splits `--format json` output into its batches: indented arrays joined by `][`. */
function parseBatches(out: string): Array<Array<Record<string, unknown>>> {
  if (out === '') return [];
  const parts = out.split('][');
  return parts.map((p, i) => JSON.parse((i > 0 ? '[' : '') + p + (i < parts.length - 1 ? ']' : '')) as Array<Record<string, unknown>>);
}

// ---------------------------------------------------------------------------------------------
// list

test('list: every artifact, sorted, one per line', () => {
  const r = artifacts('list');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.deepEqual(lines(r.stdout), BUILTIN_NAMES);
});

test('list: a pattern is anchored, * matches anything, case-sensitive unless (?i)', () => {
  const all = artifacts('list', 'Generic.*');
  assert.equal(all.status, 0, clip(all.stderr));
  assert.deepEqual(lines(all.stdout), BUILTIN_NAMES.filter((n) => n.startsWith('Generic.')));
  const ci = artifacts('list', '(?i)generic.client.*');
  assert.equal(ci.status, 0, clip(ci.stderr));
  assert.deepEqual(lines(ci.stdout), ['Generic.Client.Info', 'Generic.Client.Stats']);
  const cs = artifacts('list', 'generic.client.*');
  assert.equal(cs.status, 0, clip(cs.stderr));
  assert.deepEqual(lines(cs.stdout), [], 'without (?i) the pattern is case-sensitive');
  const anchored = artifacts('list', 'Client');
  assert.deepEqual(lines(anchored.stdout), [], 'the pattern is anchored');
  // RE2, as every VQL regex: a backtracking pattern answers at once; Perl syntax is a clear error.
  const redos = artifacts('list', '(G*)*(e*)*(n*)*!');
  assert.equal(redos.status, 0, clip(redos.stderr));
  const perl = artifacts('list', '(a)\\1');
  assert.notEqual(perl.status, 0);
  assert.match(perl.stderr, /invalid pattern .*invalid escape sequence/);
});

// ---------------------------------------------------------------------------------------------
// show

test('show: the raw YAML of one artifact', () => {
  const r = artifacts('show', 'Generic.Client.Info');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, readFileSync(join(BUILTIN_DIR, 'Generic.Client.Info.yaml'), 'utf8'));
});

test('show: an unknown name exits 1 with "did you mean"', () => {
  const r = artifacts('show', 'Generic.Client.Inf');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Generic\.Client\.Inf not found/);
  assert.match(r.stderr, /did you mean `Generic\.Client\.Info`/);
  assertNoCrash(r.stderr);
});

// ---------------------------------------------------------------------------------------------
// collect

test('collect Generic.Client.Info --format jsonl: rows of both sources, each with _Source', () => {
  const r = artifacts('collect', 'Generic.Client.Info', '--format', 'jsonl');
  assert.equal(r.status, 0, clip(r.stderr));
  assertNoCrash(r.stderr);
  const rows = jsonl(r.stdout);
  assert.ok(rows.length >= 2, clip(r.stdout));
  for (const row of rows) assert.ok(typeof row._Source === 'string', JSON.stringify(row));
  const basic = rows.filter((x) => x._Source === 'Generic.Client.Info/BasicInformation');
  assert.equal(basic.length, 1, clip(r.stdout));
  assert.ok(typeof basic[0]!.Hostname === 'string' && basic[0]!.Hostname !== '', JSON.stringify(basic[0]));
  assert.ok(typeof basic[0]!.OS === 'string', JSON.stringify(basic[0]));
  assert.ok(rows.some((x) => x._Source === 'Generic.Client.Info/Environment'), 'Environment rows');
  assert.equal(rows[0]!._Source, 'Generic.Client.Info/BasicInformation', 'sources run in order');
});

test('collect --args: Name=Value, Artifact::Name=Value, a bare Name means Y, lists as comma-separated', () => {
  const r = artifacts('collect', 'Test.Cli.Args', '--definitions', DEFS, '--format', 'jsonl',
    '--args', 'Flag', '--args', 'Num=7', '--args', 'Test.Cli.Args::Text=hello=world', '--args', 'List=a,b');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.deepEqual(jsonl(r.stdout), [{ Flag: true, Num: 7, List: ['a', 'b'], Text: 'hello=world', _Source: 'Test.Cli.Args' }]);

  const defaults = artifacts('collect', 'Test.Cli.Args', '--definitions', DEFS, '--format', 'jsonl');
  assert.equal(defaults.status, 0, clip(defaults.stderr));
  assert.deepEqual(jsonl(defaults.stdout), [{ Flag: false, Num: 1, List: [], Text: 'default text', _Source: 'Test.Cli.Args' }]);

  const json = artifacts('collect', 'Test.Cli.Args', '--definitions', DEFS, '--format', 'jsonl', '--args', 'List=["x", "y z"]', '--args', 'Flag=N');
  assert.equal(json.status, 0, clip(json.stderr));
  assert.deepEqual(jsonl(json.stdout)[0], { Flag: false, Num: 1, List: ['x', 'y z'], Text: 'default text', _Source: 'Test.Cli.Args' });
});

test('collect --args: an unknown name exits 1 and lists the parameters of the artifact', () => {
  const r = artifacts('collect', 'Test.Cli.Args', '--definitions', DEFS, '--args', 'Nope=1');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Parameter Nope not known for artifact Test\.Cli\.Args/);
  for (const p of ['Flag', 'Num', 'List', 'Text']) assert.ok(r.stderr.includes(p), `lists ${p}:\n${clip(r.stderr)}`);
  assertNoCrash(r.stderr);

  const other = artifacts('collect', 'Test.Cli.Args', '--definitions', DEFS, '--args', 'Other.Artifact::Num=1');
  assert.equal(other.status, 1);
  assert.match(other.stderr, /Other\.Artifact/);
});

test('collect: an unknown artifact exits 1 with "did you mean"', () => {
  const r = artifacts('collect', 'Generic.Client.Infos');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Generic\.Client\.Infos not found.*did you mean `Generic\.Client\.Info`/);
  assertNoCrash(r.stderr);
});

test('collect: an error while running (an unknown import) is an ERROR line and exit 1', () => {
  const r = artifacts('collect', 'Test.Cli.BadImport', '--definitions', DEFS, '--format', 'jsonl');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /ERROR: .*imports Test\.Cli\.Missing which is not known/);
  assertNoCrash(r.stderr);
});

test('collect: a reader that goes away (stdout closed early) ends the run quietly', async () => {
  // The pipe is closed before the command writes anything, so every write fails with EPIPE.
  const child = spawn(process.execPath, [BIN, 'artifacts', 'collect', 'Generic.Client.Info', '--format', 'jsonl'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.destroy();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assertNoCrash(stderr);
  assert.equal(code, 0, clip(stderr));
});

// ---------------------------------------------------------------------------------------------
// --definitions on every command

test('--definitions DIR adds its artifacts (recursively) to list, show, collect and verify', () => {
  const l = artifacts('list', '--definitions', DEFS, 'Test.*');
  assert.equal(l.status, 0, clip(l.stderr));
  assert.deepEqual(lines(l.stdout), ['Test.Cli.Args', 'Test.Cli.BadImport', 'Test.Cli.Lib']);

  const s = artifacts('show', 'Test.Cli.Lib', '--definitions', DEFS);
  assert.equal(s.status, 0, clip(s.stderr));
  assert.equal(s.stdout, readFileSync(join(DEFS, 'nested', 'Lib.yaml'), 'utf8'));

  const c = artifacts('collect', '--definitions', DEFS, 'Test.Cli.Lib', '--format', 'jsonl');
  assert.equal(c.status, 0, clip(c.stderr));
  assert.deepEqual(jsonl(c.stdout), [{ Greeting: 'hello from the library', _Source: 'Test.Cli.Lib' }]);

  // An artifact verified on its own resolves its import from --definitions.
  const dir = join(TMP, 'importer');
  mkdirSync(dir, { recursive: true });
  const importer = join(dir, 'Importer.yaml');
  writeFileSync(importer, 'name: Test.Cli.Importer\nimports:\n  - Test.Cli.Lib\nsources:\n  - query: SELECT Greeting FROM scope()\n');
  const without = artifacts('verify', dir);
  assert.equal(without.status, 1, without.stdout);
  assert.ok(without.stdout.includes(`${importer}:3:5: error: Artifact Test.Cli.Importer imports Test.Cli.Lib which is not known`), without.stdout);
  const withDefs = artifacts('verify', dir, '--definitions', DEFS);
  assert.equal(withDefs.status, 0, withDefs.stdout + withDefs.stderr);
  assert.match(withDefs.stdout, /1 passed, 0 failed\n$/);

  const without2 = artifacts('list', 'Test.*');
  assert.deepEqual(lines(without2.stdout), [], 'without --definitions the test artifacts are not there');
});

// ---------------------------------------------------------------------------------------------
// verify

test('verify: a folder with one good and one bad file prints file:line:column problems, "1 passed, 1 failed", exit 1', () => {
  const dir = join(TMP, 'verify');
  mkdirSync(dir, { recursive: true });
  const good = join(dir, 'Good.yaml');
  const bad = join(dir, 'Bad.yaml');
  writeFileSync(good, 'name: Test.Verify.Good\nsources:\n  - query: SELECT 1 AS X FROM scope()\n');
  writeFileSync(bad, 'name: Test.Verify.Bad\nsources:\n  - query: |\n      SELECT * FROM scope() WHERE )\n');
  writeFileSync(join(dir, 'notes.txt'), 'not an artifact');
  const r = artifacts('verify', dir);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assertNoCrash(r.stderr);
  assert.ok(r.stdout.includes(`${bad}:4:35: error: VQL: `), r.stdout);
  assert.ok(r.stdout.includes(`Verified ${bad}: FAILED`), r.stdout);
  assert.ok(r.stdout.includes(`Verified ${good}: OK`), r.stdout);
  assert.ok(!r.stdout.includes('notes.txt'), r.stdout);
  assert.equal(lines(r.stdout).at(-1), '1 passed, 1 failed');
});

test('verify: problems of several kinds, each with file:line:column', () => {
  const dir = join(TMP, 'verify-kinds');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, 'Kinds.yaml');
  writeFileSync(f, 'name: Test.Bad-Name\ndescriptin: x\nsources:\n  - query: SELECT 1 AS X FROM scope()\n');
  const r = artifacts('verify', f);
  assert.equal(r.status, 1);
  assert.ok(r.stdout.includes(`${f}:2:1: error: unknown field 'descriptin'`), r.stdout);
  assert.ok(r.stdout.includes(`${f}:1:7: error: invalid artifact name`), r.stdout);
  assert.equal(lines(r.stdout).at(-1), '0 passed, 1 failed');
});

test('verify: an unknown call carries the editor\'s "did you mean"', () => {
  const dir = join(TMP, 'verify-typo');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, 'Typo.yaml');
  writeFileSync(f, 'name: Custom.Typo\nsources:\n  - query: SELECT * FROM pslit()\n');
  const r = artifacts('verify', '--strict', f);
  assert.equal(r.status, 1);
  assert.ok(r.stdout.includes(`${f}:3:26: warning: unknown plugin pslit(): did you mean pslist?`), r.stdout);
});

test('verify artifacts (the built-ins) passes with exit 0', () => {
  const r = artifacts('verify', 'artifacts');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /: error: /);
  assert.equal(lines(r.stdout).at(-1), `${BUILTIN_NAMES.length} passed, 0 failed`);
});

// ---------------------------------------------------------------------------------------------
// an event artifact from the command line

/** True when the host registry has pslist() and getpid() (other engineers are writing them). */
async function hostHasPslist(): Promise<string | undefined> {
  try {
    const { createHostRegistry } = await import('../../main/host/index.ts');
    const r = createHostRegistry();
    if (!r.findPlugin('pslist')) return 'pslist() is not registered yet';
    if (!r.functions.has('getpid')) return 'getpid() is not registered yet';
    return undefined;
  } catch (e) {
    return `the host registry does not load yet: ${(e as Error).message}`;
  }
}

/** Resident memory of `pid` in bytes, from ps. */
function psRss(pid: number): number | undefined {
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  const kb = Number(r.stdout.trim());
  return r.status === 0 && kb > 0 ? kb * 1024 : undefined;
}

test('collect Generic.Client.Stats --args Frequency=1 --max_wait 1: batches of samples, SIGINT exits 0', async (t) => {
  const missing = await hostHasPslist();
  if (missing) {
    t.skip(`skipped: ${missing}`);
    return;
  }
  const child: ChildProcess = spawn(process.execPath, [BIN, 'artifacts', 'collect', 'Generic.Client.Stats', '--args', 'Frequency=1', '--max_wait', '1', '--format', 'json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  // The first complete batch (an indented array closes with `]` at column 0).
  const deadline = Date.now() + 10_000;
  while (!/\n\]/.test(stdout)) {
    if (Date.now() > deadline) assert.fail(`no batch within 10 s\nstdout: ${clip(stdout)}\nstderr: ${clip(stderr)}`);
    if (child.exitCode !== null) assert.fail(`exited early with ${child.exitCode}\nstderr: ${clip(stderr)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const rss = psRss(child.pid!);
  const firstBatch = stdout.slice(0, stdout.indexOf('\n]') + 2);
  const rows = parseBatches(firstBatch).flat();
  assert.ok(rows.length >= 1 && rows.length <= 3, `one sample per second, one batch per second: ${firstBatch}`);
  for (const row of rows) {
    assert.equal(row._Source, 'Generic.Client.Stats', JSON.stringify(row));
    assert.equal(typeof row.Timestamp, 'number', JSON.stringify(row));
    assert.ok(!Number.isInteger(row.Timestamp), `Timestamp is a float: ${String(row.Timestamp)}`);
    assert.ok(Math.abs((row.Timestamp as number) - Date.now() / 1000) < 60, `Timestamp is now: ${String(row.Timestamp)}`);
    assert.equal(typeof row.CPU, 'number', JSON.stringify(row));
    assert.ok((row.CPU as number) >= 0, JSON.stringify(row));
    assert.equal(typeof row.RSS, 'number', JSON.stringify(row));
    if (rss !== undefined) {
      const ratio = (row.RSS as number) / rss;
      assert.ok(ratio > 0.5 && ratio < 1.5, `RSS ${String(row.RSS)} vs ps ${rss} (ratio ${ratio.toFixed(2)})`);
    }
  }
  assert.ok('CPUPercent' in rows[0]!, JSON.stringify(rows[0]));

  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  assert.equal(signal, null, `killed by ${String(signal)}\nstderr: ${clip(stderr)}`);
  assert.equal(code, 0, `exit status after SIGINT\nstderr: ${clip(stderr)}`);
  assertNoCrash(stderr);
  assert.doesNotMatch(stderr, /ERROR:/);
  // Whatever was printed is a sequence of valid batches.
  const all = parseBatches(stdout).flat();
  assert.ok(all.length >= rows.length);
});
