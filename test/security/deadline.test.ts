// Hostile queries and artifacts against the deadline: each runs through the real CLI with
// `--timeout`, or in the real collector beside a well-behaved query. Whatever they do (one
// synchronous step that never ends, exponential work, huge strings, endless streams, errors
// on every row, recursion), the run must end by its deadline (plus a generous allowance for a
// loaded machine: an upper bound only, for runs that would otherwise never end), with the right
// status and the partial-output line, without losing what was already printed or written, and
// in the collector without stalling the other queries.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collector } from '../../main/collector/collector.ts';
import type { MonitorLogEntry } from '../../main/collector/monitor-log.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-deadline-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** The deadline of every CLI run (seconds). */
const DEADLINE = 2;
/** Allowance past the deadline before a run counts as never ending (a loaded 2-core machine). */
const SLACK_MS = 20_000;

/** LETs making d40: 41 dicts sharing 2^40 leaves; writing it out is one endless synchronous step. */
function dagLets(): string {
  let q = "LET d0 <= dict(x='a')";
  for (let i = 1; i <= 40; i++) q += ` LET d${i} <= dict(a=d${i - 1}, b=d${i - 1})`;
  return q;
}
const DOUBLE = "LET double(s, n) = if(condition=n > 0, then=double(s=format(format='%s%s', args=[s, s]), n=n - 1), else=s)";

