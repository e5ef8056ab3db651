/**
 * NTFS shared pieces (fixups, $FILE_NAME) and the $I30 directory index parser, over records
 * the tests build byte by byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFixups } from '../../../main/host/ntfs/fixup.ts';
import { NtfsError } from '../../../main/host/ntfs/errors.ts';
import { decodeFileName, fileAttributeFlags } from '../../../main/host/ntfs/filename-attr.ts';
import { i30Entries, i30Row, plausibleFileName, type I30Entry } from '../../../main/host/ntfs/i30.ts';
import { makeParseNtfsI30, parseNtfsI30, type I30Source } from '../../../main/host/ntfs/i30-plugin.ts';
import { collect, createRegistry, toJSON } from '../../../main/vql/index.ts';
import type { FileNameAttr } from '../../../main/host/ntfs/filename-attr.ts';
import { fileNameBody, indexEntry, indexRoot, indxRecord, withFixups } from './usn-writer.ts';

test('applyFixups restores sector ends and checks the update sequence number', () => {
  const rec = new Uint8Array(1024);
  rec.set([0x46, 0x49, 0x4c, 0x45]); // FILE
  rec[510] = 0xaa; rec[511] = 0xbb; rec[1022] = 0xcc; rec[1023] = 0xdd;
  const disk = withFixups(rec, 0x30, 0x1234);
  assert.equal(disk[510], 0x34); assert.equal(disk[511], 0x12);
  assert.equal(disk[1022], 0x34); assert.equal(disk[1023], 0x12);
  const copy = disk.slice();
  applyFixups(copy, 1024, 'MFT entry 5');
  assert.deepEqual([copy[510], copy[511], copy[1022], copy[1023]], [0xaa, 0xbb, 0xcc, 0xdd]);

  const torn = disk.slice();
  torn[1022] = 0;
  assert.throws(() => applyFixups(torn, 1024, 'MFT entry 5'), (e: unknown) =>
    e instanceof NtfsError && e.where === 'MFT entry 5' && /sector 1/.test(e.message) && /MFT entry 5/.test(e.message));

  const badUsa = disk.slice();
  badUsa[6] = 9; // count 9 → 8 sectors of 512 > 1024
  assert.throws(() => applyFixups(badUsa, 1024, 'x'), /update sequence array count 9/);
  assert.throws(() => applyFixups(disk.slice(0, 512), 1024, 'x'), /only 512 available/);
});

test('decodeFileName decodes every field and refuses truncation', () => {
  const body = fileNameBody({
    parentEntry: 0x1_0000_0005, parentSeq: 7, created: 132000000000000000n, modified: 132000000000000001n,
    mftModified: 132000000000000002n, accessed: 132000000000000003n, allocatedSize: 8192, realSize: 5000,
    flags: 0x20 | 0x2, nameType: 'DOS+Win32', name: 'héllo ☃.txt',
  });
  const fn = decodeFileName(body, 'here');
  assert.deepEqual(fn, {
    parentEntry: 0x1_0000_0005, parentSeq: 7, created: 132000000000000000n, modified: 132000000000000001n,
    mftModified: 132000000000000002n, accessed: 132000000000000003n, allocatedSize: 8192, realSize: 5000,
    flags: 0x22, nameType: 'DOS+Win32', name: 'héllo ☃.txt',
  });
  assert.throws(() => decodeFileName(body.subarray(0, 60), 'here'), (e: unknown) => e instanceof NtfsError && /truncated/.test(e.message) && e.where === 'here');
  assert.throws(() => decodeFileName(body.subarray(0, body.length - 1)), /name truncated/);
  const badNs = body.slice(); badNs[0x41] = 4;
  assert.throws(() => decodeFileName(badNs), /namespace 4/);
});

test('fileAttributeFlags names the bits', () => {
  assert.deepEqual(fileAttributeFlags(0), []);
  assert.deepEqual(fileAttributeFlags(0x1 | 0x2 | 0x4 | 0x20), ['READ_ONLY', 'HIDDEN', 'SYSTEM', 'ARCHIVE']);
  assert.deepEqual(fileAttributeFlags(0x10 | 0x200 | 0x400 | 0x800 | 0x2000 | 0x4000), ['DIRECTORY', 'SPARSE_FILE', 'REPARSE_POINT', 'COMPRESSED', 'NOT_CONTENT_INDEXED', 'ENCRYPTED']);
  assert.deepEqual(fileAttributeFlags(0x10000000), ['DUP_FILE_NAME_INDEX_PRESENT']);
});

// 2023-05-06T07:08:09Z and later, as FILETIMEs.
const T = 133278304890000000n;

function fn(name: string, i: number, extra: Partial<FileNameAttr> = {}): FileNameAttr {
  return {
    parentEntry: 1234, parentSeq: 3, created: T + BigInt(i), modified: T + 10_000_000n + BigInt(i), mftModified: T + 20_000_000n + BigInt(i),
    accessed: T + 30_000_000n + BigInt(i), allocatedSize: 4096 * (i + 1), realSize: 100 * i + 1, flags: 0x20, nameType: 'Win32', name, ...extra,
  };
}

/** A directory: 3 entries in the root, two INDX records of 4096 bytes; the second has two deleted entries in slack. */
function sampleDir() {
  const rootEntries = [indexEntry(300, 1, fn('a-root.txt', 0)), indexEntry(301, 1, fn('B-ROOT~1.TXT', 1, { nameType: 'DOS' }))];
  const root = indexRoot(rootEntries, 4096, true);
  const rec0 = indxRecord([0, 1, 2, 3, 4].map((i) => indexEntry(400 + i, 2, fn(`live-${i}.doc`, i))), 4096, 0n);
  const deleted = [indexEntry(500, 1, fn('kept.txt', 0)), indexEntry(501, 7, fn('deleted-one.xlsx', 5, { flags: 0x21 })), indexEntry(502, 8, fn('Deleted Two ünï.pdf', 6, { nameType: 'POSIX' }))];
  const rec1 = indxRecord(deleted, 4096, 1n, 2);
  const unused = new Uint8Array(4096); // an unallocated record: zeros
  return { root, allocation: Buffer.concat([rec0.record, unused, rec1.record]), rec1Offsets: rec1.offsets };
}

