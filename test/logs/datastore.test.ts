// Reading monitoring datastores (main/logs): Velociraptor's three layouts (2018 CSV of JSON
// cells, 2019 CSV with _ts, 2020-on JSONL with .json.tidx, built per the reference in temp
// folders: fixtures.ts) and ours; clients with hostnames from the client records; artifacts
// and days with rows and sizes; a range's rows merged in _ts order; a time range read through
// the index (only its bytes); bad lines reported with file and line while the rest is read;
// nothing written into the datastore.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync, statSync, openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { at, clientInfo, jsonlDayPath, write2018Day, write2019Day, writeJsonlDay, writeSnapshot, tree } from './fixtures.ts';
import { clientArtifactFiles, DatastoreError, datastoreClients, findDatastore, rangeFiles } from '../../main/logs/datastore.ts';
import { clientHostnames, hostnameOfClientInfo } from '../../main/logs/hostnames.ts';
import { storeArtifacts, storeClientList } from '../../main/logs/store.ts';
import { RowCounter } from '../../main/logs/counts.ts';
import { parseRange, rangeRows } from '../../main/logs/range.ts';
import { tidxByteRange } from '../../main/logs/tidx.ts';
import { readJsonlText, MAX_JSON_LINE } from '../../main/logs/jsonl-rows.ts';
import { MonitoringStore } from '../../main/collector/store.ts';
import { VDict } from '../../main/vql/values/types.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vql-logs-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const fresh = () => join(tmp, `ds${++seq}`);

const C = 'C.4f5e52adf0a337a9';
const D = 'C.11a3013cca8f826e';

async function collect(gen: AsyncGenerator<string[]>): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const b of gen) for (const r of b) out.push(JSON.parse(r));
  return out;
}

/** A datastore with every layout: C has 2018, 2019 (with a named source) and JSONL days of Generic.Client.Stats; D has JSONL only. */
function everyLayout(): string {
  const root = fresh();
  writeSnapshot(root, { [C]: 'desk-01.example.com' });
  write2018Day(root, C, 'Generic.Client.Stats', '2018-12-10', ['Timestamp', 'CPU', 'RSS'], [
    { Timestamp: 1544363561.8001275, CPU: 14.91, RSS: 18284544 },
    { Timestamp: 1544363571.1, CPU: 2, Note: 'x' },
  ]);
  write2019Day(root, C, 'Generic.Client.Stats', '2019-08-12', ['_ts', 'CPU', 'RSS'], [{ _ts: at('2019-08-12', 1), CPU: 1, RSS: 2 }, { _ts: at('2019-08-12', 2), CPU: 3, RSS: 4 }]);
  write2019Day(root, C, 'Windows.Events.ProcessCreation', '2019-08-12', ['_ts', 'Pid'], [{ _ts: at('2019-08-12', 5), Pid: 4 }], 'Process');
  for (const day of ['2021-12-06', '2021-12-07']) {
    writeJsonlDay(jsonlDayPath(root, C, 'Generic.Client.Stats', day), C, [
      { ts: at(day, 60), rows: [{ CPU: 1, RSS: 10 }, { CPU: 2, RSS: 20 }] },
      { ts: at(day, 3600), rows: [{ CPU: 3, RSS: 30 }] },
      { ts: at(day, 7200), rows: [{ CPU: 4, RSS: 40, Extra: { nested: [1, 2] } }] },
    ]);
  }
  writeJsonlDay(jsonlDayPath(root, D, 'Windows.Events.DNSQueries/Queries', '2021-12-07'), D, [{ ts: at('2021-12-07', 1), rows: [{ Q: 'a.example' }] }], { tidx: false });
  // Legacy client record for D (no snapshot line for it).
  writeFileSync(join(root, 'clients', `${D}.db`), clientInfo(D, 'legacy-host'));
  return root;
}

