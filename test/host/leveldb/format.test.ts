// The LevelDB format readers on files the test writes byte by byte: CRC-32C, the log format's
// fragments and recovery rules, write batches, MANIFEST replay (which logs are still live, the
// comparator), and a table with several blocks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { memoryReader, type FileReader } from '../../../main/host/files/accessors.ts';
import { crc32c, maskCrc, unmaskCrc } from '../../../main/host/leveldb/coding.ts';
import { readLogRecords } from '../../../main/host/leveldb/log-reader.ts';
import { decodeWriteBatch, type Entry } from '../../../main/host/leveldb/write-batch.ts';
import { readManifest } from '../../../main/host/leveldb/manifest.ts';
import { internalKey, listed, logFile, versionEdit, writeBatch, writeTable } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'vql-leveldb-format-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function records(file: Uint8Array): Promise<{ data: string[]; problems: string[] }> {
  const problems: string[] = [];
  const data: string[] = [];
  for await (const r of readLogRecords(memoryReader(file), (o, m) => problems.push(`${o}: ${m}`))) data.push(Buffer.from(r.data).toString('latin1'));
  return { data, problems };
}

describe('coding', () => {
  test('CRC-32C: the RFC 3720 vectors; masking round-trips', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
    for (const c of [0, 1, 0xe3069283, 0xffffffff]) assert.equal(unmaskCrc(maskCrc(c)), c);
  });
});

describe('log reader', () => {
  test('records whole and fragmented across 32 KiB blocks come back as written', async () => {
    const big = 'x'.repeat(100_000);
    const { data, problems } = await records(logFile([Buffer.from('one'), Buffer.from(big), Buffer.from('three')]));
    assert.deepEqual(problems, []);
    assert.deepEqual(data, ['one', big, 'three']);
  });

  test('a fragment without its start is dropped and reported; a bad checksum drops the rest of the block', async () => {
    const file = logFile([Buffer.from('a'.repeat(40_000)), Buffer.from('next')]);
    // Turn the FIRST fragment into an unknown type: its MIDDLE/LAST then lack a start.
    const broken = Buffer.from(file);
    broken[6] = 9;
    let r = await records(broken);
    assert.deepEqual(r.data, ['next']);
    assert.match(r.problems.join('\n'), /^0: checksum mismatch/);
    assert.match(r.problems.join('\n'), /missing start of fragmented record/);
    const crc = Buffer.from(logFile([Buffer.from('first'), Buffer.from('second')]));
    crc[7] ^= 1;
    r = await records(crc);
    assert.deepEqual(r.data, []);
    assert.deepEqual(r.problems, ['0: checksum mismatch: the rest of the block (25 bytes) dropped']);
  });

  test('an accessor whose reads return less than asked (a zip member, a device) gives the same records', async () => {
    const big = 'y'.repeat(200_000);
    const file = logFile([Buffer.from('one'), Buffer.from(big), Buffer.from('three')]);
    const inner = memoryReader(file);
    const short: FileReader = { size: null, read: (offset, length) => inner.read(offset, Math.min(length, 1000)), close: () => inner.close() };
    const data: string[] = [];
    const problems: string[] = [];
    for await (const r of readLogRecords(short, (o, m) => problems.push(`${o}: ${m}`))) data.push(Buffer.from(r.data).toString('latin1'));
    assert.deepEqual(problems, []);
    assert.deepEqual(data, ['one', big, 'three']);
  });

  test('zero padding (preallocated space) is skipped silently; a torn tail is reported and ignored', async () => {
    const padded = Buffer.concat([logFile([Buffer.from('kept')]), Buffer.alloc(1000)]);
    let r = await records(padded);
    assert.deepEqual(r, { data: ['kept'], problems: [] });
    const torn = logFile([Buffer.from('kept'), Buffer.from('torn'.repeat(10))]).subarray(0, -5);
    r = await records(torn);
    assert.deepEqual(r.data, ['kept']);
    assert.deepEqual(r.problems, ['11: truncated record at the end of the file (42 bytes ignored, as LevelDB\'s recovery ignores them)']);
  });
});

