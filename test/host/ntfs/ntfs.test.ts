/**
 * The NTFS reader (main/host/ntfs/) over real volumes: images made by ntfs-3g (mkntfs, then
 * filled through an ntfs-3g mount: image.ts) and checked against ntfs-3g's own tools (ntfsls,
 * ntfscat, ntfsinfo): listings, contents (fragmented, sparse, compressed, alternate streams),
 * MFT entry numbers, the raw_ntfs / ntfs / mft accessors, parse_ntfs, parse_mft over a copied
 * $MFT, and damaged volumes. LZNT1 and runlists are also checked on vectors built by hand.
 * Skipped (with the reason) where ntfs-3g or FUSE is missing. No mocks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, copyFile, open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, toJSON } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { localFileReader, readFull } from '../../../main/host/files/accessors.ts';
import { attributePieces } from '../../../main/host/ntfs/file-entry.ts';
import { Volume } from '../../../main/host/ntfs/volume.ts';
import { decompressLznt1, compressLznt1 } from '../../../main/host/ntfs/lznt1.ts';
import { decodeRunlist } from '../../../main/host/ntfs/runlist.ts';
import { resolveEntryPath } from '../../../main/host/ntfs/paths.ts';
import {
  buildTestVolume, ntfsSupport, ntfsls, ntfscat, ntfsInode, noise,
  BIG_CHUNK, BIG_CHUNKS, LINKS, LONG_NAME, MANY, SPARSE_AT, UNICODE_DIR, UNICODE_FILE, type TestVolume,
} from './image.ts';

let dir = '';
let vol: TestVolume | null = null;
let skip: string | null = null;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ntfs-test-'));
  skip = ntfsSupport(dir);
  if (!skip) vol = buildTestVolume(dir);
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Result {
  rows: Array<Record<string, any>>;
  logs: string[];
}

async function query(text: string, vars: Record<string, unknown> = {}): Promise<Result> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: createHostRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, any>>, logs };
}

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const spec = (image: string, path: string) => `pathspec(DelegatePath=${JSON.stringify(image)}, Path=${JSON.stringify(path)})`;

/** Every file and folder of the volume (below the root, metafiles included), by walking raw_ntfs. */
async function globAll(image: string): Promise<Array<Record<string, any>>> {
  const r = await query(`SELECT OSPath.Path AS P, Name, IsDir, Size, Data FROM glob(globs='/**', accessor='raw_ntfs', root=Root)`,
    { Root: { DelegatePath: image } });
  return r.rows;
}

// ---------------------------------------------------------------------------------------------
// Hand-built vectors (no volume needed).

test('LZNT1: a hand-encoded chunk, round trips and zero-filled short chunks', () => {
  // "abcabcabcabc" + "x": literals a b c, then a back reference (offset 3, length 9), then x.
  // At position 3 the offset field has 12 bits of length... (position < 16: 4 offset bits, 12 length bits).
  const token = ((3 - 1) << 12) | (9 - 3);
  const body = [0b0000_1000, 0x61, 0x62, 0x63, token & 0xff, token >> 8, 0x78];
  const header = 0xb000 | (body.length + 2 - 3);
  const src = Uint8Array.from([header & 0xff, header >> 8, ...body, 0, 0]);
  const out = decompressLznt1(src, 16, 'test');
  assert.equal(Buffer.from(out.subarray(0, 13)).toString(), 'abcabcabcabcx');
  assert.deepEqual([...out.subarray(13)], [0, 0, 0]);
  // Round trips through the test compressor, over several 4 KiB chunks of text and noise.
  const data = Buffer.concat([Buffer.from('the quick brown fox '.repeat(500)), noise(3000, 3), Buffer.from('z'.repeat(9000))]);
  const packed = compressLznt1(data);
  assert.ok(packed.length < data.length);
  assert.equal(md5(decompressLznt1(packed, 65536, 't').subarray(0, data.length)), md5(data));
  // An uncompressed chunk (bit 15 clear) is copied.
  const raw = Uint8Array.from([0xff, 0x3f, ...new Uint8Array(4096).fill(7)]);
  assert.ok(decompressLznt1(raw, 4096, 't').every((b) => b === 7));
  // A back reference before the chunk start is damage, named.
  const bad = Uint8Array.from([0x04, 0xb0, 0b0000_0001, 0x00, 0x50, 0, 0]);
  assert.throws(() => decompressLznt1(bad, 4096, 'unit 3'), /unit 3.*before the chunk start/);
});

