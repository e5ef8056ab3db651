// Reading a JSONL day by time as Velociraptor's timed reader does: a binary search on the
// .json.tidx for [from, to), each row read at its record's offset, _ts set to the index time in
// milliseconds; without an index, the rows' own _ts. Files written by the store, and files made
// by hand in Velociraptor's layout (VELOCIRAPTOR-FORMATS.md 2.4, 2.5).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JsonlMonitoringStore } from '../../main/collector/jsonl-store.ts';
import { TIDX_RECORD, parseTidx, writeTidxRecord } from '../../main/collector/jsonl-file.ts';
import { readJsonlDay, readJsonlRows, searchTidx } from '../../main/collector/jsonl-read.ts';
import { toJSON } from '../../main/vql/values/json.ts';
import { VDict, VTime } from '../../main/vql/values/types.ts';
import { prng } from '../helpers/prng.ts';

const CID = 'C.4f5e52adf0a337a9';
let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vql-jsonl-read-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let counter = 0;

/** A day written by the store: batch b (b = 0..batches-1) at 10:00:00 + b s, rows N = b*perBatch + i. */
async function written(batches: number, perBatch: number, at = (b: number) => Date.UTC(2024, 0, 2, 10, 0, b)): Promise<string> {
  const ds = join(tmp, `ds${counter++}`);
  let t = 0;
  const store = new JsonlMonitoringStore({ datastore: ds, clientId: CID, now: () => new Date(t) });
  for (let b = 0; b < batches; b++) {
    t = at(b);
    await store.append('Test.Read', Array.from({ length: perBatch }, (_, i) => new VDict([['N', b * perBatch + i], ['When', new VTime(BigInt(t) * 1_000_000n)]])));
  }
  await store.close();
  return join(store.dir('Test.Read'), '2024-01-02.json');
}

async function rows(file: string, opts: Parameters<typeof readJsonlDay>[1] = {}): Promise<VDict[]> {
  return readJsonlDay(file, opts);
}

describe('readJsonlRows over the store files', () => {
  test('a whole day: every row in order, _ts the index time in ms (or as stored with ts: file)', async () => {
    const file = await written(3, 4);
    const all = await rows(file);
    assert.deepEqual(all.map((r) => r.get('N')), Array.from({ length: 12 }, (_, i) => i));
    assert.deepEqual(all.map((r) => r.get('_ts')), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2].map((s) => 1704189600000 + s * 1000));
    assert.deepEqual(all[0]!.keys(), ['N', 'When', 'ClientId', '_Source', '_ts']);
    assert.equal(all[0]!.get('ClientId'), CID);
    assert.equal(all[0]!.get('When'), '2024-01-02T10:00:00Z');
    const stored = await rows(file, { ts: 'file' });
    assert.deepEqual(stored.map((r) => r.get('_ts')).slice(0, 5), [1704189600, 1704189600, 1704189600, 1704189600, 1704189601]);
    const batches: number[] = [];
    for await (const b of readJsonlRows(file)) {
      batches.push(b.length);
      for (const r of b) assert.equal(toJSON(r.row.get('N')), String(r.line - 1));
    }
    assert.deepEqual(batches, [12]);
  });

  test('[from, to): from inclusive, to exclusive, found by the index', async () => {
    const file = await written(5, 3);
    const t = (s: number) => Date.UTC(2024, 0, 2, 10, 0, s);
    assert.deepEqual((await rows(file, { from: t(1), to: t(3) })).map((r) => r.get('N')), [3, 4, 5, 6, 7, 8]);
    assert.deepEqual((await rows(file, { from: t(1) + 1, to: t(3) + 1 })).map((r) => r.get('N')), [6, 7, 8, 9, 10, 11]);
    assert.deepEqual((await rows(file, { from: t(4) })).map((r) => r.get('N')), [12, 13, 14]);
    assert.deepEqual((await rows(file, { to: t(1) })).map((r) => r.get('N')), [0, 1, 2]);
    assert.deepEqual(await rows(file, { from: t(5) }), []);
    assert.deepEqual(await rows(file, { from: t(3), to: t(3) }), []);
  });

  test('the binary search agrees with a linear scan over 20,000 records (500 batches) at random times', async () => {
    const rnd = prng(13);
    const times: number[] = [];
    let ms = Date.UTC(2024, 0, 2, 0, 0, 0);
    for (let b = 0; b < 500; b++) {
      ms += Math.floor(rnd() * 3000); // several batches may share a millisecond
      times.push(ms);
    }
    const file = await written(500, 40, (b) => times[b]!);
    const index = parseTidx(await readFile(file + '.tidx'));
    assert.equal(index.length, 20_000);
    const fh = await open(file + '.tidx', constants.O_RDONLY);
    try {
      for (let k = 0; k < 200; k++) {
        const probe = times[0]! - 10 + Math.floor(rnd() * (times.at(-1)! - times[0]! + 20));
        const ns = BigInt(probe) * 1_000_000n;
        const linear = index.findIndex((r) => r.ts >= ns);
        assert.equal(await searchTidx(fh, index.length, ns), linear < 0 ? index.length : linear, `at ${probe}`);
      }
    } finally {
      await fh.close();
    }
    for (let k = 0; k < 20; k++) {
      const a = times[Math.floor(rnd() * times.length)]!;
      const b = a + Math.floor(rnd() * 60_000);
      const want = index.flatMap((r, i) => (r.ts >= BigInt(a) * 1_000_000n && r.ts < BigInt(b) * 1_000_000n ? [i] : []));
      assert.deepEqual((await rows(file, { from: a, to: b })).map((r) => r.get('N')), want);
    }
  });

  test('a row still being written (no newline yet), and records past the end, end the read quietly', async () => {
    const file = await written(2, 2);
    const size = (await readFile(file)).length;
    await writeFile(file, '{"N":4,"T":"half', { flag: 'a' });
    const rec = Buffer.alloc(2 * TIDX_RECORD);
    writeTidxRecord(rec, 0, { ts: 1704189603000000000n, offset: size });
    writeTidxRecord(rec, 1, { ts: 1704189603000000000n, offset: size + 100 });
    await writeFile(file + '.tidx', rec, { flag: 'a' });
    assert.deepEqual((await rows(file)).map((r) => r.get('N')), [0, 1, 2, 3]);
  });
});