describe('finding a datastore', () => {
  test('the datastore, its clients folder, a client folder or its monitoring folder; anything else is refused saying what is expected', async () => {
    const root = everyLayout();
    assert.deepEqual(await findDatastore(root), { root });
    assert.deepEqual(await findDatastore(join(root, 'clients')), { root });
    assert.deepEqual(await findDatastore(join(root, 'clients', C)), { root, client: C });
    assert.deepEqual(await findDatastore(join(root, 'clients', C, 'monitoring')), { root, client: C });
    await assert.rejects(findDatastore(join(root, 'client_info')), (e: Error) => e instanceof DatastoreError && /not a monitoring datastore: expected a folder holding clients\//.test(e.message));
    await assert.rejects(findDatastore(join(root, 'nope')), /does not exist/);
    await assert.rejects(findDatastore(join(root, 'client_info', 'snapshot.json')), /is not a folder/);
  });

  test('clients with their hostnames: from client_info/snapshot.json, else the legacy clients/<id>.db', async () => {
    const root = everyLayout();
    assert.deepEqual(await datastoreClients({ root }), [D, C].sort());
    assert.deepEqual(await storeClientList({ root }), [{ id: D, hostname: 'legacy-host' }, { id: C, hostname: 'desk-01.example.com' }].sort((a, b) => (a.id < b.id ? -1 : 1)));
    assert.deepEqual(await storeClientList({ root, client: C }), [{ id: C, hostname: 'desk-01.example.com' }]);
    // A record that does not decode gives no hostname, and no error.
    writeFileSync(join(root, 'client_info', 'snapshot.json'), `{"client_id":"${C}","info":"1aff"}\nnot a line\n`);
    assert.deepEqual([...(await clientHostnames(root, [C]))], []);
    assert.equal(hostnameOfClientInfo(Buffer.from([0x1a, 0x05, 0x61])), undefined);
  });
});

describe('artifacts and days in every layout', () => {
  test('2018, 2019 and JSONL days of one artifact are one artifact; 2019 named sources and JSONL sources are Artifact/Source', async () => {
    const root = everyLayout();
    const c = await clientArtifactFiles(root, C);
    assert.deepEqual(c.map((a) => a.artifact), ['Generic.Client.Stats', 'Windows.Events.ProcessCreation/Process']);
    const stats = c[0]!;
    assert.deepEqual([...stats.days.keys()], ['2018-12-10', '2019-08-12', '2021-12-06', '2021-12-07']);
    assert.deepEqual([...stats.days.values()].map((l) => l.map((f) => f.format)), [['csv2018'], ['csv'], ['jsonl'], ['jsonl']]);
    assert.ok(stats.days.get('2021-12-06')![0]!.tidx?.endsWith('2021-12-06.json.tidx'));
    const d = await clientArtifactFiles(root, D);
    assert.deepEqual(d.map((a) => a.artifact), ['Windows.Events.DNSQueries/Queries']);
    assert.equal(d[0]!.days.get('2021-12-07')![0]!.tidx, undefined);
  });

  test('rows and sizes: JSONL days from the index (the .json not read), JSONL without one by its lines, CSV by its records', async () => {
    const root = everyLayout();
    const counter = new RowCounter();
    const arts = await storeArtifacts(root, C, counter);
    assert.deepEqual(arts.map((a) => [a.artifact, a.days.map((x) => [x.day, x.rows])]), [
      ['Generic.Client.Stats', [['2018-12-10', 2], ['2019-08-12', 2], ['2021-12-06', 4], ['2021-12-07', 4]]],
      ['Windows.Events.ProcessCreation/Process', [['2019-08-12', 1]]],
    ]);
    const json = jsonlDayPath(root, C, 'Generic.Client.Stats', '2021-12-06');
    assert.equal(arts[0]!.days[2]!.bytes, statSync(json).size);
    // Only the CSV files were read by the counter.
    const csvBytes = ['2018-12-10', '2019-08-12.csv'].map((n) => statSync(join(root, 'clients', C, 'monitoring', n.length === 10 ? 'Artifact%20Generic.Client.Stats' : 'Generic.Client.Stats', n)).size);
    const src = statSync(join(root, 'clients', C, 'monitoring', 'Windows.Events.ProcessCreation', '2019-08-12', 'Process.csv')).size;
    assert.equal(counter.bytesRead, csvBytes[0]! + csvBytes[1]! + src);
    const dns = await storeArtifacts(root, D, counter);
    assert.deepEqual(dns[0]!.days.map((x) => x.rows), [1]);
  });

  test("the collector's own CSV datastore lists and reads as before", async () => {
    const root = fresh();
    const store = new MonitoringStore({ datastore: root, now: () => new Date('2024-03-01T12:00:00Z') });
    await store.append('Generic.Client.Stats', [VDict.fromObject({ CPU: 1, _ts: 1709294400 }), VDict.fromObject({ CPU: 2, _ts: 1709294401 })]);
    await store.close();
    const ids = await datastoreClients({ root });
    assert.equal(ids.length, 1);
    const arts = await storeArtifacts(root, ids[0]!, new RowCounter());
    assert.deepEqual(arts.map((a) => [a.artifact, a.days.map((x) => [x.day, x.rows])]), [['Generic.Client.Stats', [['2024-03-01', 2]]]]);
    const { files } = await rangeFiles(root, ids[0]!, 'Generic.Client.Stats', '2024-03-01', '2024-03-01');
    const rows = await collect(rangeRows(files, { fromDay: '2024-03-01', toDay: '2024-03-01' }, (m) => assert.fail(m)));
    assert.deepEqual(rows.map((r) => r.CPU), [1, 2]);
  });
});

describe('rows of a range', () => {
  test('days in order across layouts: 2018 cells decoded from JSON (- is null), 2019 CSV, JSONL lines as written', async () => {
    const root = everyLayout();
    const { files } = await rangeFiles(root, C, 'Generic.Client.Stats', '2018-01-01', '2021-12-06');
    const rows = await collect(rangeRows(files, { fromDay: '2018-01-01', toDay: '2021-12-06' }, (m) => assert.fail(m)));
    assert.deepEqual(rows.slice(0, 2), [
      { Timestamp: 1544363561.8001275, CPU: 14.91, RSS: 18284544 },
      { Timestamp: 1544363571.1, CPU: 2, RSS: null },
    ]);
    assert.deepEqual(rows.slice(2, 4).map((r) => [r._ts, r.CPU]), [[at('2019-08-12', 1), 1], [at('2019-08-12', 2), 3]]);
    assert.deepEqual(rows.slice(4).map((r) => r.CPU), [1, 2, 3, 4]);
    assert.deepEqual(rows[7]!.Extra, { nested: [1, 2] });
    assert.equal(rows[4]!.ClientId, C);
  });

  test('2018 cells: strings keep their JSON quotes under CSV quoting, nested values and commas, a cell that is not JSON is text', async () => {
    const root = fresh();
    const path = write2018Day(root, C, 'Windows.Events.ProcessCreation', '2018-11-06', ['Time', 'Name', 'Info', 'N'], [
      { Time: '2018-11-06T00:40:11Z', Name: 'a, "b"', Info: { Pid: 4, Args: ['x', 'y,z'] }, N: 12345678901234567890 },
    ]);
    writeFileSync(path, readFileSync(path, 'utf8') + 'plain text,-,"{""k"":1}",7\n');
    const { files } = await rangeFiles(root, C, 'Windows.Events.ProcessCreation', '2018-11-06', '2018-11-06');
    const text: string[] = [];
    for await (const b of rangeRows(files, { fromDay: '2018-11-06', toDay: '2018-11-06' }, (m) => assert.fail(m))) text.push(...b);
    assert.equal(text[0], '{"Time":"2018-11-06T00:40:11Z","Name":"a, \\"b\\"","Info":{"Pid":4,"Args":["x","y,z"]},"N":12345678901234567000}');
    assert.deepEqual(JSON.parse(text[1]!), { Time: 'plain text', Name: null, Info: { k: 1 }, N: 7 });
  });

  test('files of one day (a CSV part and a JSONL file) merge in _ts order, ties in file order', async () => {
    const root = fresh();
    const day = '2022-01-01';
    write2019Day(root, C, 'A.B', day, ['_ts', 'n'], [{ _ts: at(day, 1), n: 'csv1' }, { _ts: at(day, 3), n: 'csv3' }, { _ts: at(day, 5), n: 'csv5' }]);
    writeJsonlDay(jsonlDayPath(root, C, 'A.B', day), C, [{ ts: at(day, 2), rows: [{ n: 'j2' }] }, { ts: at(day, 3), rows: [{ n: 'j3' }] }, { ts: at(day, 9), rows: [{ n: 'j9' }] }]);
    const { files } = await rangeFiles(root, C, 'A.B', day, day);
    assert.deepEqual(files.map((f) => f.format), ['csv', 'jsonl']);
    const rows = await collect(rangeRows(files, { fromDay: day, toDay: day }, (m) => assert.fail(m)));
    assert.deepEqual(rows.map((r) => r.n), ['csv1', 'j2', 'csv3', 'j3', 'csv5', 'j9']);
  });

  test('a time range reads only the bytes the .json.tidx points at (the blob writer\'s offsets included)', async () => {
    const root = fresh();
    const day = '2023-05-01';
    const path = jsonlDayPath(root, C, 'A.B', day);
    const batches = Array.from({ length: 10 }, (_, h) => ({ ts: at(day, h * 3600), rows: [{ h, k: 0 }, { h, k: 1 }, { h, k: 2 }] }));
    const offsets = writeJsonlDay(path, C, batches);
    const r = await tidxByteRange(path, path + '.tidx', at(day, 3 * 3600) * 1000, at(day, 5 * 3600) * 1000);
    assert.deepEqual(r, { start: offsets[9], end: offsets[15], firstRow: 10, rows: 6 });
    // Spoil every byte outside the range: a reader that strays there reports lines that are not JSON.
    const buf = readFileSync(path);
    for (let i = 0; i < buf.length; i++) if ((i < r!.start || i >= r!.end) && buf[i] !== 0x0a) buf[i] = 0x78;
    writeFileSync(path, buf);
    const range = parseRange(`${day}T03:00:00Z`, `${day}T05:00:00Z`);
    assert.ok(typeof range !== 'string');
    const warnings: string[] = [];
    const { files } = await rangeFiles(root, C, 'A.B', range.fromDay, range.toDay);
    const rows = await collect(rangeRows(files, range, (m) => warnings.push(m)));
    assert.deepEqual(warnings, []);
    assert.deepEqual(rows.map((x) => [x.h, x.k]), [[3, 0], [3, 1], [3, 2], [4, 0], [4, 1], [4, 2]]);
  });

  test('without an index a time range filters by _ts', async () => {
    const root = fresh();
    const day = '2023-05-01';
    writeJsonlDay(jsonlDayPath(root, C, 'A.B', day), C, [0, 1, 2, 3].map((h) => ({ ts: at(day, h * 3600), rows: [{ h }] })), { tidx: false });
    const range = parseRange(`${day}T01:00:00Z`, `${day}T03:00:00Z`);
    assert.ok(typeof range !== 'string');
    const { files } = await rangeFiles(root, C, 'A.B', range.fromDay, range.toDay);
    assert.deepEqual((await collect(rangeRows(files, range, (m) => assert.fail(m)))).map((x) => x.h), [1, 2]);
  });

  test('parseRange: days, times, epoch ms; a reversed or bad range says what to give', () => {
    assert.deepEqual(parseRange('2024-05-01', '2024-05-03'), { fromDay: '2024-05-01', toDay: '2024-05-03' });
    assert.deepEqual(parseRange('2024-05-01T10:00:00Z', 1714600800000), { fromDay: '2024-05-01', toDay: '2024-05-01', fromMs: 1714557600000, toMs: 1714600800000 });
    assert.match(String(parseRange('2024-05-03', '2024-05-01')), /ends before it starts/);
    assert.match(String(parseRange('yesterday', '2024-05-01')), /invalid --from "yesterday": give a day/);
  });
});

describe('bad input: problems with file and line, the rest is read', () => {
  test('a line that is not JSON, one that is not an object, a line cut short at the end', async () => {
    const root = fresh();
    const day = '2023-01-01';
    const path = jsonlDayPath(root, C, 'A.B', day);
    writeJsonlDay(path, C, [{ ts: at(day, 1), rows: [{ n: 1 }] }], { tidx: false, raw: ['{"n": 2, oops}\n', '[1,2]\n', '\n', `{"n":3,"_ts":${at(day, 2)}}\n`, '{"n":4,"_t'] });
    const warnings: string[] = [];
    const { files } = await rangeFiles(root, C, 'A.B', day, day);
    const rows = await collect(rangeRows(files, { fromDay: day, toDay: day }, (m) => warnings.push(m)));
    assert.deepEqual(rows.map((r) => r.n), [1, 3]);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0]!, new RegExp(`^${path.replace(/[.]/g, '\\.')}: line 2: not JSON`));
    assert.match(warnings[1]!, /: line 3: not a JSON object/);
    assert.match(warnings[2]!, /: line 6: cut short \(no line end; the file may still be being written\)/);
  });

  test(`a line longer than ${MAX_JSON_LINE >> 20} MiB is reported and skipped without being held; the lines after it are read`, async () => {
    const path = join(fresh(), 'big.json');
    mkdirSync(join(path, '..'), { recursive: true });
    const fd = openSync(path, 'w');
    writeSync(fd, '{"n":1}\n{"big":"');
    const chunk = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i < 100; i++) writeSync(fd, chunk); // a 100 MB line
    writeSync(fd, '"}\n{"n":2}\n');
    closeSync(fd);
    const warnings: string[] = [];
    const rows: unknown[] = [];
    for await (const b of readJsonlText(path, (m) => warnings.push(m), {}, undefined, 1 << 16)) for (const r of b.rows) rows.push(JSON.parse(r));
    assert.deepEqual(rows, [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(warnings, [`${path}: line 2: longer than 16 MiB; the line is left out, the rest is read`]);
  });

  test('nothing is written into the datastore by listing, counting and reading it', async () => {
    const root = everyLayout();
    const before = tree(root);
    const ds = await findDatastore(root);
    await storeClientList(ds);
    for (const id of await datastoreClients(ds)) {
      for (const a of await storeArtifacts(root, id, new RowCounter())) {
        const { files } = await rangeFiles(root, id, a.artifact, '0000-01-01', '9999-12-31');
        await collect(rangeRows(files, { fromDay: '0000-01-01', toDay: '9999-12-31' }, () => {}));
      }
    }
    assert.deepEqual(tree(root), before);
  });
});
