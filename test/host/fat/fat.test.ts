// FAT12/16/32 volumes made by Debian's tools (not ours), read through the `fat` accessor: mkfs.fat
// (dosfstools) formats them, mtools fills them (mcopy, mmd, mdel, mattrib) and says what they hold:
// `mdir -/ -a -b` the paths, `mcopy -s` out the bytes, `mattrib -/` the attributes, `mshowfat`
// the cluster chains. Then damage patched into copies: a FAT loop, a chain leaving the volume, a
// looping directory, a cut image, exFAT and NTFS boot sectors, a text file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../../main/host/index.ts';
import { collect, toJSON } from '../../../main/vql/index.ts';

const MKFS = ['mkfs.fat', '/usr/sbin/mkfs.fat', '/sbin/mkfs.fat'].find((t) => spawnSync(t, ['--help']).error === undefined);
const MISSING = !MKFS
  ? 'mkfs.fat is not installed (apt-get install dosfstools)'
  : ['mcopy', 'mdir', 'mattrib', 'mdel', 'mmd', 'mshowfat'].some((t) => spawnSync(t, ['-V']).status !== 0)
    ? 'mtools is not installed (apt-get install mtools)'
    : '';
const SKIP = MISSING ? `${MISSING}: the FAT suites skip` : false;
const LIMIT = { timeout: 60_000 };
let dir = '';
let env: NodeJS.ProcessEnv = {};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-fat-'));
  // 8.3 names in code page 437 (what the reader decodes), local time = UTC, no geometry checks.
  writeFileSync(join(dir, 'mtoolsrc'), 'default_codepage=437\n');
  env = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC', MTOOLS_SKIP_CHECK: '1', MTOOLSRC: join(dir, 'mtoolsrc') };
});
after(() => rmSync(dir, { recursive: true, force: true }));

