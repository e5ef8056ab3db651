// Running artifacts through the engine (VELOCIRAPTOR.md 1.3-1.7 and 1.12):
// `SELECT * FROM Artifact.X(...)` against a repository of test artifacts written to a temp
// folder. Only builtin plugins (scope, range, chain, clock) are used, so the host plugins
// being written elsewhere do not matter here.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VDict, VTime, collect, createRegistry, toJSON, type LogLevel, type Value } from '../../main/vql/index.ts';
import { MAX_ARTIFACT_DEPTH, Repository, formatProblem, installArtifactPlugins } from '../../main/artifacts/index.ts';

const DIR = mkdtempSync(join(tmpdir(), 'vql-run-test-'));
after(() => rmSync(DIR, { recursive: true, force: true }));

const ARTIFACTS: Record<string, string> = {
  'Params.yaml': `
name: Test.Params
parameters:
  - name: I
    type: int
    default: 10
  - name: I64
    type: int64
    default: "-7"
  - name: Integer
    type: integer
    default: "42"
  - name: F
    type: float
    default: "1.5"
  - name: B
    type: bool
    default: Y
  - name: T
    type: timestamp
    default: 2024-01-31T12:00:00Z
  - name: JA
    type: json_array
    default: '["a", "b"]'
  - name: MC
    type: multichoice
    default: '["x"]'
  - name: J
    type: json
    default: '{"k": [1, 2]}'
  - name: C
    type: csv
    default: |
      Name,Value
      a,1
      b,2
  - name: Y
    type: yaml
    default: |
      k: v
      n: 3
  - name: S
    default: plain
  - name: R
    type: regex
    default: .
sources:
  - query: |
      SELECT I, I64, Integer, F, B, T, JA, MC, J, C, Y, S, R,
             format(format='%T', args=[I]) AS IType,
             format(format='%T', args=[B]) AS BType,
             format(format='%T', args=[F]) AS FType,
             format(format='%T', args=[T]) AS TType,
             format(format='%T', args=[S]) AS SType
      FROM scope()
`,
  'Multi.yaml': `
name: Test.Multi
export: |
  LET Exported = 'exported'
sources:
  - name: First
    query: |
      LET shared = SELECT 1 AS V FROM scope()
      SELECT 'first' AS Src, Exported FROM scope()
  - name: Second
    query: |
      SELECT 'second' AS Src, shared[0].V AS V FROM scope()
  - query: |
      SELECT 'third' AS Src FROM range(end=2)
`,
  'Parallel.yaml': `
name: Test.Parallel
sources:
  - name: One
    precondition: SELECT * FROM scope()
    query: |
      LET shared = SELECT 1 AS V FROM scope()
      SELECT 'one' AS Src FROM scope()
  - name: Two
    precondition: SELECT * FROM scope() WHERE FALSE
    query: |
      SELECT 'two' AS Src, shared AS V FROM scope()
`,
  'Importer.yaml': `
name: Test.Importer
imports:
  - Test.Multi
export: |
  LET Mine = 'mine'
sources:
  - query: SELECT Exported, Mine FROM scope()
`,
  'BadImport.yaml': `
name: Test.BadImport
imports:
  - Test.DoesNotExist
sources:
  - query: SELECT 1 AS X FROM scope()
`,
  'Pre.yaml': `
name: Test.Pre
precondition: SELECT * FROM scope() WHERE FALSE
sources:
  - query: SELECT 1 AS X FROM scope()
`,
  'PreTrue.yaml': `
name: Test.PreTrue
precondition: SELECT * FROM scope()
sources:
  - query: SELECT 1 AS X FROM scope()
`,
  'PreParam.yaml': `
name: Test.PreParam
parameters:
  - name: Go
    type: bool
    default: N
precondition: SELECT * FROM scope() WHERE Go
sources:
  - query: SELECT Go FROM scope()
`,
  'Isolated.yaml': `
name: Test.Isolated
parameters:
  - name: P
sources:
  - query: SELECT Secret, P FROM scope()
`,
  'Recurse.yaml': `
name: Test.Recurse
parameters:
  - name: Depth
    type: int
    default: 1
sources:
  - query: |
      SELECT * FROM chain(
        a={ SELECT Depth FROM scope() },
        b={ SELECT * FROM Artifact.Test.Recurse(Depth=Depth + 1) })
`,
  'Outer.yaml': `
name: Test.Outer
sources:
  - query: SELECT Src, Exported FROM Artifact.Test.Multi(source='First')
`,
  'Events.yaml': `
name: Test.Events
type: CLIENT_EVENT
sources:
  - name: A
    query: SELECT 'a' AS Src FROM clock(ms=50)
  - name: B
    query: SELECT 'b' AS Src FROM clock(ms=50)
`,
};
for (const [file, text] of Object.entries(ARTIFACTS)) writeFileSync(join(DIR, file), text.trimStart());

