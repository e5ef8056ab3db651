/**
 * The USN change journal: records parsed from bytes the tests write (usn-writer.ts), the walk of
 * sparse $J files with damaged regions, and parse_usn through the engine over real files.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, createRegistry, toJSON, type Registry } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { localFileReader, memoryReader, type FileReader } from '../../../main/host/files/accessors.ts';
import {
  checkUsnHeader, parseUsnRecord, readUsnJournal, usnLinks, usnReasons, usnRow, usnSources, type UsnPathResolver, type UsnRecord, type UsnWalkStats,
} from '../../../main/host/ntfs/usn.ts';
import { makeParseUsn, parseUsn } from '../../../main/host/ntfs/usn-plugin.ts';
import { runsReader } from '../../../main/host/ntfs/stream.ts';
import { BlockCache } from '../../../main/host/files/block-cache.ts';
import { NtfsError } from '../../../main/host/ntfs/errors.ts';
import { layoutJournal, usnRecord, writeJournal, type UsnSpec } from './usn-writer.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'usn-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// 2024-01-02T03:04:05.6789012Z as a FILETIME.
const T0 = 133486382456789012n;
const T0_TEXT = '2024-01-02T03:04:05.6789012Z';

const CREATE: UsnSpec = {
  fileEntry: 70123, fileSeq: 4, parentEntry: 5, parentSeq: 5, timestamp: T0, reason: 0x100, sourceInfo: 0, securityId: 261,
  fileAttributes: 0x20, filename: 'notes.txt',
};

async function walk(reader: FileReader, startOffset = 0): Promise<{ recs: UsnRecord[]; warnings: string[]; stats: UsnWalkStats }> {
  const warnings: string[] = [];
  const stats: UsnWalkStats = { records: 0, zeroBytes: 0, garbageRegions: 0, garbageBytes: 0, v4Records: 0, bytesRead: 0 };
  const recs: UsnRecord[] = [];
  for await (const r of readUsnJournal(reader, { startOffset, warn: (m) => warnings.push(m), chunkSize: 64 * 1024 }, stats)) recs.push(r);
  return { recs, warnings, stats };
}

test('parseUsnRecord decodes every field of a V2 record', () => {
  const bytes = usnRecord({ ...CREATE, reason: 0x80000000 | 0x100 | 0x2, sourceInfo: 0x2, fileAttributes: 0x2026 }, 0x12345678);
  assert.equal(bytes.length, 80); // 0x3c + 18 bytes of name = 78, padded
  const r = parseUsnRecord(bytes, 0, 4096);
  assert.deepEqual(r, {
    offset: 4096, recordLength: 80, majorVersion: 2, minorVersion: 0, fileEntry: 70123, fileSeq: 4, parentEntry: 5, parentSeq: 5,
    usn: 0x12345678, timestamp: T0, reason: 0x80000102, sourceInfo: 2, securityId: 261, fileAttributes: 0x2026, filename: 'notes.txt',
  });
  assert.deepEqual(usnReasons(r.reason), ['DATA_EXTEND', 'FILE_CREATE', 'CLOSE']);
  assert.deepEqual(usnSources(r.sourceInfo), ['AUXILIARY_DATA']);
  assert.deepEqual(usnSources(0xf), ['DATA_MANAGEMENT', 'AUXILIARY_DATA', 'REPLICATION_MANAGEMENT', 'CLIENT_REPLICATION_MANAGEMENT']);
  assert.deepEqual(usnReasons(0x00fff777), [
    'DATA_OVERWRITE', 'DATA_EXTEND', 'DATA_TRUNCATION', 'NAMED_DATA_OVERWRITE', 'NAMED_DATA_EXTEND', 'NAMED_DATA_TRUNCATION', 'FILE_CREATE', 'FILE_DELETE',
    'EA_CHANGE', 'RENAME_OLD_NAME', 'RENAME_NEW_NAME', 'INDEXABLE_CHANGE', 'BASIC_INFO_CHANGE', 'HARD_LINK_CHANGE', 'COMPRESSION_CHANGE', 'ENCRYPTION_CHANGE',
    'OBJECT_ID_CHANGE', 'REPARSE_POINT_CHANGE', 'STREAM_CHANGE', 'TRANSACTED_CHANGE', 'INTEGRITY_CHANGE',
  ]);
});

test('parseUsnRecord decodes a V3 record with 128-bit ids', () => {
  const bytes = usnRecord({ ...CREATE, version: 3, fileEntry: 0x1_0000_0002, fileSeq: 9, fileHigh: 0n, parentEntry: 36, parentSeq: 1, parentHigh: 0xabcdn, filename: 'Ünïcode ☃ name.docx' }, 800);
  const r = parseUsnRecord(bytes, 0, 800);
  assert.equal(r.majorVersion, 3);
  assert.equal(r.recordLength, Math.ceil((0x4c + 2 * 'Ünïcode ☃ name.docx'.length) / 8) * 8);
  assert.equal(r.fileEntry, 0x1_0000_0002);
  assert.equal(r.fileSeq, 9);
  assert.equal(r.parentEntry, 36);
  assert.equal(r.parentSeq, 1);
  assert.equal(r.fileId128, '00000000000000000009000100000002');
  assert.equal(r.parentId128, '000000000000abcd0001000000000024');
  assert.equal(r.filename, 'Ünïcode ☃ name.docx');
  assert.equal(r.usn, 800);
  assert.equal(r.timestamp, T0);
});

test('parseUsnRecord refuses inconsistent records with the offset', () => {
  const bytes = usnRecord(CREATE, 0);
  const v = new DataView(bytes.buffer);
  const bad = bytes.slice();
  new DataView(bad.buffer).setUint16(0x3a, 70, true); // name offset past the end
  assert.throws(() => parseUsnRecord(bad, 0, 1234), (e: unknown) => e instanceof NtfsError && /offset 1234/.test(e.message) && /outside/.test(e.message));
  assert.throws(() => parseUsnRecord(bytes.subarray(0, 40), 0, 8), /truncated/);
  v.setUint16(4, 7, true);
  assert.throws(() => parseUsnRecord(bytes, 0, 8), /version 7/);
  assert.deepEqual(checkUsnHeader(v, 0), { kind: 'garbage', why: 'unknown major version 7' });
  assert.deepEqual(checkUsnHeader(new DataView(new ArrayBuffer(8)), 0), { kind: 'zero' });
});

/** A journal: a hole, records (some V3, one V4), garbage, more records; returns the expectations. */
function sampleJournal(): { garbageAt: number; size: number; regions: Array<{ at: number; bytes: Uint8Array }>; offsets: number[]; specs: UsnSpec[] } {
  const first: UsnSpec[] = [];
  for (let i = 0; i < 120; i++) {
    first.push({
      ...CREATE, version: i % 10 === 3 ? 3 : 2, fileEntry: 1000 + i, fileSeq: 1 + (i % 3), parentEntry: i % 2 ? 5 : 40, parentSeq: i % 2 ? 5 : 2,
      timestamp: T0 + BigInt(i) * 10_000_000n, reason: [0x100, 0x2, 0x80000002, 0x200 | 0x80000000][i % 4]!, fileAttributes: i % 5 === 0 ? 0x10 : 0x20,
      filename: `file-${i}${'x'.repeat(i % 40)}.txt`,
    });
  }
  const v4: UsnSpec = { ...CREATE, version: 4, filename: '' };
  const second: UsnSpec[] = [];
  for (let i = 0; i < 30; i++) second.push({ ...CREATE, fileEntry: 5000 + i, filename: `later-${i}.log`, timestamp: T0 + 86_400_0000000n + BigInt(i) });
  const garbage = new Uint8Array(200).map((_, i) => (i * 37 + 11) & 0xff);
  const base = 3 * 1024 * 1024; // a 3 MiB hole before the first record
  const firstLayout = layoutJournal([{ at: base, records: first }]);
  const firstEnd = base + firstLayout.regions[0]!.bytes.length;
  const v4At = Math.ceil(firstEnd / 8) * 8;
  const garbageAt = v4At + 0x50;
  const secondAt = garbageAt + 200 + 4096; // garbage then zeros, then records
  const laid = layoutJournal([
    { at: base, records: first },
    { at: v4At, records: [v4] },
    { at: garbageAt, bytes: garbage },
    { at: secondAt, records: second },
  ]);
  const offsets = laid.offsets.filter((o) => o !== v4At);
  return { garbageAt, size: secondAt + 64 * 1024, regions: laid.regions, offsets, specs: [...first, ...second] };
}

