// mock(), pipe() and the pipe accessor, eval(), atexit() and similarity(): Velociraptor's
// helpers for testing artifacts and for feeding a query's rows to functions that read files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, toJSON } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { Repository, installArtifactPlugins } from '../../../main/artifacts/index.ts';
import { finishRun } from '../../../main/host/collect/run-files.ts';
import { query, value } from './helpers.ts';

const DIR = mkdtempSync(join(tmpdir(), 'vql-session-tools-test-'));
after(() => rmSync(DIR, { recursive: true, force: true }));

/** Each SELECT's rows separately, as JSON data. */
async function statements(text: string, registry = createHostRegistry()): Promise<{ results: unknown[][]; logs: string[] }> {
  const logs: string[] = [];
  const results: unknown[][] = [];
  const { Session, parseScript } = await import('../../../main/vql/index.ts');
  const session = new Session({ registry, log: (l, m) => logs.push(`${l}: ${m}`) });
  for await (const { rows } of session.executeAll(parseScript(text).statements)) results.push(JSON.parse(toJSON(rows)));
  return { results, logs };
}

test('mock(plugin=) with rows: every call gives all of them; with lists: one list per call, then again from the first', async () => {
  const all = await statements(`LET _ <= mock(plugin='pslist', results=[dict(Pid=12, Name='word.exe'), dict(Pid=10, Name='notepad.exe')])
SELECT * FROM pslist()
SELECT Name FROM pslist() WHERE Pid = 10`);
  assert.deepEqual(all.results, [[{ Pid: 12, Name: 'word.exe' }, { Pid: 10, Name: 'notepad.exe' }], [{ Name: 'notepad.exe' }]]);
  assert.deepEqual(all.logs, []);
  const turns = await statements(`LET _ <= mock(plugin='pslist', results=[(dict(Pid=10),), (dict(Pid=12), dict(Pid=13))])
SELECT * FROM pslist()
SELECT * FROM pslist()
SELECT * FROM pslist()`);
  assert.deepEqual(turns.results, [[{ Pid: 10 }], [{ Pid: 12 }, { Pid: 13 }], [{ Pid: 10 }]]);
});

test('mock() replaces only in its own session: another query sees the real plugin', async () => {
  const registry = createHostRegistry();
  await statements(`LET _ <= mock(plugin='pslist', results=[dict(Pid=-1)])`, registry);
  const real = await statements(`SELECT Pid FROM pslist() WHERE Pid = getpid()`, registry);
  assert.deepEqual(real.results, [[{ Pid: process.pid }]]);
});

test('mock(function=) gives the next result on each call; query() and artifacts started by the session see the mocks', async () => {
  writeFileSync(join(DIR, 'Info.yaml'), `name: Test.Mock.Info
sources:
  - query: SELECT Hostname, upcase(string="x") AS U FROM info()
`);
  const registry = createHostRegistry();
  installArtifactPlugins(registry, new Repository({ builtinDir: null, definitions: [DIR] }));
  const { results, logs } = await statements(`LET _ <= mock(function='upcase', results=['ONE', 'TWO'])
LET _ <= mock(plugin='info', results=[dict(Hostname='victim')])
SELECT upcase(string='a') AS A, upcase(string='b') AS B, upcase(string='c') AS C FROM scope()
SELECT * FROM query(query="SELECT Hostname FROM info()", inherit=TRUE)
SELECT Hostname, U FROM Artifact.Test.Mock.Info()`, registry);
  assert.deepEqual(logs, []);
  assert.deepEqual(results, [[{ A: 'ONE', B: 'TWO', C: 'ONE' }], [{ Hostname: 'victim' }], [{ Hostname: 'victim', U: 'TWO' }]]);
});

test('mock(artifact=) replaces an artifact; naming none or two targets is an error', async () => {
  writeFileSync(join(DIR, 'Real.yaml'), `name: Test.Mock.Real
sources:
  - query: SELECT 'real' AS Place FROM scope()
`);
  const registry = createHostRegistry();
  installArtifactPlugins(registry, new Repository({ builtinDir: null, definitions: [DIR] }));
  const { results } = await statements(`LET _ <= mock(artifact='Test.Mock.Real', results=[dict(Place='mocked')])
SELECT * FROM Artifact.Test.Mock.Real()`, registry);
  assert.deepEqual(results, [[{ Place: 'mocked' }]]);
  const bad = await query(`SELECT mock(results=[1]) AS A, mock(plugin='a', function='b', results=[1]) AS B FROM scope()`);
  assert.deepEqual(bad.rows, [{ A: null, B: null }]);
  assert.equal(bad.logs.filter((l) => /mock: name exactly one of plugin=, function= or artifact=/.test(l)).length, 2);
});

test('pipe(): read_file over the pipe accessor gives each row\'s first column followed by sep', async () => {
  const { rows, logs } = await query(`LET MyPipe = pipe(query={ SELECT _value, 'ignored' AS B FROM range(start=0, end=4, step=1) }, sep="\\n")
LET NoSep = pipe(query={ SELECT * FROM foreach(row=['a', 'b']) })
SELECT read_file(filename="MyPipe", accessor="pipe") AS A, read_file(filename="NoSep", accessor="pipe") AS B FROM scope()`);
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ A: '0\n1\n2\n3\n', B: 'ab' }]);
});