describe('write batches and the MANIFEST', () => {
  test('a batch gives consecutive sequence numbers; a wrong count is reported after applying what was read', () => {
    const got: Entry[] = [];
    decodeWriteBatch(writeBatch(100, [['a', '1'], ['b', null], ['c', '3']]), (e) => got.push(e));
    assert.deepEqual(got.map((e) => [Buffer.from(e.key).toString(), e.seq, e.type, Buffer.from(e.value).toString()]), [['a', 100, 1, '1'], ['b', 101, 0, ''], ['c', 102, 1, '3']]);
    const bad = writeBatch(7, [['a', '1']]);
    bad.writeUInt32LE(2, 8);
    const applied: Entry[] = [];
    assert.throws(() => decodeWriteBatch(bad, (e) => applied.push(e)), /write batch has wrong count: header says 2, found 1/);
    assert.equal(applied.length, 1);
    assert.throws(() => decodeWriteBatch(Buffer.alloc(5), () => {}), /log record too small/);
  });

  test('MANIFEST replay: comparator, log number, live files by level; an unknown tag is an error', async () => {
    const k = (s: string, seq: number) => internalKey(Buffer.from(s), seq, 1);
    const m = await readManifest(memoryReader(logFile([
      versionEdit({ comparator: 'leveldb.BytewiseComparator', logNumber: 3, nextFile: 4 }),
      versionEdit({ logNumber: 6, lastSequence: 40, newFiles: [{ level: 0, number: 5, size: 100, smallest: k('a', 1), largest: k('z', 2) }, { level: 2, number: 4, size: 10, smallest: k('b', 1), largest: k('c', 1) }] }),
    ])));
    assert.equal(m.comparator, 'leveldb.BytewiseComparator');
    assert.equal(m.logNumber, 6);
    assert.equal(m.lastSequence, 40);
    assert.deepEqual(m.levels.map((l) => l.map((f) => f.number)), [[5], [], [4], [], [], [], []]);
    await assert.rejects(readManifest(memoryReader(logFile([Buffer.from([0x63, 0x01])]))), /unknown tag 99/);
  });

  test('a damaged or incomplete MANIFEST is refused whole (a lost edit would give wrong live files), as LevelDB refuses it', async () => {
    const edits = [versionEdit({ comparator: 'leveldb.BytewiseComparator', logNumber: 3, nextFile: 4, lastSequence: 1 }), versionEdit({ newFiles: [{ level: 0, number: 2, size: 1, smallest: internalKey(Buffer.from('a'), 1, 1), largest: internalKey(Buffer.from('a'), 1, 1) }] })];
    const damaged = logFile(edits);
    damaged[damaged.length - 3] ^= 1;
    await assert.rejects(readManifest(memoryReader(damaged)), /damaged: offset \d+: checksum mismatch/);
    await assert.rejects(readManifest(memoryReader(logFile(edits).subarray(0, -2))), /damaged: offset \d+: truncated record/);
    await assert.rejects(readManifest(memoryReader(logFile([versionEdit({ comparator: 'x', logNumber: 1 })]))), /incomplete: no next file number, last sequence in its edits/);
  });
});

describe('leveldb() on folders written byte by byte', () => {
  let n = 0;
  const folder = (files: Record<string, Uint8Array | string>): string => {
    const dir = join(root, `f${++n}`);
    mkdirSync(dir);
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    return dir;
  };
  const text = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => [Buffer.from(k, 'hex').toString(), Buffer.from(v, 'hex').toString()]);

  test('logs older than the MANIFEST\'s log number are not replayed (their data is in tables, or was deleted since)', async () => {
    const entries: Array<[Buffer, Buffer]> = [[internalKey(Buffer.from('in-table'), 5, 1), Buffer.from('t')]];
    const table = writeTable(entries, 10, { type: 0, encode: (b) => b });
    const dir = folder({
      CURRENT: 'MANIFEST-000002\n',
      'MANIFEST-000002': logFile([versionEdit({ comparator: 'leveldb.BytewiseComparator', logNumber: 6, nextFile: 7, lastSequence: 9, newFiles: [{ level: 1, number: 4, size: table.length, smallest: entries[0]![0], largest: entries[0]![0] }] })]),
      '000003.log': logFile([writeBatch(1, [['stale', 'old'], ['in-table', 'older']])]),
      '000004.ldb': table,
      '000006.log': logFile([writeBatch(10, [['fresh', 'new']])]),
    });
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(logs, []);
    assert.deepEqual(text(pairs), [['fresh', 'new'], ['in-table', 't']]);
  });

  test('a database ordered by another comparator is listed in bytewise order, with a warning', async () => {
    // Tables in "reverse" order, as a custom comparator would sort them.
    const entries: Array<[Buffer, Buffer]> = ['c', 'b', 'a'].map((s, i) => [internalKey(Buffer.from(s), i + 1, 1), Buffer.from(s.toUpperCase())]);
    const table = writeTable(entries, 1, { type: 0, encode: (b) => b });
    const dir = folder({
      CURRENT: 'MANIFEST-000001\n',
      'MANIFEST-000001': logFile([versionEdit({ comparator: 'idb_cmp1', logNumber: 3, nextFile: 4, lastSequence: 3, newFiles: [{ level: 1, number: 2, size: table.length, smallest: entries[0]![0], largest: entries[2]![0] }] })]),
      '000002.ldb': table,
      '000003.log': logFile([writeBatch(10, [['b', null], ['d', 'D']])]),
    });
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(text(pairs), [['a', 'A'], ['c', 'C'], ['d', 'D']]);
    assert.deepEqual(logs, [`warn: leveldb: file=${dir}: the database orders its keys with the comparator "idb_cmp1": rows are listed in bytewise key order instead`]);
  });

  test('a table named by the MANIFEST but absent (incomplete copy) is reported; the rest is listed', async () => {
    const dir = folder({
      CURRENT: 'MANIFEST-000001\n',
      'MANIFEST-000001': logFile([versionEdit({ comparator: 'leveldb.BytewiseComparator', logNumber: 3, nextFile: 4, lastSequence: 1, newFiles: [{ level: 0, number: 2, size: 100, smallest: internalKey(Buffer.from('a'), 1, 1), largest: internalKey(Buffer.from('b'), 1, 1) }] })]),
      '000003.log': logFile([writeBatch(10, [['d', 'D']])]),
    });
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(text(pairs), [['d', 'D']]);
    assert.deepEqual(logs, [`warn: leveldb: file=${dir}: 000002.ldb: live table (level 0) named by the MANIFEST is absent from the folder: its keys are missing`]);
  });

  test('a table that is not a table (bad magic) is skipped with a warning naming it', async () => {
    const dir = folder({ '000005.ldb': Buffer.alloc(100, 1), '000006.log': logFile([writeBatch(1, [['k', 'v']])]) });
    const { pairs, logs } = await listed(dir);
    assert.deepEqual(text(pairs), [['k', 'v']]);
    assert.match(logs.join('\n'), new RegExp(`warn: leveldb: file=${dir}: 000005\\.ldb: not a table: bad magic number in the footer \\(table skipped\\)`));
  });
});