function checkRecords(recs: UsnRecord[], specs: UsnSpec[], offsets: number[]): void {
  assert.equal(recs.length, specs.length);
  recs.forEach((r, i) => {
    const s = specs[i]!;
    assert.equal(r.offset, offsets[i], `record ${i} offset`);
    assert.equal(r.usn, offsets[i]);
    assert.equal(r.majorVersion, s.version ?? 2);
    assert.equal(r.fileEntry, s.fileEntry);
    assert.equal(r.fileSeq, s.fileSeq);
    assert.equal(r.parentEntry, s.parentEntry);
    assert.equal(r.parentSeq, s.parentSeq);
    assert.equal(r.timestamp, s.timestamp);
    assert.equal(r.reason, s.reason >>> 0);
    assert.equal(r.fileAttributes, s.fileAttributes);
    assert.equal(r.securityId, s.securityId ?? 0);
    assert.equal(r.filename, s.filename);
  });
}

test('readUsnJournal walks a sparse $J file: hole, V2 and V3, a V4 skipped, garbage resynced', async () => {
  const j = sampleJournal();
  const path = join(dir, 'J1');
  await writeJournal(path, j.size, j.regions);
  const reader = await localFileReader(path);
  try {
    const { recs, warnings, stats } = await walk(reader);
    checkRecords(recs, j.specs, j.offsets);
    assert.equal(stats.v4Records, 1);
    assert.equal(stats.garbageRegions, 1);
    assert.ok(stats.garbageBytes >= 192 && stats.garbageBytes <= 200, String(stats.garbageBytes));
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0]!, /V4 .*skipped, the first at offset \d+/);
    assert.match(warnings[1]!, new RegExp(`damaged data at offset ${j.garbageAt} \\(`));
    // start_offset: from the 100th record on.
    const from = await walk(reader, j.offsets[100]!);
    checkRecords(from.recs, j.specs.slice(100), j.offsets.slice(100));
  } finally {
    await reader.close();
  }
});

