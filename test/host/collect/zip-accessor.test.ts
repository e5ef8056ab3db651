import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { testRun, type TestRun } from './helpers.ts';
import { ZipWriter } from '../../../main/host/collect/zip-write.ts';
import { readZipDirectory } from '../../../main/host/collect/zip-read.ts';
import { memoryReader } from '../../../main/host/files/accessors.ts';
import { Session, parseScript, toJSON } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';

let t: TestRun;
let dir = '';
let zipFile = '';
const big = Buffer.alloc(3 * 2 ** 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;

before(() => {
  t = testRun();
  dir = mkdtempSync(join(tmpdir(), 'vql-zip-test-'));
  const inner = zipSync({ 'deep/inner.txt': strToU8('inside the inner zip') });
  const mtime = new Date('2020-01-02T03:04:06Z');
  writeFileSync(join(dir, 'inner.zip'), inner);
  zipFile = join(dir, 'x.zip');
  writeFileSync(zipFile, zipSync({
    'a.txt': [strToU8('hello zip\n'), { mtime, level: 0 }],
    'dir/b.txt': [strToU8('b'.repeat(10000)), { mtime, level: 9 }],
    'dir/sub/c.bin': [big, { mtime, level: 6 }],
    'C%3A/Windows/é ü.txt': [strToU8('escaped names stay escaped'), { mtime }],
    'inner.zip': [inner, { level: 0 }],
    'inner-deflated.zip': [inner, { level: 9 }],
    'emptydir/': [new Uint8Array(0), {}],
  }));
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

test('zip accessor: glob lists members and made-up folders, with their file information', async () => {
  const { rows, logs } = await t.query(
    `SELECT OSPath.Path AS P, Name, Size, IsDir, Mode.String AS M, Mtime, Data FROM glob(globs='**', root=pathspec(DelegateAccessor='file', DelegatePath=Z), accessor='zip')`,
    { Z: zipFile },
  );
  assert.deepEqual(logs, []);
  const byPath = new Map(rows.map((r) => [r.P, r]));
  assert.deepEqual([...byPath.keys()].sort(), ['/C%3A', '/C%3A/Windows', '/C%3A/Windows/é ü.txt', '/a.txt', '/dir', '/dir/b.txt', '/dir/sub', '/dir/sub/c.bin', '/inner-deflated.zip', '/inner.zip'].sort());
  const a = byPath.get('/a.txt')!;
  assert.equal(a.Size, 10);
  assert.equal(a.IsDir, false);
  assert.equal(a.M, '-rwxr-xr-x');
  assert.equal(a.Mtime, '2020-01-02T03:04:06Z');
  assert.deepEqual(a.Data, { CompressedSize: 10, Method: 'stored' });
  assert.equal((byPath.get('/dir/b.txt')!.Data as Record<string, unknown>).Method, 'zlib');
  assert.equal(byPath.get('/dir')!.IsDir, true);
  assert.equal(byPath.get('/dir')!.M, 'drwxr-xr-x');
});

test('zip accessor: read_file, hash and stat through a pathspec; zip_nocase ignores case', async () => {
  const { rows } = await t.query(`
    LET Z = pathspec(DelegateAccessor='file', DelegatePath=ZF)
    SELECT read_file(filename=Z + 'a.txt', accessor='zip') AS A,
           read_file(filename=Z + 'dir/b.txt', accessor='zip', offset=9990) AS BTail,
           hash(path=Z + 'dir/sub/c.bin', accessor='zip').SHA256 AS CHash,
           stat(filename=Z + 'dir/sub/c.bin', accessor='zip').Size AS CSize,
           read_file(filename=Z + 'A.TXT', accessor='zip_nocase') AS NoCase,
           read_file(filename=Z + 'A.TXT', accessor='zip') AS Case
    FROM scope()`, { ZF: zipFile });
  assert.deepEqual(rows[0], { A: 'hello zip\n', BTail: 'bbbbbbbbbb', CHash: sha256(big), CSize: big.length, NoCase: 'hello zip\n', Case: '' });
});

test('zip accessor: a zip inside a zip (the delegate is a zip pathspec)', async () => {
  const { rows, logs } = await t.query(`
    LET Outer = pathspec(DelegateAccessor='file', DelegatePath=ZF, Path='inner.zip')
    LET Inner = pathspec(DelegateAccessor='zip', Delegate=Outer, Path='deep/inner.txt')
    LET Listing = SELECT OSPath.Path AS P FROM glob(globs='**', root=pathspec(DelegateAccessor='zip', Delegate=Outer), accessor='zip')
    SELECT read_file(filename=Inner, accessor='zip') AS Text, Listing.P AS Listed
    FROM scope()`, { ZF: zipFile });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows[0], { Text: 'inside the inner zip', Listed: ['/deep', '/deep/inner.txt'] });
  // The inner zip deflated in the outer one: read back and forth (each step back starts over).
  const { rows: d } = await t.query(`
    SELECT read_file(filename=pathspec(DelegateAccessor='zip', Delegate=pathspec(DelegateAccessor='file', DelegatePath=ZF, Path='inner-deflated.zip'), Path='deep/inner.txt'), accessor='zip') AS Text
    FROM scope()`, { ZF: zipFile });
  assert.equal(d[0]!.Text, 'inside the inner zip');
});

test('zip accessor: uploading a member stores it under uploads/zip/<member path>', async () => {
  const { rows } = await t.query(`SELECT upload(file=pathspec(DelegateAccessor='file', DelegatePath=ZF, Path='dir/sub/c.bin'), accessor='zip') AS U FROM scope()`, { ZF: zipFile });
  const u = rows[0]!.U as Record<string, unknown>;
  assert.equal(u.StoredName, '/uploads/zip/dir/sub/c.bin');
  assert.equal(u.sha256, sha256(big));
  assert.equal(u.Size, big.length);
});

test('zip accessor: damaged and hostile zips are clear errors, and the query goes on', async () => {
  const good = zipSync({ 'f.txt': [strToU8('x'.repeat(5000)), { level: 9 }] });
  // A checksum that does not match.
  const badCrc = Buffer.from(good);
  const cd = badCrc.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  badCrc.writeUInt32LE(0xdeadbeef, cd + 16);
  badCrc.writeUInt32LE(0xdeadbeef, 14);
  writeFileSync(join(dir, 'badcrc.zip'), badCrc);
  // A member that says it holds 100 bytes but inflates to 5000 (a bomb hiding its size).
  const liar = Buffer.from(good);
  liar.writeUInt32LE(100, cd + 24);
  writeFileSync(join(dir, 'liar.zip'), liar);
  writeFileSync(join(dir, 'notzip.zip'), 'this is not a zip at all');
  writeFileSync(join(dir, 'cut.zip'), good.subarray(0, good.length - 30));
  const { rows, logs } = await t.query(`
    SELECT read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=D + '/badcrc.zip', Path='f.txt'), accessor='zip') AS BadCrc,
           read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=D + '/liar.zip', Path='f.txt'), accessor='zip') AS Liar,
           read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=D + '/notzip.zip', Path='f.txt'), accessor='zip') AS NotZip,
           read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=D + '/cut.zip', Path='f.txt'), accessor='zip') AS Cut,
           read_file(filename='/plain/path', accessor='zip') AS NoDelegate,
           'next' AS Next
    FROM scope()`, { D: dir });
  assert.deepEqual(rows[0], { BadCrc: '', Liar: '', NotZip: '', Cut: '', NoDelegate: '', Next: 'next' });
  const text = logs.join('\n');
  assert.match(text, /checksum does not match/);
  assert.match(text, /inflates to more than its declared 100 bytes/);
  assert.match(text, /not a zip file/);
  assert.match(text, /end-of-central-directory|past the end/);
  assert.match(text, /names no zip: give a pathspec/);
});

test('zip accessor: names that would escape a folder are listed inside the zip, with a warning', async () => {
  writeFileSync(join(dir, 'slip.zip'), zipSync({ '../../evil.txt': strToU8('evil'), 'ok/../../x.txt': strToU8('x') }));
  const { rows, logs } = await t.query(`SELECT OSPath.Path AS P FROM glob(globs='**', root=pathspec(DelegateAccessor='file', DelegatePath=Z), accessor='zip')`, { Z: join(dir, 'slip.zip') });
  assert.deepEqual(rows.map((r) => r.P).sort(), ['/evil.txt', '/ok', '/ok/x.txt']);
  assert.ok(logs.some((l) => l.startsWith('warn') && l.includes("'..'") && l.includes('2 entries')), logs.join('\n'));
});

test('zip reader: ZIP64 records (written by our zip writer) are read', async () => {
  const path = join(dir, 'z64.zip');
  const w = await ZipWriter.create(path);
  const src = join(dir, 'src.bin');
  writeFileSync(src, 'zip64 body');
  // A size hint past 4 GiB makes the writer use ZIP64 headers for a small member.
  await (w as unknown as { addStream(n: string, c: Iterable<Uint8Array>, s: number, o: object): Promise<void> }).addStream('big/one.bin', [Buffer.from('zip64 body')], 0xffff0000, {});
  await w.addFile('two.txt', src, 10, { level: 0 });
  await w.close();
  const { rows, logs } = await t.query(`SELECT read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='big/one.bin'), accessor='zip') AS One, read_file(filename=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='two.txt'), accessor='zip') AS Two FROM scope()`, { Z: path });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows[0], { One: 'zip64 body', Two: 'zip64 body' });
});

test('zip reader: a ZIP64 end record (archives of more than 65535 entries)', async () => {
  // A zip whose end record says 0xffff entries: the ZIP64 end record has the real count.
  const one = zipSync({ 'only.txt': strToU8('one') }, { level: 0 });
  const eocd = one.length - 22;
  const view = new DataView(one.buffer, one.byteOffset, one.byteLength);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  const rec = Buffer.alloc(56);
  rec.writeUInt32LE(0x06064b50, 0);
  rec.writeBigUInt64LE(44n, 4);
  rec.writeBigUInt64LE(1n, 24);
  rec.writeBigUInt64LE(1n, 32);
  rec.writeBigUInt64LE(BigInt(cdSize), 40);
  rec.writeBigUInt64LE(BigInt(cdOffset), 48);
  const loc = Buffer.alloc(20);
  loc.writeUInt32LE(0x07064b50, 0);
  loc.writeBigUInt64LE(BigInt(eocd), 8);
  const end = Buffer.from(one.subarray(eocd));
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  const zip = Buffer.concat([one.subarray(0, eocd), rec, loc, end]);
  const d = await readZipDirectory(memoryReader(zip), zip.length);
  assert.deepEqual(d.entries.map((e) => e.name), ['only.txt']);
});

test('raw_file accessor: the path as it is, read at any offset; it cannot be globbed', async () => {
  const f = join(dir, 'raw.bin');
  writeFileSync(f, '0123456789');
  const { rows, logs } = await t.query(`SELECT read_file(filename=F, accessor='raw_file', offset=3, length=4) AS Part, stat(filename=F, accessor='raw_file').Size AS Size, stat(filename=F, accessor='raw_file').OSPath AS P FROM scope()`, { F: f });
  assert.deepEqual(rows[0], { Part: '3456', Size: 10, P: f });
  assert.deepEqual(logs, []);
  const { rows: g, logs: gl } = await t.query(`SELECT * FROM glob(globs='*', root=D, accessor='raw_file')`, { D: dir });
  assert.deepEqual(g, []);
  assert.ok(gl.some((l) => l.includes('cannot list directories')));
  if (process.platform === 'linux') {
    const { rows: dev } = await t.query(`SELECT read_file(filename='/dev/zero', accessor='raw_file', offset=1000000, length=3) AS Z FROM scope()`);
    assert.equal(dev[0]!.Z, '\u0000\u0000\u0000');
  }
});

test('zip accessor: a zip is kept for the query while it does not change, and read again once it does', async () => {
  const file = join(dir, 'changing.zip');
  writeFileSync(file, zipSync({ 'm.txt': strToU8('one') }));
  const logs: string[] = [];
  const session = new Session({ registry: createHostRegistry(), vars: { F: file }, log: (l, m) => logs.push(`${l}: ${m}`) });
  const read = `SELECT read_file(accessor='zip', filename=pathspec(DelegatePath=F, Path='/m.txt')) AS M FROM scope()`;
  const results: unknown[] = [];
  for await (const { rows } of session.executeAll(parseScript(`${read}\n${read}\n${read}`).statements)) {
    results.push(JSON.parse(toJSON(rows)));
    // After the first read the file changes (another size): the next read sees the new member.
    if (results.length === 1) writeFileSync(file, zipSync({ 'm.txt': strToU8('second, longer') }));
  }
  assert.deepEqual(results, [[{ M: 'one' }], [{ M: 'second, longer' }], [{ M: 'second, longer' }]]);
  assert.deepEqual(logs, []);
});

test('collector accessor: a collection\'s member names unescaped (C%3A is C:), found in any case; PathSpec.String names a member', async () => {
  const zip = join(dir, 'collection.zip');
  writeFileSync(zip, zipSync({
    'uploads/auto/C%3A/Windows/System32/config/SOFTWARE': strToU8('hive'),
    'uploads/ntfs/%5C%5C.%5CC%3A/%24Extend/%24UsnJrnl%3A%24J': strToU8('usn'),
    'results/Windows.KapeFiles.Targets%2FUploads.json': strToU8('{}\n'),
  }));
  const { rows, logs } = await t.query(
    `SELECT OSPath.Components AS C, OSPath.PathSpec.String AS S FROM glob(globs='**', root=pathspec(DelegateAccessor='file', DelegatePath=Z), accessor='collector') WHERE NOT IsDir ORDER BY S`,
    { Z: zip },
  );
  assert.deepEqual(logs, []);
  assert.deepEqual(rows.map((r) => r.C), [
    ['results', 'Windows.KapeFiles.Targets/Uploads.json'],
    ['uploads', 'auto', 'C:', 'Windows', 'System32', 'config', 'SOFTWARE'],
    ['uploads', 'ntfs', '\\\\.\\C:', '$Extend', '$UsnJrnl:$J'],
  ]);
  // The PathSpec string opens the member again (as a mount's DelegatePath does), whatever the case.
  const back = await t.query(`SELECT read_file(accessor='collector', filename=S) AS X, read_file(accessor='collector', filename=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='/uploads/auto/C:/windows/SYSTEM32/Config/software', path_type='zip')) AS Y FROM scope()`, { S: rows[1]!.S, Z: zip });
  assert.deepEqual(back.rows, [{ X: 'hive', Y: 'hive' }]);
  assert.deepEqual(back.logs, []);
});

test('collector accessor: a sparse upload (.idx) reads as the file it was, holes as zeros; a mostly-hole giant reads as stored, as Velociraptor', async () => {
  const zip = join(dir, 'sparse.zip');
  // Stored: "AAAAA" + "BBB"; the file: AAAAA, 5 bytes of hole, BBB.
  const idx = JSON.stringify({ ranges: [{ file_length: 5, length: 5 }, { file_offset: 5, original_offset: 5, length: 5 }, { file_offset: 5, original_offset: 10, file_length: 3, length: 3 }] });
  // The older index: one range per line.
  const lines = ['{"file_length":2,"length":2}', '{"file_offset":2,"original_offset":4,"file_length":2,"length":2}'].join('\n');
  // A $J-like file: 300 MiB of which 6 bytes are data.
  const giant = JSON.stringify({ ranges: [{ original_offset: 0, length: 300 * 2 ** 20 - 6 }, { original_offset: 300 * 2 ** 20 - 6, file_length: 6, length: 6 }] });
  writeFileSync(zip, zipSync({
    'uploads/ntfs/%5C%5C.%5CC%3A/sparse.bin': strToU8('AAAAABBB'),
    'uploads/ntfs/%5C%5C.%5CC%3A/sparse.bin.idx': strToU8(idx),
    'uploads/ntfs/%5C%5C.%5CC%3A/old.bin': strToU8('xxyy'),
    'uploads/ntfs/%5C%5C.%5CC%3A/old.bin.idx': strToU8(lines),
    'uploads/ntfs/%5C%5C.%5CC%3A/%24Extend/%24UsnJrnl%3A%24J': strToU8('RECORD'),
    'uploads/ntfs/%5C%5C.%5CC%3A/%24Extend/%24UsnJrnl%3A%24J.idx': strToU8(giant),
  }));
  // (The device component is quoted, as a generic path prints a component with separators.)
  const spec = (p: string) => JSON.stringify({ DelegateAccessor: 'file', DelegatePath: zip, Path: `/uploads/ntfs/"\\\\.\\C:"/${p}` });
  const P = (p: string) => `pathspec(parse=${JSON.stringify(spec(p))})`;
  const { rows, logs } = await t.query(`SELECT
      format(format='%x', args=read_file(accessor='collector', filename=${P('sparse.bin')})) AS Sparse,
      stat(accessor='collector', filename=${P('sparse.bin')}).Size AS SparseSize,
      format(format='%x', args=read_file(accessor='collector', filename=${P('old.bin')})) AS Old,
      read_file(accessor='collector', filename=${P('$Extend/$UsnJrnl:$J')}) AS J,
      stat(accessor='collector', filename=${P('$Extend/$UsnJrnl:$J')}).Size AS JSize
    FROM scope()`, { Z: zip });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{
    Sparse: Buffer.from('AAAAA\0\0\0\0\0BBB').toString('hex'),
    SparseSize: 13,
    Old: Buffer.from('xx\0\0yy').toString('hex'),
    J: 'RECORD',
    JSize: 6,
  }]);
  // A listing gives the same sizes as stat().
  const listed = await t.query(`SELECT Name, Size FROM glob(globs='**', root=pathspec(DelegateAccessor='file', DelegatePath=Z, Path='/uploads/ntfs'), accessor='collector') WHERE NOT IsDir ORDER BY Name`, { Z: zip });
  assert.deepEqual(listed.logs, []);
  assert.deepEqual(listed.rows.filter((r) => !String(r.Name).endsWith('.idx')), [
    { Name: '$UsnJrnl:$J', Size: 6 },
    { Name: 'old.bin', Size: 6 },
    { Name: 'sparse.bin', Size: 13 },
  ]);
});
