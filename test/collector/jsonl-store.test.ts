// The collector's JSONL store (Velociraptor's current layout): the files and their bytes, the
// `.json.tidx` records, directory names, day rollover, rows today, retention beside CSV files,
// write errors on a real full file system (the rollback of both files), and a kill -9.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JsonlMonitoringStore, countJsonlRows } from '../../main/collector/jsonl-store.ts';
import { MonitoringStore, StoreWriteError } from '../../main/collector/store.ts';
import { openStore, parseLogFormat, rowsTodayAll } from '../../main/collector/stores.ts';
import { TIDX_RECORD, parseTidx, rowLine, appendedColumns } from '../../main/collector/jsonl-file.ts';
import { jsonlDayFilePath, nameOfVelociraptorDir, parseJsonlFileName, velociraptorDirName } from '../../main/collector/jsonl-paths.ts';
import { readDayFile } from '../../main/collector/csv-file.ts';
import { toJSON } from '../../main/vql/values/json.ts';
import { VBytes, VDict, VFloat, VTime, type Value } from '../../main/vql/values/types.ts';
import { clock, fillDisk, killWriterAfter, mainModule, row, withTmpfs } from './helpers.ts';

const CID = 'C.0123456789abcdef';
let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vql-jsonl-store-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let counter = 0;
function datastore(): string {
  return join(tmp, `ds${counter++}`);
}

/** The store over a fresh datastore with a fixed client id. */
function jsonlStore(ds: string, now: () => Date, warn?: (m: string) => void): JsonlMonitoringStore {
  return new JsonlMonitoringStore({ datastore: ds, clientId: CID, now, ...(warn ? { warn } : {}) });
}

/** The lines of a day file (each without its `\n`), and its index records. */
async function day(file: string): Promise<{ text: string; bytes: Buffer; lines: string[]; records: { ts: bigint; offset: number }[]; tidx: Buffer }> {
  const bytes = await readFile(file);
  const tidx = await readFile(file + '.tidx');
  const text = bytes.toString('utf8');
  return { text, bytes, lines: text.split('\n').slice(0, -1), records: parseTidx(tidx), tidx };
}

describe('JSONL paths', () => {
  test("directory names are Velociraptor's (SanitizeString), and decode back", () => {
    for (const n of ['Generic.Client.Stats', 'Windows.Events.ProcessCreation', 'My_Artifact', 'Source-1', 'Source One', 'a$b~c']) {
      assert.equal(velociraptorDirName(n), n);
      assert.equal(nameOfVelociraptorDir(n), n);
    }
    const cases: [string, string][] = [
      ['C:', 'C%3A'],
      ['hos t:desktop', 'hos t%3Adesktop'],
      ['a/b\\c', 'a%2Fb%5Cc'],
      ['.hidden', '%2Ehidden'],
      ['trail.', 'trail%2E'],
      ['#tag', '%23tag'],
      ['100%', '100%25'],
      ['é☃', '%C3%A9%E2%98%83'],
      ['ends_', 'ends__'],
      ['file.db', 'file.db_'],
      ['CON', '%43ON'],
      ['trailing ', 'trailing%20'],
      ['2024-01-02.json', '%32024-01-02.json'],
    ];
    for (const [name, dir] of cases) {
      assert.equal(velociraptorDirName(name), dir, name);
      assert.equal(nameOfVelociraptorDir(dir), name, dir);
    }
    const long = 'x'.repeat(300);
    assert.equal(velociraptorDirName(long), '#' + createHash('sha1').update(long).digest('hex'));
    assert.equal(velociraptorDirName('x'.repeat(249)), 'x'.repeat(249));
    assert.deepEqual(parseJsonlFileName('2024-03-06.json'), { day: '2024-03-06', main: true });
    assert.deepEqual(parseJsonlFileName('2024-03-06.json.tidx'), { day: '2024-03-06', main: false });
    assert.equal(parseJsonlFileName('2024-02-30.json'), undefined);
    assert.equal(parseJsonlFileName('2024-03-06.csv'), undefined);
    assert.equal(parseJsonlFileName('2024-03-06.json.index'), undefined);
    assert.equal(parseLogFormat('jsonl'), 'jsonl');
    assert.throws(() => parseLogFormat('json'), /unknown log format 'json': use csv or jsonl/);
  });
});

