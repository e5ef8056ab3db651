// A restart never deletes good rows, in the JSONL layout too: repair cuts only a torn last line
// of the .json, a torn last record of the .json.tidx and records past the end of the rows; rows
// without a record get one (from their _ts); a bad line mid-file or an index that does not match
// is left as it is and reported with its file and line, and writing goes on after it.
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JsonlMonitoringStore } from '../../main/collector/jsonl-store.ts';
import { StoreWriteError } from '../../main/collector/store.ts';
import { Collector } from '../../main/collector/collector.ts';
import { checkJsonlDay } from '../../main/collector/jsonl-check.ts';
import { TIDX_RECORD, parseTidx, writeTidxRecord } from '../../main/collector/jsonl-file.ts';
import { readJsonlDay } from '../../main/collector/jsonl-read.ts';
import type { MonitorLogEntry } from '../../main/collector/monitor-log.ts';
import { VDict } from '../../main/vql/values/types.ts';

const CID = 'C.0123456789abcdef';
const NOW = () => new Date('2024-01-02T10:00:00Z');
const Q = 'Test.Repair';
let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vql-jsonl-repair-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let counter = 0;

function rowAt(i: number): VDict {
  const kinds = [`text ${i}`, `a, b ${i}`, `say "hi" ${i}`, `two\nlines ${i}`, `é€😀 ${i}`];
  return new VDict([['N', i], ['T', kinds[i % kinds.length]!]]);
}

/** A datastore whose day holds `n` rows in batches of 10 (at 10:00:00, :01, ...); the day file, its bytes and index. */
async function dayWith(n: number): Promise<{ ds: string; file: string; tidx: string; json: Buffer; index: Buffer; lineStarts: number[] }> {
  const ds = join(tmp, `ds${counter++}`);
  let t = NOW().getTime();
  const store = new JsonlMonitoringStore({ datastore: ds, clientId: CID, now: () => new Date(t) });
  for (let i = 0; i < n; i += 10) {
    await store.append(Q, Array.from({ length: Math.min(10, n - i) }, (_, k) => rowAt(i + k)));
    t += 1000;
  }
  await store.close();
  const file = join(store.dir(Q), '2024-01-02.json');
  const json = await readFile(file);
  const lineStarts = [0];
  for (let i = json.indexOf(0x0a); i >= 0 && i < json.length - 1; i = json.indexOf(0x0a, i + 1)) lineStarts.push(i + 1);
  return { ds, file, tidx: file + '.tidx', json, index: await readFile(file + '.tidx'), lineStarts };
}

function store(ds: string, warn?: (m: string) => void): JsonlMonitoringStore {
  return new JsonlMonitoringStore({ datastore: ds, clientId: CID, now: NOW, ...(warn ? { warn } : {}) });
}

/** The rows of the day as their N, read through the index. */
async function ns(file: string, onProblem?: (m: string) => void): Promise<number[]> {
  return (await readJsonlDay(file, { onProblem })).map((r) => r.get('N') as number);
}