describe("files made by hand in Velociraptor's layout", () => {
  /** Writes `lines` (each with its `\n`) and records [ts ns, offset] under a Velociraptor-like datastore; returns the .json path. */
  async function handMade(lines: string[], records: [bigint, number][] | null): Promise<string> {
    const dir = join(tmp, `vr${counter++}`, 'clients', CID, 'monitoring', 'Generic.Client.Stats');
    await mkdir(dir, { recursive: true });
    const file = join(dir, '2021-12-07.json');
    await writeFile(file, lines.join(''));
    if (records) {
      const b = Buffer.alloc(records.length * TIDX_RECORD);
      records.forEach(([ts, offset], i) => writeTidxRecord(b, i, { ts, offset }));
      await writeFile(file + '.tidx', b);
    }
    return file;
  }

  test('the reference example: first record 0x16be9c74f961eb30 at offset 0, second at 99; _ts reads back as 1638919340623', async () => {
    const first = '{"Timestamp":1638919340,"CPU":0.5,"ClientId":"C.4f5e52adf0a337a9","_ts":1638919340,"_Source":"xy"}\n';
    assert.equal(Buffer.byteLength(first), 99);
    const second = '{"_ts":1638919350,"Timestamp":1638919350,"CPU":0.25}\n';
    const file = await handMade([first, second], [[0x16be9c74f961eb30n, 0], [0x16be9c74f961eb30n + 10_000_000_000n, 99]]);
    const got = await rows(file);
    assert.deepEqual(got.map((r) => r.get('_ts')), [1638919340623, 1638919350623]);
    assert.deepEqual(got.map((r) => r.get('CPU')), [0.5, 0.25]);
    // Key order is not relied on: the hand-made row with _ts first reads the same.
    assert.equal(got[1]!.get('Timestamp'), 1638919350);
  });

  test("the blob quirk: records after the first of a blob point at the newline before their row", async () => {
    const lines = ['{"N":0}\n', '{"N":1}\n', '{"N":2}\n', '{"N":3}\n'];
    const ts = 1638919340000000000n;
    const file = await handMade(lines, [[ts, 0], [ts, 7], [ts, 15], [ts + 1_000_000_000n, 24]]);
    assert.deepEqual((await rows(file)).map((r) => r.get('N')), [0, 1, 2, 3]);
    assert.deepEqual((await rows(file, { from: 1638919341000 })).map((r) => r.get('N')), [3]);
  });

  test('no index: the rows are read line by line with their own _ts (seconds) as the time', async () => {
    const lines = ['{"N":0,"_ts":1638919340}\n', '{"N":1,"_ts":1638919341}\n', 'not json\n', '{"N":2,"_ts":1638919342}\n', '{"N":3}\n', '{"N":4,"_ts":16389'];
    const file = await handMade(lines, null);
    const problems: string[] = [];
    const all = await rows(file, { onProblem: (m) => problems.push(m) });
    assert.deepEqual(all.map((r) => r.get('N')), [0, 1, 2, 3]);
    assert.deepEqual(all.slice(0, 3).map((r) => r.get('_ts')), [1638919340000, 1638919341000, 1638919342000]);
    assert.equal(all[3]!.has('_ts'), false, 'a row without _ts gets none');
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /2021-12-07\.json: line 3 \(byte 50\): not JSON/);
    // A time range leaves out rows without a time.
    assert.deepEqual((await rows(file, { from: 1638919341000, onProblem: () => {} })).map((r) => r.get('N')), [1, 2]);
  });
});
