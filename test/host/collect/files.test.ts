import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { testRun } from './helpers.ts';
import { parsePermissions } from '../../../main/host/collect/copy.ts';

const posix = process.platform !== 'win32';

test('tempfile(): the data in a new file of the run\'s temp folder, removed when the run ends', async () => {
  const t = testRun();
  try {
    const { rows, logs } = await t.query(`SELECT tempfile(data=['a', 'b', 'c']) AS F, tempfile(data='x', extension='.ps1') AS E, tempfile(data='#!', permissions='x') AS X, tempfile(permissions='r') AS R FROM scope()`);
    assert.deepEqual(logs, []);
    const r = rows[0] as Record<string, string>;
    assert.equal(dirname(r.F), t.files.tempDir);
    assert.match(r.F.slice(t.files.tempDir.length + 1), /^tmp\d+$/);
    assert.equal(readFileSync(r.F, 'utf8'), 'abc');
    assert.ok(r.E.endsWith('.ps1'));
    if (posix) {
      assert.equal(statSync(r.F).mode & 0o777, 0o600);
      assert.equal(statSync(r.X).mode & 0o777, 0o700);
      assert.equal(statSync(r.R).mode & 0o777, 0o400);
      assert.equal(statSync(t.files.tempDir).mode & 0o777, 0o700, 'the temp folder is private');
    }
    assert.notEqual(r.F, r.E);
  } finally {
    await t.close();
  }
  assert.equal(existsSync(t.files.tempDir), false, 'gone with the run');
});

test('tempdir(): a new folder in the temp folder, removed with what it holds', async () => {
  const t = testRun();
  let d = '';
  try {
    const { rows } = await t.query(`SELECT tempdir() AS D, tempdir(remove_last=TRUE) AS D2 FROM scope()`);
    d = rows[0]!.D as string;
    assert.equal(dirname(d), t.files.tempDir);
    assert.ok(statSync(d).isDirectory());
    assert.notEqual(d, rows[0]!.D2);
    writeFileSync(join(d, 'inside'), 'x');
  } finally {
    await t.close();
  }
  assert.equal(existsSync(d), false);
});

test('tempfile(): a temp folder path taken by someone else is refused (false, logged)', async () => {
  const t = testRun();
  try {
    mkdirSync(t.files.tempDir, { mode: 0o777 });
    if (posix) {
      const { chmodSync } = await import('node:fs');
      chmodSync(t.files.tempDir, 0o777);
    }
    const { rows, logs } = await t.query(`SELECT tempfile(data='x') AS F FROM scope()`);
    if (posix) {
      assert.equal(rows[0]!.F, false);
      assert.ok(logs.some((l) => l.includes('is not this run\'s')), logs.join('\n'));
    }
  } finally {
    await t.close();
  }
});

test('rm(): needs the execve opt-in; then true when removed, false when absent', async () => {
  const off = testRun();
  try {
    const f = join(off.dir, 'victim');
    writeFileSync(f, 'x');
    const { rows, logs } = await off.query(`SELECT rm(filename=F) AS R FROM scope()`, { F: f });
    assert.equal(rows[0]!.R, false);
    assert.ok(existsSync(f), 'not removed without the opt-in');
    assert.ok(logs.some((l) => l.startsWith('error: rm:') && l.includes('--allow-execve')), logs.join('\n'));
  } finally {
    await off.close();
  }
  const on = testRun({ allowExecve: true });
  try {
    const f = join(on.dir, 'victim');
    writeFileSync(f, 'x');
    mkdirSync(join(on.dir, 'full'));
    writeFileSync(join(on.dir, 'full', 'kept'), 'x');
    const { rows } = await on.query(`SELECT rm(filename=F) AS R, rm(filename=F) AS Again, rm(filename=pathspec(Path=F, path_type='linux')) AS ByPath, rm(filename=Full) AS Full FROM scope()`, { F: f, Full: join(on.dir, 'full') });
    assert.equal(rows[0]!.R, true);
    assert.equal(rows[0]!.Again, false, 'absent: false');
    assert.equal(existsSync(f), false);
    // A folder that is not empty is not removed (never a whole tree): true, and tried again at the end.
    assert.equal(rows[0]!.Full, true);
    assert.ok(existsSync(join(on.dir, 'full', 'kept')));
  } finally {
    await on.close();
  }
});