test('a pipe feeds parsers that read files, and a pipe over a never-ending query is read as far as asked', async () => {
  const lines = await query(`LET Lines = pipe(query={ SELECT format(format='line %v', args=_value) FROM range(start=1, end=4) }, sep="\\n")
SELECT Line FROM parse_lines(filename="Lines", accessor="pipe")`);
  assert.deepEqual(lines.rows.map((r) => r.Line), ['line 1', 'line 2', 'line 3']);
  const endless = await query(`LET Ticks = pipe(query={ SELECT 'tick' FROM clock(period=0) }, sep=",")
SELECT read_file(filename="Ticks", accessor="pipe", length=12) AS T FROM scope()`);
  assert.deepEqual(endless.rows, [{ T: 'tick,tick,ti' }]);
});

test('the pipe accessor names what is wrong: no such variable, not a pipe', async () => {
  const { rows, logs } = await query(`LET NotPipe = 'text'
SELECT read_file(filename="Missing", accessor="pipe") AS A, read_file(filename="NotPipe", accessor="pipe") AS B FROM scope()`);
  assert.deepEqual(rows, [{ A: '', B: '' }]);
  assert.ok(logs.some((l) => /pipe accessor: no variable Missing/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /pipe accessor: NotPipe is not a pipe\(\)/.test(l)), logs.join('\n'));
});

test('eval(func=) calls the lambda with the scope: x.Name is a variable lookup', async () => {
  assert.deepEqual((await value(`eval(func="x=>1+1")`)).v, 2);
  assert.deepEqual((await value(`eval(func="x=>x.Host + '!'")`, { Host: 'box' })).v, 'box!');
  const bad = await value(`eval(func="x=>")`);
  assert.equal(bad.v, null);
  assert.ok(bad.logs.some((l) => /invalid lambda/.test(l)), bad.logs.join('\n'));
});

test('atexit() runs its query when the run ends, also after the run was cancelled, last registered first', async () => {
  const marker = join(DIR, 'atexit.txt');
  const registry = createHostRegistry({ allowExecve: true });
  const stop = new AbortController();
  const logs: string[] = [];
  const rows = await collect(`LET Out <= '${marker.replace(/\\/g, '\\\\')}'
SELECT atexit(query={ SELECT copy(filename='first', accessor='data', dest=Out + '.1') FROM scope() }) AS A,
       atexit(query={ SELECT copy(filename=Word, accessor='data', dest=Out) FROM scope() }, env=dict(Word='second')) AS B
FROM scope()`, { registry, signal: stop.signal, log: (l, m) => logs.push(`${l}: ${m}`) });
  assert.deepEqual(JSON.parse(toJSON(rows)), [{ A: true, B: true }]);
  stop.abort();
  assert.equal(existsSync(marker), false, 'nothing runs before the run ends');
  await finishRun(registry);
  assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
  assert.equal(readFileSync(marker, 'utf8'), 'second');
  assert.equal(readFileSync(`${marker}.1`, 'utf8'), 'first');
});

test('similarity(): 1 for the same dicts, the share of equal keys otherwise, nested dicts flattened', async () => {
  assert.equal((await value(`similarity(set1=dict(A=1, B='x'), set2=dict(A=1, B='x'))`)).v, 1);
  assert.equal((await value(`similarity(set1=dict(A=1, B=dict(C=2, D=3)), set2=dict(A=1, B=dict(C=2, D=4)))`)).v, 2 / 3);
  assert.equal((await value(`similarity(set1=dict(A=1), set2=dict(B=1))`)).v, 0);
  const bad = await value(`similarity(set1='no', set2=dict())`);
  assert.equal(bad.v, null);
  assert.ok(bad.logs.some((l) => /similarity: argument set1: expected a dict/.test(l)), bad.logs.join('\n'));
});

test('verify(): an artifact\'s YAML or name checked as `vql artifacts verify` does', async () => {
  const yaml = `name: Custom.Verify.Me
sources:
  - query: SELECT * FROM pslist() WHERE nosuchfunction(x=1)
`;
  const { rows } = await query(`SELECT verify(artifact=Y) AS Text, verify(artifact='Linux.Sys.Users') AS Named, verify(artifact='name: [') AS Broken FROM scope()`, { vars: { Y: yaml } });
  assert.equal(rows[0]!.Text.Artifact, 'Custom.Verify.Me');
  assert.deepEqual(rows[0]!.Text.Errors, []);
  assert.equal(rows[0]!.Text.Warnings.length, 1);
  assert.match(rows[0]!.Text.Warnings[0], /^3:\d+: unknown function nosuchfunction/);
  assert.deepEqual(rows[0]!.Named, { Artifact: 'Linux.Sys.Users', Errors: [], Warnings: [] });
  assert.equal(rows[0]!.Broken.Artifact, '');
  assert.match(rows[0]!.Broken.Errors[0], /^1:\d+: YAML: /);
});
