// `--timeout` ends a run whatever the engine is doing: the statements run on a worker thread
// that is terminated at the deadline (main/cli/isolated.ts). A timed-out run exits 124 and says
// on stderr that its output is partial, with the number of rows printed; those rows are whole
// (every JSON batch parses). A run that ends before its deadline prints exactly what it prints
// without --timeout. Each test spawns the real `node bin/vql.js`; bounds are generous (a
// loaded machine), and only upper bounds: a run that never ended would hit them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-timeout-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** Past the deadline, how long a run may take on a loaded machine before the test calls it hung. */
const SLACK_MS = 20_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `vql <args>`; resolves when it exits. `onStart` may act on the running child (signals).
 * A run still alive `limitMs` after it started is killed (by its own pid) and fails the test.
 */
function vql(args: string[], limitMs: number, onStart?: (child: ReturnType<typeof spawn>, out: { stdout: string; stderr: string }) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vql ${args.join(' ')} did not end within ${limitMs} ms\nstdout: ${out.stdout.slice(0, 500)}\nstderr: ${out.stderr.slice(0, 1500)}`));
    }, limitMs);
    // 'close': the process exited and its output streams are read to the end.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr, ms: Date.now() - started });
    });
    onStart?.(child, out);
  });
}

/** `--format json` output: indented arrays joined by `][` (Velociraptor's batches). */
function parseBatches(out: string): unknown[][] {
  if (out === '') return [];
  const parts = out.split('][');
  return parts.map((p, i) => JSON.parse((i > 0 ? '[' : '') + p + (i < parts.length - 1 ? ']' : '')) as unknown[]);
}

function assertNoStackTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at\s.+/m, `stack trace on stderr:\n${stderr}`);
  assert.doesNotMatch(stderr, /Unhandled|Node\.js v\d|TypeError|RangeError/, `crash on stderr:\n${stderr}`);
}

/** The partial-output line; returns the number of rows it says were printed. */
function partialRows(r: Run, seconds: number): number {
  const m = new RegExp(`^vql: timed out after ${seconds}s: the output is partial \\((\\d+) rows? printed\\)$`, 'm').exec(r.stderr);
  assert.ok(m, `the partial-output line on stderr:\n${r.stderr}`);
  return Number(m[1]);
}

/**
 * LETs making `d40`: a dict of 2^40 leaves sharing 41 dicts. Writing it out (a row's JSON or
 * CSV cell, or the row sent to the printing thread) never ends, and it is one synchronous step.
 */
function dagLets(levels = 40): string {
  let q = "LET d0 <= dict(x='a')";
  for (let i = 1; i <= levels; i++) q += ` LET d${i} <= dict(a=d${i - 1}, b=d${i - 1})`;
  return q;
}

/** One row holding `d40`. */
function dagBomb(): string {
  return `${dagLets()} SELECT d40 AS D FROM scope()`;
}

test('an endless query: 124, the partial line counts exactly the rows printed, every batch parses', { timeout: 60_000 }, async () => {
  const r = await vql(['query', '--timeout', '2', '--max_wait', '1', 'SELECT Unix FROM clock(ms=100)'], 2000 + SLACK_MS);
  assert.equal(r.code, 124, r.stderr);
  assert.ok(r.ms >= 1900, `ended after ${r.ms} ms, not before the deadline`);
  assertNoStackTrace(r.stderr);
  const rows = parseBatches(r.stdout).flat();
  assert.ok(rows.length >= 1);
  assert.equal(partialRows(r, 2), rows.length);
});

test('one synchronous step that never ends (a 2^40-leaf row) is cut at the deadline: 124, nothing half-printed', { timeout: 60_000 }, async () => {
  // On the main thread this step ignores timers and signals alike (it ran for minutes, then the
  // heap ran out); on the worker it is terminated.
  const r = await vql(['query', '--timeout', '2', dagBomb()], 2000 + SLACK_MS);
  assert.equal(r.code, 124, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(partialRows(r, 2), 0);
  assertNoStackTrace(r.stderr);
});

test('rows printed before a stuck step stay printed, whole, in every format', { timeout: 120_000 }, async () => {
  const q = `${dagLets()} SELECT * FROM chain(a={ SELECT _value AS N, 'x,"y"' AS S FROM range(end=3) }, b={ SELECT 9 AS N, d40 AS S FROM scope() })`;
  for (const format of ['json', 'jsonl', 'csv', 'text']) {
    const r = await vql(['query', '--timeout', '2', '--format', format, q], 2000 + SLACK_MS);
    assert.equal(r.code, 124, `${format}: ${r.stderr}`);
    assert.equal(partialRows(r, 2), 3, format);
    assertNoStackTrace(r.stderr);
    if (format === 'json') assert.deepEqual(parseBatches(r.stdout).flat(), [0, 1, 2].map((N) => ({ N, S: 'x,"y"' })));
    if (format === 'jsonl') assert.deepEqual(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)), [0, 1, 2].map((N) => ({ N, S: 'x,"y"' })));
    if (format === 'csv') assert.equal(r.stdout, 'N,S\n0,"x,""y"""\n1,"x,""y"""\n2,"x,""y"""\n');
    if (format === 'text') assert.match(r.stdout, /^\+-+\+-+\+\n\| N +\| S +\|\n\+-+\+-+\+\n\| 0 +\| x,"y" +\|\n\| 1 .*\n\| 2 .*\n\+-+\+-+\+\n/);
  }
});

test('an aggregate cut short prints its partial counts only with the partial line and status 124', { timeout: 60_000 }, async () => {
  const r = await vql(['query', '--timeout', '2', '--format', 'jsonl', 'SELECT count() AS N FROM range(end=100000000000) GROUP BY 1'], 2000 + SLACK_MS);
  assert.equal(r.code, 124, r.stderr);
  const rows = r.stdout.trim() ? r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { N: number }) : [];
  assert.equal(partialRows(r, 2), rows.length);
  for (const row of rows) assert.ok(row.N < 100000000000, 'a partial count, said to be partial');
});

test('--output FILE: the file holds whole batches only, as many rows as the partial line says', { timeout: 60_000 }, async () => {
  const file = join(TMP, 'out.json');
  const r = await vql(['query', '--timeout', '2', '--max_wait', '1', '--output', file, 'SELECT Unix, "a" AS A FROM clock(ms=50)'], 2000 + SLACK_MS);
  assert.equal(r.code, 124, r.stderr);
  const rows = parseBatches(readFileSync(file, 'utf8')).flat();
  assert.ok(rows.length >= 1);
  assert.equal(partialRows(r, 2), rows.length);
});

test('a run that ends before its deadline prints exactly what it prints without --timeout', { timeout: 120_000 }, async () => {
  const q = `SELECT 1 AS Int, 2.5 AS Float, 4 / 2 AS IntegralFloat, -0.0 AS NegZero, 9223372036854775807 AS Big, "12" AS NumLike,
    " lead" AS Space, "a,b" AS Comma, 'say "hi"' AS Quote, "l1\\nl2" AS Lines, NULL AS Nothing, unhex(string="ff00") AS Bytes,
    timestamp(epoch=1700000000.5) AS Time, dict(a=1, b=dict(c=NULL)) AS Dict, pathspec(parse="/usr/bin/ls") AS Path,
    parse_json(data='{"z": [1, {"x": 1.5}]}') AS Parsed, _value AS N FROM range(end=25)`;
  for (const format of ['json', 'jsonl', 'csv', 'text']) {
    const plain = await vql(['query', '--format', format, q, 'SELECT * FROM info() WHERE FALSE'], SLACK_MS);
    const timed = await vql(['query', '--timeout', '600', '--format', format, q, 'SELECT * FROM info() WHERE FALSE'], SLACK_MS);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(timed.code, 0, timed.stderr);
    assert.equal(timed.stdout, plain.stdout, `${format}: the same output with and without --timeout`);
    assert.equal(timed.stderr, plain.stderr);
    assert.ok(plain.stdout.length > 500);
  }
});

test('with --timeout, a parse error and an ERROR line are reported as without it (exit 1)', { timeout: 60_000 }, async () => {
  for (const args of [["SELECT 'ok' AS A FROM scope()", 'SELECT FROM'], ['SELECT * FROM no_such_plugin()']]) {
    const plain = await vql(['query', ...args], SLACK_MS);
    const timed = await vql(['query', '--timeout', '60', ...args], SLACK_MS);
    assert.equal(plain.code, 1);
    assert.equal(timed.code, 1);
    assert.equal(timed.stdout, plain.stdout);
    assert.equal(timed.stderr, plain.stderr);
    assert.match(timed.stderr, /Unable to parse VQL Query|no_such_plugin/);
  }
});

test('Ctrl-C under --timeout: the run stops cleanly (exit 0), rows flushed; a stuck step is terminated after 1 s', { timeout: 60_000 }, async () => {
  const sigint = (ready: (s: string) => boolean) => (child: ReturnType<typeof spawn>, out: { stdout: string; stderr: string }) => {
    const poll = setInterval(() => {
      if (ready(out.stdout)) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 20);
    child.on('exit', () => clearInterval(poll));
  };
  const clock = await vql(['query', '--timeout', '600', '--max_wait', '1', 'SELECT Unix FROM clock(ms=50)'], SLACK_MS, sigint((s) => s.includes('Unix')));
  assert.equal(clock.code, 0, clock.stderr);
  assert.equal(clock.stderr, '');
  assert.ok(parseBatches(clock.stdout).flat().length >= 1);
  const stuck = await vql(['query', '--timeout', '600', "SELECT 'ready' AS R FROM scope()", dagBomb()], SLACK_MS, sigint((s) => s.includes('ready')));
  assert.equal(stuck.code, 0, stuck.stderr);
  assert.deepEqual(parseBatches(stuck.stdout), [[{ R: 'ready' }]]);
  assert.match(stuck.stderr, /^WARNING: the query did not stop within 1000 ms, so its worker thread was terminated$/m);
  assertNoStackTrace(stuck.stderr);
});

test('artifacts collect --timeout: an endless artifact is cut (124); self-calling artifacts stop with a clear error', { timeout: 60_000 }, async () => {
  const defs = join(TMP, 'defs');
  mkdirSync(defs, { recursive: true });
  writeFileSync(join(defs, 'self.yaml'), 'name: Custom.Self\nsources:\n  - query: SELECT * FROM Artifact.Custom.Self()\n');
  writeFileSync(join(defs, 'a.yaml'), 'name: Custom.A\nsources:\n  - query: SELECT * FROM Artifact.Custom.B()\n');
  writeFileSync(join(defs, 'b.yaml'), 'name: Custom.B\nsources:\n  - query: SELECT * FROM Artifact.Custom.A()\n');
  writeFileSync(join(defs, 'forever.yaml'), `name: Custom.Forever\nsources:\n  - query: ${dagLets()} SELECT * FROM chain(a={ SELECT 'first' AS R FROM scope() }, b={ SELECT d40 AS R FROM scope() })\n`);
  const forever = await vql(['artifacts', 'collect', '--definitions', defs, '--timeout', '2', 'Custom.Forever'], 2000 + SLACK_MS);
  assert.equal(forever.code, 124, forever.stderr);
  assert.deepEqual(parseBatches(forever.stdout).flat(), [{ R: 'first', _Source: 'Custom.Forever' }]);
  assert.equal(partialRows(forever, 2), 1);
  for (const [name, chain] of [['Custom.Self', 'Custom.Self → Custom.Self'], ['Custom.A', 'Custom.A → Custom.B → Custom.A']] as const) {
    const r = await vql(['artifacts', 'collect', '--definitions', defs, '--timeout', '30', name], SLACK_MS);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.ms < 30_000);
    assert.ok(r.stderr.includes(`ERROR: Artifact.${name}: Stack overflow: artifacts nested deeper than 10 (${chain}`), r.stderr);
    assertNoStackTrace(r.stderr);
  }
});
