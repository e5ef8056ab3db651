// proc_yara() and the `process` accessor on a child process the test starts, holding known
// strings in its memory (Linux: /proc/<pid>/maps and /proc/<pid>/mem).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { query } from './helpers.ts';

const skip = process.platform !== 'linux' && 'process memory is read through /proc (Linux)';

// The marker is assembled at run time, so only the Buffer holds it whole (not the script text).
const MARKER = 'PROCYARA' + 'TEST' + 'marker42';
const RULE = `rule marker { meta: author = "test" strings: $m = "${MARKER}" condition: $m }`;
let child: ChildProcess;

before(async () => {
  if (skip) return;
  const script = "const m = 'PROCYARA' + 'TEST' + 'marker42'; const a = Buffer.from('<<' + m + '>>'); const b = Buffer.from('[[' + m + ']]');" +
    " process.stdout.write('ready\\n'); setInterval(() => a.length + b.length, 1000);";
  child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
});
after(() => {
  child?.kill();
});

test('proc_yara finds a string in a process\'s memory: Rule, Meta, String {Name, Offset (address), Data}, FileName', { skip }, async () => {
  const { rows, logs } = await query(`SELECT Rule, Meta, Tags, String.Name AS Name, String.Offset AS Offset, String.Data AS Data, FileName
    FROM proc_yara(pid=Pid, rules=R)`, { vars: { Pid: child.pid, R: RULE } });
  assert.deepEqual(logs, []);
  assert.equal(rows.length, 1, 'number defaults to 1');
  const r = rows[0]!;
  assert.deepEqual({ ...r, Offset: typeof r.Offset }, { Rule: 'marker', Meta: { author: 'test' }, Tags: [], Name: '$m', Offset: 'number', Data: MARKER, FileName: `/${child.pid}` });
  // The offset is a virtual address: the process accessor reads the marker back from there.
  const back = await query(`SELECT read_file(accessor='process', filename=format(format='/%d', args=Pid), offset=Off, length=L) AS D FROM scope()`,
    { vars: { Pid: child.pid, Off: r.Offset, L: MARKER.length } });
  assert.deepEqual(back.rows, [{ D: MARKER }]);
  assert.deepEqual(back.logs, []);
});

test('proc_yara context= adds bytes either side; number= allows more hits', { skip }, async () => {
  const { rows } = await query(`SELECT String.Data AS Data, String.HexData AS Hex FROM proc_yara(pid=Pid, rules=R, context=2, number=10)`, { vars: { Pid: child.pid, R: RULE } });
  const data = rows.map((r) => r.Data as string);
  assert.ok(data.includes(`<<${MARKER}>>`), JSON.stringify(data));
  assert.ok(data.includes(`[[${MARKER}]]`), JSON.stringify(data));
  assert.ok(rows.length >= 2 && rows.length <= 10, String(rows.length));
  assert.match((rows[0]!.Hex as string[])[0]!, /^00000000  [0-9a-f]{2} /);
});

test('proc_yara: no match gives no rows; the shorthand rule form works', { skip }, async () => {
  const none = await query(`SELECT * FROM proc_yara(pid=Pid, rules='rule absent { strings: $a = "ZQXJ-absent-from-the-child" condition: $a }')`, { vars: { Pid: child.pid } });
  assert.deepEqual(none.rows, []);
  assert.deepEqual(none.logs, []);
  const short = await query(`SELECT String.Data AS D FROM proc_yara(pid=Pid, rules='ascii: ' + M)`, { vars: { Pid: child.pid, M: MARKER } });
  assert.deepEqual(short.rows, [{ D: MARKER }]);
});

test('proc_yara bad input: rules that do not compile, a bad pid, a process that does not exist', { skip }, async () => {
  const bad = await query(`SELECT * FROM proc_yara(pid=Pid, rules='rule x { condition: nosuch }')`, { vars: { Pid: child.pid } });
  assert.deepEqual(bad.rows, []);
  assert.ok(bad.logs.some((l) => /^error: proc_yara: argument rules: the rules do not compile: line 1/.test(l)), bad.logs.join('\n'));
  const zero = await query(`SELECT * FROM proc_yara(pid=0, rules=R)`, { vars: { R: RULE } });
  assert.ok(zero.logs.some((l) => /^error: proc_yara: argument pid: 0 is not a process id/.test(l)), zero.logs.join('\n'));
  const gone = await query(`SELECT * FROM proc_yara(pid=2147483000, rules=R)`, { vars: { R: RULE } });
  assert.deepEqual(gone.rows, []);
  assert.deepEqual(gone.logs, ['warn: proc_yara: argument pid: cannot read the memory of process 2147483000: no such process (it has exited, or is a kernel thread); skipped']);
  // yara() over the process accessor treats a process it cannot read the same way (artifacts
  // such as Windows.Carving.CobaltStrike scan every process with it).
  const viaYara = await query(`SELECT * FROM yara(accessor='process', files='2147483000', rules=R)`, { vars: { R: RULE } });
  assert.deepEqual(viaYara.rows, []);
  assert.deepEqual(viaYara.logs, ['warn: yara: argument files: cannot read the memory of process 2147483000: no such process (it has exited, or is a kernel thread); skipped']);
});

test('the process accessor: reads stop at a region end; stat/upload are refused with a clear message', { skip }, async () => {
  const { rows, logs } = await query(`SELECT read_file(accessor='process', filename=format(format='/%d', args=Pid), offset=0, length=16) AS Zero,
    stat(accessor='process', filename=format(format='/%d', args=Pid)) AS St,
    read_file(accessor='process', filename='not-a-pid') AS Bad FROM scope()`, { vars: { Pid: child.pid } });
  assert.deepEqual(rows, [{ Zero: '', St: null, Bad: '' }]);
  assert.ok(logs.some((l) => /stat/.test(l) && /sparse and cannot be stat-ed or uploaded/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /"not-a-pid" is not a process path: use \/<pid>/.test(l)), logs.join('\n'));
});
