// The accessors remapping configs use, on real files: `offset` (a partition inside a disk
// image, as Generic.Utils.DeadDiskRemapping writes it) and `file_nocase` (a triage folder whose
// case differs from what artifacts ask for).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, toJSON } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';

let dir = '';
const registry = createHostRegistry();

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-remap-acc-'));
  // A "disk": a 4 KiB header, then the "partition".
  const header = Buffer.alloc(4096, 0xee);
  header.write('DISKHDR', 0);
  writeFileSync(join(dir, 'disk.img'), Buffer.concat([header, Buffer.from('PARTITION START|the rest of the partition')]));
  mkdirSync(join(dir, 'Triage', 'Windows', 'System32', 'config'), { recursive: true });
  writeFileSync(join(dir, 'Triage', 'Windows', 'System32', 'config', 'SOFTWARE'), 'hive bytes');
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function run(vql: string, vars: Record<string, unknown> = {}): Promise<{ rows: Array<Record<string, unknown>>; logs: string[] }> {
  const logs: string[] = [];
  const rows = await collect(vql, { registry, vars: { Dir: dir, ...vars }, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

test('offset: the delegate\'s bytes from the offset on, as DeadDiskRemapping nests it', async () => {
  const r = await run(`
    LET Image = Dir + '/disk.img'
    LET Part = pathspec(DelegateAccessor='file', DelegatePath=Image, Path='4096')
    SELECT read_file(filename=Part, accessor='offset', length=15) AS Start,
           read_file(filename=Part, accessor='offset', offset=16, length=100) AS Rest,
           read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=Image, Path='0'), accessor='offset', length=7) AS Header,
           read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=Image, Path='99999'), accessor='offset') AS Past
    FROM scope()
    -- As a nested delegate: another accessor reading through offset (data read from it).
    SELECT read_file(accessor='sparse', filename=pathspec(DelegateAccessor='offset', Delegate=Part, Path='[{"Offset":0,"Length":9}]')) AS Sparse FROM scope()`);
  assert.deepEqual(r.logs.filter((l) => !l.startsWith('debug')), []);
  assert.deepEqual(r.rows, [
    { Start: 'PARTITION START', Rest: 'the rest of the partition', Header: 'DISKHDR', Past: '' },
    { Sparse: 'PARTITION' },
  ]);
});

test('offset: a Path that is not a byte offset, a pathspec with no file: clear errors', async () => {
  const r = await run(`
    SELECT read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=Dir + '/disk.img', Path='start'), accessor='offset') AS A,
           read_file(filename='4096', accessor='offset') AS B
    FROM scope()`);
  assert.deepEqual(r.rows, [{ A: '', B: '' }]);
  const errors = r.logs.filter((l) => !l.startsWith('debug'));
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0]!, /offset accessor: the Path of .* must be a byte offset in decimal \(e\.g\. "1048576"\), not "\/start"/);
  assert.match(errors[1]!, /offset accessor: 4096 names no file: give a pathspec/);
});

test('file_nocase: mixed-case paths find the real files; listings show the real names', async () => {
  const r = await run(`
    SELECT read_file(filename=Dir + '/triage/WINDOWS/system32/Config/software', accessor='file_nocase') AS Data FROM scope()
    SELECT OSPath.Basename AS Name FROM glob(globs='*', root=Dir + '/TRIAGE/windows/SYSTEM32', accessor='file_nocase')
    SELECT read_file(filename=Dir + '/triage/Windows/System32/Config/NoSuchHive', accessor='file_nocase') AS Missing FROM scope()`);
  assert.deepEqual(r.rows, [{ Data: 'hive bytes' }, { Name: 'config' }, { Missing: '' }]);
  const problems = r.logs.filter((l) => !l.startsWith('debug'));
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /ENOENT: no such file or directory \(case-insensitive\), '.*\/triage\/Windows\/System32\/Config\/NoSuchHive'/);
});