const DEFS = join(TMP, 'defs');
mkdirSync(DEFS, { recursive: true });
const ARTIFACTS: Record<string, string> = {
  'Custom.Self': 'SELECT * FROM Artifact.Custom.Self()',
  'Custom.A': 'SELECT * FROM Artifact.Custom.B()',
  'Custom.B': 'SELECT * FROM Artifact.Custom.A()',
  'Custom.Fan': 'SELECT * FROM foreach(row={ SELECT * FROM range(end=10) }, query={ SELECT * FROM Artifact.Custom.Fan() })',
  'Custom.NeverYields': `${dagLets()} SELECT d40 AS D FROM scope()`,
  'Custom.ThenStuck': `${dagLets()} SELECT * FROM chain(a={ SELECT 'before' AS R FROM scope() }, b={ SELECT d40 AS R FROM scope() })`,
  'Custom.Throws': "SELECT * FROM foreach(row={ SELECT * FROM range(end=1000000000000) }, query={ SELECT * FROM no_such_plugin() })",
};
for (const [name, query] of Object.entries(ARTIFACTS)) writeFileSync(join(DEFS, `${name}.yaml`), `name: ${name}\nsources:\n  - query: |\n      ${query}\n`);
writeFileSync(join(DEFS, 'Custom.LongTimeout.yaml'), 'name: Custom.LongTimeout\nresources:\n  timeout: 3600\nsources:\n  - query: SELECT Unix FROM clock(ms=20)\n');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `vql <args>`; a run alive DEADLINE + SLACK_MS after its start is killed and fails the test. */
function vql(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-200_000)));
    const limit = DEADLINE * 1000 + SLACK_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not end within ${limit} ms of a ${DEADLINE} s deadline: vql ${args.join(' ').slice(0, 300)}\nstderr: ${stderr.slice(-1500)}`));
    }, limit);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

type Expect =
  /** Cut at the deadline: 124 and the partial line. */
  | 'timeout'
  /** Refused with an ERROR line long before the deadline: 1, no partial line. */
  | 'error'
  /** Depends on the engine's speed here (a regex engine, a string limit): either of the above, or 0. */
  | 'either';

interface Case {
  readonly name: string;
  readonly args: string[];
  readonly expect: Expect;
  /** Rows (jsonl) that must be in the output whatever happened: printed before the trouble. */
  readonly first?: unknown[];
  /** The ERROR text expected for 'error'. */
  readonly error?: RegExp;
}

const T = ['--timeout', String(DEADLINE), '--format', 'jsonl'];
const q = (text: string, extra: string[] = []): string[] => ['query', ...T, ...extra, text];
const collect = (name: string): string[] => ['artifacts', 'collect', '--definitions', DEFS, ...T, name];

const CASES: Case[] = [
  { name: 'one row of 2^40 leaves (a single endless synchronous step)', args: q(`${dagLets()} SELECT d40 AS D FROM scope()`), expect: 'timeout' },
  { name: 'the same, formatted into a string', args: q(`${dagLets()} SELECT format(format='%v', args=d40) AS S FROM scope()`), expect: 'timeout' },
  { name: 'the same, serialized', args: q(`${dagLets()} SELECT serialize(item=d40) AS S FROM scope()`), expect: 'timeout' },
  { name: 'rows printed before an endless step stay printed', args: q(`${dagLets()} SELECT 'ready' AS R FROM scope()`).concat(`SELECT d40 AS R FROM scope()`), expect: 'timeout', first: [{ R: 'ready' }] },
  { name: 'string doubling past the string limit (recursive LET with format %s%s)', args: q(`${DOUBLE} SELECT len(list=double(s='a', n=40)) AS L FROM scope()`), expect: 'either' },
  { name: 'a string doubled to 128 MB, then split into 16M pieces (seconds of one step)', args: q(`${DOUBLE} SELECT len(list=split(string=double(s='ab,', n=24), sep=',')) AS L FROM scope()`), expect: 'either' },
  { name: 'entropy of a 256 MB string (one long step)', args: q(`${DOUBLE} SELECT entropy(string=double(s='ab', n=27)) AS E FROM scope()`), expect: 'either' },
  { name: 'a string doubled in a foreach, each row a bigger one', args: q(`${DOUBLE} SELECT len(list=double(s='ab', n=_value)) AS L FROM foreach(row={ SELECT _value FROM range(end=1000000) })`, ['--output', '/dev/null']), expect: 'either' },
  { name: 'a catastrophic regex', args: q(`SELECT '${'a'.repeat(40)}!' =~ '^(a+)+$' AS M FROM scope()`), expect: 'either' },
  { name: 'a catastrophic regex on every row', args: q(`SELECT regex_replace(source='${'a'.repeat(32)}!', re='^(a|aa)+$', replace='x') AS R FROM range(end=1000000000000)`, ['--output', '/dev/null']), expect: 'timeout' },
  { name: 'a huge range with GROUP BY (a partial count is not a count)', args: q('SELECT count() AS N FROM range(end=1000000000000) GROUP BY 1'), expect: 'timeout' },
  { name: 'a huge range grouped two ways', args: q('SELECT _value > 1000 AS K, count() AS N FROM range(end=1000000000000) GROUP BY K'), expect: 'timeout' },
  { name: 'a huge range, every row printed', args: q('SELECT * FROM range(end=1000000000000)', ['--output', '/dev/null']), expect: 'timeout' },
  { name: 'a cross product of two big ranges', args: q('SELECT * FROM foreach(row={ SELECT * FROM range(end=1000000) }, query={ SELECT * FROM range(end=1000000) })', ['--output', '/dev/null']), expect: 'timeout' },
  { name: 'sleep past the deadline', args: q('SELECT sleep(time=3600) AS S FROM scope()'), expect: 'timeout' },
  { name: 'a clock that never ends', args: q('SELECT Unix FROM clock(ms=10)'), expect: 'timeout' },
  { name: 'foreach with 20 workers, each sleeping for an hour', args: q('SELECT * FROM foreach(row={ SELECT * FROM range(end=100) }, query={ SELECT sleep(time=3600) AS S FROM scope() }, workers=20)'), expect: 'timeout' },
  { name: 'foreach with workers, each writing out the 2^40-leaf row', args: q(`${dagLets()} SELECT * FROM foreach(row={ SELECT * FROM range(end=4) }, query={ SELECT d40 AS D FROM scope() }, workers=4)`), expect: 'timeout' },
  { name: 'an error on every row (an unknown plugin in a foreach)', args: q('SELECT * FROM foreach(row={ SELECT * FROM range(end=1000000000000) }, query={ SELECT * FROM no_such_plugin() })'), expect: 'timeout' },
  { name: 'a warning on every row (bad JSON)', args: q("SELECT parse_json(data='{') AS J FROM range(end=1000000000000)", ['--output', '/dev/null']), expect: 'timeout' },
  { name: 'an endless file (/dev/urandom, line by line)', args: q("SELECT * FROM parse_lines(filename='/dev/urandom')", ['--output', '/dev/null']), expect: 'timeout' },
  { name: 'a LET function calling itself', args: q('LET f(n) = f(n=n) SELECT f(n=1) AS X FROM scope()'), expect: 'error', error: /Stack overflow: recursion depth limit reached/ },
  { name: 'a stored query selecting from itself', args: q('LET r = SELECT * FROM r SELECT * FROM r'), expect: 'error', error: /Stack overflow: recursion depth limit reached in a query/ },
  { name: 'an artifact calling itself', args: collect('Custom.Self'), expect: 'error', error: /Stack overflow: artifacts nested deeper than 10 \(Custom\.Self → Custom\.Self/ },
  { name: 'two artifacts calling each other', args: collect('Custom.A'), expect: 'error', error: /Stack overflow: artifacts nested deeper than 10 \(Custom\.A → Custom\.B → Custom\.A/ },
  { name: 'an artifact calling itself ten times per level (10^10 calls)', args: collect('Custom.Fan'), expect: 'timeout' },
  { name: 'an artifact that never yields a row', args: collect('Custom.NeverYields'), expect: 'timeout' },
  { name: 'an artifact stuck after its first row keeps that row', args: collect('Custom.ThenStuck'), expect: 'timeout', first: [{ R: 'before', _Source: 'Custom.ThenStuck' }] },
  { name: 'an artifact that fails on every row', args: collect('Custom.Throws'), expect: 'timeout' },
  { name: 'an artifact whose own resources.timeout is an hour', args: collect('Custom.LongTimeout'), expect: 'timeout' },
];

function check(c: Case, r: Run): void {
  const where = `${c.name}: exit ${r.code}\nstderr: ${r.stderr.slice(-1500)}`;
  assert.equal(r.signal, null, where);
  assert.doesNotMatch(r.stderr, /^\s+at\s.+|Unhandled|Node\.js v\d|TypeError:/m, `no crash: ${where}`);
  const partial = /^vql: timed out after 2s: the output is partial \((\d+) rows? printed\)$/m.exec(r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean);
  if (r.code === 124) {
    assert.ok(c.expect !== 'error', `refused in time, not cut: ${where}`);
    assert.ok(partial, `the partial line: ${where}`);
    // Printed rows are whole (jsonl: each line parses) and counted (unless sent to /dev/null).
    for (const l of lines) JSON.parse(l);
    if (!c.args.includes('/dev/null')) assert.equal(Number(partial[1]), lines.length, where);
  } else {
    assert.ok(c.expect !== 'timeout', `cut at the deadline: ${where}`);
    assert.equal(partial, null, where);
    assert.ok(r.code === 1 || (c.expect === 'either' && r.code === 0), where);
    if (c.error) assert.match(r.stderr, c.error, where);
  }
  if (c.first) assert.deepEqual(lines.slice(0, c.first.length).map((l) => JSON.parse(l)), c.first, where);
}

test(`${CASES.length} hostile queries and artifacts through the CLI all end by a ${DEADLINE} s deadline, with the right status`, { timeout: 600_000, concurrency: 2 }, async (t) => {
  // Two at a time: the machine has two cores, and every case is bounded by its deadline.
  assert.ok(CASES.length >= 25);
  await Promise.all(CASES.map((c) => t.test(c.name, async () => check(c, await vql(c.args)))));
});

const EVENT = (name: string, query: string) => `name: ${name}\ntype: CLIENT_EVENT\nsources:\n  - query: |\n      ${query}\n`;

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

test('hostile event artifacts in the collector: the stuck ones are ended and restarted, the clock beside them never stops', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(TMP, 'collector-'));
  const defs = join(root, 'defs');
  const datastore = join(root, 'ds');
  mkdirSync(defs, { recursive: true });
  mkdirSync(datastore, { recursive: true });
  const hostile: Record<string, string> = {
    // Endless synchronous steps: the watchdog (or the heap limit) must end them.
    'Evil.Dag': `${dagLets()} SELECT d40 AS D FROM scope()`,
    'Evil.DagText': `${dagLets()} SELECT serialize(item=d40) AS S FROM scope()`,
    // Long steps on huge strings, an exponential self-call, errors on every row, a query
    // calling itself, a sleep, a regex: they must not disturb the others.
    'Evil.BigString': `${DOUBLE} SELECT entropy(string=double(s='ab', n=26)) AS E FROM clock(ms=1)`,
    'Evil.Fan': 'SELECT * FROM foreach(row={ SELECT * FROM range(end=10) }, query={ SELECT * FROM Artifact.Evil.Fan() })',
    'Evil.Throws': 'SELECT * FROM foreach(row={ SELECT * FROM clock(ms=20) }, query={ SELECT * FROM no_such_plugin() })',
    'Evil.Self': 'SELECT * FROM Artifact.Evil.Self()',
    'Evil.Sleeps': 'SELECT sleep(time=3600) AS S FROM scope()',
    'Evil.Regex': `SELECT '${'a'.repeat(40)}!' =~ '^(a+)+$' AS M FROM clock(ms=50)`,
  };
  for (const [name, query] of Object.entries({ ...hostile, 'Good.Clock': 'SELECT Unix FROM clock(ms=10)' })) writeFileSync(join(defs, `${name}.yaml`), EVENT(name, query));
  writeFileSync(join(datastore, 'events.yaml'), `Events:\n  artifacts:\n${Object.keys({ ...hostile, 'Good.Clock': 1 }).map((a) => `  - ${a}`).join('\n')}\n  version: 1\n`);
  const logs: MonitorLogEntry[] = [];
  const c = new Collector({ datastore, definitions: [defs], maxWaitMs: 100, watch: false, watchdogMs: 3000, queryMemoryMb: 512, echo: (e) => logs.push(e) });
  const clockFile = () => {
    const dir = c.store.dir('Good.Clock');
    if (!existsSync(dir)) return 0;
    return readdirSync(dir).filter((f) => f.endsWith('.csv')).reduce((n, f) => n + readFileSync(join(dir, f), 'utf8').split('\n').length - 2, 0);
  };
  await c.start();
  try {
    const limitFired = (a: string) => logs.some((e) => e.artifact === a && (e.limit === 'heartbeat' || e.limit === 'memory'));
    // Each endless step is ended by a limit of its worker, and restarted after its backoff.
    for (const a of ['Evil.Dag', 'Evil.DagText']) {
      await until(() => limitFired(a), 120_000, `a worker limit for ${a}`);
      await until(() => logs.some((e) => e.artifact === a && /restarts in \d+ s/.test(e.message)), 60_000, `${a} restarting`);
    }
    // Errors on every row are logged with the artifact's name; the self-calling one is refused
    // and restarted with backoff.
    await until(() => logs.some((e) => e.artifact === 'Evil.Throws' && /Plugin no_such_plugin not found/.test(e.message)), 60_000, 'the failing rows\' error');
    await until(() => logs.some((e) => e.artifact === 'Evil.Self' && /Stack overflow: artifacts nested deeper than 10/.test(e.message)), 60_000, 'the self-call refused');
    await until(() => logs.some((e) => e.artifact === 'Evil.Self' && /restarts in \d+ s/.test(e.message)), 60_000, 'the self-calling query restarting');
    // Meanwhile, and after, the clock writes rows, and nothing happened to it.
    const n = clockFile();
    await until(() => clockFile() > n + 50, 60_000, 'the clock still writing rows');
    assert.deepEqual(logs.filter((e) => e.artifact === 'Good.Clock' && (e.level !== 'info' || /restart/.test(e.message))), []);
    for (const a of ['Evil.Fan', 'Evil.Sleeps', 'Evil.Throws', 'Evil.Self']) assert.ok(!limitFired(a), `${a} is not stuck, only slow or failing`);
  } finally {
    // Stop ends every worker, stuck or not, within the bound; what was written stays.
    const written = clockFile();
    const stopped = Date.now();
    await c.stop();
    assert.ok(Date.now() - stopped < SLACK_MS, `stop took ${Date.now() - stopped} ms`);
    assert.ok(clockFile() >= written, 'nothing written was lost');
  }
});
