import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { testRun } from './helpers.ts';

let dir = '';
const hasZip = spawnSync('zip', ['-v']).status === 0;
const big = Buffer.alloc(3 * 2 ** 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-unzip-test-'));
  // A zip made by Info-ZIP's zip (when installed), else by fflate.
  const src = join(dir, 'src');
  mkdirSync(join(src, 'etc', 'conf.d'), { recursive: true });
  writeFileSync(join(src, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(src, 'etc', 'conf.d', 'a.conf'), 'x=1\n');
  writeFileSync(join(src, 'big.bin'), big);
  if (hasZip) execFileSync('zip', ['-qr', join(dir, 'tool.zip'), 'etc', 'big.bin'], { cwd: src });
  else writeFileSync(join(dir, 'tool.zip'), zipSync({ 'etc/hosts': strToU8('127.0.0.1 localhost\n'), 'etc/conf.d/a.conf': strToU8('x=1\n'), 'big.bin': big }));
  // Zip-slip names (fflate writes names as given).
  writeFileSync(join(dir, 'evil.zip'), zipSync({
    'ok.txt': strToU8('fine'),
    '../escaped.txt': strToU8('evil'),
    'a/../../escaped2.txt': strToU8('evil'),
    '/abs.txt': strToU8('evil'),
    'C:/drive.txt': strToU8('evil'),
    'a\\..\\..\\back.txt': strToU8('evil'),
  }));
  // Many members, for cancellation.
  const many: Record<string, Uint8Array> = {};
  for (let i = 0; i < 50; i++) many[`m${String(i).padStart(2, '0')}.txt`] = strToU8(`member ${i}`);
  writeFileSync(join(dir, 'many.zip'), zipSync(many));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('unzip(): every member into a folder of the temp folder; rows; filename_filter', async () => {
  const t = testRun();
  try {
    const { rows, logs } = await t.query(`
      LET D <= tempdir()
      SELECT OriginalPath, NewPath, Size FROM unzip(filename=Z, output_directory=D + '/out') ORDER BY OriginalPath`, { Z: join(dir, 'tool.zip') });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows.map((r) => [r.OriginalPath, r.Size]), [['big.bin', big.length], ['etc/conf.d/a.conf', 4], ['etc/hosts', 20]]);
    for (const r of rows) assert.ok(String(r.NewPath).startsWith(t.files.tempDir) && String(r.NewPath).endsWith(String(r.OriginalPath)), String(r.NewPath));
    const byName = new Map(rows.map((r) => [r.OriginalPath, String(r.NewPath)]));
    assert.ok(readFileSync(byName.get('big.bin')!).equals(big));
    assert.equal(readFileSync(byName.get('etc/hosts')!, 'utf8'), '127.0.0.1 localhost\n');

    const f = await t.query(`
      LET D <= tempdir()
      SELECT OriginalPath FROM unzip(filename=Z, output_directory=D, filename_filter='\\.CONF$')`, { Z: join(dir, 'tool.zip') });
    assert.deepEqual(f.rows, [{ OriginalPath: 'etc/conf.d/a.conf' }]);
    // A zip inside a zip, through the zip accessor.
    writeFileSync(join(dir, 'outer.zip'), zipSync({ 'inner/tool.zip': [readFileSync(join(dir, 'tool.zip')), { level: 0 }] }));
    const n = await t.query(`
      LET D <= tempdir()
      SELECT OriginalPath FROM unzip(filename=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='inner/tool.zip'), accessor='zip', output_directory=D, filename_filter='hosts')`, { Z: join(dir, 'outer.zip') });
    assert.deepEqual(n.logs, []);
    assert.deepEqual(n.rows, [{ OriginalPath: 'etc/hosts' }]);
  } finally {
    await t.close();
  }
});

test('unzip(): zip-slip members are refused with a log line, the others extracted', async () => {
  const t = testRun({ allowExecve: true });
  try {
    const out = join(dir, 'slip', 'out');
    const { rows, logs } = await t.query(`SELECT OriginalPath FROM unzip(filename=Z, output_directory=O)`, { Z: join(dir, 'evil.zip'), O: out });
    assert.deepEqual(rows, [{ OriginalPath: 'ok.txt' }]);
    assert.equal(logs.length, 5, logs.join('\n'));
    for (const l of logs) assert.match(l, /^error: unzip: .*evil\.zip: refusing member '.*': its name .*\(zip-slip\)$/);
    assert.ok(logs.some((l) => l.includes("'../escaped.txt'") && l.includes("contains '..'")));
    assert.ok(logs.some((l) => l.includes("'/abs.txt'") && l.includes('absolute')));
    assert.deepEqual(readdirSync(join(dir, 'slip')), ['out']);
    assert.deepEqual(readdirSync(out), ['ok.txt']);
    assert.equal(existsSync(join(dir, 'escaped.txt')), false);
  } finally {
    await t.close();
  }
});

test('unzip(): outside the temp folder needs the opt-in; bad input is logged, no rows', async () => {
  const t = testRun();
  try {
    const out = join(dir, 'refused');
    const { rows, logs } = await t.query(`
      LET D <= tempdir()
      SELECT * FROM chain(
        a={ SELECT * FROM unzip(filename=Z, output_directory=O) },
        b={ SELECT * FROM unzip(filename=Z, output_directory=D + '/../../escape') },
        c={ SELECT * FROM unzip(filename=D + '/missing.zip', output_directory=D) },
        d={ SELECT * FROM unzip(filename=Txt, output_directory=D) },
        e={ SELECT * FROM unzip(filename=Z, output_directory=D, filename_filter='(') })`,
    { Z: join(dir, 'tool.zip'), O: out, Txt: join(dir, 'src', 'etc', 'hosts') });
    assert.deepEqual(rows, []);
    assert.equal(existsSync(out), false);
    assert.equal(logs.filter((l) => l.startsWith('error: unzip:') && l.includes('--allow-execve')).length, 2, logs.join('\n'));
    assert.ok(logs.some((l) => l.startsWith('error: unzip:') && l.includes('missing.zip')), logs.join('\n'));
    assert.ok(logs.some((l) => l.startsWith('error: unzip:') && l.includes('not a zip')), logs.join('\n'));
    assert.ok(logs.some((l) => l.includes('invalid regex')), logs.join('\n'));
  } finally {
    await t.close();
  }
  const on = testRun({ allowExecve: true });
  try {
    const out = join(dir, 'allowed');
    const { rows, logs } = await on.query(`SELECT OriginalPath, NewPath FROM unzip(filename=Z, output_directory=O, filename_filter='hosts')`, { Z: join(dir, 'tool.zip'), O: out });
    assert.deepEqual(logs, []);
    assert.deepEqual(rows, [{ OriginalPath: 'etc/hosts', NewPath: join(out, 'etc', 'hosts') }]);
    assert.equal(readFileSync(join(out, 'etc', 'hosts'), 'utf8'), '127.0.0.1 localhost\n');
  } finally {
    await on.close();
  }
});

test('unzip(): stops when the query is cancelled (LIMIT)', async () => {
  const t = testRun();
  try {
    const { rows } = await t.query(`
      LET D <= tempdir()
      SELECT OriginalPath FROM unzip(filename=Z, output_directory=D + '/many') LIMIT 3`, { Z: join(dir, 'many.zip') });
    assert.equal(rows.length, 3);
    const written = readdirSync(join(t.files.tempDir)).flatMap((d) => (existsSync(join(t.files.tempDir, d, 'many')) ? readdirSync(join(t.files.tempDir, d, 'many')) : []));
    assert.ok(written.length >= 3 && written.length < 50, `${written.length} files written`);
    const ac = new AbortController();
    ac.abort();
    const none = await t.query(`LET D <= tempdir() SELECT * FROM unzip(filename=Z, output_directory=D + '/none')`, { Z: join(dir, 'many.zip') }, ac.signal);
    assert.deepEqual(none.rows, []);
  } finally {
    await t.close();
  }
});