const repo = new Repository({ builtinDir: null, definitions: [DIR] });
const registry = createRegistry();
installArtifactPlugins(registry, repo);

interface Result {
  rows: VDict[];
  logs: string[];
  errors: string[];
}

async function run(query: string, signal?: AbortSignal): Promise<Result> {
  const logs: string[] = [];
  const rows = await collect(query, { registry, signal, log: (level: LogLevel, m: string) => logs.push(`${level}: ${m}`) });
  return { rows, logs, errors: logs.filter((l) => l.startsWith('error: ')) };
}

/** One row as plain JSON data (times as RFC 3339 strings). */
function plain(row: VDict): Record<string, unknown> {
  return JSON.parse(toJSON(row)) as Record<string, unknown>;
}

async function one(query: string): Promise<VDict> {
  const r = await run(query);
  assert.deepEqual(r.errors, []);
  assert.equal(r.rows.length, 1, toJSON(r.rows));
  return r.rows[0]!;
}

test('every test artifact loads', () => {
  assert.deepEqual(repo.problems, [], repo.problems.map(formatProblem).join('\n'));
  assert.equal(repo.names().length, Object.keys(ARTIFACTS).length);
});

test('parameter defaults are converted to their types', async () => {
  const row = await one('SELECT * FROM Artifact.Test.Params()');
  assert.equal(row.get('I'), 10);
  assert.equal(row.get('I64'), -7);
  assert.equal(row.get('Integer'), 42);
  assert.equal(row.get('F'), 1.5);
  assert.equal(row.get('B'), true);
  const t = row.get('T');
  assert.ok(t instanceof VTime, `T is ${String(t)}`);
  assert.equal(t.millis, Date.UTC(2024, 0, 31, 12));
  assert.deepEqual(row.get('JA'), ['a', 'b']);
  assert.deepEqual(row.get('MC'), ['x']);
  assert.ok(row.get('J') instanceof VDict);
  assert.equal(row.get('S'), 'plain');
  assert.equal(row.get('R'), '.');
  assert.deepEqual(plain(row), {
    I: 10, I64: -7, Integer: 42, F: 1.5, B: true, T: '2024-01-31T12:00:00Z', JA: ['a', 'b'], MC: ['x'],
    J: { k: [1, 2] }, C: [{ Name: 'a', Value: '1' }, { Name: 'b', Value: '2' }], Y: { k: 'v', n: 3 }, S: 'plain', R: '.',
    IType: 'int64', BType: 'bool', FType: 'float64', TType: 'time.Time', SType: 'string', _Source: 'Test.Params',
  });
});

test('int, int64 and integer: strings from VQL are converted, typed values kept', async () => {
  const cases: Array<[string, Value, string]> = [
    ["I='5'", 5, 'int64'],
    ['I=5', 5, 'int64'],
    ["I64='9223372036854775807'", 9223372036854775807n, 'int64'],
    ["Integer='-12'", -12, 'int64'],
  ];
  for (const [args, want, type] of cases) {
    const row = await one(`SELECT *, format(format='%T', args=[I, I64, Integer]) AS Types FROM Artifact.Test.Params(${args})`);
    const name = args.slice(0, args.indexOf('='));
    assert.equal(row.get(name), want, args);
    assert.ok(String(row.get('Types')).includes(type), `${args}: ${String(row.get('Types'))}`);
  }
});

test('float: a string is parsed, a number is kept', async () => {
  assert.equal((await one("SELECT F FROM Artifact.Test.Params(F='2.25')")).get('F'), 2.25);
  assert.equal((await one('SELECT F FROM Artifact.Test.Params(F=0.5)')).get('F'), 0.5);
});

test('bool: Y/TRUE/YES/OK in any case are true, anything else false; typed booleans kept', async () => {
  const truthy = ['Y', 'y', 'TRUE', 'true', 'True', 'YES', 'yes', 'OK', 'ok', 'Ok'];
  const falsy = ['N', 'n', 'NO', 'false', 'FALSE', '0', '1', '', 'YESS', 'okay', 'T', 'on'];
  for (const v of truthy) assert.equal((await one(`SELECT B FROM Artifact.Test.Params(B='${v}')`)).get('B'), true, `'${v}'`);
  for (const v of falsy) assert.equal((await one(`SELECT B FROM Artifact.Test.Params(B='${v}')`)).get('B'), false, `'${v}'`);
  assert.equal((await one('SELECT B FROM Artifact.Test.Params(B=TRUE)')).get('B'), true);
  assert.equal((await one('SELECT B FROM Artifact.Test.Params(B=FALSE)')).get('B'), false);
});

