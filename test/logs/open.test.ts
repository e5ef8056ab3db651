// A Velociraptor datastore opened in the app (no collector needed): `store:datastore` finds it
// and lists clients with hostnames, `store:artifacts` its artifacts and days, and `table:open`
// of kind `logs` with `datastore` opens a day range through the table engine (main/tables/load.ts
// `loadLogs`): JSONL days merged in _ts order with CSV days of the same artifact, a time range
// read through the .json.tidx (only its bytes), a line that is not JSON or cut short listed
// with file and line while the rest opens, and nothing written into the datastore.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync, appendFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { bench } from '../tables/helpers.ts';
import { at, jsonlDayPath, write2018Day, write2019Day, writeJsonlDay, writeSnapshot, tree } from './fixtures.ts';
import { tableHandlers } from '../../main/app/tables.ts';
import { eventsHandlers } from '../../main/app/events.ts';
import type { ServiceContext } from '../../main/app/service.ts';
import type { Result, TableCell, TableInfo } from '../../main/ipc/contract.ts';

const b = bench();
after(() => b.dispose());
const ctx = { opts: { push: () => {} } } as unknown as ServiceContext;
const tables = tableHandlers(ctx, b.engine);
const events = eventsHandlers(ctx);
after(() => {
  tables.close();
  events.close();
});
let seq = 0;
const C = 'C.4f5e52adf0a337a9';

function value<T>(r: Result<T>): T {
  if (!r.ok) assert.fail(JSON.stringify(r.error));
  return r.value;
}

/** Opens a range and waits for the load; returns the info and every row by column name. */
async function open(req: Record<string, unknown>): Promise<{ info: TableInfo; rows: Array<Record<string, TableCell>> }> {
  let info = value(await tables.invoke['table:open']({ kind: 'logs', ...req } as never));
  while (info.state === 'loading') {
    await new Promise((r) => setTimeout(r, 20));
    info = value(await tables.invoke['table:info'](info.id));
  }
  assert.equal(info.state, 'ready', JSON.stringify(info));
  const w = value(await tables.invoke['table:window']({ id: info.id, offset: 0, limit: 10_000 }));
  return { info, rows: w.cells.map((cells) => Object.fromEntries(w.columns.map((c, i) => [c.name, cells[i] ?? null]))) };
}

function datastore(): string {
  const root = join(b.dir, `vr${++seq}`);
  writeSnapshot(root, { [C]: 'desk-01' });
  for (const day of ['2021-12-06', '2021-12-07', '2021-12-08']) {
    writeJsonlDay(jsonlDayPath(root, C, 'Generic.Client.Stats', day), C, Array.from({ length: 6 }, (_, h) => ({ ts: at(day, h * 3600), rows: [{ CPU: h, RSS: h * 10 }, { CPU: h + 0.5, RSS: h * 10 + 1 }] })));
  }
  return root;
}