test('readUsnJournal skips holes without reading them when the reader knows its data ranges', async () => {
  const j = sampleJournal();
  const bytes = new Uint8Array(j.size);
  for (const r of j.regions) bytes.set(r.bytes, r.at);
  const mem = memoryReader(bytes);
  const sparse = {
    ...mem,
    dataRanges: async () => j.regions.map((r) => ({ offset: Math.floor(r.at / 4096) * 4096, length: r.bytes.length + (r.at % 4096) })),
  };
  const { recs, stats } = await walk(sparse);
  checkRecords(recs, j.specs, j.offsets);
  assert.ok(stats.bytesRead < 1024 * 1024, `read ${stats.bytesRead} bytes`);
});

test('a sparse $J read through the NTFS stream reader skips its holes: runsReader gives its data ranges', async () => {
  const j = sampleJournal();
  const bytes = new Uint8Array(Math.ceil(j.size / 4096) * 4096);
  for (const r of j.regions) bytes.set(r.bytes, r.at);
  // The volume holds the stream's clusters where they are (lcn = vcn); a cluster of zeros is a sparse run.
  const runs: Array<{ vcn: number; length: number; lcn: number | null }> = [];
  for (let c = 0; c < bytes.length / 4096; c++) {
    const lcn = bytes.subarray(c * 4096, (c + 1) * 4096).some((b) => b !== 0) ? c : null;
    const last = runs[runs.length - 1];
    if (last && (last.lcn === null) === (lcn === null)) last.length++;
    else runs.push({ vcn: c, length: 1, lcn });
  }
  assert.ok(runs.some((r) => r.lcn === null) && runs.some((r) => r.lcn !== null));
  const disk = memoryReader(bytes);
  let diskBytes = 0;
  const counted: FileReader = { ...disk, read: async (o, l) => { const b = await disk.read(o, l); diskBytes += b.length; return b; } };
  const reader = runsReader(new BlockCache(counted), 4096, { realSize: j.size, initializedSize: j.size, compressed: false, compressionUnit: 0, runs }, 'vol.dd, $J');
  const { recs, stats } = await walk(reader);
  checkRecords(recs, j.specs, j.offsets);
  assert.ok(stats.bytesRead < 1024 * 1024 && diskBytes < 1024 * 1024, `read ${stats.bytesRead} bytes of the stream, ${diskBytes} of the volume`);
});