function names(es: I30Entry[]): string[] {
  return es.map((e) => `${e.fileName.name}${e.isSlack ? '@slack' : ''}`);
}

test('i30Entries reads the root, INDX records and carves deleted entries from slack', () => {
  const d = sampleDir();
  const es = i30Entries(d.root, d.allocation, 0, 'dir 1234');
  assert.deepEqual(names(es), [
    'a-root.txt', 'B-ROOT~1.TXT', 'live-0.doc', 'live-1.doc', 'live-2.doc', 'live-3.doc', 'live-4.doc', 'kept.txt', 'deleted-one.xlsx@slack', 'Deleted Two ünï.pdf@slack',
  ]);
  const live = es[3]!;
  assert.equal(live.mftEntry, 401);
  assert.equal(live.mftSeq, 2);
  assert.equal(live.isSlack, false);
  assert.equal(live.slackOffset, 0);
  assert.deepEqual(live.fileName, fn('live-1.doc', 1));
  // The first deleted entry's header was overwritten by the end marker: its reference is lost.
  const d1 = es[8]!;
  assert.equal(d1.mftEntry, 0);
  assert.equal(d1.slackOffset, 2 * 4096 + d.rec1Offsets[1]!);
  assert.deepEqual(d1.fileName, fn('deleted-one.xlsx', 5, { flags: 0x21 }));
  // The second is intact.
  const d2 = es[9]!;
  assert.equal(d2.mftEntry, 502);
  assert.equal(d2.mftSeq, 8);
  assert.equal(d2.slackOffset, 2 * 4096 + d.rec1Offsets[2]!);
  assert.deepEqual(d2.fileName, fn('Deleted Two ünï.pdf', 6, { nameType: 'POSIX' }));

  assert.deepEqual(JSON.parse(toJSON(i30Row(d2) as never)), {
    Name: 'Deleted Two ünï.pdf', NameType: 'POSIX', Size: 601, AllocatedSize: 4096 * 7, IsSlack: true, SlackOffset: 2 * 4096 + d.rec1Offsets[2]!,
    Mtime: '2023-05-06T07:08:10.0000006Z', Atime: '2023-05-06T07:08:12.0000006Z', Ctime: '2023-05-06T07:08:11.0000006Z', Btime: '2023-05-06T07:08:09.0000006Z', MFTId: '502',
  });
  // Small directories have no $INDEX_ALLOCATION.
  assert.deepEqual(names(i30Entries(indexRoot([indexEntry(9, 1, fn('x', 0))], 4096), null, 4096, 'd')), ['x']);
});