test('runlists: signed relative offsets, sparse runs, damage named', () => {
  // 0x21: 1 length byte, 2 offset bytes. Run 1: 16 clusters at 0x1000; run 2: 8 at 0x1000-0x100;
  // run 3: sparse 4; run 4: 2 at +0x10 (from 0xF00).
  const b = Uint8Array.from([0x21, 0x10, 0x00, 0x10, 0x21, 0x08, 0x00, 0xff, 0x01, 0x04, 0x11, 0x02, 0x10, 0x00]);
  const runs = decodeRunlist(b, 0, b.length, 0, 1 << 20, 'w');
  assert.deepEqual(runs, [
    { vcn: 0, length: 16, lcn: 0x1000 }, { vcn: 16, length: 8, lcn: 0xf00 },
    { vcn: 24, length: 4, lcn: null }, { vcn: 28, length: 2, lcn: 0xf10 },
  ]);
  assert.throws(() => decodeRunlist(b, 0, b.length, 0, 0x1000, 'vol.dd, MFT entry 9'), /MFT entry 9.*outside the volume/);
  assert.throws(() => decodeRunlist(Uint8Array.from([0x21, 0x10]), 0, 2, 0, 1 << 20, 'x'), /bad data run header/);
});

// ---------------------------------------------------------------------------------------------
// Against ntfs-3g.

test('every listing equals ntfsls; entry numbers equal ntfsinfo', async (t) => {
  if (skip) return t.skip(skip);
  const image = vol!.image;
  const rows = await globAll(image);
  const dirs = ['/', ...rows.filter((r) => r.IsDir).map((r) => r.P as string)];
  assert.ok(dirs.includes('/a/b/c') && dirs.includes(`/${UNICODE_DIR}`) && dirs.includes('/$Extend'));
  for (const d of dirs) {
    const want = ntfsls(image, d).sort();
    const prefix = d === '/' ? '/' : d + '/';
    const got = rows.filter((r) => (r.P as string).startsWith(prefix) && !(r.P as string).slice(prefix.length).includes('/') && !(r.Name as string).includes(':'))
      .map((r) => r.Name + (r.IsDir ? '/' : '')).sort();
    assert.deepEqual(got, want, `listing of ${d}`);
  }
  // The folder of MANY files needs an $INDEX_ALLOCATION: all listed.
  assert.equal(rows.filter((r) => (r.P as string).startsWith('/many/')).length, MANY);
  for (const p of ['/a/b/c/deep.txt', `/${UNICODE_DIR}/${UNICODE_FILE}`, `/${LONG_NAME}`, '/big.bin', '/many/file-123.txt', '/$MFT']) {
    const row = rows.find((r) => r.P === p);
    assert.ok(row, p);
    assert.equal(Number(String(row.Data.mft).split('-')[0]), ntfsInode(image, p), p);
  }
});