describe('JsonlMonitoringStore', () => {
  test('layout and bytes: one JSON line a row with ClientId, _ts, _Source appended; one tidx record a row', async () => {
    const ds = datastore();
    const c = clock('2024-01-02T10:00:00.250Z');
    const store = jsonlStore(ds, c.now);
    const values: Record<string, Value> = {
      Int: -42,
      Float: new VFloat(1.5),
      IntegralFloat: new VFloat(3),
      Big: 2n ** 62n,
      Bool: true,
      Null: null,
      Str: 'say "hi"\nnext\ttab',
      Unicode: 'héllo ☃ 😀',
      Bytes: new Uint8Array([0, 1, 2, 0xfe, 0xff]),
      ByteString: new VBytes(new Uint8Array([0x61, 0xff, 0x62])),
      Time: new VTime(1704189600123456789n),
      Nested: row({ a: [1, 'two', row({ three: 3 })], b: row({}) }),
      Path: { toJSON: () => '/usr/bin/ls' } as unknown as Value,
      NaN: Number.NaN,
    };
    const r1 = await store.append('Custom.Thing/Source One', [row(values), row({ Other: 'columns', 'é': 1 })]);
    c.set('2024-01-02T10:00:01.750Z');
    await store.append('Custom.Thing/Source One', [row({ N: 3 }), new VDict()]);
    const file = join(ds, 'clients', CID, 'monitoring', 'Custom.Thing', 'Source One', '2024-01-02.json');
    assert.deepEqual(r1, { files: [file], rows: 2 });
    assert.equal(jsonlDayFilePath(ds, CID, 'Custom.Thing/Source One', '2024-01-02'), file);
    assert.equal(store.dir('Custom.Thing/Source One'), join(ds, 'clients', CID, 'monitoring', 'Custom.Thing', 'Source One'));
    assert.deepEqual((await readdir(store.dir('Custom.Thing/Source One'))).sort(), ['2024-01-02.json', '2024-01-02.json.tidx']);
    const tail1 = ',"ClientId":"C.0123456789abcdef","_ts":1704189600,"_Source":"C.0123456789abcdef"}';
    const tail2 = ',"ClientId":"C.0123456789abcdef","_ts":1704189601,"_Source":"C.0123456789abcdef"}';
    const expected = [
      '{"Int":-42,"Float":1.5,"IntegralFloat":3,"Big":4611686018427387904,"Bool":true,"Null":null,' +
        '"Str":"say \\"hi\\"\\nnext\\ttab","Unicode":"héllo ☃ 😀","Bytes":"AAEC/v8=","ByteString":"a\ufffdb",' +
        '"Time":"2024-01-02T10:00:00.123456789Z","Nested":{"a":[1,"two",{"three":3}],"b":{}},"Path":"/usr/bin/ls","NaN":null' + tail1,
      '{"Other":"columns","é":1' + tail1,
      '{"N":3' + tail2,
      '{' + tail2.slice(1),
    ];
    const d = await day(file);
    assert.equal(d.text, expected.join('\n') + '\n');
    // The row's part is exactly what `vql query --format jsonl` writes for it.
    assert.equal(d.lines[0], toJSON(row(values)).slice(0, -1) + tail1);
    for (const l of d.lines) assert.equal(typeof JSON.parse(l), 'object');
    // One 24-byte record a row: the batch's flush time in ns, the row's offset, 0.
    assert.equal(d.tidx.length, 4 * TIDX_RECORD);
    let offset = 0;
    const times = [1704189600250n, 1704189600250n, 1704189601750n, 1704189601750n].map((ms) => ms * 1_000_000n);
    d.records.forEach((rec, i) => {
      assert.equal(rec.ts, times[i], `record ${i} time`);
      assert.equal(rec.offset, offset, `record ${i} offset`);
      assert.equal(d.bytes[rec.offset], 0x7b, 'each record points at the { of its row');
      if (rec.offset > 0) assert.equal(d.bytes[rec.offset - 1], 0x0a);
      assert.equal(d.tidx.readBigInt64LE(i * TIDX_RECORD + 16), 0n, 'the annotation offset is 0');
      offset += Buffer.byteLength(d.lines[i]! + '\n');
    });
    assert.deepEqual(await store.rowsToday(), new Map([['Custom.Thing/Source One', 4]]));
    await store.close();
    await assert.rejects(store.append('Custom.Thing/Source One', [row({ A: 1 })]), /after close/);
  });

  test('rowLine and appendedColumns: the columns go before the closing brace, as Velociraptor appends them', () => {
    const suffix = appendedColumns('C.1', 7);
    assert.equal(suffix, ',"ClientId":"C.1","_ts":7,"_Source":"C.1"');
    assert.equal(rowLine(row({ a: { x: 1 } as unknown as Value }), suffix), '{"a":{"x":1},"ClientId":"C.1","_ts":7,"_Source":"C.1"}\n');
    // A row with its own _ts keeps it; the appended one comes last, and JSON readers keep the last.
    const line = rowLine(row({ _ts: 1, ClientId: 'mine' }), suffix);
    assert.equal(line, '{"_ts":1,"ClientId":"mine","ClientId":"C.1","_ts":7,"_Source":"C.1"}\n');
    assert.deepEqual(JSON.parse(line), { _ts: 7, ClientId: 'C.1', _Source: 'C.1' });
  });

  test('UTC day rollover at flush time: each day has its .json and .json.tidx; offsets start again at 0', async () => {
    const ds = datastore();
    const c = clock('2024-01-02T23:59:59.999Z');
    const store = jsonlStore(ds, c.now);
    await store.append('Test.Day', [row({ N: 1 })]);
    c.set('2024-01-03T00:00:00.000Z');
    await store.append('Test.Day', [row({ N: 2 }), row({ N: 3 })]);
    c.set('2024-01-03T01:00:00+02:00'); // 2024-01-02 23:00 UTC
    await store.append('Test.Day', [row({ N: 4 })]);
    const dir = store.dir('Test.Day');
    assert.deepEqual((await readdir(dir)).sort(), ['2024-01-02.json', '2024-01-02.json.tidx', '2024-01-03.json', '2024-01-03.json.tidx']);
    const d2 = await day(join(dir, '2024-01-02.json'));
    const d3 = await day(join(dir, '2024-01-03.json'));
    assert.deepEqual(d2.lines.map((l) => JSON.parse(l).N), [1, 4]);
    assert.deepEqual(d3.lines.map((l) => JSON.parse(l).N), [2, 3]);
    assert.deepEqual(d2.records.map((r) => r.offset), [0, Buffer.byteLength(d2.lines[0]!) + 1]);
    assert.deepEqual(d3.records.map((r) => r.offset), [0, Buffer.byteLength(d3.lines[0]!) + 1]);
    assert.deepEqual(d2.lines.map((l) => JSON.parse(l)._ts), [1704239999, 1704236400]);
    await store.close();
  });

  test('concurrent batches of many queries: every row in order, every record exact', async () => {
    const ds = datastore();
    const store = jsonlStore(ds, clock('2024-01-02T10:00:00Z').now);
    const queries = Array.from({ length: 80 }, (_, i) => `Test.Many${i}`);
    const pending: Promise<unknown>[] = [];
    for (let b = 0; b < 4; b++) for (const q of queries) pending.push(store.append(q, Array.from({ length: 10 }, (_, i) => row({ B: b, I: i, Q: q }))));
    await Promise.all(pending);
    for (const q of queries) {
      const d = await day(join(store.dir(q), '2024-01-02.json'));
      assert.deepEqual(d.lines.map((l) => { const o = JSON.parse(l); return [o.B, o.I, o.Q]; }), Array.from({ length: 40 }, (_, k) => [Math.floor(k / 10), k % 10, q]));
      let off = 0;
      d.records.forEach((r, i) => {
        assert.equal(r.offset, off);
        off += Buffer.byteLength(d.lines[i]!) + 1;
      });
    }
    await store.close();
  });

  test('rows today: counted from the index, records past the end of the rows left out; no index: lines', async () => {
    const ds = datastore();
    const c = clock('2024-01-02T10:00:00Z');
    const store = jsonlStore(ds, c.now);
    c.set('2024-01-01T10:00:00Z');
    await store.append('Test.Count', [row({ A: 1 })]);
    c.set('2024-01-02T10:00:00Z');
    await store.append('Test.Count', [row({ A: 1 }), row({ A: 2 }), row({ A: 3 })]);
    await store.append('Test.Count/Src', [row({ A: 1 })]);
    assert.deepEqual(await store.rowsToday(), new Map([['Test.Count', 3], ['Test.Count/Src', 1]]));
    await store.close();
    const file = join(store.dir('Test.Count'), '2024-01-02.json');
    const size = (await readFile(file)).length;
    // Two records written ahead of rows that never came: not rows.
    const extra = Buffer.alloc(2 * TIDX_RECORD);
    extra.writeBigInt64LE(BigInt(size), 8);
    extra.writeBigInt64LE(BigInt(size + 40), TIDX_RECORD + 8);
    await appendFile(file + '.tidx', extra);
    assert.equal(await countJsonlRows(file), 3);
    // A torn record is not a row either.
    await appendFile(file + '.tidx', Buffer.alloc(5));
    assert.equal(await countJsonlRows(file), 3);
    await rm(file + '.tidx');
    assert.equal(await countJsonlRows(file), 3, 'without an index, the lines are counted');
    // `vql monitor --status` counts both formats of a datastore.
    const csv = new MonitoringStore({ datastore: ds, clientId: CID, now: c.now });
    await csv.append('Test.Count', [row({ A: 9 })]);
    await csv.close();
    assert.deepEqual(await rowsTodayAll({ datastore: ds, clientId: CID, now: c.now }), new Map([['Test.Count', 4], ['Test.Count/Src', 1]]));
  });

  test('retention: old days lose their .json and .json.tidx (sources too), empty directories go, CSV files are not touched', async () => {
    const ds = datastore();
    const c = clock('2024-01-01T12:00:00Z');
    const store = jsonlStore(ds, c.now);
    const csv = new MonitoringStore({ datastore: ds, clientId: CID, now: c.now });
    for (const d of ['2024-01-01', '2024-01-05', '2024-01-08', '2024-01-10']) {
      c.set(d + 'T12:00:00Z');
      await store.append('Test.Keep', [row({ A: 1 }), row({ B: 2 })]);
      await store.append('Test.Keep/Src', [row({ A: 1 })]);
    }
    c.set('2024-01-01T12:00:00Z');
    await csv.append('Test.Keep', [row({ A: 1 })]);
    c.set('2024-01-03T00:00:00Z');
    await store.append('Test.OldOnly', [row({ A: 1 })]);
    c.set('2024-01-10T23:00:00Z');
    const keep = store.dir('Test.Keep');
    const src = store.dir('Test.Keep/Src');
    assert.deepEqual(await store.retain(2), [
      join(keep, '2024-01-01.json'), join(keep, '2024-01-01.json.tidx'),
      join(keep, '2024-01-05.json'), join(keep, '2024-01-05.json.tidx'),
      join(src, '2024-01-01.json'), join(src, '2024-01-01.json.tidx'),
      join(src, '2024-01-05.json'), join(src, '2024-01-05.json.tidx'),
      join(store.dir('Test.OldOnly'), '2024-01-03.json'), join(store.dir('Test.OldOnly'), '2024-01-03.json.tidx'),
    ].sort());
    assert.deepEqual((await readdir(keep)).sort(), ['2024-01-01.csv', '2024-01-08.json', '2024-01-08.json.tidx', '2024-01-10.json', '2024-01-10.json.tidx', 'Src']);
    assert.equal(existsSync(store.dir('Test.OldOnly')), false, 'a directory emptied by retention is removed');
    assert.deepEqual(await store.retain(2), []);
    // Writing goes on after retention, into a removed directory too.
    await store.append('Test.OldOnly', [row({ A: 2 })]);
    assert.deepEqual(await store.rowsToday(), new Map([['Test.Keep', 2], ['Test.Keep/Src', 1], ['Test.OldOnly', 1]]));
    // And the CSV store's retention leaves the JSONL files alone.
    assert.deepEqual(await csv.retain(0), [join(keep, '2024-01-01.csv')]);
    assert.deepEqual((await readdir(keep)).sort(), ['2024-01-08.json', '2024-01-08.json.tidx', '2024-01-10.json', '2024-01-10.json.tidx', 'Src']);
    await store.close();
    await csv.close();
  });

  test('openStore picks the format; the CSV path is unchanged by it', async () => {
    const ds = datastore();
    const c = clock('2024-01-02T10:00:00Z');
    const a = openStore('csv', { datastore: ds, clientId: CID, now: c.now });
    const b = openStore('jsonl', { datastore: ds, clientId: CID, now: c.now });
    assert.equal(a.logFormat, 'csv');
    assert.equal(b.logFormat, 'jsonl');
    await a.append('Test.Both', [row({ A: 1, B: 'x' })]);
    await b.append('Test.Both', [row({ A: 1, B: 'x' })]);
    assert.equal(await readFile(join(a.dir('Test.Both'), '2024-01-02.csv'), 'utf8'), 'A,B\n1,x\n');
    assert.deepEqual((await readDayFile(join(a.dir('Test.Both'), '2024-01-02.csv'))).map((r) => r.toJSON()), [{ A: 1, B: 'x' }]);
    await a.close();
    await b.close();
  });

  test('kill -9 of a writing process: repair leaves every acknowledged row, and one exact record per row', async () => {
    const ds = datastore();
    mkdirSync(ds, { recursive: true });
    const acked = await killWriterAfter(
      ds,
      `import { JsonlMonitoringStore } from ${JSON.stringify(mainModule('collector/jsonl-store.ts'))};
import { VDict } from ${JSON.stringify(mainModule('vql/values/types.ts'))};
const store = new JsonlMonitoringStore({ datastore: ${JSON.stringify(ds)} });
let seq = 0;
for (let b = 0; ; b++) {
  const rows = [];
  for (let i = 0; i < 2000; i++, seq++) rows.push(new VDict([['Seq', seq], ['Text', 'multi\\nline "' + seq + '",é' + 'x'.repeat(seq % 50)]]));
  await store.append('Test.Crash', rows);
  process.stdout.write('ack ' + seq + '\\n');
}
`,
      60_000,
    );
    const store = new JsonlMonitoringStore({ datastore: ds });
    await store.repair();
    const dir = store.dir('Test.Crash');
    const seqs: number[] = [];
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
      const d = await day(join(dir, name));
      assert.ok(d.text.endsWith('\n'));
      assert.equal(d.records.length, d.lines.length, 'one record a row');
      let off = 0;
      d.lines.forEach((l, i) => {
        assert.equal(d.records[i]!.offset, off);
        off += Buffer.byteLength(l) + 1;
        const o = JSON.parse(l);
        assert.equal(o.Text, 'multi\nline "' + o.Seq + '",é' + 'x'.repeat(o.Seq % 50));
        seqs.push(o.Seq);
      });
    }
    assert.ok(seqs.length >= acked, `${seqs.length} rows on disk, ${acked} acknowledged`);
    seqs.forEach((s, i) => assert.equal(s, i));
    assert.deepEqual(await store.repair(), [], 'a second repair finds nothing');
    await store.close();
  });

  describe('write errors (a real full file system)', () => {
    test('ENOSPC writing the rows: both files stay as they were; after freeing space the retry succeeds', async (t) => {
      const skip = await withTmpfs(tmp, '256k', async (mnt) => {
        const store = jsonlStore(join(mnt, 'ds'), clock('2024-01-02T10:00:00Z').now);
        await store.append('Test.Full', [row({ N: 0, T: 'small' })]);
        const file = join(store.dir('Test.Full'), '2024-01-02.json');
        const before = { json: await readFile(file), tidx: await readFile(file + '.tidx') };
        const filler = await fillDisk(mnt);
        const batch = Array.from({ length: 1000 }, (_, i) => row({ N: i + 1, T: 'row ' + 'y'.repeat(i % 40) }));
        const err = await store.append('Test.Full', batch).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof StoreWriteError, String(err));
        assert.equal(err.code, 'ENOSPC');
        assert.match(err.message, /2024-01-02\.json: .*ENOSPC.*disk is full/);
        assert.deepEqual(await readFile(file), before.json, 'the failed batch left no row');
        assert.deepEqual(await readFile(file + '.tidx'), before.tidx, 'nor an index record');
        await rm(filler);
        assert.equal((await store.append('Test.Full', batch)).rows, 1000);
        const d = await day(file);
        assert.deepEqual(d.lines.map((l) => JSON.parse(l).N), Array.from({ length: 1001 }, (_, i) => i));
        assert.equal(d.records.length, 1001);
        await store.close();
      });
      if (skip) t.skip(`${skip}: no other real way to fill a disk without using it all`);
    });

    test('ENOSPC writing the index after the rows were written: the rows are cut back too', async (t) => {
      const skip = await withTmpfs(tmp, '256k', async (mnt) => {
        const store = jsonlStore(join(mnt, 'ds'), clock('2024-01-02T10:00:00Z').now);
        // 512 records are exactly 3 pages of index: the next record needs a new page. The rows
        // leave room in their last page, so the next row's write needs none.
        const rows = Array.from({ length: 512 }, (_, i) => row({ N: i, P: 'p'.repeat(i === 511 ? 0 : 20) }));
        await store.append('Test.Idx', rows);
        const file = join(store.dir('Test.Idx'), '2024-01-02.json');
        const before = { json: await readFile(file), tidx: await readFile(file + '.tidx') };
        assert.equal(before.tidx.length % 4096, 0);
        const one = [row({ N: 512 })];
        const needed = Buffer.byteLength(rowLine(one[0]!, appendedColumns(CID, 1704189600)));
        assert.ok(4096 - (before.json.length % 4096) >= needed, `room for the row in the last page (${before.json.length} bytes)`);
        const filler = await fillDisk(mnt);
        const err = await store.append('Test.Idx', one).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof StoreWriteError, String(err));
        assert.equal(err.code, 'ENOSPC');
        assert.match(err.message, /2024-01-02\.json\.tidx/);
        assert.deepEqual(await readFile(file), before.json, 'the row written before the index failed was cut back');
        assert.deepEqual(await readFile(file + '.tidx'), before.tidx);
        await rm(filler);
        await store.append('Test.Idx', one);
        const d = await day(file);
        assert.equal(d.lines.length, 513);
        assert.equal(d.records.length, 513);
        assert.equal(d.records[512]!.offset, before.json.length);
        await store.close();
      });
      if (skip) t.skip(`${skip}: no other real way to fill a disk without using it all`);
    });
  });
});
