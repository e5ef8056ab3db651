// The monitoring log browser over real day files written by the collector's store: clients,
// artifacts with days and row counts, and a range of days opened by the table engine through the
// app service (`table:open` of kind `logs`) in time order (schema-change parts merged by _ts, a
// ragged record kept at its place and listed with its file and line).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppService } from '../../main/app/service.ts';
import { AppCollector } from '../../main/app/collector-host.ts';
import { RowCounter } from '../../main/logs/counts.ts';
import { MonitoringStore } from '../../main/collector/store.ts';
import { VDict } from '../../main/vql/values/types.ts';
import type { Push, StoreArtifact, TableCell, TableInfo } from '../../main/ipc/contract.ts';

let root: string;
let datastore: string;
let clientId: string;
let collector: AppCollector;

const row = (o: Record<string, string | number>) => VDict.fromObject(o);

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vql-app-store-'));
  datastore = join(root, 'ds');
  let now = new Date('2024-03-01T10:00:00Z');
  const store = new MonitoringStore({ datastore, now: () => now });
  clientId = store.clientId;
  // Day 1: three rows.
  await store.append('Test.Events', [row({ N: 1, Name: 'a', _ts: 1000 }), row({ N: 2, Name: 'b', _ts: 1001 }), row({ N: 3, Name: 'c', _ts: 1002 })]);
  // Day 2: the schema changes and changes back: part 0 gets N=4 and N=6, part 1 gets N=5.
  now = new Date('2024-03-02T10:00:00Z');
  await store.append('Test.Events', [row({ N: 4, Name: 'd', _ts: 2000 })]);
  await store.append('Test.Events', [row({ N: 5, Extra: 'x', _ts: 2001 })]);
  await store.append('Test.Events', [row({ N: 6, Name: 'f', _ts: 2002 })]);
  // Day 4 (day 3 has nothing), and a source of another artifact.
  now = new Date('2024-03-04T10:00:00Z');
  await store.append('Test.Events', [row({ N: 7, Name: 'g', _ts: 4000 })]);
  await store.append('Test.Multi/Alpha', [row({ K: 1, _ts: 4000 }), row({ K: 2, _ts: 4001 })]);
  await store.close();
  collector = await AppCollector.open({ datastore, userArtifacts: join(root, 'artifacts') });
});

after(async () => {
  await collector?.close();
  rmSync(root, { recursive: true, force: true });
});

function service() {
  const pushes: Array<{ channel: keyof Push; args: unknown[] }> = [];
  const s = new AppService({ userArtifacts: join(root, 'artifacts'), collector, push: (channel, ...args) => pushes.push({ channel, args }) });
  /** Opens a day range as a table, waits for its load, and reads its rows (by column name) and problems. */
  const open = async (artifact: string, from: string, to: string) => {
    const r = await s.invoke('table:open', { kind: 'logs', client: clientId, artifact, from, to });
    assert.ok(r.ok, JSON.stringify(r));
    let info: TableInfo = r.value;
    while (info.state === 'loading') {
      await new Promise((res) => setTimeout(res, 20));
      const i = await s.invoke('table:info', info.id);
      assert.ok(i.ok, JSON.stringify(i));
      info = i.value;
    }
    assert.equal(info.state, 'ready', JSON.stringify(info.error));
    const w = await s.invoke('table:window', { id: info.id, offset: 0, limit: 1000 });
    assert.ok(w.ok, JSON.stringify(w));
    const rows = w.value.cells.map((cells) => Object.fromEntries(w.value.columns.map((c, i) => [c.name, cells[i] ?? null])) as Record<string, TableCell>);
    const problems = await s.invoke('table:problems', { id: info.id });
    assert.ok(problems.ok);
    assert.ok((await s.invoke('table:close', info.id)).ok);
    return { rows, info, problems: problems.value.problems };
  };
  return { s, open };
}