test('every file reads as ntfscat says (fragmented, sparse, compressed, unicode)', async (t) => {
  if (skip) return t.skip(skip);
  const image = vol!.image;
  const rows = (await globAll(image)).filter((r) => !r.IsDir && !(r.Name as string).includes(':') && !(r.P as string).startsWith('/$'));
  assert.ok(rows.length > MANY + 10);
  const r = await query(`SELECT OSPath.Path AS P, hash(path=OSPath, accessor='raw_ntfs').MD5 AS H, Size FROM glob(globs='/**', accessor='raw_ntfs', root=Root) WHERE NOT IsDir AND NOT Name =~ ':' AND NOT OSPath.Path =~ '^/[$]'`,
    { Root: { DelegatePath: image } });
  assert.equal(r.rows.length, rows.length);
  for (const row of r.rows) {
    const want = ntfscat(image, row.P);
    assert.equal(row.Size, want.length, row.P);
    assert.equal(row.H, md5(want), row.P);
  }
  const big = Buffer.concat(Array.from({ length: BIG_CHUNKS }, (_, i) => noise(BIG_CHUNK, i + 1)));
  assert.equal(r.rows.find((x) => x.P === '/big.bin')?.H, md5(big));
  // The big file is fragmented, the sparse one has a hole, the packed one is compressed.
  const v = await Volume.open(await localFileReader(image), image);
  try {
    const data = async (p: string) => (await v.fileEntry(ntfsInode(image, p))).attributes.filter((a) => a.type === 0x80 && a.name === '');
    assert.ok((await data('/big.bin'))[0]!.runs.length > 1, 'big.bin is fragmented');
    assert.ok((await data('/sparse.bin'))[0]!.runs.some((x) => x.lcn === null), 'sparse.bin has a sparse run');
    if (vol!.hasXattrFeatures) assert.equal((await data('/comp/packed.txt'))[0]!.flags & 1, 1, 'packed.txt is compressed');
  } finally {
    await v.close();
  }
  const sparse = ntfscat(image, '/sparse.bin');
  assert.equal(sparse.length, SPARSE_AT + 7);
  assert.equal(sparse.subarray(SPARSE_AT).toString(), 'the end');
});

test('alternate streams, DOS names, case-insensitive lookup, hard links', async (t) => {
  if (skip) return t.skip(skip);
  const image = vol!.image;
  const r = await query(`SELECT Name, Size, Data FROM glob(globs='/*', accessor='raw_ntfs', root=Root) WHERE Name =~ '^ads'`, { Root: { DelegatePath: image } });
  assert.deepEqual(r.rows.map((x) => x.Name), ['ads.txt', 'ads.txt:secret']);
  const ads = await query(`SELECT read_file(filename=${spec(image, '/ADS.TXT:secret')}, accessor='raw_ntfs') AS D FROM scope()`);
  assert.equal(ads.rows[0]!.D, ntfscat(image, '/ads.txt', 'secret').toString());
  assert.match(r.rows[1]!.Data.mft, /^\d+-128-\d+$/);
  assert.notEqual(r.rows[0]!.Data.mft, r.rows[1]!.Data.mft);
  // The DOS name is not listed, but the file is, once, with its Win32 name.
  const root = (await globAll(image)).filter((x) => !(x.P as string).slice(1).includes('/'));
  assert.ok(!root.some((x) => x.Name === 'LONGFI~1.TXT'));
  assert.equal(root.filter((x) => x.Name === LONG_NAME).length, 1);
  if (vol!.hasXattrFeatures) assert.equal(root.find((x) => x.Name === LONG_NAME)!.Data.name_type, 'Win32');
  const st = await query(`SELECT Name, Size, IsDir, Mode, Mtime, Btime, Data FROM stat(filename=${spec(image, '/A/B/C/DEEP.TXT')}, accessor='raw_ntfs')`);
  assert.equal(st.rows.length, 1);
  assert.equal(st.rows[0]!.Size, 12);
  assert.equal(st.rows[0]!.Mode, '-rwxr-xr-x');
  assert.ok(st.rows[0]!.Mtime && st.rows[0]!.Btime && st.rows[0]!.Data.fn_btime);
  const pn = await query(`SELECT parse_ntfs(device=${spec(image, '/')}, filename='/hardlink.txt') AS P FROM scope()`);
  const info = pn.rows[0]!.P;
  assert.equal(info.MFTID, ntfsInode(image, '/a/b/c/deep.txt'));
  assert.deepEqual([...info.Hardlinks].sort(), ['\\a\\b\\c\\deep.txt', '\\hardlink.txt']);
  // A file whose names overflow its record: its $ATTRIBUTE_LIST is followed into extension records.
  const many = await query(`SELECT parse_ntfs(device=${spec(image, '/')}, filename='/links/another-name-for-the-file-33.txt') AS P FROM scope()`);
  const m = many.rows[0]!.P;
  assert.equal(m.MFTID, ntfsInode(image, '/links/orig.txt'));
  assert.equal(m.Hardlinks.length, LINKS + 1);
  assert.ok(m.Attributes.some((a: any) => a.Type === '$ATTRIBUTE_LIST'));
  assert.equal(m.Filenames.length, LINKS + 1);
});