test('timestamp: RFC 3339 and epoch-second strings become times', async () => {
  const iso = (await one("SELECT T FROM Artifact.Test.Params(T='2023-11-14T22:13:20Z')")).get('T');
  assert.ok(iso instanceof VTime);
  assert.equal(iso.millis, 1_700_000_000_000);
  const epoch = (await one("SELECT T FROM Artifact.Test.Params(T='1700000000')")).get('T');
  assert.ok(epoch instanceof VTime);
  assert.equal(epoch.millis, 1_700_000_000_000);
});

test('json_array and multichoice: a JSON string is parsed, an array is kept', async () => {
  const row = await one(`SELECT JA, MC FROM Artifact.Test.Params(JA='[1, "two"]', MC=['p', 'q'])`);
  assert.deepEqual(row.get('JA'), [1, 'two']);
  assert.deepEqual(row.get('MC'), ['p', 'q']);
});

test('json: a JSON string is parsed, a dict is kept', async () => {
  assert.deepEqual(plain(await one(`SELECT J FROM Artifact.Test.Params(J='{"a": [true, null]}')`)), { J: { a: [true, null] } });
  assert.deepEqual(plain(await one(`SELECT J FROM Artifact.Test.Params(J=dict(x=1))`)), { J: { x: 1 } });
});

test('csv: text becomes a list of dicts (one per row, keyed by the header)', async () => {
  const row = await one(`SELECT C FROM Artifact.Test.Params(C='Col1,Col2\n1,x\n2,"y, z"\n')`);
  assert.deepEqual(plain(row), { C: [{ Col1: '1', Col2: 'x' }, { Col1: '2', Col2: 'y, z' }] });
});

test('yaml: text is parsed into values', async () => {
  const row = await one(`SELECT Y FROM Artifact.Test.Params(Y='list:\n  - 1\n  - b\n')`);
  assert.deepEqual(plain(row), { Y: { list: [1, 'b'] } });
});

test('a string parameter receives typed values from VQL unchanged', async () => {
  const row = await one('SELECT S, SType FROM Artifact.Test.Params(S=5)');
  assert.equal(row.get('S'), 5);
  assert.equal(row.get('SType'), 'int64');
});

test('an unknown parameter logs an error naming it, and gives no rows', async () => {
  const r = await run('SELECT * FROM Artifact.Test.Params(I=1, Nope=2)');
  assert.deepEqual(r.rows, []);
  assert.equal(r.errors.length, 1, r.logs.join('\n'));
  assert.match(r.errors[0]!, /Unknown parameter Nope provided to artifact Test\.Params/);
});

test('an unknown artifact logs an error with suggestions', async () => {
  const r = await run('SELECT * FROM Artifact.Test.Parms()');
  assert.deepEqual(r.rows, []);
  assert.equal(r.errors.length, 1, r.logs.join('\n'));
  assert.match(r.errors[0]!, /Test\.Parms not found.*did you mean `Test\.Params`/);
});

test('every row has _Source: Name for unnamed sources, Name/Source for named ones', async () => {
  const r = await run('SELECT * FROM Artifact.Test.Multi()');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.rows.map((x) => x.get('_Source')), ['Test.Multi/First', 'Test.Multi/Second', 'Test.Multi', 'Test.Multi']);
  for (const row of r.rows) assert.equal(row.keys().at(-1), '_Source');
});

test('a non-event artifact runs its sources in order in one scope: a LET in source 1 is visible in source 2', async () => {
  const r = await run('SELECT * FROM Artifact.Test.Multi()');
  assert.deepEqual(r.rows.map(plain), [
    { Src: 'first', Exported: 'exported', _Source: 'Test.Multi/First' },
    { Src: 'second', V: 1, _Source: 'Test.Multi/Second' },
    { Src: 'third', _Source: 'Test.Multi' },
    { Src: 'third', _Source: 'Test.Multi' },
  ]);
});

test('with source preconditions, each source runs in its own scope (preconditions not evaluated by default)', async () => {
  const r = await run('SELECT * FROM Artifact.Test.Parallel()');
  assert.deepEqual(r.rows.map((x) => [x.get('Src'), x.get('_Source')]), [['one', 'Test.Parallel/One'], ['two', 'Test.Parallel/Two']]);
  assert.equal(r.rows[1]!.get('V'), null, 'source Two must not see the LET of source One');
});

test('source= selects one named source; an unknown source logs an error and gives no rows', async () => {
  const r = await run("SELECT * FROM Artifact.Test.Multi(source='Second')");
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.rows.map((x) => [x.get('Src'), x.get('_Source')]), [['second', 'Test.Multi/Second']]);

  const bad = await run("SELECT * FROM Artifact.Test.Multi(source='Nope')");
  assert.deepEqual(bad.rows, []);
  assert.equal(bad.errors.length, 1, bad.logs.join('\n'));
  assert.match(bad.errors[0]!, /Source Nope not found in artifact Test\.Multi/);
});

