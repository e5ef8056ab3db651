// The file_nocase accessor: Windows-cased paths find files on a case-sensitive filesystem, in
// read_file, stat, glob and upload-style reads; exact names win; misses are clear errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from './helpers.ts';
import { resolveNoCase } from '../../../main/host/more/file-nocase.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-nocase-'));
  await mkdir(join(dir, 'Windows', 'System32', 'config'), { recursive: true });
  await writeFile(join(dir, 'Windows', 'System32', 'config', 'SOFTWARE'), 'hive bytes');
  await writeFile(join(dir, 'Windows', 'System32', 'config', 'SAM'), 'sam');
  // Two names that differ only by case: the exact one wins.
  await writeFile(join(dir, 'Windows', 'Readme.txt'), 'upper R');
  await writeFile(join(dir, 'Windows', 'readme.txt'), 'lower r');
});
after(() => rm(dir, { recursive: true, force: true }));

test('file_nocase: read_file and stat find a file whatever the case of each component', async () => {
  const { rows, logs } = await query(`SELECT read_file(accessor='file_nocase', filename=D + '/windows/SYSTEM32/Config/software') AS Data,
    stat(accessor='file_nocase', filename=D + '/WINDOWS/system32/CONFIG/Sam').Size AS Size,
    read_file(accessor='file', filename=D + '/windows/SYSTEM32/Config/software') AS Plain FROM scope()`, { vars: { D: dir } });
  assert.deepEqual(rows, [{ Data: 'hive bytes', Size: 3, Plain: '' }]);
  assert.ok(logs.some((l) => /read_file/.test(l) && /ENOENT/.test(l)), `the file accessor stays case-sensitive: ${logs.join('\n')}`);
  assert.ok(!logs.some((l) => /file_nocase/.test(l)), logs.join('\n'));
});

test('file_nocase: an exact name wins over one that differs only by case; otherwise the first in name order', async () => {
  assert.equal(await resolveNoCase(join(dir, 'windows', 'readme.txt')), join(dir, 'Windows', 'readme.txt'));
  assert.equal(await resolveNoCase(join(dir, 'windows', 'Readme.txt')), join(dir, 'Windows', 'Readme.txt'));
  assert.equal(await resolveNoCase(join(dir, 'windows', 'README.TXT')), join(dir, 'Windows', 'Readme.txt'));
});

test('file_nocase: glob lists a directory named in the wrong case, with the real names', async () => {
  const { rows, logs } = await query(`SELECT Name, Size FROM glob(accessor='file_nocase', globs='*', root=D + '/WINDOWS/SYSTEM32/CONFIG') ORDER BY Name`, { vars: { D: dir } });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ Name: 'SAM', Size: 3 }, { Name: 'SOFTWARE', Size: 10 }]);
});

test('file_nocase: a path that matches nothing is a clear error naming the path', async () => {
  const { rows, logs } = await query(`SELECT read_file(accessor='file_nocase', filename=D + '/windows/nope/SAM') AS Data FROM scope()`, { vars: { D: dir } });
  assert.deepEqual(rows, [{ Data: '' }]);
  assert.ok(logs.some((l) => /^(warn|error): read_file/.test(l) && l.includes('case-insensitive') && l.includes('nope')), logs.join('\n'));
});