test('ntfs and mft accessors, parse_ntfs by inode', async (t) => {
  if (skip) return t.skip(skip);
  const image = vol!.image;
  const dev = await query(`SELECT * FROM glob(globs='*', accessor='ntfs', root=Dev)`, { Dev: '\\\\.\\C:\\' });
  assert.ok(dev.logs.some((l) => l.includes('ntfs accessor: device \\\\.\\C: cannot be opened here: give a pathspec with DelegatePath= a disk image, or map one with --remap')), dev.logs.join('\n'));
  // No image: this machine's devices are not listed, so a glob over C: (ADSHunter's default) finds nothing, quietly.
  const noImage = await query(`SELECT * FROM glob(globs='C:\\{*,**\\*}:*', accessor='ntfs')`);
  assert.deepEqual([noImage.rows, noImage.logs.filter((l) => !l.startsWith('debug'))], [[], []]);
  const viaNtfs = await query(`SELECT Name FROM glob(globs='/a/*', accessor='ntfs', root=Root)`, { Root: { DelegatePath: image } });
  assert.deepEqual(viaNtfs.rows.map((x) => x.Name).sort(), ['b', 'top.txt']);
  const entry = ntfsInode(image, '/big.bin');
  const r = await query(`
    LET P <= parse_ntfs(device=Root, inode=str(str=Entry))
    SELECT P.OSPath AS OSPath, P.Size AS Size, P.IsDir AS IsDir, P.Allocated AS Allocated,
           P.Attributes AS Attributes, P.Filenames AS Filenames, P.SI_Times AS SI,
           hash(path=P.Device + Inode, accessor='mft').MD5 AS H
    FROM foreach(row=P.Attributes, column='_value') WHERE TypeId = 128`, { Root: { DelegatePath: image, Path: '/a' }, Entry: entry });
  assert.equal(r.rows.length, 1, r.logs.join('\n'));
  const row = r.rows[0]!;
  assert.equal(row.OSPath, '\\big.bin');
  assert.equal(row.Size, BIG_CHUNK * BIG_CHUNKS);
  assert.equal(row.Allocated, true);
  assert.equal(row.IsDir, false);
  assert.equal(row.H, md5(ntfscat(image, '/big.bin')));
  const types = row.Attributes.map((a: any) => a.Type);
  assert.ok(types.includes('$STANDARD_INFORMATION') && types.includes('$FILE_NAME') && types.includes('$DATA'));
  assert.equal(row.Filenames[0].Name, 'big.bin');
  assert.equal(row.Filenames[0].ParentEntryNumber, 5);
  assert.ok(row.SI.CreateTime);
  // A directory: its index attributes; the root's path.
  const d = await query(`SELECT parse_ntfs(device=Root, filename='/many') AS P, parse_ntfs(device=Root, mft=5).OSPath AS RootPath FROM scope()`, { Root: { DelegatePath: image } });
  assert.ok(d.rows[0]!.P.IsDir);
  assert.ok(d.rows[0]!.P.Attributes.some((a: any) => a.Type === '$INDEX_ALLOCATION' && a.TypeId === 160 && a.Name === '$I30'));
  assert.equal(d.rows[0]!.RootPath, '\\');
  // resolveEntryPath, for the USN/I30 parsers.
  const v = await Volume.open(await localFileReader(image), image);
  try {
    assert.equal(await resolveEntryPath(v, ntfsInode(image, `/${UNICODE_DIR}/${UNICODE_FILE}`)), `\\${UNICODE_DIR}\\${UNICODE_FILE}`);
  } finally {
    await v.close();
  }
});

