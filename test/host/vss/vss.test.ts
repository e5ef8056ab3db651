/**
 * Volume Shadow Copies read with no OS support (main/host/vss), against volumes written by
 * vss-writer.ts. Oracles: the volume's bytes kept when each snapshot was taken; libvshadow's
 * `vshadowinfo` (the stores, their GUIDs and creation times) and `vshadowmount` (each copy's
 * bytes, FUSE), which do not go through our code; ntfs-3g for the NTFS volume itself.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { localFileReader, type FileReader } from '../../../main/host/files/accessors.ts';
import { VssVolume } from '../../../main/host/vss/format.ts';
import { ntfsSupport, tool } from '../ntfs/image.ts';
import { BLOCK, HEADER_OFFSET, vssHeader, writeVss, type Snapshot } from './vss-writer.ts';
import { AREA_START, COPY_IDS, FS_MIB, NOTES, SET_IDS, STORE_IDS, buildShadowVolume, type ShadowVolume } from './shadow-volume.ts';

const TMP = mkdtempSync(join(tmpdir(), 'vql-vss-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

const NO_VSHADOWINFO = tool('vshadowinfo') ? false : 'vshadowinfo is not installed (apt-get install -y libvshadow-utils): the stores are not checked against libvshadow';

let mountSupport: string | false | undefined;
/** Why vshadowmount cannot be used here (a notice), or false. */
function noVshadowmount(image: string): string | false {
  if (mountSupport !== undefined) return mountSupport;
  if (!tool('vshadowmount')) return (mountSupport = 'vshadowmount is not installed (apt-get install -y libvshadow-utils)');
  if (!existsSync('/dev/fuse')) return (mountSupport = 'no /dev/fuse: vshadowmount needs FUSE');
  const mnt = join(TMP, 'probe.mnt');
  mkdirSync(mnt, { recursive: true });
  const r = spawnSync(tool('vshadowmount')!, [image, mnt], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 || !existsSync(join(mnt, 'vss1'))) return (mountSupport = `vshadowmount cannot mount here (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
  spawnSync('fusermount', ['-u', mnt]);
  return (mountSupport = false);
}

/** libvshadow's bytes of each shadow copy of `image`. */
function vshadowmount(image: string, copies: number): Buffer[] {
  const mnt = join(TMP, `vsm-${Math.random().toString(36).slice(2)}`);
  mkdirSync(mnt);
  execFileSync(tool('vshadowmount')!, [image, mnt], { stdio: 'ignore', timeout: 30_000 });
  try {
    return Array.from({ length: copies }, (_, i) => readFileSync(join(mnt, `vss${i + 1}`)));
  } finally {
    spawnSync('fusermount', ['-u', mnt]);
  }
}

async function readWhole(r: FileReader): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let at = 0; at < r.size!; at += 1 << 20) parts.push(Buffer.from(await r.read(at, 1 << 20)));
  return Buffer.concat(parts);
}

async function openVss(path: string): Promise<{ vss: VssVolume | null; close: () => Promise<void> }> {
  const r = await localFileReader(path);
  try {
    return { vss: await VssVolume.open(r), close: () => r.close() };
  } catch (e) {
    await r.close();
    throw e;
  }
}

/** The first 16 KiB block where `a` and `b` differ, or -1. */
function firstDiff(a: Buffer, b: Buffer): number {
  for (let n = 0; n * BLOCK < Math.max(a.length, b.length); n++) if (!a.subarray(n * BLOCK, (n + 1) * BLOCK).equals(b.subarray(n * BLOCK, (n + 1) * BLOCK))) return n;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// A synthetic volume (no file system): blocks changed whole, sector by sector, and moved, so the
// stores hold saved blocks, overlays and forwarders.

const SIZE = 8 << 20;
const AREA = 6 << 20;

function noiseVolume(): Buffer {
  const v = Buffer.alloc(SIZE);
  let x = 7;
  for (let i = 0; i < AREA; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    v[i] = x >>> 24;
  }
  vssHeader(AREA, SIZE - AREA).copy(v, HEADER_OFFSET);
  return v;
}

const when = [new Date('2024-01-02T03:04:05Z'), new Date('2024-02-03T04:05:06Z')];
const snapshot = (state: Buffer, i: number): Snapshot => ({ state, storeId: STORE_IDS[i]!, copyId: COPY_IDS[i]!, copySetId: SET_IDS[i]!, created: when[i]! });

/** Writes the synthetic volume: returns its path and the states kept at each snapshot. */
function synthetic(name: string, opts: { overlays?: boolean; forwarders?: boolean; forwardersLast?: boolean; newestFirst?: boolean }): { path: string; states: Buffer[] } {
  const v = noiseVolume();
  const s1 = Buffer.from(v);
  v.fill(0x11, 10 * BLOCK, 12 * BLOCK); // whole blocks
  v.fill(0x22, 20 * BLOCK + 512, 20 * BLOCK + 1536); // two sectors
  v.fill(0x77, 50 * BLOCK, 50 * BLOCK + 512);
  // Block 30's data moved to block 200 (a defragmentation): a forwarder.
  s1.subarray(30 * BLOCK, 31 * BLOCK).copy(v, 200 * BLOCK);
  v.fill(0x33, 30 * BLOCK, 31 * BLOCK);
  const s2 = Buffer.from(v);
  v.fill(0x44, 10 * BLOCK + 4096, 10 * BLOCK + 8192);
  v.fill(0x55, 40 * BLOCK, 41 * BLOCK);
  v.fill(0x78, 50 * BLOCK, 51 * BLOCK);
  v.fill(0x66, 20 * BLOCK, 20 * BLOCK + 512);
  writeVss(v, [snapshot(s1, 0), snapshot(s2, 1)], { areaStart: AREA, ...opts });
  const path = join(TMP, `${name}.img`);
  writeFileSync(path, v);
  return { path, states: [s1, s2] };
}

test('shadow copies of saved blocks are the volume as it was (the VSS area, free then, reads as zeros in the newest)', async () => {
  const { path, states } = synthetic('plain', {});
  const { vss, close } = await openVss(path);
  try {
    assert.ok(vss);
    assert.deepEqual(vss.stores.map((s) => [s.index, s.storeId, s.copyId, s.copySetId, s.created.toISOString(), s.volumeSize]),
      [0, 1].map((i) => [i + 1, STORE_IDS[i]!.toLowerCase(), COPY_IDS[i]!.toLowerCase(), SET_IDS[i]!.toLowerCase(), when[i]!.toISOString(), SIZE]));
    const copies = [await readWhole(await vss.reader(1)), await readWhole(await vss.reader(2))];
    assert.equal(firstDiff(copies[0]!.subarray(0, AREA), states[0]!.subarray(0, AREA)), -1);
    assert.equal(firstDiff(copies[1]!, states[1]!), -1, 'the newest copy, VSS area (zeros then) included');
    // Reads that straddle blocks and start mid-block give the same bytes.
    const r = await vss.reader(1);
    const piece = Buffer.from(await r.read(10 * BLOCK - 100, 2 * BLOCK + 300));
    assert.ok(piece.equals(states[0]!.subarray(10 * BLOCK - 100, 12 * BLOCK + 200)));
    assert.equal((await r.read(SIZE - 10, 100)).length, 10, 'a read past the end is cut');
    assert.equal((await r.read(SIZE + 5, 100)).length, 0);
  } finally {
    await close();
  }
});

test('vshadowinfo lists the stores with their GUIDs and creation times', { skip: NO_VSHADOWINFO }, () => {
  // The catalog written newest first: the stores are still ordered by creation time.
  const { path } = synthetic('newest-first', { newestFirst: true });
  const out = execFileSync(tool('vshadowinfo')!, [path], { encoding: 'utf8' });
  assert.match(out, /Number of stores:\s+2/);
  const stores = [...out.matchAll(/Store: (\d+)\s+Identifier\s+: (\S+)\s+Shadow copy set ID\s+: (\S+)\s+Creation time\s+: ([^\n]+)\s+Shadow copy ID\s+: (\S+)/g)];
  assert.deepEqual(stores.map((m) => [m[1], m[2], m[3], m[5]]), [0, 1].map((i) => [String(i + 1), STORE_IDS[i]!.toLowerCase(), SET_IDS[i]!.toLowerCase(), COPY_IDS[i]!.toLowerCase()]));
  assert.deepEqual(stores.map((m) => m[4]), ['Jan 02, 2024 03:04:05.000000000 UTC', 'Feb 03, 2024 04:05:06.000000000 UTC']);
});

for (const [name, opts] of [
  ['saved blocks', {}],
  ['overlays and forwarders', { overlays: true, forwarders: true }],
  ['overlays, forwarders after the blocks they name, catalog newest first', { overlays: true, forwarders: true, forwardersLast: true, newestFirst: true }],
] as const) {
  test(`each shadow copy equals vshadowmount's, byte for byte: ${name}`, async (t) => {
    const { path, states } = synthetic(name.replace(/\W+/g, '-'), opts);
    const why = noVshadowmount(path);
    const { vss, close } = await openVss(path);
    try {
      const ours = [await readWhole(await vss!.reader(1)), await readWhole(await vss!.reader(2))];
      // Without libvshadow, what the states say: the newest copy whole; the older one over the
      // blocks libvshadow resolves to it (an overlay of a newer store is not applied to an
      // older copy: block 20's first sector is the current volume's there).
      assert.equal(firstDiff(ours[1]!, states[1]!), -1);
      const older = Buffer.from(states[0]!.subarray(0, AREA));
      if (opts.overlays) older.fill(0x66, 20 * BLOCK, 20 * BLOCK + 512);
      if (opts.forwarders && !('forwardersLast' in opts)) {
        // A block saved after a forwarder to it holds the forwarded block's data (libvshadow's
        // reading of the order of the descriptors): the writer wrote block 200's old data there.
        states[0]!.copy(older, 30 * BLOCK, 200 * BLOCK, 201 * BLOCK);
        states[1]!.copy(older, 200 * BLOCK, 200 * BLOCK, 201 * BLOCK);
      }
      assert.equal(firstDiff(ours[0]!.subarray(0, AREA), older), -1);
      if (why) return t.diagnostic(`not compared with libvshadow: ${why}`);
      const theirs = vshadowmount(path, 2);
      assert.equal(firstDiff(ours[0]!, theirs[0]!), -1, 'copy 1');
      assert.equal(firstDiff(ours[1]!, theirs[1]!), -1, 'copy 2');
    } finally {
      await close();
    }
  });
}