describe('a Velociraptor datastore in the app', () => {
  test('store:datastore lists clients with hostnames; store:artifacts the days with rows from the index', async () => {
    const root = datastore();
    const ds = value(await events.invoke['store:datastore'](join(root, 'clients')));
    assert.deepEqual(ds, { root, clients: [{ id: C, hostname: 'desk-01' }] });
    const arts = value(await events.invoke['store:artifacts'](C, root));
    assert.deepEqual(arts.map((a) => [a.artifact, a.days.map((d) => [d.day, d.rows])]), [['Generic.Client.Stats', [['2021-12-06', 12], ['2021-12-07', 12], ['2021-12-08', 12]]]]);
    const bad = await events.invoke['store:datastore'](join(root, 'client_info'));
    assert.ok(!bad.ok && bad.error.code === 'BadRequest' && /not a monitoring datastore/.test(bad.error.message));
    const rel = await events.invoke['store:datastore']('relative/dir');
    assert.ok(!rel.ok && /absolute path/.test(rel.error.message));
  });

  test('a range of JSONL days opens as one table in time order, nested values kept', async () => {
    const root = datastore();
    const before = tree(root);
    const { info, rows } = await open({ client: C, artifact: 'Generic.Client.Stats', from: '2021-12-06', to: '2021-12-07', datastore: root });
    assert.equal(info.rowCount, 24);
    // _ts (Unix seconds on disk) shows as a time: epoch ms in the window.
    assert.deepEqual(rows.slice(0, 3).map((r) => [r.CPU, r._ts]), [[0, at('2021-12-06', 0) * 1000], [0.5, at('2021-12-06', 0) * 1000], [1, at('2021-12-06', 3600) * 1000]]);
    assert.equal(rows[12]!._ts, at('2021-12-07', 0) * 1000);
    assert.equal(rows[0]!.ClientId, C);
    assert.equal(info.problemCount, 0);
    assert.deepEqual(tree(root), before, 'nothing written into the datastore');
  });

  test('a time range reads only the bytes the .json.tidx gives (bytes outside it spoiled: no problem, no row from them)', async () => {
    const root = datastore();
    const path = jsonlDayPath(root, C, 'Generic.Client.Stats', '2021-12-07');
    const text = readFileSync(path, 'utf8').split('\n');
    // Hours 2 and 3 are lines 5-8; spoil every other line of the day.
    writeFileSync(path, text.map((l, i) => (l && (i < 4 || i > 7) ? 'x'.repeat(l.length) : l)).join('\n'));
    const { info, rows } = await open({ client: C, artifact: 'Generic.Client.Stats', from: '2021-12-07', to: '2021-12-07', fromTime: '2021-12-07T02:00:00Z', toTime: '2021-12-07T04:00:00Z', datastore: root });
    assert.deepEqual(rows.map((r) => r.CPU), [2, 2.5, 3, 3.5]);
    assert.equal(info.problemCount, 0);
  });

  test('bad lines: not JSON, and a last line cut short, are problems with file and line; the other rows open', async () => {
    const root = datastore();
    const path = jsonlDayPath(root, C, 'Generic.Client.Stats', '2021-12-08');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[3] = '{"CPU": oops}';
    writeFileSync(path, lines.join('\n'));
    appendFileSync(path, '{"CPU":99,"RS');
    const { info, rows } = await open({ client: C, artifact: 'Generic.Client.Stats', from: '2021-12-08', to: '2021-12-08', datastore: root });
    const problems = value(await tables.invoke['table:problems']({ id: info.id, offset: 0, limit: 100 }));
    assert.deepEqual(problems.problems.map((p) => [p.file, p.line]), [[path, 4], [path, 13]]);
    assert.equal(rows.filter((r) => r._raw === null).length, 11);
    assert.deepEqual(rows.filter((r) => r._raw !== null).map((r) => r._raw), ['{"CPU": oops}', '{"CPU":99,"RS']);
  });

  test('a later day with another column (a schema change): every day\'s columns, none dropped', async () => {
    const root = datastore();
    writeJsonlDay(jsonlDayPath(root, C, 'Generic.Client.Stats', '2021-12-09'), C, [{ ts: at('2021-12-09', 1), rows: [{ CPU: 9, RSS: 90, Disk: 'sda' }] }]);
    const { rows } = await open({ client: C, artifact: 'Generic.Client.Stats', from: '2021-12-07', to: '2021-12-09', datastore: root });
    assert.equal(rows.length, 25);
    assert.deepEqual([rows[0]!.Disk, rows[24]!.Disk, rows[24]!.CPU], [null, 'sda', 9]);
  });

  test('a bad line in one day of a range: the range opens file by file, the problem numbered at its row in time order', async () => {
    const root = datastore();
    const path = jsonlDayPath(root, C, 'Generic.Client.Stats', '2021-12-07');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[1] = '{"CPU": 0.5, broken';
    writeFileSync(path, lines.join('\n'));
    const { info, rows } = await open({ client: C, artifact: 'Generic.Client.Stats', from: '2021-12-06', to: '2021-12-08', datastore: root });
    assert.equal(info.rowCount, 36);
    const problems = value(await tables.invoke['table:problems']({ id: info.id, offset: 0, limit: 100 }));
    assert.deepEqual(problems.problems.map((p) => [p.file, p.line, p.row]), [[path, 2, 14]]);
    assert.equal(rows[13]!._raw, '{"CPU": 0.5, broken');
    assert.deepEqual(rows.slice(11, 16).map((r) => r.CPU), [5.5, 0, null, 1, 1.5]);
  });

  test('a line of 100 MB: a problem row with its start kept, its file and line; the rows around it open', { timeout: 120_000 }, async () => {
    const root = datastore();
    const path = jsonlDayPath(root, C, 'Generic.Client.Stats', '2021-12-08');
    const fd = openSync(path, 'a');
    writeSync(fd, '{"big":"');
    const chunk = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i < 100; i++) writeSync(fd, chunk);
    writeSync(fd, `"}\n{"CPU":99,"_ts":${at('2021-12-08', 80_000)}}\n`);
    closeSync(fd);
    const { info, rows } = await open({ client: C, artifact: 'Generic.Client.Stats', from: '2021-12-07', to: '2021-12-08', datastore: root });
    assert.equal(info.rowCount, 26);
    const problems = value(await tables.invoke['table:problems']({ id: info.id, offset: 0, limit: 100 }));
    assert.deepEqual(problems.problems.map((p) => [p.file, p.line, p.row, p.reason]), [[path, 13, 25, 'a line longer than 16 MiB (104,857,610 bytes): its first 64 KiB are kept in _raw']]);
    assert.equal(String(rows[24]!._raw).length, 64 * 1024);
    assert.equal(rows[25]!.CPU, 99);
  });

  test('one artifact written by 2018 CSV, 2019 CSV and JSONL over the years opens as one range', async () => {
    const root = datastore();
    // The layouts by their files (day names within the 367 days one range may span).
    write2018Day(root, C, 'Generic.Client.Stats', '2021-11-01', ['Timestamp', 'CPU', 'RSS'], [{ Timestamp: 1544363561.8, CPU: 14.91, RSS: 18284544 }]);
    write2019Day(root, C, 'Generic.Client.Stats', '2021-11-02', ['_ts', 'CPU', 'RSS'], [{ _ts: at('2021-11-02', 1), CPU: 7, RSS: 8 }]);
    const { rows } = await open({ client: C, artifact: 'Generic.Client.Stats', from: '2021-11-01', to: '2021-12-06', datastore: root });
    assert.deepEqual(rows.slice(0, 3).map((r) => r.CPU), [14.91, 7, 0]);
    assert.equal(rows.length, 14);
    assert.equal(rows[0]!.Timestamp, 1544363561800, 'an epoch column shows as a time (ms)');
  });

  test('a folder of JSONL day files copied anywhere opens as one table (the log workbench\'s Open folder); a datastore folder is pointed to Open datastore…', async () => {
    const root = datastore();
    const dir = join(root, 'clients', C, 'monitoring', 'Generic.Client.Stats');
    let info = value(await tables.invoke['table:open']({ kind: 'folder', path: dir }));
    while (info.state === 'loading') {
      await new Promise((r) => setTimeout(r, 20));
      info = value(await tables.invoke['table:info'](info.id));
    }
    assert.equal(info.state, 'ready');
    assert.equal(info.rowCount, 36);
    const r = await tables.invoke['table:open']({ kind: 'folder', path: root });
    assert.ok(!r.ok && /is a monitoring datastore, not a folder of day files: open it in Monitoring logs with Open datastore…/.test(r.error.message), JSON.stringify(r));
  });

  test('an unknown artifact: NotFound with a suggestion; a datastore that is not one: BadRequest', async () => {
    const root = datastore();
    const r = await tables.invoke['table:open']({ kind: 'logs', client: C, artifact: 'Generic.Client.Stat', from: '2021-12-06', to: '2021-12-06', datastore: root });
    assert.ok(!r.ok && r.error.code === 'NotFound' && /did you mean Generic\.Client\.Stats\?/.test(r.error.message), JSON.stringify(r));
    const r2 = await tables.invoke['table:open']({ kind: 'logs', client: C, artifact: 'X', from: '2021-12-06', to: '2021-12-06', datastore: join(root, 'client_info') });
    assert.ok(!r2.ok && r2.error.code === 'BadRequest', JSON.stringify(r2));
  });
});