test('readUsnJournal never hangs on bad data', async () => {
  const cases: Uint8Array[] = [
    new Uint8Array(0),
    new Uint8Array(5).fill(1),
    new Uint8Array(4096).fill(0xff),
    Uint8Array.from({ length: 10000 }, (_, i) => (i * 7919) & 0xff),
  ];
  // A record whose length runs past the end.
  const cut = usnRecord(CREATE, 0).subarray(0, 50);
  cases.push(cut);
  for (const c of cases) {
    const { recs, warnings } = await walk(memoryReader(c));
    assert.equal(recs.length, 0);
    assert.ok(warnings.length <= 3, warnings.join('\n'));
  }
  const { warnings } = await walk(memoryReader(cut));
  assert.match(warnings[0]!, /offset 0 .*runs past the end/);
});

test('usnLinks and usnRow: paths from the resolver, go-ntfs error form, file name alone', async () => {
  const rec = parseUsnRecord(usnRecord({ ...CREATE, parentEntry: 40, parentSeq: 2 }, 64), 0, 64);
  const resolver: UsnPathResolver = { path: async (e, s) => (e === 40 && s === 2 ? 'Users\\bob' : e === 5 ? '' : null) };
  assert.deepEqual(await usnLinks(rec, resolver), ['Users\\bob\\notes.txt']);
  assert.deepEqual(await usnLinks(rec, null), ['notes.txt']);
  assert.deepEqual(await usnLinks({ ...rec, parentSeq: 3 }, resolver), ['<Err>\\<Parent 40-3>\\notes.txt']);
  assert.deepEqual(await usnLinks({ ...rec, parentEntry: 5 }, resolver), ['notes.txt']);
  assert.deepEqual(await usnLinks(rec, { path: async () => null, paths: async () => ['A', 'B\\C'] }), ['A\\notes.txt', 'B\\C\\notes.txt']);
  const row = JSON.parse(toJSON(usnRow(rec, ['Users\\bob\\notes.txt'])));
  assert.deepEqual(row, {
    Usn: 64, OSPath: 'Users\\bob\\notes.txt', Timestamp: T0_TEXT, Filename: 'notes.txt', FileAttributes: ['ARCHIVE'], Reason: ['FILE_CREATE'], SourceInfo: [],
    _FileMFTID: 70123, _FileMFTSequence: 4, _ParentMFTID: 40, _ParentMFTSequence: 2, _Links: ['Users\\bob\\notes.txt'],
  });
});

function usnRegistry(plugin = parseUsn): () => Registry {
  return () => {
    const registry = createRegistry();
    registerFiles(registry, {});
    registry.registerPlugin(plugin);
    return registry;
  };
}