test('a volume without VSS has no shadow copies, and listing them is no error', async () => {
  const path = join(TMP, 'plain-volume.img');
  const v = Buffer.alloc(1 << 20, 0x5a);
  writeFileSync(path, v);
  const { vss, close } = await openVss(path);
  await close();
  assert.equal(vss, null);
  // A header without a catalog: no copies either.
  vssHeader(0, 0).copy(v, HEADER_OFFSET);
  writeFileSync(path, v);
  const again = await openVss(path);
  await again.close();
  assert.deepEqual(again.vss?.stores, []);
  const logs: string[] = [];
  const rows = await collect(`SELECT Name FROM glob(globs='/*', accessor='vss', root=pathspec(DelegatePath=P))`, { registry: createHostRegistry(), vars: { P: path }, log: (l, m) => logs.push(`${l}: ${m}`) });
  assert.deepEqual(rows, []);
});

test('a damaged catalog or store is an error naming the structure and its offset', async () => {
  const { path } = synthetic('damaged', {});
  const good = readFileSync(path);
  const damaged = (fn: (b: Buffer) => void) => {
    const b = Buffer.from(good);
    fn(b);
    const p = join(TMP, `damaged-${Math.random().toString(36).slice(2)}.img`);
    writeFileSync(p, b);
    return p;
  };
  // The catalog block's identifier.
  await assert.rejects(openVss(damaged((b) => b.fill(0, AREA, AREA + 16))), /vss: catalog block at 0x600000: no VSS identifier/);
  // A catalog that points past the volume's end.
  await assert.rejects(openVss(damaged((b) => b.writeBigUInt64LE(BigInt(SIZE + BLOCK), HEADER_OFFSET + 48))), /vss: catalog block at 0x804000: offset outside the volume/);
  // A catalog chain that loops.
  await assert.rejects(openVss(damaged((b) => b.writeBigUInt64LE(BigInt(AREA), AREA + 40))), /catalog block at 0x600000: the chain of blocks loops/);
  // Store 1's block list: its record type; then a descriptor whose data is past the end.
  const { vss: v0, close: c0 } = await openVss(path);
  const listAt = v0!.stores[0]!.blockListOffset;
  await c0();
  const wrongType = await openVss(damaged((b) => b.writeUInt32LE(9, listAt + 20)));
  await assert.rejects(wrongType.vss!.reader(1), new RegExp(`vss: store block list of shadow copy 1 \\(${STORE_IDS[0]!.toLowerCase()}\\) at 0x${listAt.toString(16)}: record type 9, expected 3`));
  await assert.rejects(wrongType.vss!.check(), /record type 9, expected 3/);
  await wrongType.close();
  const pastEnd = await openVss(damaged((b) => b.writeBigUInt64LE(BigInt(SIZE * 4), listAt + 128 + 16)));
  await assert.rejects(pastEnd.vss!.reader(1), new RegExp(`block descriptor at 0x${(listAt + 128).toString(16)}: store data offset 0x2000000 is outside the volume`));
  await pastEnd.close();
  // Through the vss accessor, the query says it (and the copy is not read).
  const logs: string[] = [];
  const bad = damaged((b) => b.fill(0, AREA, AREA + 16));
  const rows = await collect(`SELECT read_file(accessor='vss', filename=pathspec(DelegatePath=P, Path='/1'), length=10) AS D FROM scope()`, { registry: createHostRegistry(), vars: { P: bad }, log: (l, m) => logs.push(`${l}: ${m}`) });
  assert.equal(rows[0]!.get('D'), '');
  assert.ok(logs.some((l) => /vss accessor: volume .*damaged-.*\.img: vss: catalog block at 0x600000: no VSS identifier/.test(l)), logs.join('\n'));
});

