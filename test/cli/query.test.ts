// End-to-end tests of `vql query` (VELOCIRAPTOR.md 2.2, 2.3 and 2.7): each test spawns the real
// command, `node bin/vql.js query ...`, and checks its stdout, stderr and exit status.
// Timing bounds are deliberately generous ("within 4 s"); nothing depends on tight timing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');

// bin/vql.js runs the bundle: build it once if it is missing.
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-cli-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `vql <args>` to completion (a 30 s safety limit). */
function vql(...args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `vql query <args>`. */
function query(...args: string[]): Result {
  return vql('query', ...args);
}

/** Splits `--format json` output into its batches: indented arrays joined by `][`. */
function parseBatches(out: string): unknown[][] {
  if (out === '') return [];
  const parts = out.split('][');
  return parts.map((p, i) => JSON.parse((i > 0 ? '[' : '') + p + (i < parts.length - 1 ? ']' : '')) as unknown[]);
}

/** Go's json.MarshalIndent(v, "", " ") for plain JSON data. */
function goIndent(v: unknown): string {
  return JSON.stringify(v, null, 1);
}

/** Number of complete JSON batches in the output so far (each ends with `]` at column 0). */
function completeBatches(out: string): number {
  return (out.match(/\n\]/g) ?? []).length;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ _value: from + i }));

/** Keeps failure messages readable. */
function clip(s: string, max = 1500): string {
  return s.length > max ? s.slice(0, max) + `... (${s.length - max} more characters)` : s;
}

function assertNoStackTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at\s.+/m, `stack trace on stderr:\n${clip(stderr)}`);
  assert.doesNotMatch(stderr, /Unhandled|Node\.js v\d|TypeError|RangeError/, `crash on stderr:\n${clip(stderr)}`);
}