test('copy(): into the temp folder needs no opt-in; elsewhere it does', async () => {
  const t = testRun();
  try {
    const src = join(t.dir, 'src.txt');
    writeFileSync(src, 'payload');
    const { rows, logs } = await t.query(`
      LET D <= tempdir()
      SELECT copy(filename=Src, dest=D + '/package_amd64.deb') AS InTemp,
             copy(filename='literal', accessor='data', dest=D + '/lit.txt', permissions='0640') AS Lit,
             copy(filename=Src, dest=Out) AS Outside,
             copy(filename=Src, dest=D + '/../../escape.txt') AS DotDot
      FROM scope()`, { Src: src, Out: join(t.dir, 'out.txt') });
    const r = rows[0] as Record<string, string | null>;
    assert.equal(readFileSync(r.InTemp!, 'utf8'), 'payload');
    assert.equal(readFileSync(r.Lit!, 'utf8'), 'literal');
    if (posix) assert.equal(statSync(r.Lit!).mode & 0o777, 0o640);
    assert.equal(r.Outside, null);
    assert.equal(r.DotDot, null);
    assert.equal(existsSync(join(t.dir, 'out.txt')), false);
    assert.ok(logs.some((l) => l.startsWith('error: copy:') && l.includes('--allow-execve')), logs.join('\n'));
    assert.ok(logs.some((l) => l.startsWith('info: copy: Copying file from') && l.includes('src.txt')), 'audited');
    assert.ok(!logs.some((l) => l.includes('Copying file from literal')), 'not for the data accessor');
  } finally {
    await t.close();
  }
});

test('copy(): a link inside the temp folder cannot lead out of it', { skip: !posix && 'symlinks need privileges on Windows' }, async () => {
  const t = testRun();
  try {
    const { rows } = await t.query(`SELECT tempdir() AS D FROM scope()`);
    const d = rows[0]!.D as string;
    mkdirSync(join(t.dir, 'outside'));
    symlinkSync(join(t.dir, 'outside'), join(d, 'link'));
    const { rows: r, logs } = await t.query(`SELECT copy(filename='x', accessor='data', dest=L + '/f.txt') AS C FROM scope()`, { L: join(d, 'link') });
    assert.equal(r[0]!.C, null);
    assert.equal(existsSync(join(t.dir, 'outside', 'f.txt')), false);
    assert.ok(logs.some((l) => l.includes('leads out of the temp folder')), logs.join('\n'));
  } finally {
    await t.close();
  }
});

test('copy(): with the opt-in, append, create_directories and permissions; bad input is NULL and logged', async () => {
  const t = testRun({ allowExecve: true });
  try {
    const out = join(t.dir, 'deep', 'er', 'out.txt');
    const { rows } = await t.query(`
      SELECT copy(filename='one', accessor='data', dest=Out, create_directories=TRUE, permissions='rwxr-x---', dir_permissions='0750') AS A,
             copy(filename='two', accessor='data', dest=Out, append=TRUE) AS B
      FROM scope()`, { Out: out });
    assert.equal(rows[0]!.A, out);
    assert.equal(rows[0]!.B, out);
    assert.equal(readFileSync(out, 'utf8'), 'onetwo');
    if (posix) {
      assert.equal(statSync(out).mode & 0o777, 0o750);
      assert.equal(statSync(join(t.dir, 'deep')).mode & 0o777, 0o750);
    }
    const { rows: bad, logs } = await t.query(`
      SELECT copy(filename='x', accessor='data', dest=Missing, append=TRUE) AS NoFile,
             copy(filename='x', accessor='data', dest=Out, permissions='banana') AS BadMode,
             copy(filename=Nope, dest=Out2) AS NoSource,
             copy(filename='x', accessor='data', dest=Deep) AS NoDir
      FROM scope()`, { Missing: join(t.dir, 'missing.txt'), Out: out, Out2: join(t.dir, 'o2'), Nope: join(t.dir, 'nope'), Deep: join(t.dir, 'no', 'such', 'dir', 'f') });
    assert.deepEqual(bad[0], { NoFile: null, BadMode: null, NoSource: null, NoDir: null });
    assert.equal(existsSync(join(t.dir, 'missing.txt')), false, 'append never creates');
    assert.equal(logs.filter((l) => l.startsWith('error: copy:')).length, 4, logs.join('\n'));
    assert.ok(logs.some((l) => l.includes('banana')));
  } finally {
    await t.close();
  }
});

test('copy(): permission texts', () => {
  assert.equal(parsePermissions('0755'), 0o755);
  assert.equal(parsePermissions('644'), 0o644);
  assert.equal(parsePermissions('rwxr-xr-x'), 0o755);
  assert.equal(parsePermissions('-rw-r-----'), 0o640);
  assert.equal(parsePermissions('rwx'), undefined);
  assert.equal(parsePermissions('0999'), undefined);
});