// ---------------------------------------------------------------------------------------------
// An NTFS volume (ntfs-3g) with two shadow copies.

const NO_NTFS: string | false = ntfsSupport(TMP) ?? false;
let VOL: ShadowVolume;
const NOW = Date.now();
const CREATED = [new Date(NOW - 20 * 86_400_000), new Date(NOW - 2 * 86_400_000)];

before(() => {
  if (!NO_NTFS) VOL = buildShadowVolume(TMP, CREATED);
});

test('NTFS: each shadow copy is the volume kept when it was taken, byte for byte (and vshadowmount\'s)', { skip: NO_NTFS }, async (t) => {
  const { vss, close } = await openVss(VOL.partition);
  try {
    assert.equal(vss!.stores.length, 2);
    assert.deepEqual(vss!.stores.map((s) => s.created.getTime()), CREATED.map((d) => d.getTime()));
    const speeds: string[] = [];
    const ours: Buffer[] = [];
    for (const i of [1, 2]) {
      const r = await vss!.reader(i);
      // A copy is as large as the file system (its sectors, and the backup boot sector).
      assert.equal(r.size, FS_MIB << 20);
      const t0 = performance.now();
      const b = await readWhole(r);
      speeds.push(`copy ${i}: ${(b.length / 1048576 / ((performance.now() - t0) / 1000)).toFixed(0)} MB/s`);
      assert.equal(firstDiff(b, VOL.states[i - 1]!.subarray(0, FS_MIB << 20)), -1, `copy ${i}`);
      ours.push(b);
    }
    t.diagnostic(`read speed: ${speeds.join(', ')}`);
    assert.ok(VOL.stats.stores.every((s) => s.saved > 0), 'the stores hold saved blocks');
    const why = noVshadowmount(VOL.partition);
    if (why) return t.diagnostic(`not compared with libvshadow: ${why}`);
    const theirs = vshadowmount(VOL.partition, 2);
    assert.equal(firstDiff(ours[0]!, theirs[0]!), -1);
    assert.equal(firstDiff(ours[1]!, theirs[1]!), -1);
  } finally {
    await close();
  }
});