/** A running `vql` process whose output is read incrementally. */
class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** When each complete JSON batch arrived (ms since the epoch). */
  readonly batchTimes: number[] = [];
  readonly started = Date.now();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      const now = Date.now();
      while (this.batchTimes.length < completeBatches(this.stdout)) this.batchTimes.push(now);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when `cond()` holds; fails after `ms` with the output so far. */
  async waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) {
        assert.fail(`timed out after ${ms} ms waiting for ${what}\nstdout: ${clip(JSON.stringify(this.stdout))}\nstderr: ${clip(this.stderr)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits for the process to exit on its own within `ms`. */
  async waitExit(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === null) {
      assert.fail(`process did not exit within ${ms} ms\nstdout: ${clip(JSON.stringify(this.stdout))}\nstderr: ${clip(this.stderr)}`);
    }
    return r;
  }

  /** Kills the process (by its own pid) if it is still running: test cleanup. */
  cleanup(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

async function withProc<T>(args: string[], body: (p: Proc) => Promise<T>): Promise<T> {
  const p = new Proc(args);
  try {
    return await body(p);
  } finally {
    p.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// --format json (the default)

test('json: batches of at most 10 rows, indented arrays joined by ][', () => {
  const r = query('SELECT * FROM range(end=25)');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stderr, '');
  const batches = parseBatches(r.stdout);
  assert.deepEqual(batches.map((b) => b.length), [10, 10, 5]);
  assert.deepEqual(batches.flat(), range(0, 25));
  // Exact text: one-space MarshalIndent per batch, no separator, no trailing newline.
  assert.equal(r.stdout, goIndent(range(0, 10)) + goIndent(range(10, 20)) + goIndent(range(20, 25)));
  assert.ok(r.stdout.includes(']['));
  assert.ok(!r.stdout.endsWith('\n'), 'no trailing newline when stdout is not a terminal');
});

test('json: the exact MarshalIndent layout, nested values included', () => {
  const r = query("SELECT 1 AS X, 'a' AS Y, dict(A=1, B=2) AS D, (1, 2) AS L, 1.5 AS F, TRUE AS T, NULL AS N FROM scope()");
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(
    r.stdout,
    '[\n {\n  "X": 1,\n  "Y": "a",\n  "D": {\n   "A": 1,\n   "B": 2\n  },\n  "L": [\n   1,\n   2\n  ],\n' +
      '  "F": 1.5,\n  "T": true,\n  "N": null\n }\n]',
  );
});

test('json: batch boundaries at 10, 11 and 20 rows', () => {
  for (const [n, sizes] of [[1, [1]], [10, [10]], [11, [10, 1]], [20, [10, 10]], [21, [10, 10, 1]]] as const) {
    const r = query(`SELECT * FROM range(end=${n})`);
    assert.equal(r.status, 0, clip(r.stderr));
    assert.deepEqual(parseBatches(r.stdout).map((b) => b.length), sizes, `range(end=${n})`);
  }
});

test('json: a query with zero rows prints nothing at all', () => {
  for (const q of ['SELECT * FROM range(end=0)', 'SELECT * FROM range(end=5) WHERE _value > 10']) {
    const r = query(q);
    assert.equal(r.status, 0, clip(r.stderr));
    assert.equal(r.stdout, '', q);
  }
});

test('json: LET prints nothing', () => {
  const r = query('LET X = 5', 'LET Y <= SELECT * FROM range(end=3)', 'LET Z = SELECT * FROM range(end=3)');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, '');
});

test('json: several statements print separately, in order, sharing one scope', () => {
  const r = query(
    'LET X = 5 SELECT X FROM scope() SELECT 2 AS B FROM scope()',
    'SELECT * FROM range(end=3)',
    'SELECT * FROM range(start=3, end=6)',
    'LET Y <= SELECT * FROM range(end=2)',
    'SELECT X * 2 AS X2 FROM Y',
  );
  assert.equal(r.status, 0, clip(r.stderr));
  // Statements never share a batch: the two 3-row queries are two arrays, not one of 6.
  assert.deepEqual(parseBatches(r.stdout), [
    [{ X: 5 }],
    [{ B: 2 }],
    range(0, 3),
    range(3, 6),
    [{ X2: 10 }, { X2: 10 }],
  ]);
});

// ---------------------------------------------------------------------------------------------
// --format jsonl, csv, text

test('jsonl: one compact object per line', () => {
  const r = query('--format', 'jsonl', 'SELECT * FROM range(end=12)');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, range(0, 12).map((o) => JSON.stringify(o) + '\n').join(''));
  const nested = query('--format', 'jsonl', "SELECT dict(A=1) AS D, (1, 2) AS L, 'x' AS S FROM scope()", 'SELECT 2 AS B FROM scope()');
  assert.equal(nested.status, 0, clip(nested.stderr));
  assert.equal(nested.stdout, '{"D":{"A":1},"L":[1,2],"S":"x"}\n{"B":2}\n');
});

test('jsonl: zero rows and LET print nothing', () => {
  const r = query('--format', 'jsonl', 'SELECT * FROM range(end=0)', 'LET X = 1');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, '');
});

test('csv: a header from the first row, then the rows', () => {
  const r = query('--format', 'csv', 'SELECT _value AS N, _value * 2 AS Double FROM range(end=12)');
  assert.equal(r.status, 0, clip(r.stderr));
  const lines = r.stdout.split('\n');
  assert.equal(lines.pop(), '', 'every line ends with a newline');
  assert.equal(lines[0], 'N,Double');
  assert.deepEqual(lines.slice(1), Array.from({ length: 12 }, (_, i) => `${i},${i * 2}`), 'the header is written once, not per batch');
});

test('csv: cell encoding (csv-cell.ts): number-like strings get a space, nested values are JSON', () => {
  const r = query(
    '--format',
    'csv',
    "SELECT 1 AS Int, 1.5 AS Float, TRUE AS Bool, NULL AS Nil, 'hi' AS Str, '12' AS NumStr, '-1e5' AS ExpStr, " +
      "'0x1F' AS HexStr, 'true' AS TrueStr, 'inf' AS InfStr, ' s' AS Spaced, 'base64:x' AS B64Str, 'a,b' AS Comma, " +
      "'say \"hi\"' AS Quote, '' AS Empty, dict(x=1) AS Dict, (1, 2) AS List FROM scope()",
  );
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(
    r.stdout,
    'Int,Float,Bool,Nil,Str,NumStr,ExpStr,HexStr,TrueStr,InfStr,Spaced,B64Str,Comma,Quote,Empty,Dict,List\n' +
      '1,1.5,true,,hi," 12"," -1e5"," 0x1F"," true"," inf","  s"," base64:x","a,b","say ""hi""",,' +
      '"{\n ""x"": 1\n}","[\n 1,\n 2\n]"\n',
  );
});

test('csv: later rows are projected onto the first row\'s columns', () => {
  const r = query(
    '--format',
    'csv',
    'SELECT * FROM chain(a={SELECT 1 AS A, 2 AS B FROM scope()}, b={SELECT 3 AS B, 4 AS C FROM scope()})',
  );
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, 'A,B\n1,2\n,3\n');
});

test('csv: each statement has its own header; zero rows print nothing', () => {
  const r = query('--format', 'csv', 'SELECT 1 AS A FROM scope()', 'SELECT * FROM range(end=0)', 'SELECT 2 AS B FROM scope()');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, 'A\n1\nB\n2\n');
});

test('text: an aligned table with the query as caption', () => {
  const r = query('--format', 'text', 'SELECT * FROM range(end=3)');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(
    r.stdout,
    '+--------+\n| _value |\n+--------+\n| 0      |\n| 1      |\n| 2      |\n+--------+\nSELECT * FROM range(end=3)\n\n',
  );
});

test('text: the caption is the re-formatted query', () => {
  const r = query('--format', 'text', 'select   *   from range( end=1 )');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.ok(r.stdout.endsWith('+\nSELECT * FROM range(end=1)\n\n'), JSON.stringify(r.stdout));
});

test('text: columns are aligned; strings bare, other values as JSON; one table per statement', () => {
  const q1 = "SELECT 'a' AS Name, dict(x=1) AS D, 1.5 AS F, NULL AS N FROM scope()";
  const q2 = "SELECT format(format='row %v', args=_value) AS LongerName, _value AS V FROM range(end=12)";
  const r = query('--format', 'text', q1, 'SELECT * FROM range(end=0)', q2);
  assert.equal(r.status, 0, clip(r.stderr));
  const tables = r.stdout.split('\n\n');
  assert.equal(tables.pop(), '', 'the output ends with a blank line');
  assert.equal(tables.length, 2, 'zero rows print no table');
  for (const [t, caption, rows] of [[tables[0]!, q1, 1], [tables[1]!, q2, 12]] as const) {
    const lines = t.split('\n');
    assert.equal(lines.at(-1), caption, 'the query is the caption');
    const table = lines.slice(0, -1);
    assert.equal(table.length, rows + 4, 'rule, header, rule, rows, rule');
    const width = table[0]!.length;
    for (const l of table) assert.equal(l.length, width, `aligned: ${JSON.stringify(l)}`);
    // Column separators line up across all lines.
    const bars = (l: string) => [...l].flatMap((c, i) => (c === '|' || c === '+' ? [i] : []));
    for (const l of table) assert.deepEqual(bars(l), bars(table[0]!), `separators in ${JSON.stringify(l)}`);
  }
  assert.match(tables[0]!, /\| a +\| \{"x":1\} +\| 1\.5 +\| +\|/);
  assert.match(tables[1]!, /\| row 11 +\| 11 +\|/);
});

// ---------------------------------------------------------------------------------------------
// --env, -f

test('--env K=V sets a string variable', () => {
  const r = query('--env', 'Foo=bar', 'SELECT Foo FROM scope()');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.deepEqual(parseBatches(r.stdout), [[{ Foo: 'bar' }]]);
  const many = query('--format', 'jsonl', '--env', 'N=5', '--env', 'K=a=b', '--env', 'E=', "SELECT N, K, E, N = '5' AS IsString FROM scope()");
  assert.equal(many.status, 0, clip(many.stderr));
  assert.equal(many.stdout, '{"N":"5","K":"a=b","E":"","IsString":true}\n', 'values are strings; only the first = splits');
});

test('-f / --from_files reads the VQL from files', () => {
  const file = join(TMP, 'q.vql');
  writeFileSync(file, 'LET X = 7\nSELECT X FROM scope()\nSELECT * FROM range(end=2)\n');
  const r = query('--format', 'jsonl', '-f', file);
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, '{"X":7}\n{"_value":0}\n{"_value":1}\n');
});

// ---------------------------------------------------------------------------------------------
// Event queries: --max_wait, Ctrl-C, --timeout

test('--max_wait 1: batches are printed while an event query runs; SIGINT ends it cleanly', { timeout: 30_000 }, async () => {
  await withProc(['query', '--max_wait', '1', 'SELECT Unix FROM clock(ms=200)'], async (p) => {
    await p.waitFor(() => completeBatches(p.stdout) >= 1, 4_000, 'the first batch');
    assert.ok(p.running, 'the first batch arrived while the query was still running');
    await p.waitFor(() => completeBatches(p.stdout) >= 2, 4_000, 'a second batch');
    assert.ok(p.running);
    assert.ok(p.batchTimes[1]! > p.batchTimes[0]!, 'batches arrive over time, not in one write');
    const before = parseBatches(p.stdout);
    for (const b of before) {
      assert.ok(b.length >= 1 && b.length <= 10, `batch of ${b.length} rows`);
    }

    const stoppedAt = Date.now();
    assert.ok(p.child.kill('SIGINT'));
    const { code, signal } = await p.waitExit(5_000);
    assert.equal(signal, null, 'the process handles SIGINT instead of dying from it');
    assert.equal(code, 0);
    assert.ok(Date.now() - stoppedAt < 5_000);
    assertNoStackTrace(p.stderr);
    assert.equal(p.stderr, '');

    // The complete output is still a well-formed sequence of batches of Unix times.
    const batches = parseBatches(p.stdout);
    assert.ok(batches.length >= before.length);
    const rows = batches.flat() as Array<{ Unix: number }>;
    assert.ok(rows.length >= 2);
    for (const r of rows) assert.deepEqual(Object.keys(r), ['Unix']);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.Unix >= rows[i - 1]!.Unix, 'time goes forward');
  });
});

test('SIGINT flushes the last partial batch', { timeout: 30_000 }, async () => {
  // max_wait 60: the three range() rows sit in a partial batch while clock() waits for 1000 s;
  // only the interrupt can ship them. The first statement tells us the process is ready.
  const args = ['query', '--max_wait', '60', "SELECT 'ready' AS R FROM scope()",
    'SELECT * FROM chain(a={SELECT * FROM range(end=3)}, b={SELECT * FROM clock(period=1000)})'];
  await withProc(args, async (p) => {
    await p.waitFor(() => p.stdout.includes('ready'), 10_000, 'the first statement');
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(p.running);
    assert.equal(completeBatches(p.stdout), 1, 'the range() rows are not printed yet');
    p.child.kill('SIGINT');
    const { code, signal } = await p.waitExit(5_000);
    assert.equal(signal, null);
    assert.equal(code, 0);
    assertNoStackTrace(p.stderr);
    assert.deepEqual(parseBatches(p.stdout), [[{ R: 'ready' }], range(0, 3)]);
  });
});

test('SIGINT on a text-format event query prints the table of the rows so far', { timeout: 30_000 }, async () => {
  // Written as the formatter prints it, since the caption is the re-formatted query.
  const q = 'SELECT * FROM chain(a={ SELECT * FROM range(end=2) }, b={ SELECT * FROM clock(period=1000) })';
  await withProc(['query', '--format', 'text', "SELECT 'ready' AS R FROM scope()", q], async (p) => {
    await p.waitFor(() => p.stdout.includes('ready'), 10_000, 'the first statement');
    await new Promise((r) => setTimeout(r, 500));
    p.child.kill('SIGINT');
    const { code } = await p.waitExit(5_000);
    assert.equal(code, 0);
    assertNoStackTrace(p.stderr);
    assert.ok(p.stdout.endsWith('| 0      |\n| 1      |\n+--------+\n' + q + '\n\n'), JSON.stringify(p.stdout));
  });
});

test('--timeout 1 ends an endless query: rows flushed, the partial-output line on stderr, exit 124', { timeout: 30_000 }, async () => {
  // More --timeout cases (stuck steps, formats, aggregates): test/cli/timeout.test.ts.
  const p = new Proc(['query', '--timeout', '1', 'SELECT Unix FROM clock(ms=200)']);
  try {
    const { code, signal } = await p.waitExit(10_000);
    const elapsed = Date.now() - p.started;
    assert.equal(signal, null);
    assert.equal(code, 124);
    assert.ok(elapsed >= 900, `ended after ${elapsed} ms, not before the timeout`);
    assertNoStackTrace(p.stderr);
    // Default max_wait is 10 s, so the rows are all in the batch flushed on cancellation.
    const rows = parseBatches(p.stdout).flat();
    assert.ok(rows.length >= 1, `rows: ${p.stdout}`);
    assert.ok(rows.length <= 10);
    assert.match(p.stderr, new RegExp(`vql: timed out after 1s: the output is partial \\(${rows.length} rows? printed\\)`));
  } finally {
    p.cleanup();
  }
});

test('a long --timeout does not cancel the query early', { timeout: 30_000 }, () => {
  // 3000000 s (~35 days) exceeds setTimeout's 2^31-1 ms limit; the query must still run.
  const r = query('--timeout', '3000000', '--format', 'jsonl', 'SELECT Unix FROM clock(ms=50) LIMIT 3');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.doesNotMatch(r.stderr, /timeout|TimeoutOverflowWarning/, clip(r.stderr));
  assert.equal(r.stdout.split('\n').filter(Boolean).length, 3, `stdout: ${r.stdout}`);
});

test('a long --max_wait still batches by size', { timeout: 30_000 }, () => {
  // 3000000 s exceeds setTimeout's limit; the timer must not degrade to 1 ms.
  const r = query('--max_wait', '3000000', 'SELECT Unix FROM clock(ms=20) LIMIT 12');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/, clip(r.stderr));
  assert.deepEqual(parseBatches(r.stdout).map((b) => b.length), [10, 2]);
});

test('a closed stdout (vql ... | head) ends the command without a stack trace', { timeout: 30_000 }, async () => {
  await withProc(['query', '--format', 'jsonl', '--max_wait', '1', 'SELECT Unix FROM clock(ms=50)'], async (p) => {
    await p.waitFor(() => p.stdout.length > 0, 5_000, 'the first rows');
    p.child.stdout!.destroy();
    await p.waitExit(5_000);
    assertNoStackTrace(p.stderr);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors

test('a parse error exits 1 with the position and a caret under the source line', () => {
  const src = 'SELECT * FROM range(end=3) WHERE';
  const r = query(src);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Unable to parse VQL Query/);
  assert.match(r.stderr, /expected an expression/);
  const m = /line 1, col (\d+)/.exec(r.stderr);
  assert.ok(m, clip(r.stderr));
  const col = Number(m[1]);
  assert.equal(col, src.length + 1, 'the error is at the end of the input');
  const lines = r.stderr.split('\n');
  const at = lines.indexOf(src);
  assert.ok(at >= 0, `source line on stderr:\n${r.stderr}`);
  const caret = lines[at + 1]!;
  assert.match(caret, /^ *\^$/);
  assert.equal(caret.indexOf('^'), col - 1, 'the caret is under column N');
  assertNoStackTrace(r.stderr);
});

test('a parse error on a later line shows that line', () => {
  const r = query('SELECT *\nFROM range(end=3)\nWHERE 1 +');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /line 3, col 10/);
  assert.match(r.stderr, /\nWHERE 1 \+\n {9}\^\n/);
});

test('an unknown plugin prints an ERROR line with a suggestion and exits 1', () => {
  const r = query('SELECT * FROM rnage(end=3)');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const err = r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
  assert.equal(err.length, 1, clip(r.stderr));
  assert.match(err[0]!, /rnage/);
  assert.match(err[0]!, /did you mean `range`/);
  assertNoStackTrace(r.stderr);
});

test('an ERROR log makes the exit status 1 even though later statements print rows', () => {
  const r = query('SELECT * FROM rnage(end=3)', 'SELECT 1 AS X FROM scope()');
  assert.equal(r.status, 1);
  assert.deepEqual(parseBatches(r.stdout), [[{ X: 1 }]]);
  assert.match(r.stderr, /^ERROR: .*did you mean `range`/m);
});

test('an unknown argument names the plugin and the argument and suggests one', () => {
  const r = query('SELECT * FROM range(ned=3)');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const err = r.stderr.split('\n').find((l) => l.startsWith('ERROR:'));
  assert.ok(err, clip(r.stderr));
  assert.match(err, /range/);
  assert.match(err, /ned/);
  assert.match(err, /did you mean `end`/);
  assertNoStackTrace(r.stderr);
});

test('bad flags and commands exit 1 with a clear message and the usage', () => {
  const cases: Array<[string[], RegExp]> = [
    [['query', '--format', 'xml', 'SELECT 1 FROM scope()'], /--format must be one of json, jsonl, csv, text, not 'xml'/],
    [['query', '--max_wait', '0', 'SELECT 1 FROM scope()'], /--max_wait must be a positive number of seconds, not '0'/],
    [['query', '--max_wait', 'abc', 'SELECT 1 FROM scope()'], /--max_wait .*'abc'/],
    [['query', '--timeout', 'soon', 'SELECT 1 FROM scope()'], /--timeout .*'soon'/],
    [['query', '--env', 'noequals', 'SELECT 1 FROM scope()'], /--env takes KEY=VALUE, not 'noequals'/],
    [['query', '--env', '=x', 'SELECT 1 FROM scope()'], /--env takes KEY=VALUE/],
    [['query', '--bogus', 'SELECT 1 FROM scope()'], /--bogus/],
    [['query'], /give at least one VQL query/],
    [['frobnicate', 'SELECT 1 FROM scope()'], /unknown command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const r = vql(...args);
    const label = args.join(' ');
    assert.equal(r.status, 1, label);
    assert.equal(r.stdout, '', `${label}: nothing runs`);
    assert.match(r.stderr, /^vql: error: /, label);
    assert.match(r.stderr, message, label);
    // One line of error, then where the usage is: not the whole help.
    assert.match(r.stderr, /\nsee vql (query )?--help\n$/, `${label}: a hint, not the usage`);
    assert.equal(r.stderr.trim().split('\n').length, 2, `${label}: two lines`);
    assertNoStackTrace(r.stderr);
  }
  // Did you mean, for flags and commands.
  assert.match(vql('query', '--formt', 'json', 'SELECT 1 FROM scope()').stderr, /unknown flag --formt: did you mean --format\?/);
  assert.match(vql('qery', 'x').stderr, /unknown command 'qery': did you mean query\?/);
  assert.match(vql('artifacts', 'verfy', 'x').stderr, /unknown artifacts command 'verfy': did you mean verify\?\nsee vql artifacts --help/);
});

test('help: --help prints the usage and exits 0; no command exits 1', () => {
  for (const args of [['--help'], ['help']]) {
    const r = vql(...args);
    assert.equal(r.status, 0, args.join(' '));
    assert.match(r.stdout, /usage: vql <command> \[flags\]/);
    assert.match(r.stdout, /--max_wait/);
  }
  const query = vql('query', '--help');
  assert.equal(query.status, 0);
  assert.match(query.stdout, /^usage: vql query/);
  assert.match(query.stdout, /--max_wait/);
  assert.doesNotMatch(query.stdout, /monitor flags/, 'only the command\'s own usage');
  const none = vql();
  assert.equal(none.status, 1);
  assert.match(none.stdout + none.stderr, /usage: vql/);
});

// ---------------------------------------------------------------------------------------------
// --output

test('--output FILE writes the rows to the file (mode 0600) and nothing to stdout', () => {
  const file = join(TMP, 'out.json');
  const r = query('--output', file, 'SELECT * FROM range(end=12)');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, '');
  assert.equal(readFileSync(file, 'utf8'), goIndent(range(0, 10)) + goIndent(range(10, 12)));
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('--output truncates an existing file and honours --format', () => {
  const file = join(TMP, 'out.csv');
  writeFileSync(file, 'old content that is longer than the new one\n'.repeat(20));
  const r = query('--output', file, '--format', 'csv', 'SELECT * FROM range(end=2)');
  assert.equal(r.status, 0, clip(r.stderr));
  assert.equal(r.stdout, '');
  assert.equal(readFileSync(file, 'utf8'), '_value\n0\n1\n');
});

test('--output to an impossible path exits 1 with a clear error, no stack trace', () => {
  const file = join(TMP, 'no', 'such', 'dir', 'out.json');
  const r = query('--output', file, 'SELECT * FROM range(end=3)');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /out\.json/);
  assert.match(r.stderr, /ENOENT|no such file/i);
  assertNoStackTrace(r.stderr);
});