test('export is visible to the sources; imports bring another artifact\'s export', async () => {
  assert.equal((await one("SELECT Exported FROM Artifact.Test.Multi(source='First')")).get('Exported'), 'exported');
  const row = await one('SELECT * FROM Artifact.Test.Importer()');
  assert.deepEqual(plain(row), { Exported: 'exported', Mine: 'mine', _Source: 'Test.Importer' });
});

test('an unknown import is an error: "Artifact X imports Y which is not known"', async () => {
  const r = await run('SELECT * FROM Artifact.Test.BadImport()');
  assert.deepEqual(r.rows, []);
  assert.equal(r.errors.length, 1, r.logs.join('\n'));
  assert.match(r.errors[0]!, /Artifact Test\.BadImport imports Test\.DoesNotExist which is not known/);
});

test('preconditions are ignored by default and honoured with preconditions=TRUE', async () => {
  assert.equal((await run('SELECT * FROM Artifact.Test.Pre()')).rows.length, 1);
  const skipped = await run('SELECT * FROM Artifact.Test.Pre(preconditions=TRUE)');
  assert.deepEqual(skipped.rows, []);
  assert.deepEqual(skipped.errors, []);
  assert.equal((await run('SELECT * FROM Artifact.Test.PreTrue(preconditions=TRUE)')).rows.length, 1);
  assert.equal((await run('SELECT * FROM Artifact.Test.Pre(preconditions=FALSE)')).rows.length, 1);
  // Source-level preconditions: only the source whose precondition yields a row runs.
  const par = await run('SELECT * FROM Artifact.Test.Parallel(preconditions=TRUE)');
  assert.deepEqual(par.rows.map((x) => x.get('Src')), ['one']);
});

test('a precondition sees the typed parameters', async () => {
  assert.deepEqual((await run('SELECT * FROM Artifact.Test.PreParam(preconditions=TRUE)')).rows, []);
  const r = await run("SELECT * FROM Artifact.Test.PreParam(preconditions=TRUE, Go='yes')");
  assert.deepEqual(r.rows.map(plain), [{ Go: true, _Source: 'Test.PreParam' }]);
});

test("the caller's variables are not visible inside the artifact; parameters are", async () => {
  const r = await run("LET Secret = 'caller' SELECT * FROM Artifact.Test.Isolated(P=Secret)");
  assert.deepEqual(r.rows.map(plain), [{ Secret: null, P: 'caller', _Source: 'Test.Isolated' }]);
});

test('an artifact can call another one', async () => {
  const row = await one('SELECT * FROM Artifact.Test.Outer()');
  assert.deepEqual(plain(row), { Src: 'first', Exported: 'exported', _Source: 'Test.Outer' });
});

test(`a self-calling artifact stops at depth ${MAX_ARTIFACT_DEPTH} with a "Stack overflow" error`, async () => {
  assert.equal(MAX_ARTIFACT_DEPTH, 10);
  const r = await run('SELECT Depth FROM Artifact.Test.Recurse()');
  assert.deepEqual(r.rows.map((x) => x.get('Depth')), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(r.errors.length, 1, r.logs.join('\n'));
  assert.match(r.errors[0]!, /Stack overflow/);
});

test('an event artifact interleaves the rows of its sources and stops at the LIMIT', async () => {
  const started = Date.now();
  const r = await run('SELECT * FROM Artifact.Test.Events() LIMIT 12');
  const elapsed = Date.now() - started;
  assert.deepEqual(r.errors, []);
  assert.equal(r.rows.length, 12);
  const sources = r.rows.map((x) => x.get('_Source'));
  const srcs = r.rows.map((x) => x.get('Src'));
  for (let i = 0; i < sources.length; i++) assert.equal(sources[i], srcs[i] === 'a' ? 'Test.Events/A' : 'Test.Events/B');
  const a = srcs.filter((s) => s === 'a').length;
  assert.ok(a >= 2 && a <= 10, `both sources run concurrently: ${srcs.join('')}`);
  const firstB = srcs.indexOf('b');
  assert.ok(firstB >= 0 && srcs.lastIndexOf('a') > firstB, `rows interleave: ${srcs.join('')}`);
  // 12 rows from two 50 ms clocks take ~300 ms; sequential sources would never end.
  assert.ok(elapsed < 5000, `took ${elapsed} ms`);
});

test('an event artifact stops when the query is cancelled', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const started = Date.now();
  const r = await run('SELECT * FROM Artifact.Test.Events()', ac.signal);
  assert.ok(Date.now() - started < 5000);
  assert.ok(r.rows.length >= 2, `rows before the abort: ${r.rows.length}`);
});