test('NTFS: vshadowinfo lists the volume\'s two stores', { skip: NO_NTFS || NO_VSHADOWINFO }, () => {
  const out = execFileSync(tool('vshadowinfo')!, [VOL.partition], { encoding: 'utf8' });
  assert.match(out, /Number of stores:\s+2/);
  assert.deepEqual([...out.matchAll(/Identifier\s+: (\S+)/g)].map((m) => m[1]), STORE_IDS.map((s) => s.toLowerCase()));
});

async function q(text: string, vars: Record<string, unknown> = {}): Promise<{ rows: Array<Record<string, unknown>>; logs: string[] }> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: createHostRegistry(), vars: { P: VOL.partition, ...vars }, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: rows.map((r) => Object.fromEntries([...r.keys()].map((k) => [k, r.get(k)]))), logs };
}

test('NTFS: raw_ntfs over a shadow copy lists the files as they were (deleted file there, old contents)', { skip: NO_NTFS }, async () => {
  const names = async (copy: number | null) => {
    const root = copy === null ? `pathspec(DelegatePath=P)` : `pathspec(DelegateAccessor='vss', Delegate=pathspec(DelegatePath=P, Path='/${copy}'))`;
    const { rows, logs } = await q(`SELECT Name, read_file(accessor='raw_ntfs', filename=OSPath) AS Data FROM glob(globs=['/*.txt', '/Users/Public/notes.txt'], accessor='raw_ntfs', root=${root}) ORDER BY Name`);
    assert.deepEqual(logs.filter((l) => !l.startsWith('debug')), []);
    return rows.map((r) => `${r.Name}=${String(r.Data).trim()}`);
  };
  assert.deepEqual(await names(1), ['doomed.txt=deleted after snapshot 1', `notes.txt=${NOTES[0]!.trim()}`]);
  assert.deepEqual(await names(2), ['new-in-2.txt=made between the snapshots', `notes.txt=${NOTES[1]!.trim()}`]);
  assert.deepEqual(await names(null), ['after.txt=made after snapshot 2', 'new-in-2.txt=made between the snapshots', `notes.txt=${NOTES[2]!.trim()}`]);
  // The vss accessor lists the copies.
  const { rows } = await q(`SELECT Name, Size, Mtime, Data.StoreId AS Store, Data.Device AS Device FROM glob(globs='/*', accessor='vss', root=pathspec(DelegatePath=P))`);
  assert.deepEqual(rows.map((r) => [r.Name, r.Size, String(r.Store), r.Device]), [
    ['1', FS_MIB << 20, STORE_IDS[0]!.toLowerCase(), '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1'],
    ['2', FS_MIB << 20, STORE_IDS[1]!.toLowerCase(), '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy2'],
  ]);
  assert.deepEqual(rows.map((r) => (r.Mtime as { date: Date }).date.getTime()), CREATED.map((d) => d.getTime()));
});