describe('torn writes are repaired, and only they', () => {
  test('a torn last line: exactly the bytes after the last newline are cut; the index is kept', async () => {
    const d = await dayWith(25);
    await appendFile(d.file, '{"N":25,"T":"half a ro');
    const s = store(d.ds);
    assert.deepEqual(await s.repair(), [d.file]);
    assert.deepEqual(await readFile(d.file), d.json);
    assert.deepEqual(await readFile(d.tidx), d.index);
    assert.match(s.repairNote(d.file), /2024-01-02\.json: cut 22 bytes from line 26 to the end: the last line was left incomplete by a crash \(no complete row was removed\)/);
    await s.append(Q, [rowAt(25)]);
    assert.deepEqual(await ns(d.file), Array.from({ length: 26 }, (_, i) => i));
    await s.close();
  });

  test('a last line that looks complete but has no newline is cut (the writer always ends a row with one)', async () => {
    const d = await dayWith(5);
    await appendFile(d.file, '{"N":5,"T":"whole"}');
    const s = store(d.ds);
    assert.deepEqual(await s.repair(), [d.file]);
    assert.deepEqual(await readFile(d.file), d.json);
    await s.close();
  });

  test('a torn last index record is cut', async () => {
    const d = await dayWith(12);
    await appendFile(d.tidx, Buffer.alloc(10, 7));
    const s = store(d.ds);
    assert.deepEqual(await s.repair(), [d.tidx]);
    assert.deepEqual(await readFile(d.tidx), d.index);
    assert.match(s.repairNote(d.tidx), /\.json\.tidx: cut 10 bytes: an incomplete last record left by a crash/);
    await s.close();
  });

  test('index records ahead of the rows (a crash after the index, before the rows reached the disk) are cut', async () => {
    const d = await dayWith(12);
    const ahead = Buffer.alloc(3 * TIDX_RECORD);
    for (let i = 0; i < 3; i++) writeTidxRecord(ahead, i, { ts: 1704189700000000000n, offset: d.json.length + i * 30 });
    await appendFile(d.tidx, Buffer.concat([ahead, Buffer.alloc(5)]));
    // A torn line whose record was written: both go.
    await appendFile(d.file, '{"N":12,"T":"to');
    const s = store(d.ds);
    assert.deepEqual((await s.repair()).sort(), [d.file, d.tidx].sort());
    assert.deepEqual(await readFile(d.file), d.json);
    assert.deepEqual(await readFile(d.tidx), d.index);
    assert.match(s.repairNote(d.tidx), /cut 5 bytes: an incomplete last record .* cut 3 records pointing past the end of the rows of 2024-01-02\.json/);
    await s.close();
  });

  test('an index left behind by a day file that is gone is cut to nothing; the day is written afresh', async () => {
    const d = await dayWith(3);
    await unlink(d.file);
    const warned: string[] = [];
    const s = store(d.ds, (m) => warned.push(m));
    await s.append(Q, [rowAt(0)]);
    assert.match(warned.join('\n'), /cut 3 records pointing past the end of the rows/);
    const index = parseTidx(await readFile(d.tidx));
    assert.deepEqual(index.map((r) => r.offset), [0]);
    await s.close();
  });

  test('rows written without their records (a crash between the two writes) are indexed with their _ts', async () => {
    const d = await dayWith(10);
    // Two complete rows as the writer would have written them at 10:05:07, without records.
    const lines = ['{"N":10,"T":"x","ClientId":"C.0123456789abcdef","_ts":1704189907,"_Source":"C.0123456789abcdef"}\n', '{"N":11,"_ts":5,"T":"clock went back"}\n'];
    await appendFile(d.file, lines.join(''));
    const s = store(d.ds);
    assert.deepEqual(await s.repair(), [d.tidx]);
    assert.match(s.repairNote(d.tidx), /indexed 2 rows \(lines 11-12 of 2024-01-02\.json\) that had no time index record/);
    const index = parseTidx(await readFile(d.tidx));
    assert.equal(index.length, 12);
    assert.deepEqual(index.slice(10), [
      { ts: 1704189907000000000n, offset: d.json.length },
      // A _ts earlier than the record before it keeps that record's time: times never go back.
      { ts: 1704189907000000000n, offset: d.json.length + Buffer.byteLength(lines[0]!) },
    ]);
    assert.deepEqual(await readFile(d.tidx).then((b) => b.subarray(0, d.index.length)), d.index);
    assert.deepEqual(await ns(d.file), Array.from({ length: 12 }, (_, i) => i));
    assert.deepEqual(await s.repair(), []);
    await s.close();
  });

  test('a day file without any index gets one at repair (a datastore copied without its .tidx)', async () => {
    const d = await dayWith(20);
    await unlink(d.tidx);
    const s = store(d.ds);
    assert.deepEqual(await s.repair(), [d.tidx]);
    const index = parseTidx(await readFile(d.tidx));
    assert.deepEqual(index.map((r) => r.offset), d.lineStarts);
    // The rebuilt times are the rows' _ts (seconds): 10:00:00 for the first batch, 10:00:01 for the second.
    assert.equal(index[0]!.ts, 1704189600000000000n);
    assert.equal(index[10]!.ts, 1704189601000000000n);
    await s.close();
  });
});