function m(tool: string, ...args: string[]): string {
  return execFileSync(tool, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A new volume file of `kib` KiB: mkfs.fat -F bits and its other options. */
function mkfs(name: string, bits: 12 | 16 | 32, kib: number, opts: string[] = []): string {
  const img = join(dir, name);
  rmSync(img, { force: true });
  execFileSync(MKFS!, ['-C', '-F', String(bits), ...opts, img, String(kib)], { env, stdio: 'pipe' });
  return img;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A local tree to copy in: nested folders, long and unicode names, NT lowercase names, 300 files in one folder. */
function makeTree(root: string, opts: { many: number; bigKiB: number }): void {
  const put = (rel: string, data: Uint8Array | string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
  };
  put('a/b/c/d/e/deep file.txt', 'five folders down\n');
  put('Ünïcødé long name 日本.txt', 'unicode\n');
  put('Греческий Ω ∑ – dash.bin', randomBytes(3000));
  put('lower.txt', 'nt lowercase flags\n');
  put('mixcase.TXT', 'base lowercase, extension not\n');
  put('UPPER.TXT', 'plain 8.3\n');
  put('Mixed.Txt', 'needs a long name\n');
  put('README', 'no extension\n');
  put('empty.dat', '');
  put('random.bin', randomBytes(200_000));
  put('big.bin', randomBytes(opts.bigKiB * 1024));
  put('EFI/BOOT/BOOTX64.EFI', Buffer.concat([Buffer.from('MZ'), randomBytes(40_000)]));
  for (let i = 0; i < opts.many; i++) put(`many/file number ${String(i).padStart(3, '0')} with a long name.txt`, `file ${i}\n`.repeat(i % 7));
}

/** A volume made by mkfs.fat and filled by mcopy -s, with attributes set and a fragmented file. */
function makeVolume(name: string, bits: 12 | 16 | 32, kib: number, opts: string[], tree: { many: number; bigKiB: number }): string {
  const img = mkfs(name, bits, kib, opts);
  const src = join(dir, `${name}.src`);
  makeTree(src, tree);
  m('mcopy', '-s', '-m', '-i', img, ...readdirSync(src).map((f) => join(src, f)), '::/');
  m('mattrib', '-i', img, '+h', '+s', '::/UPPER.TXT');
  m('mattrib', '-i', img, '+r', '::/README');
  m('mattrib', '-i', img, '+h', '::/a');
  // Fragmentation: small files, every other one deleted, then one file over the holes.
  m('mmd', '-i', img, '::/frag');
  const piece = join(dir, 'piece');
  writeFileSync(piece, randomBytes(5000));
  for (let i = 0; i < 12; i++) m('mcopy', '-i', img, piece, `::/frag/f${i}.bin`);
  for (let i = 0; i < 12; i += 2) m('mdel', '-i', img, `::/frag/f${i}.bin`);
  if (bits === 32) {
    // mtools allocates after FAT32's next-free hint (FSInfo): unset it, and the holes are filled.
    const b = readFileSync(img);
    b.writeUInt32LE(0xffffffff, b.readUInt16LE(48) * b.readUInt16LE(11) + 492);
    writeFileSync(img, b);
  }
  const frag = join(dir, 'frag.bin');
  writeFileSync(frag, randomBytes(60_000));
  m('mcopy', '-i', img, frag, '::/frag/fragmented.bin');
  return img;
}

/** The runs of a file's cluster chain, as mshowfat gives them. */
function chainRuns(img: string, path: string): Array<[number, number]> {
  return [...m('mshowfat', '-i', img, `::${path}`).matchAll(/<(\d+)(?:-(\d+))?>/g)].map((x) => [Number(x[1]), Number(x[2] ?? x[1])]);
}

interface Item {
  isDir: boolean;
  size?: number;
  sha256?: string;
  attr?: string[];
}

/** What mtools says the volume holds: paths (mdir), bytes (mcopy -s), attributes (mattrib). */
function toolView(img: string): Map<string, Item> {
  const out = new Map<string, Item>();
  for (const line of m('mdir', '-/', '-a', '-b', '-i', img, '::').split('\n')) {
    if (!line.startsWith('::/')) continue;
    const isDir = line.endsWith('/');
    out.set(isDir ? line.slice(2, -1) : line.slice(2), { isDir });
  }
  const copy = mkdtempSync(join(dir, 'out-'));
  m('mcopy', '-s', '-n', '-i', img, '::/', copy + '/');
  for (const [path, item] of out) {
    if (item.isDir) continue;
    const b = readFileSync(join(copy, path));
    item.size = b.length;
    item.sha256 = sha256(b);
  }
  const letters: Record<string, string> = { A: 'ARCHIVE', R: 'READONLY', S: 'SYSTEM', H: 'HIDDEN' };
  for (const line of m('mattrib', '-/', '-i', img, '::').split('\n')) {
    const at = line.indexOf('::/');
    const item = out.get(line.slice(at + 2));
    if (at < 0 || !item) continue;
    const attr = [...line.slice(0, at)].filter((c) => letters[c]).map((c) => letters[c]!);
    item.attr = [...attr, ...(item.isDir ? ['DIRECTORY'] : [])].sort();
  }
  rmSync(copy, { recursive: true, force: true });
  return out;
}

async function query(text: string, vars: Record<string, unknown>) {
  const logs: string[] = [];
  const rows = await collect(text, { registry: createHostRegistry(), vars, log: (l, msg) => logs.push(`${l}: ${msg}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, any>>, logs, errors: logs.filter((l) => /^(error|warn)/.test(l)) };
}

const GLOB_HASH = `SELECT OSPath.Path AS Path, IsDir, Size, Data, if(condition=IsDir, then=NULL, else=hash(accessor='fat', path=OSPath).SHA256) AS H
  FROM glob(globs='/**', accessor='fat', root=ROOT)`;

/** What the fat accessor says the volume at `root` holds (glob + hash), and the query's errors. */
async function ourView(root: string, vars: Record<string, unknown> = {}): Promise<{ view: Map<string, Item>; errors: string[]; rows: Array<Record<string, any>> }> {
  const { rows, errors } = await query(`LET ROOT = ${root} ${GLOB_HASH}`, vars);
  const view = new Map<string, Item>();
  for (const r of rows) view.set(r.Path, r.IsDir ? { isDir: true, attr: r.Data.attr } : { isDir: false, size: r.Size, sha256: r.H, attr: r.Data.attr });
  return { view, errors, rows };
}

const onVolume = (img: string) => ourView(`pathspec(DelegateAccessor='file', DelegatePath=IMG)`, { IMG: img });

/** Asserts both views hold the same paths, sizes, bytes and attributes. */
function assertSame(ours: Map<string, Item>, theirs: Map<string, Item>): void {
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
  for (const [path, item] of theirs) assert.deepEqual(ours.get(path), item, path);
}

const VOLUMES: Array<[string, 12 | 16 | 32, number, string[], { many: number; bigKiB: number }]> = [
  ['a FAT16 volume (2 KiB clusters)', 16, 32 * 1024, ['-s', '4'], { many: 300, bigKiB: 3000 }],
  ['a FAT16 volume with 32 KiB clusters', 16, 160 * 1024, ['-s', '64'], { many: 300, bigKiB: 5000 }],
  ['a FAT32 volume (512-byte clusters)', 32, 64 * 1024, ['-s', '1'], { many: 300, bigKiB: 4000 }],
  ['a FAT32 volume with 4 KiB clusters', 32, 300 * 1024, ['-s', '8'], { many: 300, bigKiB: 9000 }],
  ['a FAT12 floppy (1.44 MB)', 12, 1440, [], { many: 40, bigKiB: 600 }],
];

VOLUMES.forEach(([what, bits, kib, opts, tree], i) => {
  test(`fat accessor: ${what} lists and reads as mtools does (names, sizes, bytes, attributes)`, { skip: SKIP, ...LIMIT }, async () => {
    const img = makeVolume(`v${i}.img`, bits, kib, opts, tree);
    assert.ok(chainRuns(img, '/frag/fragmented.bin').length > 1, 'the test file is fragmented');
    const { view, errors } = await onVolume(img);
    assert.deepEqual(errors, []);
    assertSame(view, toolView(img));
    // The 300-file folder spans clusters; names are the long ones, deep paths are reached.
    if (tree.many >= 300) assert.ok(chainRuns(img, '/many').reduce((n, [a, b]) => n + b - a + 1, 0) > 1);
    assert.equal([...view.keys()].filter((p) => p.startsWith('/many/')).length, tree.many);
    assert.ok(view.has('/a/b/c/d/e/deep file.txt') && view.has('/Ünïcødé long name 日本.txt') && view.has('/lower.txt') && view.has('/mixcase.TXT'));
  });
});

test('fat accessor: names match whatever their case, long or 8.3; stat and read_file give a file', { skip: SKIP, ...LIMIT }, async () => {
  const img = makeVolume('case.img', 16, 32 * 1024, [], { many: 3, bigKiB: 100 });
  const efi = readFileSync(join(dir, 'case.img.src/EFI/BOOT/BOOTX64.EFI'));
  const ROWS = ['/EFI/BOOT/BOOTX64.EFI', '/efi/boot/bootx64.efi', '\\EFI\\Boot\\BootX64.efi', '/readme', '/EFI'].map((P) => ({ P }));
  const { rows, errors } = await query(`
    SELECT * FROM foreach(row=ROWS, query={
      SELECT Name, Size, IsDir, Mode, Data.short_name AS Short,
        hash(accessor='fat', path=pathspec(DelegatePath=IMG, Path=P)).SHA256 AS H,
        len(list=read_file(accessor='fat', filename=pathspec(DelegatePath=IMG, Path=P), length=1000000)) AS Read
      FROM stat(accessor='fat', filename=pathspec(DelegatePath=IMG, Path=P)) })`, { IMG: img, ROWS });
  assert.deepEqual(errors.filter((e) => !/\/EFI is a directory/.test(e)), []);
  const h = sha256(efi);
  assert.deepEqual(rows.slice(0, 3).map((r) => [r.Name, r.Size, r.H, r.Read, r.Short]), ['BOOTX64.EFI', 'bootx64.efi', 'BootX64.efi'].map((n) => [n, efi.length, h, efi.length, 'BOOTX64.EFI']));
  assert.deepEqual([rows[3]!.Name, rows[3]!.Short, rows[3]!.Mode], ['readme', 'README', '-r--r--r--']);
  assert.deepEqual([rows[4]!.Name, rows[4]!.IsDir, rows[4]!.Mode, rows[4]!.Size], ['EFI', true, 'drwxr-xr-x', 0]);
  // Each long-named file is found by its 8.3 name too, in any case.
  const short = await query(`
    SELECT Name, Data.first_cluster AS Cluster,
      stat(accessor='fat', filename=pathspec(DelegatePath=IMG, Path='/MANY/' + lowcase(string=Data.short_name))).Data.first_cluster AS ByShort
    FROM glob(globs='/many/*', accessor='fat', root=pathspec(DelegatePath=IMG))`, { IMG: img });
  assert.equal(short.rows.length, 3);
  for (const r of short.rows) assert.equal(r.ByShort, r.Cluster, r.Name);
  assert.ok(short.rows.every((r) => r.Name.startsWith('file number ')));
  const missing = await query(`SELECT * FROM stat(accessor='fat', filename=pathspec(DelegatePath=IMG, Path='/nope.txt'))`, { IMG: img });
  assert.deepEqual(missing.rows, []);
});

/** The offset of the 8.3 entry whose stored name is `name11` (11 bytes, space padded). */
function entryOffset(img: Buffer, name11: string): number {
  const want = Buffer.from(name11, 'latin1');
  for (let at = 0; at + 32 <= img.length; at += 32) if (img.subarray(at, at + 11).equals(want)) return at;
  throw new Error(`no entry ${name11}`);
}

test('fat accessor: times (written, created to 10 ms, accessed date) read as UTC; a bad LFN checksum falls back to the 8.3 name', { skip: SKIP, ...LIMIT }, async () => {
  const img = mkfs('times.img', 16, 16 * 1024, []);
  const src = join(dir, 'timed.txt');
  writeFileSync(src, 'x');
  utimesSync(src, new Date('2021-03-04T05:06:08Z'), new Date('2021-03-04T05:06:08Z'));
  m('mcopy', '-m', '-i', img, src, '::/timed.txt');
  m('mcopy', '-i', img, src, '::/A long name for a file.txt');
  const b = readFileSync(img);
  const at = entryOffset(b, 'TIMED   TXT');
  // Created 2020-01-02 03:04:06 plus 150 * 10 ms; accessed 2022-05-06.
  b[at + 13] = 150;
  b.writeUInt16LE((3 << 11) | (4 << 5) | 3, at + 14);
  b.writeUInt16LE(((2020 - 1980) << 9) | (1 << 5) | 2, at + 16);
  b.writeUInt16LE(((2022 - 1980) << 9) | (5 << 5) | 6, at + 18);
  // The long name's LFN entries (just before its 8.3 entry) get a checksum that does not match.
  const long = entryOffset(b, 'ALONGN~1TXT');
  for (let e = long - 32; e >= 0 && b[e + 11] === 0x0f; e -= 32) b[e + 13] ^= 0xff;
  writeFileSync(img, b);
  const { rows, errors } = await query(`SELECT Name, Mtime, Ctime, Btime, Atime FROM glob(globs='*', accessor='fat', root=pathspec(DelegatePath=IMG)) ORDER BY Name`, { IMG: img });
  assert.deepEqual(errors, []);
  assert.deepEqual(rows, [
    { Name: 'ALONGN~1.TXT', Mtime: rows[0]!.Mtime, Ctime: rows[0]!.Mtime, Btime: rows[0]!.Btime, Atime: rows[0]!.Atime },
    { Name: 'timed.txt', Mtime: '2021-03-04T05:06:08Z', Ctime: '2021-03-04T05:06:08Z', Btime: '2020-01-02T03:04:07.5Z', Atime: '2022-05-06T00:00:00Z' },
  ]);
  // mtools falls back to the 8.3 name too.
  assert.match(m('mdir', '-b', '-i', img, '::'), /::\/ALONGN~1\.TXT\n/);
});

/** The byte offset of FAT entry `cluster` in the first FAT of a FAT16 volume. */
function fat16Entry(b: Buffer, cluster: number): number {
  return b.readUInt16LE(14) * b.readUInt16LE(11) + cluster * 2;
}

function damaged(name: string, base: string, patch: (b: Buffer) => void): string {
  const out = join(dir, name);
  const b = readFileSync(base);
  patch(b);
  writeFileSync(out, b);
  return out;
}

test('fat accessor: a FAT loop, a chain leaving the volume and a looping folder are errors naming the image and the file; nothing hangs', { skip: SKIP, ...LIMIT }, async () => {
  const base = makeVolume('base.img', 16, 32 * 1024, ['-s', '4'], { many: 300, bigKiB: 200 });
  const first = chainRuns(base, '/big.bin')[0]![0];
  const loop = damaged('loop.img', base, (b) => b.writeUInt16LE(first, fat16Entry(b, first + 3)));
  let r = await query(`SELECT hash(accessor='fat', path=pathspec(DelegatePath=IMG, Path='/big.bin')) AS H, read_file(accessor='fat', filename=pathspec(DelegatePath=IMG, Path='/BIG.BIN')) AS D FROM scope()`, { IMG: loop });
  assert.deepEqual(r.rows, [{ H: null, D: '' }]);
  assert.ok(r.logs.some((l) => l.startsWith('error: fat accessor: ') && l.includes(`${loop}: file /big.bin: its cluster chain loops (cluster ${first} comes again after 4 clusters)`)), r.logs.join('\n'));

  const leaves = damaged('leaves.img', base, (b) => b.writeUInt16LE(0xfff0, fat16Entry(b, first + 1)));
  r = await query(`SELECT hash(accessor='fat', path=pathspec(DelegatePath=IMG, Path='/big.bin')) AS H FROM scope()`, { IMG: leaves });
  assert.deepEqual(r.rows, [{ H: null }]);
  assert.match(r.errors.join('\n'), /leaves\.img: file \/big\.bin: its cluster chain leaves the volume at cluster 65520 \(after 2 clusters; clusters run 2–\d+\)/);

  // The 300-file folder's last cluster points back at its first: the glob ends, saying so, with the other files.
  const many = chainRuns(base, '/many');
  const last = many[many.length - 1]![1];
  const dirLoop = damaged('dirloop.img', base, (b) => b.writeUInt16LE(many[0]![0], fat16Entry(b, last)));
  const ours = await onVolume(dirLoop);
  assert.match(ours.errors.join('\n'), /error: fat accessor: .*dirloop\.img: directory \/many: its cluster chain loops/);
  assert.ok(ours.view.has('/big.bin') && ours.view.has('/many') && ![...ours.view.keys()].some((p) => p.startsWith('/many/')));
});

test('fat accessor: a cut image reads what it holds and says the rest is past its end', { skip: SKIP, ...LIMIT }, async () => {
  const base = makeVolume('cut-base.img', 16, 32 * 1024, ['-s', '4'], { many: 3, bigKiB: 3000 });
  const runs = chainRuns(base, '/big.bin');
  const b = readFileSync(base);
  const dataStart = (b.readUInt16LE(14) + b[16]! * b.readUInt16LE(22)) * 512 + b.readUInt16LE(17) * 32;
  const cut = join(dir, 'cut.img');
  copyFileSync(base, cut);
  truncateSync(cut, dataStart + (runs[0]![0] - 2 + 10) * 2048); // ten clusters of big.bin are left
  const ours = await onVolume(cut);
  assert.match(ours.errors.join('\n'), /warn: fat accessor: .*cut\.img is truncated: it holds \d+ of the 33554432 bytes its boot sector gives/);
  assert.match(ours.errors.join('\n'), /error: fat accessor: .*cut\.img: file \/big\.bin: bytes \d+–\d+ are past the end of the image \(\d+ bytes: it is truncated\)/);
  assert.equal(ours.view.get('/big.bin')!.sha256, null);
  assert.equal(ours.view.get('/README')!.sha256, sha256(Buffer.from('no extension\n')), 'a file before the cut reads');
  const r = await query(`SELECT len(list=read_file(accessor='fat', filename=pathspec(DelegatePath=IMG, Path='/big.bin'), length=20480)) AS N FROM scope()`, { IMG: cut });
  assert.deepEqual(r.rows, [{ N: 20480 }], 'the clusters before the cut read');
});

test('fat accessor: exFAT, NTFS, a text file and a missing image are refused, once, with what they are', { skip: SKIP, ...LIMIT }, async () => {
  const base = mkfs('plain.img', 16, 16 * 1024, []);
  const exfat = damaged('exfat.img', base, (b) => b.write('EXFAT   ', 3, 'latin1'));
  const ntfs = join(dir, 'ntfs.img');
  const nb = Buffer.alloc(4096);
  nb.write('NTFS    ', 3, 'latin1');
  nb.writeUInt16LE(512, 11);
  nb[13] = 8;
  nb[21] = 0xf8;
  nb.writeUInt16LE(0xaa55, 510);
  writeFileSync(ntfs, nb);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'just some text, not a volume\n'.repeat(100));
  const cases: Array<[string, RegExp]> = [
    [exfat, /^error: fat accessor: .*exfat\.img: an exFAT volume: not read here/],
    [ntfs, /^error: fat accessor: .*ntfs\.img: not a FAT volume: no valid boot sector \(.*\) \(an NTFS volume: read it with the raw_ntfs accessor\)/],
    [text, /^error: fat accessor: .*notes\.txt: not a FAT volume: no valid boot sector \(bytes per sector is \d+, not 512, 1024, 2048 or 4096\)/],
    [join(dir, 'absent.img'), /^error: fat accessor: cannot open FAT volume .*absent\.img: .*ENOENT/],
  ];
  for (const [img, want] of cases) {
    const r = await query(`SELECT * FROM chain(
      a={ SELECT OSPath FROM glob(globs='/**', accessor='fat', root=pathspec(DelegatePath=IMG)) },
      b={ SELECT hash(accessor='fat', path=pathspec(DelegatePath=IMG, Path='/x')) AS H FROM scope() })`, { IMG: img });
    assert.deepEqual(r.rows, [{ H: null }], img);
    const errors = r.logs.filter((l) => l.startsWith('error'));
    assert.equal(errors.length, 1, r.logs.join('\n'));
    assert.match(errors[0]!, want);
  }
  const none = await query(`SELECT * FROM glob(globs='*', accessor='fat', root='/EFI')`, {});
  assert.deepEqual(none.rows, []);
  assert.match(none.logs.join('\n'), /error: fat accessor: \/EFI names no FAT volume: give a pathspec/);
});

test('fat accessor: glob and hash through a disk image (the volume at 1 MiB of a VHDX, read through offset as Windows.Forensics.UEFI does)', { skip: SKIP, ...LIMIT }, async (t) => {
  const vol = makeVolume('esp.img', 32, 64 * 1024, ['-s', '1'], { many: 20, bigKiB: 1000 });
  const raw = join(dir, 'disk.raw');
  writeFileSync(raw, Buffer.concat([Buffer.alloc(1024 * 1024), readFileSync(vol)]));
  const theirs = toolView(vol);
  const haveQemu = spawnSync('qemu-img', ['--version']).status === 0;
  let disk = `pathspec(DelegateAccessor='file', DelegatePath=DISK, Path='1048576')`;
  let image = raw;
  if (haveQemu) {
    image = join(dir, 'disk.vhdx');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', raw, image], { stdio: 'pipe' });
    disk = `pathspec(DelegateAccessor='vhdx', Delegate=pathspec(DelegateAccessor='file', DelegatePath=DISK), Path='1048576')`;
  } else {
    t.diagnostic('qemu-img is not installed: the volume is read through offset over the raw disk only');
  }
  const ours = await ourView(`pathspec(DelegateAccessor='offset', DelegatePath=${disk})`, { DISK: image });
  assert.deepEqual(ours.errors, []);
  assertSame(ours.view, theirs);
});