test('NTFS: ntfs_vss globs find each version of a file in the shadow copies, VSS_MAX_AGE_DAYS limits them', { skip: NO_NTFS }, async () => {
  const glob = async (globs: string, days?: number) => {
    const { rows, logs } = await q(`${days === undefined ? '' : `LET VSS_MAX_AGE_DAYS <= ${days}\n`}SELECT OSPath, Name, read_file(accessor='ntfs_vss', filename=OSPath) AS Data FROM glob(globs=G, accessor='ntfs_vss', root=pathspec(DelegatePath=P))`, { G: globs });
    assert.deepEqual(logs.filter((l) => !l.startsWith('debug')), []);
    return rows.map((r) => {
      const spec = JSON.parse(String(r.OSPath)) as { DelegateAccessor?: string; Delegate?: { Path?: string } };
      return `${spec.DelegateAccessor === 'vss' ? `copy ${spec.Delegate?.Path}` : 'current'}: ${r.Name}=${String(r.Data).trim()}`;
    }).sort();
  };
  assert.deepEqual(await glob('/Users/Public/notes.txt'), [`copy /1: notes.txt=${NOTES[0]!.trim()}`, `copy /2: notes.txt=${NOTES[1]!.trim()}`, `current: notes.txt=${NOTES[2]!.trim()}`]);
  assert.deepEqual(await glob('/Users/Public/notes.txt', 7), [`copy /2: notes.txt=${NOTES[1]!.trim()}`, `current: notes.txt=${NOTES[2]!.trim()}`]);
  assert.deepEqual(await glob('/Users/Public/notes.txt', 0), await glob('/Users/Public/notes.txt'));
  // A file unchanged since the copies is listed once; a deleted one from the copy that has it.
  assert.deepEqual(await glob('/*.txt'), ['copy /1: doomed.txt=deleted after snapshot 1', 'current: after.txt=made after snapshot 2', 'current: new-in-2.txt=made between the snapshots']);
  assert.deepEqual(await glob('/Windows/System32/drivers/etc/hosts'), ['current: hosts=127.0.0.1 localhost']);
});