test('store:clients and store:artifacts list the client, artifacts, sources and days with rows and bytes', async () => {
  const { s } = service();
  assert.deepEqual(await s.invoke('store:clients'), { ok: true, value: [clientId] });
  const r = await s.invoke('store:artifacts', clientId);
  assert.ok(r.ok);
  const byName = new Map(r.value.map((a: StoreArtifact) => [a.artifact, a]));
  assert.deepEqual([...byName.keys()], ['Test.Events', 'Test.Multi/Alpha']);
  const days = byName.get('Test.Events')!.days;
  assert.deepEqual(days.map((d) => [d.day, d.rows]), [['2024-03-01', 3], ['2024-03-02', 3], ['2024-03-04', 1]]);
  const dir = join(datastore, 'clients', clientId, 'monitoring', 'Test.Events');
  const day2Bytes = readdirSync(dir).filter((f) => f.startsWith('2024-03-02')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  assert.equal(days[1]!.bytes, day2Bytes, 'bytes of both parts');
  assert.deepEqual(byName.get('Test.Multi/Alpha')!.days.map((d) => d.rows), [2]);
  const bad = await s.invoke('store:artifacts', '../etc');
  assert.ok(!bad.ok && bad.error.code === 'BadRequest');
});

test('a range of days opens as one table in time order, merging the schema-change part', async () => {
  const { open } = service();
  const all = await open('Test.Events', '2024-03-01', '2024-03-04');
  assert.deepEqual(all.rows.map((r) => r.N), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(all.rows[4]!.Extra, 'x');
  assert.equal(all.info.rowCount, 7);
  assert.equal(all.info.label, `Test.Events 2024-03-01..2024-03-04 (${clientId})`);
  const one = await open('Test.Events', '2024-03-02', '2024-03-02');
  assert.deepEqual(one.rows.map((r) => r.N), [4, 5, 6]);
  const source = await open('Test.Multi/Alpha', '2024-03-04', '2024-03-04');
  assert.deepEqual(source.rows.map((r) => r.K), [1, 2]);
});

test('bad ranges and names are refused; a range without day files says so; a ragged record is kept and listed', async () => {
  const { s, open } = service();
  for (const req of [
    { client: clientId, artifact: 'Test.Events', from: '2024-03-05', to: '2024-03-01' },
    { client: clientId, artifact: 'Test.Events', from: '2024-02-30', to: '2024-03-01' },
    { client: 'C.../..', artifact: 'Test.Events', from: '2024-03-01', to: '2024-03-01' },
    { client: clientId, artifact: 'Test.Events', from: '2020-01-01', to: '2024-03-01' },
  ]) {
    const r = await s.invoke('table:open', { kind: 'logs', ...req });
    assert.ok(!r.ok && r.error.code === 'BadRequest', JSON.stringify(r));
  }
  // A day without a file, and '..' as an artifact name (escaped to %2E%2E: it stays inside the monitoring folder): nothing to open.
  for (const [artifact, day] of [['Test.Events', '2024-03-03'], ['..', '2024-03-01']] as const) {
    const r = await s.invoke('table:open', { kind: 'logs', client: clientId, artifact, from: day, to: day });
    assert.ok(!r.ok && r.error.code === 'NotFound' && /has no day files/.test(r.error.message), JSON.stringify(r));
  }

  const file = join(datastore, 'clients', clientId, 'monitoring', 'Test.Events', '2024-03-04.csv');
  appendFileSync(file, '8,h\n');
  const r = await open('Test.Events', '2024-03-04', '2024-03-04');
  assert.deepEqual(r.rows.map((x) => [x.N, x._raw]), [[7, null], [null, '8,h']], 'the ragged record is a row of its own, its text kept');
  assert.deepEqual(r.problems.map((p) => [p.file, p.line, p.row]), [[file, 3, 2]]);
  assert.match(r.problems[0]!.reason, /too few fields/);
});

test('a torn last record (a write in progress) is left out of a day range', async () => {
  const { open } = service();
  const file = join(datastore, 'clients', clientId, 'monitoring', 'Test.Multi', 'Alpha', '2024-03-04.csv');
  appendFileSync(file, '3,"torn');
  const r = await open('Test.Multi/Alpha', '2024-03-04', '2024-03-04');
  assert.deepEqual(r.rows.map((x) => x.K), [1, 2]);
  assert.deepEqual(r.problems, []);
});

test('the row counter reads only what was appended since the last count', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-counter-'));
  try {
    const store = new MonitoringStore({ datastore: dir });
    await store.append('A', [row({ X: 'a\nmultiline', _ts: 1 }), row({ X: 'b', _ts: 2 })]);
    const file = join(store.dir('A'), readdirSync(store.dir('A'))[0]!);
    const counter = new RowCounter();
    assert.deepEqual(await counter.count(file), { rows: 2, bytes: statSync(file).size });
    const before = counter.bytesRead;
    await store.append('A', [row({ X: 'c', _ts: 3 })]);
    const size = statSync(file).size;
    assert.deepEqual(await counter.count(file), { rows: 3, bytes: size });
    assert.equal(counter.bytesRead - before, size - before, 'only the new bytes were read');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