test('parse_mft over a copied $MFT gives the entries and paths raw_ntfs sees', async (t) => {
  if (skip) return t.skip(skip);
  const image = vol!.image;
  const copied = join(dir, 'copied-MFT');
  await writeFile(copied, ntfscat(image, '$MFT'));
  const viaCopy = await query(`SELECT EntryNumber, InUse, OSPath, FileName, FileSize, IsDir, HasADS, FileNames, Links FROM parse_mft(filename=F)`, { F: copied });
  const viaNtfs = await query(`SELECT EntryNumber, OSPath FROM parse_mft(accessor='raw_ntfs', filename=F)`, { F: { DelegatePath: image, Path: '/$MFT' } });
  assert.deepEqual(viaNtfs.rows, viaCopy.rows.map((r) => ({ EntryNumber: r.EntryNumber, OSPath: r.OSPath })));
  assert.deepEqual(viaCopy.logs.filter((l) => l.startsWith('warn') || l.startsWith('error')), []);
  const byEntry = new Map(viaCopy.rows.map((r) => [r.EntryNumber, r]));
  for (const g of await globAll(image)) {
    if ((g.Name as string).includes(':')) continue;
    const row = byEntry.get(Number(String(g.Data.mft).split('-')[0]));
    assert.ok(row, g.P);
    assert.ok(row.InUse);
    assert.ok([row.OSPath, ...row.Links].includes((g.P as string).replace(/\//g, '\\')), `${g.P} vs ${row.OSPath}`);
    assert.equal(row.IsDir, g.IsDir);
    if (!g.IsDir) assert.equal(row.FileSize, g.Size, g.P);
  }
  assert.equal(byEntry.get(5)!.OSPath, '\\');
  assert.ok(byEntry.get(ntfsInode(image, '/ads.txt'))!.HasADS);
  if (vol!.hasXattrFeatures) assert.deepEqual(byEntry.get(ntfsInode(image, `/${LONG_NAME}`))!.FileNames.sort(), ['LONGFI~1.TXT', LONG_NAME].sort());
  // The deleted file is still there, not in use, with its path.
  const deleted = viaCopy.rows.find((r) => r.FileName === 'deleted.txt');
  assert.ok(deleted && !deleted.InUse && deleted.OSPath === '\\deleted.txt', JSON.stringify(deleted));
  // prefix and start.
  const pre = await query(`SELECT EntryNumber, OSPath FROM parse_mft(filename=F, prefix=[Dev], start=5) LIMIT 1`, { F: copied, Dev: '\\\\.\\C:' });
  assert.deepEqual(pre.rows, [{ EntryNumber: 5, OSPath: '\\\\.\\C:' }]);
});

test('a damaged volume: no NTFS signature, a damaged MFT record', async (t) => {
  if (skip) return t.skip(skip);
  const image = vol!.image;
  const blank = join(dir, 'blank.dd');
  await copyFile(image, blank);
  const fh = await open(blank, 'r+');
  await fh.write(Buffer.alloc(512), 0, 512, 0);
  await fh.close();
  const r = await query(`SELECT * FROM glob(globs='/*', accessor='raw_ntfs', root=Root)`, { Root: { DelegatePath: blank } });
  assert.deepEqual(r.rows, []);
  assert.ok(r.logs.some((l) => l.includes(`not an NTFS volume: ${blank} (no NTFS signature at offset 3)`)), r.logs.join('\n'));

  // Corrupt the record of one file of /many (its signature) and another's fixup.
  const broken = join(dir, 'broken.dd');
  await copyFile(image, broken);
  const v = await Volume.open(await localFileReader(image), image);
  const bad = ntfsInode(image, '/many/file-010.txt');
  const torn = ntfsInode(image, '/many/file-020.txt');
  const offsetOf = async (entry: number) => {
    const f = await v.fileEntry(0);
    const runs = f.attributes.find((a) => a.type === 0x80)!.runs;
    const pos = entry * v.boot.recordSize;
    const vcn = Math.floor(pos / v.clusterSize);
    const run = runs.find((x) => vcn >= x.vcn && vcn < x.vcn + x.length)!;
    return (run.lcn! + vcn - run.vcn) * v.clusterSize + (pos % v.clusterSize);
  };
  const fb = await open(broken, 'r+');
  await fb.write(Buffer.from('BAAD'), 0, 4, await offsetOf(bad));
  await fb.write(Buffer.from([0x99, 0x99]), 0, 2, (await offsetOf(torn)) + 510);
  await fb.close();
  await v.close();
  const l = await query(`SELECT Name FROM glob(globs='/many/*', accessor='raw_ntfs', root=Root)`, { Root: { DelegatePath: broken } });
  assert.equal(l.rows.length, MANY - 2);
  const warns = l.logs.filter((x) => x.startsWith('warn'));
  assert.ok(warns.some((w) => w.includes(broken) && w.includes(`MFT entry ${bad}`) && /signature/.test(w)), warns.join('\n'));
  assert.ok(warns.some((w) => w.includes(`MFT entry ${torn}`) && /fixup/.test(w)), warns.join('\n'));
  const other = await query(`SELECT read_file(filename=${spec(broken, '/many/file-011.txt')}, accessor='raw_ntfs') AS D, read_file(filename=${spec(broken, '/many/file-010.txt')}, accessor='raw_ntfs') AS Bad FROM scope()`);
  assert.equal(other.rows[0]!.D, ntfscat(image, '/many/file-011.txt').toString());
  assert.equal(other.rows[0]!.Bad, '');
  // parse_mft over the damaged $MFT: one warning per damaged entry, the others read.
  const mft = join(dir, 'broken-MFT');
  const bv = await Volume.open(await localFileReader(broken), broken);
  const f0 = await bv.fileEntry(0);
  const mftData = await readFull(bv.reader(attributePieces(f0, 0x80, ''), '$MFT'), 0, f0.attributes.find((x) => x.type === 0x80)!.realSize);
  await bv.close();
  await writeFile(mft, mftData);
  const pm = await query(`SELECT EntryNumber FROM parse_mft(filename=F)`, { F: mft });
  const pmWarn = pm.logs.filter((x) => x.startsWith('warn'));
  assert.equal(pmWarn.filter((w) => w.includes(`MFT entry ${bad}`)).length, 1, pmWarn.join('\n'));
  assert.ok(pm.rows.some((x) => x.EntryNumber === ntfsInode(image, '/many/file-011.txt')));
  assert.ok(!pm.rows.some((x) => x.EntryNumber === bad));
});

test('a remapping mounts an image on \\\\.\\C: for the ntfs accessor, parse_ntfs and parse_mft', async (t) => {
  if (skip) return t.skip(skip);
  if (!createHostRegistry().functions.has('remap')) return t.skip('no remap() function in this build');
  const image = vol!.image;
  const cfg = JSON.stringify({ remappings: [{ type: 'mount', from: { accessor: 'raw_ntfs', prefix: JSON.stringify({ DelegatePath: image, Path: '/' }) }, on: { accessor: 'ntfs', prefix: '\\\\.\\C:', path_type: 'ntfs' } }] });
  const r = await query(`LET _ <= remap(config=Cfg, clear=TRUE)
    SELECT OSPath.Basename AS Name, Data.mft AS M, parse_ntfs(device=OSPath, inode=Data.mft) AS P FROM glob(globs='/a/*', root=Dev, accessor='ntfs')`,
  { Cfg: cfg, Dev: '\\\\.\\C:' });
  assert.deepEqual(r.rows.map((x) => [x.Name, x.P?.OSPath]), [['b', '\\a\\b'], ['top.txt', '\\a\\top.txt']], r.logs.join('\n'));
  assert.equal(r.rows[1]!.P.MFTID, ntfsInode(image, '/a/top.txt'));
  const m = await query(`LET _ <= remap(config=Cfg, clear=TRUE)
    SELECT EntryNumber, Links FROM parse_mft(accessor='ntfs', filename=Dev + '$MFT') WHERE EntryNumber = E`, { Cfg: cfg, Dev: '\\\\.\\C:\\', E: ntfsInode(image, '/a/b/c/deep.txt') });
  assert.equal(m.rows.length, 1, m.logs.join('\n'));
  assert.deepEqual([...m.rows[0]!.Links].sort(), ['\\a\\b\\c\\deep.txt', '\\hardlink.txt']);
});

test('parse_ntfs_i30 and parse_usn read through the volume reader', async (t) => {
  if (skip) return t.skip(skip);
  const image = vol!.image;
  const r = await query(`SELECT Name, IsSlack, MFTId FROM parse_ntfs_i30(device=Dev, filename='/many') WHERE NOT IsSlack`, { Dev: { DelegatePath: image } });
  assert.deepEqual(r.rows.map((x) => x.Name).sort(), ntfsls(image, '/many').sort(), r.logs.join('\n'));
  assert.equal(Number(r.rows.find((x) => x.Name === 'file-042.txt')!.MFTId), ntfsInode(image, '/many/file-042.txt'));
  // mkntfs makes no change journal: parse_usn says so, naming the stream.
  const u = await query(`SELECT * FROM parse_usn(device=Dev)`, { Dev: { DelegatePath: image } });
  assert.deepEqual(u.rows, []);
  assert.ok(u.logs.some((l) => l.includes('$UsnJrnl:$J')), u.logs.join('\n'));
});

test('parse_mft: a parent loop ends under $OrphanFiles (no hang)', async (t) => {
  if (skip) return t.skip(skip);
  const image = vol!.image;
  const mft = ntfscat(image, '$MFT'); // fixups already applied: bytes can be changed in place
  const recordSize = mft.readUInt32LE(28);
  /** Points the $FILE_NAME of `entry` at parent `parent` (sequence `seq`). */
  const setParent = (entry: number, parent: number, seq: number) => {
    const base = entry * recordSize;
    for (let at = base + mft.readUInt16LE(base + 20); mft.readUInt32LE(at) !== 0xffffffff; at += mft.readUInt32LE(at + 4)) {
      if (mft.readUInt32LE(at) !== 0x30) continue;
      const v = at + mft.readUInt16LE(at + 20);
      mft.writeUIntLE(parent, v, 6);
      mft.writeUInt16LE(seq, v + 6);
    }
  };
  const a = ntfsInode(image, '/a');
  const b = ntfsInode(image, '/a/b');
  setParent(a, b, mft.readUInt16LE(b * recordSize + 16));
  const loop = join(dir, 'loop-MFT');
  await writeFile(loop, mft);
  const r = await query(`SELECT EntryNumber, OSPath FROM parse_mft(filename=F) WHERE EntryNumber IN (A, D)`, { F: loop, A: a, D: ntfsInode(image, '/a/b/c') });
  assert.equal(r.rows.length, 2);
  for (const row of r.rows) assert.match(row.OSPath, /^\\\$OrphanFiles\\/, JSON.stringify(row));
  assert.match(r.rows.find((x) => x.EntryNumber !== a)!.OSPath, /\\b\\c$/);
});