describe('damage that is not a torn write is left exactly as it is, reported, and writing goes on', () => {
  test('a bad line mid-file: reported with file and line; the next rows are appended after it; readers keep the other rows', async () => {
    const d = await dayWith(30);
    // Line 8 overwritten by bytes that are not JSON (same length, its newline kept); line 20 by a JSON array.
    const bad = Buffer.from(d.json);
    const l8 = d.lineStarts[7]!;
    bad.fill(0x00, l8, l8 + 12);
    const l20 = d.lineStarts[19]!;
    const arr = Buffer.from('[1,2]');
    arr.copy(bad, l20);
    bad.fill(0x20, l20 + arr.length, d.lineStarts[20]! - 1);
    await writeFile(d.file, bad);
    const s = store(d.ds);
    assert.deepEqual(await s.repair(), [d.file]);
    assert.deepEqual(await readFile(d.file), bad, 'byte for byte as it was');
    assert.deepEqual(await readFile(d.tidx), d.index);
    const note = s.repairNote(d.file);
    assert.match(note, /2024-01-02\.json: line 8: not JSON \(.*\) \(1 more bad line: line 20\)\. The line is left exactly as it is: JSON lines are independent/);
    await s.append(Q, [rowAt(30)]);
    assert.deepEqual((await readFile(d.file)).subarray(0, bad.length), bad);
    const problems: string[] = [];
    const got = await ns(d.file, (m) => problems.push(m));
    assert.deepEqual(got, Array.from({ length: 31 }, (_, i) => i).filter((i) => i !== 7 && i !== 19));
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /2024-01-02\.json: line 8 \(byte \d+, record 8 of the index\): not JSON/);
    assert.match(problems[1]!, /line 20 .*: not a JSON object/);
    await assert.rejects(readJsonlDay(d.file), /line 8/, 'without onProblem the reader throws, naming the line');
    await s.close();
  });

  test('bytes that are not UTF-8 mid-file are a bad line', async () => {
    const d = await dayWith(4);
    const bad = Buffer.from(d.json);
    const at = d.lineStarts[1]! + 8; // inside the "T" value of line 2
    bad[at] = 0xff;
    await writeFile(d.file, bad);
    const c = await checkJsonlDay(d.file, '2024-01-02');
    assert.deepEqual(c.badLines, [{ line: 2, problem: 'bytes that are not UTF-8' }]);
  });

  test('an index that does not match the rows is left as it is, reported with its record and line; new rows are indexed after it', async () => {
    const d = await dayWith(10);
    const idx = Buffer.from(d.index);
    idx.writeBigInt64LE(BigInt(d.lineStarts[4]! + 3), 4 * TIDX_RECORD + 8);
    await writeFile(d.tidx, idx);
    const s = store(d.ds);
    assert.deepEqual(await s.repair(), [d.tidx]);
    assert.deepEqual(await readFile(d.tidx), idx);
    assert.match(s.repairNote(d.tidx), new RegExp(`record 5: it points at byte ${d.lineStarts[4]! + 3}, but line 5 \\(row 5\\) starts at byte ${d.lineStarts[4]}\\. The index is left as it is`));
    await s.append(Q, [rowAt(10)]);
    const index = parseTidx(await readFile(d.tidx));
    assert.equal(index.length, 11);
    assert.equal(index[10]!.offset, d.json.length);
    await s.close();
  });

  test("Velociraptor's blob records (pointing at the newline before a row) match their rows", async () => {
    const d = await dayWith(6);
    const idx = Buffer.from(d.index);
    for (let i = 1; i < 6; i++) idx.writeBigInt64LE(BigInt(d.lineStarts[i]! - 1), i * TIDX_RECORD + 8);
    await writeFile(d.tidx, idx);
    const c = await checkJsonlDay(d.file, '2024-01-02');
    assert.equal(c.indexProblem, null);
    assert.equal(c.lines, 6);
    assert.deepEqual(await ns(d.file), [0, 1, 2, 3, 4, 5]);
  });

  test('a symbolic link in place of the day file is neither read nor written through; the rows wait until it is moved', async () => {
    const d = await dayWith(3);
    const elsewhere = join(tmp, `elsewhere${counter++}.json`);
    await writeFile(elsewhere, 'not ours\n');
    await unlink(d.file);
    await symlink(elsewhere, d.file);
    const s = store(d.ds);
    assert.deepEqual(await s.repair(), [d.file]);
    assert.match(s.repairNote(d.file), /is a symbolic link, not a day file.*cannot be written.*move it out of the datastore/);
    const err = await s.append(Q, [rowAt(3)]).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof StoreWriteError, String(err));
    assert.equal(err.code, 'ENOTREG');
    assert.match(err.message, /cannot write monitoring file .*2024-01-02\.json: it is a symbolic link, not a day file\. The batch was not stored .* move the entry out of the datastore, then the batch is retried/);
    assert.equal(await readFile(elsewhere, 'utf8'), 'not ours\n');
    await unlink(d.file);
    await s.append(Q, [rowAt(3)]);
    assert.deepEqual(await ns(d.file), [3], 'the retry writes once the link is gone (the old index records past the end are cut first)');
    await s.close();
  });

  test('a day file damaged after start is reported (warn) when the store first appends to its day', async () => {
    const d = await dayWith(5);
    const s0 = store(d.ds);
    assert.deepEqual(await s0.repair(), []);
    await appendFile(d.file, '{"N":"torn');
    const warned: string[] = [];
    const s = store(d.ds, (m) => warned.push(m));
    await s.append(Q, [rowAt(5)]);
    assert.equal(warned.length, 1);
    assert.match(warned[0]!, /cut 10 bytes from line 6/);
    assert.deepEqual(await ns(d.file), [0, 1, 2, 3, 4, 5]);
    await s.close();
  });

  test('days before yesterday are only probed: a bad line is left unread, until a torn end makes the day checked in full', async () => {
    const d = await dayWith(5);
    const bad = Buffer.from(d.json);
    bad[d.lineStarts[2]!] = 0x5b; // `[` in place of `{`: line 3 is not JSON
    await writeFile(d.file, bad);
    const later = () => new Date('2024-01-05T10:00:00Z');
    const s = new JsonlMonitoringStore({ datastore: d.ds, clientId: CID, now: later });
    assert.deepEqual(await s.repair(), [], 'a clean-looking old day is not read');
    await appendFile(d.file, '{"N":');
    assert.deepEqual(await s.repair(), [d.file]);
    assert.match(s.repairNote(d.file), /cut 5 bytes from line 6 .* line 3: not JSON/);
    assert.deepEqual(await readFile(d.file), bad);
    await s.close();
  });
});

test('the collector logs what repair did at start (file and line), then writes on', async () => {
  const d = await dayWith(5);
  await appendFile(d.file, '{"N":5,');
  await appendFile(d.tidx, Buffer.alloc(3));
  const entries: MonitorLogEntry[] = [];
  // The datastore's own client id, as the collector uses it.
  await writeFile(join(d.ds, 'client_id'), CID + '\n');
  const c = new Collector({ datastore: d.ds, logFormat: 'jsonl', watch: false, isolation: 'inline', now: NOW, echo: (e) => entries.push(e) });
  await c.start();
  await c.stop();
  const storage = entries.filter((e) => e.event === 'storage').map((e) => e.message);
  assert.ok(storage.some((m) => m.includes(`${d.file}: cut 7 bytes from line 6`)), storage.join('\n'));
  assert.ok(storage.some((m) => m.includes(`${d.tidx}: cut 3 bytes`)), storage.join('\n'));
  assert.ok(entries.some((e) => e.event === 'start' && /JSONL day files/.test(e.message)));
  assert.deepEqual(await readFile(d.file), d.json);
  assert.deepEqual(await readFile(d.tidx), d.index);
});