async function query(text: string, vars: Record<string, unknown> = {}, plugin = parseUsn) {
  const logs: string[] = [];
  const rows = await collect(text, { registry: usnRegistry(plugin)(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

test('parse_usn through the engine: file accessor, start_offset, the artifact\'s filters', async () => {
  const j = sampleJournal();
  const path = join(dir, 'J2');
  await writeJournal(path, j.size, j.regions);
  assert.ok((await stat(path)).size === j.size);

  const all = await query('SELECT * FROM parse_usn(usn_filename=F, accessor="file")', { F: path });
  assert.equal(all.rows.length, 150);
  assert.deepEqual(Object.keys(all.rows[0]!), ['Usn', 'OSPath', 'Timestamp', 'Filename', 'FileAttributes', 'Reason', 'SourceInfo', '_FileMFTID', '_FileMFTSequence', '_ParentMFTID', '_ParentMFTSequence', '_Links']);
  assert.deepEqual(all.rows[0], {
    Usn: j.offsets[0], OSPath: 'file-0.txt', Timestamp: T0_TEXT, Filename: 'file-0.txt', FileAttributes: ['DIRECTORY'], Reason: ['FILE_CREATE'], SourceInfo: [],
    _FileMFTID: 1000, _FileMFTSequence: 1, _ParentMFTID: 40, _ParentMFTSequence: 2, _Links: ['file-0.txt'],
  });
  assert.deepEqual(all.rows[3]!.Reason, ['FILE_DELETE', 'CLOSE']);
  assert.equal(all.logs.filter((l) => l.startsWith('warn')).length, 2, all.logs.join('\n'));
  assert.ok(all.logs.some((l) => /^warn: .*usn_filename=.*J2.*damaged data at offset \d+/.test(l)), all.logs.join('\n'));

  const later = await query('SELECT Usn, Filename FROM parse_usn(usn_filename=F, start_offset=S)', { F: path, S: j.offsets[125] });
  assert.deepEqual(later.rows.map((r) => r.Filename), j.specs.slice(125).map((s) => s.filename));

  // Windows.Forensics.Usn's filters (its MFT id regexes at their default: `int =~ regex` is false in this engine).
  const filtered = await query(
    `LET DateBeforeTime <= timestamp(epoch="2024-01-02T03:05:00Z")
     SELECT Filename, _FileMFTID FROM parse_usn(usn_filename=F, fast_paths=TRUE)
     WHERE Filename =~ "file-1" AND _FileMFTID =~ "." AND _ParentMFTID =~ "." AND _FileMFTID > 1009 AND _FileMFTID < 1030
       AND _ParentMFTID = 5 AND Timestamp < DateBeforeTime AND _Links =~ "txt$"`,
    { F: path },
  );
  // Times T0 + i s, before 03:05:00 → i <= 54; names file-1*, ids 1010-1029 with odd i (parent 5).
  assert.deepEqual(filtered.rows.map((r) => r._FileMFTID), [1011, 1013, 1015, 1017, 1019]);
});

test('parse_usn with a path resolver (as the NTFS reader will give) and missing inputs', async () => {
  const j = sampleJournal();
  const path = join(dir, 'J3');
  await writeJournal(path, j.size, j.regions);
  let closed = 0;
  const plugin = makeParseUsn({
    mftResolver: async () => ({
      path: async (e, s) => (e === 5 && s === 5 ? '' : e === 40 && s === 2 ? 'Users\\bob' : null),
      close: async () => { closed++; },
    }),
  });
  const { rows } = await query('SELECT OSPath, _Links FROM parse_usn(usn_filename=F, mft_filename="whatever") LIMIT 2', { F: path }, plugin);
  assert.deepEqual(rows, [
    { OSPath: 'Users\\bob\\file-0.txt', _Links: ['Users\\bob\\file-0.txt'] },
    { OSPath: 'file-1x.txt', _Links: ['file-1x.txt'] },
  ]);
  assert.equal(closed, 1);

  const noMft = await query('SELECT * FROM parse_usn(usn_filename=F, mft_filename="/nonexistent/MFT") LIMIT 1', { F: path });
  assert.equal(noMft.rows.length, 1);
  assert.ok(noMft.logs.some((l) => /warn: parse_usn: mft_filename=\/nonexistent\/MFT: cannot read: no such file: paths are not resolved/.test(l)), noMft.logs.join('\n'));
  const noHook = await query('SELECT * FROM parse_usn(usn_filename=F, mft_filename="x") LIMIT 1', { F: path }, makeParseUsn({}));
  assert.ok(noHook.logs.some((l) => /warn: .*mft_filename: path resolution needs the NTFS MFT reader/.test(l)), noHook.logs.join('\n'));
  const none = await query('SELECT * FROM parse_usn()');
  assert.deepEqual(none.rows, []);
  assert.ok(none.logs.some((l) => /one of usn_filename or device is required/.test(l)));
  const dev = await query('SELECT * FROM parse_usn(device="C:")');
  assert.ok(dev.logs.some((l) => /needs the NTFS volume reader/.test(l)), dev.logs.join('\n'));
  const missing = await query('SELECT * FROM parse_usn(usn_filename="/nonexistent/J")');
  assert.ok(missing.logs.some((l) => /error: .*usn_filename=\/nonexistent\/J: cannot open: no such file/.test(l)), missing.logs.join('\n'));
});
