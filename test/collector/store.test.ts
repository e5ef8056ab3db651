// The collector's storage layer: daily CSV files per artifact, parts on schema change, crash
// repair, retention, client id, write errors on a real read-only / full file system, speed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { appendFile, chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_OPEN_FILES, MonitoringStore, StoreWriteError, benchStore, clientId } from '../../main/collector/store.ts';
import { parseCsv, readDayFile, readHeader, scanRecords } from '../../main/collector/csv-file.ts';
import { dayFilePath, dayName, defaultDatastore, nameOfDir, parseDayFileName, safeDirName, splitQueryName } from '../../main/collector/paths.ts';
import { toJSON } from '../../main/vql/values/json.ts';
import { VBytes, VDict, VFloat, VTime, type Value } from '../../main/vql/values/types.ts';
import { clock, fillDisk, isRoot, killWriterAfter, mainModule, row, withTmpfs } from './helpers.ts';

let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vql-store-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let counter = 0;
/** A fresh datastore directory. */
function datastore(): string {
  return join(tmp, `ds${counter++}`);
}

describe('paths', () => {
  test('default datastore per OS', () => {
    assert.equal(defaultDatastore({ XDG_DATA_HOME: '/x/data' }, 'linux', '/home/u'), '/x/data/vql-workbench');
    assert.equal(defaultDatastore({}, 'linux', '/home/u'), '/home/u/.local/share/vql-workbench');
    assert.equal(defaultDatastore({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.local/share/vql-workbench');
    assert.equal(defaultDatastore({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/vql-workbench');
    assert.equal(defaultDatastore({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\vql-workbench');
    assert.equal(defaultDatastore({}, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\vql-workbench');
  });

  test('safe directory names: artifact names unchanged, others escaped reversibly', () => {
    for (const n of ['Generic.Client.Stats', 'Windows.Events.ProcessCreation', 'My_Artifact', 'Source-1']) assert.equal(safeDirName(n), n);
    const cases: [string, string][] = [
      ['Source One', 'Source%20One'],
      ['a/b\\c:d', 'a%2Fb%5Cc%3Ad'],
      ['..', '%2E%2E'],
      ['.hidden', '%2Ehidden'],
      ['trail.', 'trail%2E'],
      ['100%', '100%25'],
      ['CON', '%43ON'],
      ['nul.txt', '%6Eul.txt'],
      ['2024-01-02.csv', '%32024-01-02.csv'],
      ['é', '%C3%A9'],
    ];
    for (const [name, dir] of cases) {
      assert.equal(safeDirName(name), dir, name);
      assert.equal(nameOfDir(dir), name);
    }
    const long = safeDirName('x'.repeat(300));
    assert.ok(long.length <= 200 && /~[0-9a-f]{16}$/.test(long), long);
    assert.notEqual(safeDirName('x'.repeat(300)), safeDirName('x'.repeat(301)));
    assert.throws(() => splitQueryName('/Source'), TypeError);
    assert.deepEqual(splitQueryName('A.B/S/T'), { artifact: 'A.B', source: 'S/T' });
  });

  test('day names are UTC dates; day file names parse back', () => {
    assert.equal(dayName(new Date('2024-03-05T23:59:59.999-05:00')), '2024-03-06');
    assert.deepEqual(parseDayFileName('2024-03-06.csv'), { day: '2024-03-06', part: 0 });
    assert.deepEqual(parseDayFileName('2024-03-06.12.csv'), { day: '2024-03-06', part: 12 });
    assert.equal(parseDayFileName('2024-02-30.csv'), undefined);
    assert.equal(parseDayFileName('2024-03-06.0.csv'), undefined);
    assert.equal(parseDayFileName('2024-03-06.json'), undefined);
  });
});

describe('csv scanning', () => {
  test('record ends are newlines outside quotes, across chunks', () => {
    const text = 'A,B\n1,"x\ny"\n2,"say ""hi""\n"\n3,"torn\n';
    const state = { inQuotes: false };
    let records = 0;
    let lastEnd = -1;
    // Feed it byte by byte: the state must carry over.
    const buf = Buffer.from(text);
    for (let i = 0; i < buf.length; i++) {
      const r = scanRecords(buf.subarray(i, i + 1), state);
      records += r.records;
      if (r.lastEnd >= 0) lastEnd = i + r.lastEnd;
    }
    assert.equal(records, 3);
    assert.equal(lastEnd, text.indexOf('3,"torn'));
    const parsed = parseCsv(text);
    assert.deepEqual(parsed.records, [['A', 'B'], ['1', 'x\ny'], ['2', 'say "hi"\n']]);
    assert.equal(parsed.partial, true);
    assert.throws(() => parseCsv('A,B\n1,x"y\n'), /bare "/);
  });
});

describe('MonitoringStore', () => {
  test('layout: clients/<id>/monitoring/<Artifact>[/<Source>]/<day>.csv, header from the first row', async () => {
    const ds = datastore();
    const c = clock('2024-01-02T10:00:00Z');
    const store = new MonitoringStore({ datastore: ds, now: c.now });
    assert.match(store.clientId, /^C\.[0-9a-f]{16}$/);
    const r1 = await store.append('Generic.Client.Stats', [row({ Timestamp: 1704189600, CPU: 14.91, RSS: 18284544 }), row({ Timestamp: 1704189610, CPU: 0.5, RSS: 1 })]);
    const r2 = await store.append('Custom.Thing/Source One', [row({ Name: 'a b', Count: 3 })]);
    const stats = join(ds, 'clients', store.clientId, 'monitoring', 'Generic.Client.Stats', '2024-01-02.csv');
    const src = join(ds, 'clients', store.clientId, 'monitoring', 'Custom.Thing', 'Source%20One', '2024-01-02.csv');
    assert.deepEqual(r1, { files: [stats], rows: 2 });
    assert.deepEqual(r2, { files: [src], rows: 1 });
    assert.equal(store.dir('Generic.Client.Stats'), join(ds, 'clients', store.clientId, 'monitoring', 'Generic.Client.Stats'));
    assert.equal(dayFilePath(ds, store.clientId, 'Custom.Thing/Source One', '2024-01-02'), src);
    assert.equal(await readFile(stats, 'utf8'), 'Timestamp,CPU,RSS\n1704189600,14.91,18284544\n1704189610,0.5,1\n');
    assert.equal(await readFile(src, 'utf8'), 'Name,Count\na b,3\n');
    assert.deepEqual(await readHeader(stats), ['Timestamp', 'CPU', 'RSS']);
    const rows = await readDayFile(stats);
    assert.deepEqual(rows.map((r) => r.toJSON()), [
      { Timestamp: 1704189600, CPU: 14.91, RSS: 18284544 },
      { Timestamp: 1704189610, CPU: 0.5, RSS: 1 },
    ]);
    assert.deepEqual(await store.rowsToday(), new Map([['Generic.Client.Stats', 2], ['Custom.Thing/Source One', 1]]));
    assert.deepEqual(await store.append('Generic.Client.Stats', []), { files: [], rows: 0 });
    await store.close();
    await assert.rejects(store.append('Generic.Client.Stats', [row({ A: 1 })]), /after close/);
  });

  test('values: nested values as JSON text, type-looking strings protected, read back', async () => {
    const ds = datastore();
    const store = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now });
    const nested = row({ a: 1, b: [true, null, 'x'], c: row({ d: 2.5 }) });
    const values: Record<string, Value> = {
      Null: null,
      Bool: false,
      Int: -42,
      Big: 2n ** 62n,
      Float: 1.25,
      IntegralFloat: new VFloat(3),
      Str: 'plain',
      NumStr: '12',
      SpaceStr: ' lead',
      Quote: 'say "hi", ok',
      Multi: 'line one\nline two\r\nline three',
      Bytes: new VBytes(new Uint8Array([0xff, 0x00, 0x80])),
      Arr: [1, 'two', row({ three: 3 })],
      Dict: nested,
      Time: new VTime(1704189600123456789n),
      Unicode: 'héllo ☃',
      Path: { toJSON: () => '/usr/bin/ls' },
    };
    await store.append('Test.Values', [row(values), row({ ...values, Int: 7 })]);
    const file = join(store.dir('Test.Values'), '2024-01-02.csv');
    const text = await readFile(file, 'utf8');
    assert.ok(text.includes('" 12"'), 'number-like string gets a protective space and quotes');
    assert.ok(text.includes('"{\n ""a"": 1,\n ""b"": [\n  true,'), 'dicts are indented JSON text, quoted');
    const [back] = await readDayFile(file);
    assert.deepEqual(back!.keys(), Object.keys(values));
    const expect: Record<string, Value> = {
      ...values,
      IntegralFloat: 3, // integral floats read back as ints
      Bytes: new VBytes(new Uint8Array([0xff, 0x00, 0x80])),
      Time: '2024-01-02T10:00:00.123456789Z', // times read back as their RFC 3339 text
      Path: '/usr/bin/ls',
    };
    for (const k of Object.keys(values)) {
      assert.equal(toJSON(back!.get(k)), toJSON(expect[k]), k);
    }
    assert.equal(typeof back!.get('NumStr'), 'string');
    assert.equal(back!.get('Big'), 2n ** 62n);
    assert.ok(back!.get('Dict') instanceof VDict);
    assert.ok(back!.get('Bytes') instanceof VBytes);
    await store.close();
  });

  test('one-column rows with an empty cell are not blank lines', async () => {
    const ds = datastore();
    const store = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now });
    await store.append('Test.One', [row({ X: null }), row({ X: 'a' }), row({ X: null }), new VDict()]);
    const file = join(store.dir('Test.One'), '2024-01-02.csv');
    assert.equal(await readFile(file, 'utf8'), 'X\n""\na\n""\n');
    assert.deepEqual((await readDayFile(file)).map((r) => r.get('X')), [null, 'a', null]);
    await store.close();
  });

  test('UTC day rollover: rows before and after midnight UTC land in two files', async () => {
    const ds = datastore();
    const c = clock('2024-01-02T23:59:59.999Z');
    const store = new MonitoringStore({ datastore: ds, now: c.now });
    await store.append('Test.Day', [row({ N: 1 })]);
    c.set('2024-01-03T00:00:00.000Z');
    await store.append('Test.Day', [row({ N: 2 })]);
    // A clock in another offset still uses the UTC date: 2024-01-03T01:00+02:00 is 2024-01-02 23:00 UTC.
    c.set('2024-01-03T01:00:00+02:00');
    await store.append('Test.Day', [row({ N: 3 })]);
    const dir = store.dir('Test.Day');
    assert.deepEqual((await readdir(dir)).sort(), ['2024-01-02.csv', '2024-01-03.csv']);
    assert.deepEqual((await readDayFile(join(dir, '2024-01-02.csv'))).map((r) => r.get('N')), [1, 3]);
    assert.deepEqual((await readDayFile(join(dir, '2024-01-03.csv'))).map((r) => r.get('N')), [2]);
    await store.close();
  });

  test('schema change mid-day makes parts; a later row with an earlier schema returns to its part', async () => {
    const ds = datastore();
    const store = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now });
    const q = 'Test.Schema/Src';
    const dir = store.dir(q);
    await store.append(q, [row({ A: 1, B: 'x' })]);
    const r = await store.append(q, [row({ B: 'y', A: 2 }), row({ A: 3, B: 'z' }), row({ A: 4, B: 'w', C: true })]);
    assert.deepEqual(r.rows, 3);
    assert.deepEqual(r.files.sort(), [join(dir, '2024-01-02.1.csv'), join(dir, '2024-01-02.2.csv'), join(dir, '2024-01-02.csv')]);
    await store.append(q, [row({ A: 5, B: 'v' })]);
    await store.close();

    // A new store (a restart) rebuilds the index from the headers.
    const again = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T11:00:00Z').now });
    await again.append(q, [row({ B: 'u', A: 6 }), row({ D: 1 })]);
    assert.deepEqual(await readHeader(join(dir, '2024-01-02.csv')), ['A', 'B']);
    assert.deepEqual(await readHeader(join(dir, '2024-01-02.1.csv')), ['B', 'A']);
    assert.deepEqual(await readHeader(join(dir, '2024-01-02.2.csv')), ['A', 'B', 'C']);
    assert.deepEqual(await readHeader(join(dir, '2024-01-02.3.csv')), ['D']);
    const json = async (name: string) => (await readDayFile(join(dir, name))).map((x) => x.toJSON());
    assert.deepEqual(await json('2024-01-02.csv'), [{ A: 1, B: 'x' }, { A: 3, B: 'z' }, { A: 5, B: 'v' }]);
    assert.deepEqual(await json('2024-01-02.1.csv'), [{ B: 'y', A: 2 }, { B: 'u', A: 6 }]);
    assert.deepEqual(await json('2024-01-02.2.csv'), [{ A: 4, B: 'w', C: true }]);
    assert.deepEqual(await json('2024-01-02.3.csv'), [{ D: 1 }]);
    assert.deepEqual(await again.rowsToday(), new Map([[q, 7]]));
    await again.close();
  });

  test('concurrent batches: serialized per query, every row kept in order; at most MAX_OPEN_FILES descriptors', async () => {
    const ds = datastore();
    const store = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now });
    const fdCount = () => (process.platform === 'linux' ? readdirSync('/proc/self/fd').length : 0);
    const baseline = fdCount();
    const queries = Array.from({ length: MAX_OPEN_FILES + 16 }, (_, i) => `Test.Many${i}`);
    const pending: Promise<unknown>[] = [];
    for (let b = 0; b < 5; b++) {
      for (const q of queries) pending.push(store.append(q, Array.from({ length: 10 }, (_, i) => row({ B: b, I: i, Q: q }))));
    }
    await Promise.all(pending);
    if (process.platform === 'linux') assert.ok(fdCount() - baseline <= MAX_OPEN_FILES, `${fdCount() - baseline} descriptors open`);
    for (const q of queries) {
      const rows = await readDayFile(join(store.dir(q), '2024-01-02.csv'));
      assert.deepEqual(rows.map((r) => [r.get('B'), r.get('I'), r.get('Q')]), Array.from({ length: 50 }, (_, k) => [Math.floor(k / 10), k % 10, q]));
    }
    await store.close();
    if (process.platform === 'linux') assert.ok(fdCount() <= baseline, 'close() closes every descriptor');
  });

  test('torn last record (half a quoted multi-line field) is repaired; complete rows remain', async () => {
    const ds = datastore();
    const store = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now });
    const rows = [row({ N: 1, Text: 'one\ntwo' }), row({ N: 2, Text: 'a "quoted"\nvalue,\n' }), row({ N: 3, Text: 'plain' })];
    await store.append('Test.Torn', rows);
    await store.append('Test.Torn/S', [row({ N: 1, Text: 'x' })]);
    await store.close();
    const file = join(store.dir('Test.Torn'), '2024-01-02.csv');
    const good = await readFile(file, 'utf8');
    // Half a record whose quoted field has a newline: "last \n" would keep it.
    await appendFile(file, '4,"half\nof a field\n');
    await assert.rejects(readDayFile(file), /incomplete/);
    // A file holding only part of a header, and one that is already empty.
    const tornHeader = join(store.dir('Test.Torn'), '2024-01-01.csv');
    await writeFile(tornHeader, 'N,Te');
    const empty = join(store.dir('Test.Torn'), '2023-12-31.csv');
    await writeFile(empty, '');
    const sourceFile = join(store.dir('Test.Torn/S'), '2024-01-02.csv');
    await appendFile(sourceFile, '2,"x');

    const reopened = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T11:00:00Z').now });
    assert.deepEqual((await reopened.repair()).sort(), [sourceFile, tornHeader, file].sort());
    assert.equal(await readFile(file, 'utf8'), good);
    assert.equal(existsSync(tornHeader), false);
    assert.equal(existsSync(empty), true);
    assert.deepEqual((await readDayFile(file)).map((r) => r.toJSON()), rows.map((r) => r.toJSON()));
    assert.deepEqual((await readDayFile(sourceFile)).map((r) => r.toJSON()), [{ N: 1, Text: 'x' }]);
    assert.deepEqual(await reopened.repair(), []);
    await reopened.append('Test.Torn', [row({ N: 4, Text: 'after' })]);
    assert.deepEqual((await readDayFile(file)).map((r) => r.get('N')), [1, 2, 3, 4]);
    await reopened.close();
  });

  test('a torn file is also repaired when first appended to without repair()', async () => {
    const ds = datastore();
    const store = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now });
    await store.append('Test.Torn2', [row({ N: 1, T: 'a' })]);
    await store.close();
    const file = join(store.dir('Test.Torn2'), '2024-01-02.csv');
    await appendFile(file, '2,"b\nc');
    const next = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now });
    await next.append('Test.Torn2', [row({ N: 3, T: 'd\ne' })]);
    assert.deepEqual((await readDayFile(file)).map((r) => r.toJSON()), [{ N: 1, T: 'a' }, { N: 3, T: 'd\ne' }]);
    await next.close();
  });

  test('kill -9 of a writing process: repair leaves clean files holding every acknowledged row', async () => {
    const ds = datastore();
    mkdirSync(ds, { recursive: true });
    const acked = await killWriterAfter(
      ds,
      `import { MonitoringStore } from ${JSON.stringify(mainModule('collector/store.ts'))};
import { VDict } from ${JSON.stringify(mainModule('vql/values/types.ts'))};
const store = new MonitoringStore({ datastore: ${JSON.stringify(ds)} });
let seq = 0;
for (let b = 0; ; b++) {
  const rows = [];
  for (let i = 0; i < 2000; i++, seq++) rows.push(new VDict([['Seq', seq], ['Text', 'multi\\nline "' + seq + '",' + 'x'.repeat(seq % 50)]]));
  await store.append('Test.Crash', rows);
  process.stdout.write('ack ' + seq + '\\n');
}
`,
      60_000,
    );
    const store = new MonitoringStore({ datastore: ds });
    await store.repair();
    const dir = store.dir('Test.Crash');
    const seqs: number[] = [];
    for (const name of (await readdir(dir)).sort()) {
      for (const r of await readDayFile(join(dir, name))) {
        const s = r.get('Seq') as number;
        assert.equal(r.get('Text'), 'multi\nline "' + s + '",' + 'x'.repeat(s % 50));
        seqs.push(s);
      }
    }
    assert.ok(seqs.length >= acked, `${seqs.length} rows on disk, ${acked} acknowledged`);
    seqs.forEach((s, i) => assert.equal(s, i));
    await store.close();
  });

  test('retention deletes only days older than keepDays (all parts and sources)', async () => {
    const ds = datastore();
    const c = clock('2024-01-01T12:00:00Z');
    const store = new MonitoringStore({ datastore: ds, now: c.now });
    for (const day of ['2024-01-01', '2024-01-05', '2024-01-07', '2024-01-08', '2024-01-10']) {
      c.set(day + 'T12:00:00Z');
      await store.append('Test.Keep', [row({ A: 1 }), row({ B: 2 })]);
      await store.append('Test.Keep/Src', [row({ A: 1 })]);
    }
    c.set('2024-01-03T00:00:00Z');
    await store.append('Test.OldOnly', [row({ A: 1 })]);
    c.set('2024-01-10T23:00:00Z');
    const deleted = await store.retain(2); // keep 2024-01-08 .. 2024-01-10
    const keep = store.dir('Test.Keep');
    const src = store.dir('Test.Keep/Src');
    assert.deepEqual(deleted, [
      join(keep, '2024-01-01.1.csv'), join(keep, '2024-01-01.csv'),
      join(keep, '2024-01-05.1.csv'), join(keep, '2024-01-05.csv'),
      join(keep, '2024-01-07.1.csv'), join(keep, '2024-01-07.csv'),
      join(src, '2024-01-01.csv'), join(src, '2024-01-05.csv'), join(src, '2024-01-07.csv'),
      join(store.dir('Test.OldOnly'), '2024-01-03.csv'),
    ].sort());
    assert.deepEqual((await readdir(keep)).sort(), ['2024-01-08.1.csv', '2024-01-08.csv', '2024-01-10.1.csv', '2024-01-10.csv', 'Src']);
    assert.deepEqual((await readdir(src)).sort(), ['2024-01-08.csv', '2024-01-10.csv']);
    assert.equal(existsSync(store.dir('Test.OldOnly')), false, 'a directory emptied by retention is removed');
    assert.deepEqual(await store.retain(2), []);
    await assert.rejects(store.retain(-1), RangeError);
    await assert.rejects(store.append('/Src', [row({ A: 1 })]), TypeError);
    // Writing goes on after retention.
    await store.append('Test.OldOnly', [row({ A: 2 })]);
    assert.deepEqual(await store.rowsToday(), new Map([['Test.Keep', 2], ['Test.Keep/Src', 1], ['Test.OldOnly', 1]]));
    await store.close();
  });

  test('client id: C. + 16 hex digits, generated once per datastore and kept', async () => {
    const ds = datastore();
    const id = clientId(ds);
    assert.match(id, /^C\.[0-9a-f]{16}$/);
    assert.equal(await readFile(join(ds, 'client_id'), 'utf8'), id + '\n');
    assert.equal(clientId(ds), id);
    assert.equal(new MonitoringStore({ datastore: ds }).clientId, id);
    assert.notEqual(clientId(datastore()), id);
    assert.equal(new MonitoringStore({ datastore: ds, clientId: 'C.0123456789abcdef' }).clientId, 'C.0123456789abcdef');
    assert.throws(() => new MonitoringStore({ datastore: ds, clientId: '../etc' }), TypeError);
    const bad = datastore();
    mkdirSync(bad);
    await writeFile(join(bad, 'client_id'), 'garbage');
    assert.throws(() => clientId(bad), /not a client id/);
    assert.deepEqual((await readdir(ds)).sort(), ['client_id'], 'no temporary file is left');
  });

  describe('write errors', () => {
    test('read-only: append rejects naming the file and the OS error; the retry succeeds, no partial line', async (t) => {
      const batch1 = [row({ N: 1, T: 'first' })];
      const batch2 = [row({ N: 2, T: 'second' }), row({ N: 3, T: 'third' })];
      const check = async (ds: string, makeReadOnly: () => Promise<void>, makeWritable: () => Promise<void>, code: RegExp) => {
        const c = clock('2024-01-02T10:00:00Z');
        const first = new MonitoringStore({ datastore: ds, now: c.now });
        await first.append('Test.RO', batch1);
        await first.close();
        const file = join(first.dir('Test.RO'), '2024-01-02.csv');
        const before = await readFile(file, 'utf8');
        await makeReadOnly();
        const store = new MonitoringStore({ datastore: ds, now: c.now });
        // Today's file cannot be opened for writing; a new day's file cannot be created.
        const err = await store.append('Test.RO', batch2).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof StoreWriteError, String(err));
        assert.match(err.message, new RegExp(file.replace(/[.\\]/g, '\\$&')));
        assert.match(err.message, code);
        assert.match(err.message, /retried/);
        c.set('2024-01-03T10:00:00Z');
        await assert.rejects(store.append('Test.RO', batch2), StoreWriteError);
        c.set('2024-01-02T10:00:00Z');
        assert.equal(await readFile(file, 'utf8'), before);
        await makeWritable();
        await store.append('Test.RO', batch2);
        assert.deepEqual((await readDayFile(file)).map((r) => r.get('N')), [1, 2, 3]);
        await store.close();
      };
      if (!isRoot && process.platform !== 'win32') {
        const ds = datastore();
        const dir = () => new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now }).dir('Test.RO');
        await check(ds, async () => {
          await chmod(join(dir(), '2024-01-02.csv'), 0o444);
          await chmod(dir(), 0o555);
        }, async () => {
          await chmod(dir(), 0o755);
          await chmod(join(dir(), '2024-01-02.csv'), 0o644);
        }, /EACCES|EPERM/);
        return;
      }
      // Root ignores permission bits: use a real read-only file system instead.
      const skip = await withTmpfs(tmp, '1m', async (mnt) => {
        const remount = (mode: string) => async () => {
          const r = spawnSync('mount', ['-o', `remount,${mode}`, mnt], { encoding: 'utf8' });
          assert.equal(r.status, 0, r.stderr);
        };
        await check(join(mnt, 'ds'), remount('ro'), remount('rw'), /EROFS/);
      });
      if (skip) t.skip(`running as root and ${skip}: permission bits cannot make a directory read-only for root`);
    });

    test('disk full (ENOSPC, a 256 KiB tmpfs): the partial write is cut off; after freeing space the retry succeeds', async (t) => {
      const skip = await withTmpfs(tmp, '256k', async (mnt) => {
        const ds = join(mnt, 'ds');
        const store = new MonitoringStore({ datastore: ds, now: clock('2024-01-02T10:00:00Z').now });
        await store.append('Test.Full', [row({ N: 0, T: 'small' })]);
        await store.append('Test.Full/Other', [row({ N: 0 })]);
        const file = join(store.dir('Test.Full'), '2024-01-02.csv');
        const other = join(store.dir('Test.Full/Other'), '2024-01-02.csv');
        const before = await readFile(file, 'utf8');
        // Fill the file system.
        const filler = await fillDisk(mnt);
        // A big batch: part of it fits in the file's last page, the rest does not.
        const batch = Array.from({ length: 1000 }, (_, i) => row({ N: i + 1, T: 'row ' + 'y'.repeat(i % 40) }));
        const err = await store.append('Test.Full', batch).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof StoreWriteError, String(err));
        assert.equal(err.code, 'ENOSPC');
        assert.match(err.message, /2024-01-02\.csv/);
        assert.match(err.message, /ENOSPC/);
        assert.match(err.message, /disk is full/);
        assert.equal(await readFile(file, 'utf8'), before, 'the failed batch left nothing behind');
        // A batch of one query spread over two parts fails as a whole.
        const mixed = [row({ N: 1, T: 'a' }), ...Array.from({ length: 2000 }, (_, i) => row({ Other: i, Pad: 'z'.repeat(30) }))];
        await assert.rejects(store.append('Test.Full', mixed), StoreWriteError);
        assert.equal(await readFile(file, 'utf8'), before, 'the part that fitted was rolled back');
        assert.deepEqual((await readdir(store.dir('Test.Full'))).sort(), ['2024-01-02.csv', 'Other'], 'no empty part is left');
        assert.equal(await readFile(other, 'utf8'), 'N\n0\n');
        await rm(filler);
        const ok = await store.append('Test.Full', batch);
        assert.equal(ok.rows, 1000);
        const rows = await readDayFile(file);
        assert.deepEqual(rows.map((r) => r.get('N')), Array.from({ length: 1001 }, (_, i) => i));
        assert.equal((await stat(file)).size, Buffer.byteLength(await readFile(file, 'utf8')));
        await store.close();
      });
      if (skip) t.skip(`${skip}: no other real way to fill a disk without using it all`);
    });
  });

  test('throughput smoke test: benchStore >= 100,000 rows/s', async () => {
    const rate = await benchStore(join(tmp, 'bench'), 300_000);
    note(`benchStore: ${Math.round(rate)} rows/s`);
    assert.ok(rate >= 100_000, `${Math.round(rate)} rows/s`);
  });
});

function note(msg: string): void {
  process.stdout.write(`# ${msg}\n`);
}