test('i30Entries: corrupt fixups and damaged structures give clear errors, or warnings and the rest', () => {
  const d = sampleDir();
  const torn = d.allocation.slice();
  torn[2 * 4096 + 1022] ^= 0xff; // the end of sector 1 of the third record
  assert.throws(() => i30Entries(d.root, torn, 4096, 'dir 1234'), (e: unknown) =>
    e instanceof NtfsError && /dir 1234: INDX record at offset 8192 of \$INDEX_ALLOCATION/.test(e.message) && /fixup mismatch in sector 1/.test(e.message));
  const warnings: string[] = [];
  const es = i30Entries(d.root, torn, 4096, 'dir 1234', (m) => warnings.push(m));
  assert.equal(es.length, 7);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /offset 8192 .*fixup mismatch in sector 1/);

  const notDir = d.root.slice(); notDir[0] = 0x80;
  assert.throws(() => i30Entries(notDir, null, 0, 'x'), /not a directory index/);
  assert.throws(() => i30Entries(d.root.subarray(0, 20), null, 0, 'x'), /truncated/);
  const badLen = d.root.slice(); badLen[0x20 + 8] = 3; // the first entry's length
  assert.throws(() => i30Entries(badLen, null, 0, 'x'), /entry 0 at offset 32: bad index entry length 3/);
  const noSig = d.allocation.slice(); noSig[4096] = 1;
  const w2: string[] = [];
  i30Entries(d.root, noSig, 4096, 'd', (m) => w2.push(m));
  assert.match(w2[0]!, /offset 4096 .*no INDX signature/);
  // Random bytes never hang nor throw anything but NtfsError.
  for (let seed = 1; seed < 200; seed++) {
    const junk = Uint8Array.from({ length: 4096 }, (_, i) => (i * seed * 2654435761) >>> 24);
    junk.set([0x49, 0x4e, 0x44, 0x58]);
    try { i30Entries(d.root, junk, 4096, 'j', () => {}); } catch (e) { assert.ok(e instanceof NtfsError); }
  }
});

test('plausibleFileName rejects non-names', () => {
  const good = fileNameBody(fn('ok.txt', 0));
  assert.equal(plausibleFileName(good, 0, good.length), true);
  assert.equal(plausibleFileName(good, 0, good.length - 1), false);
  const oldTime = fileNameBody(fn('ok.txt', 0, { created: 10n }));
  assert.equal(plausibleFileName(oldTime, 0, oldTime.length), false);
  const ctrl = fileNameBody(fn('a\u0001b', 0));
  assert.equal(plausibleFileName(ctrl, 0, ctrl.length), false);
  const sizes = fileNameBody(fn('ok', 0, { realSize: 10, allocatedSize: 0 }));
  assert.equal(plausibleFileName(sizes, 0, sizes.length), false);
  assert.equal(plausibleFileName(new Uint8Array(200), 0, 200), false);
});

test('parse_ntfs_i30 through the engine over a directory source', async () => {
  const d = sampleDir();
  const seen: unknown[] = [];
  const source: I30Source = {
    async directoryIndex(args) {
      seen.push({ device: args.device, mft: args.mft, accessor: args.accessor });
      if (args.mft === 99) throw new NtfsError('MFT entry 99 is not a directory', 'device \\\\.\\C:');
      return { root: d.root, allocation: d.allocation, indexRecordSize: 4096, where: 'MFT entry 1234' };
    },
  };
  const run = async (q: string, plugin = makeParseNtfsI30(source)) => {
    const registry = createRegistry();
    registry.registerPlugin(plugin);
    const logs: string[] = [];
    const rows = await collect(q, { registry, log: (l, m) => logs.push(`${l}: ${m}`) });
    return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
  };
  const all = await run('SELECT * FROM parse_ntfs_i30(device="\\\\\\\\.\\\\C:", mft=1234)');
  assert.equal(all.rows.length, 10);
  assert.deepEqual(Object.keys(all.rows[0]!), ['Name', 'NameType', 'Size', 'AllocatedSize', 'IsSlack', 'SlackOffset', 'Mtime', 'Atime', 'Ctime', 'Btime', 'MFTId']);
  assert.deepEqual(seen, [{ device: '\\\\.\\C:', mft: 1234, accessor: 'auto' }]);
  // Windows.NTFS.I30's SlackOnly filter.
  const slack = await run('SELECT Name, MFTId FROM parse_ntfs_i30(device="x", mft=1234) WHERE IsSlack = true OR NOT TRUE');
  assert.deepEqual(slack.rows, [{ Name: 'deleted-one.xlsx', MFTId: '0' }, { Name: 'Deleted Two ünï.pdf', MFTId: '502' }]);
  const err = await run('SELECT * FROM parse_ntfs_i30(device="x", mft=99)');
  assert.deepEqual(err.rows, []);
  assert.ok(err.logs.some((l) => /error: .*MFT entry 99 is not a directory/.test(l)), err.logs.join('\n'));
  const none = await run('SELECT * FROM parse_ntfs_i30(device="x", mft=5)', parseNtfsI30);
  assert.ok(none.logs.some((l) => /needs the NTFS volume reader/.test(l)));
});
