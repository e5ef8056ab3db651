// The monitoring logs through the engine (main/tables load of kind `logs`, as `table:open` of a
// day range and the log workbench's folders read them): day files written by the real
// MonitoringStore read back cell for cell as the collector's own reader (readDayFile) reads
// them; malformed records kept at their place as text and listed with file and line; parts
// merged by _ts; Velociraptor's cell conventions; and the monitoring chart's aggregate
// (`table:timeline` with `series`: bars and per-bar averages over the grid's view).
// These are the assertions of the log browser's former JSON-rows reader (main/app/collector-
// read.ts, removed), run against the engine; where the engine does otherwise, a `todo` says how.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench } from './helpers.ts';
import { MonitoringStore } from '../../main/collector/store.ts';
import { readDayFile } from '../../main/collector/csv-file.ts';
import { dayFilePath } from '../../main/collector/paths.ts';
import { tableHandlers } from '../../main/app/tables.ts';
import type { ServiceContext } from '../../main/app/service.ts';
import type { Result, TableCell } from '../../main/ipc/contract.ts';
import type { OpenTable } from '../../main/tables/table.ts';
import { VBytes, VDict, VFloat, VTime, type Value } from '../../main/vql/values/types.ts';

const b = bench();
after(() => b.dispose());
let seq = 0;

/** Values of every kind the store writes (and strings that look like other kinds); fractions are in FRACTIONS. */
const KINDS: Value[] = [
  'plain', '', ' leading space', '  two spaces', 'say "hi"', '""', '"', 'a,b', 'line\nbreak', 'crlf\r\nend', 'cr\ronly', 'tab\there',
  'ctl \u0001\u0008\u000c\u001f\u007f', 'back\\slash', 'é ü ß', '日本語', 'emoji 🦖 pair', '\u2028\u2029', 'U+FEFF \ufeff',
  '123', '-0', '1.5', '1e5', '007', '+5', '0x1F', 'true', 'false', 'null', 'NaN', '+Inf', '-Inf', 'inf', 'base64:AAAA', 'base64:nope',
  '{not json', '[1,2', '{"looks":"like json"}', '\\.', '-', '.5', '5.', 'x"y', ',', '\n',
  0, 1, -1, 42, -17, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 53) - 2, 123456789012345, 1234567890123456, 9223372036854775807n, -9223372036854775808n,
  1e20, 1e21, 1.7976931348623157e308, new VFloat(2), new VFloat(-0), new VFloat(1e21), NaN, Infinity, -Infinity,
  true, false, null,
  VDict.fromObject({ a: 1, b: 'two "quoted" é', c: [1, 2.5, null, true, { d: [] }], e: {}, f: -0.5, g: '🦖\n' }),
  [1, 'x', [new VFloat(3), 1e21], VDict.fromObject({ k: 'v' })], [], new VDict(),
  new VBytes(new Uint8Array([0xff, 0x00, 0x41])), new Uint8Array([104, 105]), VTime.fromSeconds(1709287200.5),
];
const FRACTIONS: number[] = [0.1, -0.5, 1.5, 3.14159, 1e-7, 1e-6, 0.000001234, 5e-324, 1709287200.1234567, 0.0010030090270812437, 12.490000000000002, 100.25];

/** One row with each value in a column of its own (c0, c1...), written by the store; returns the day file. */
async function writeKinds(values: readonly Value[]): Promise<string> {
  const store = new MonitoringStore({ datastore: join(b.dir, `ds${++seq}`), now: () => new Date('2024-03-01T12:00:00Z') });
  const row = new VDict();
  values.forEach((v, i) => row.set(`c${i}`, v));
  row.set('_ts', 1709287200);
  await store.append('Test.Kinds', [row]);
  await store.close();
  return join(store.dir('Test.Kinds'), '2024-03-01.csv');
}

/** A day range of files (and parts) as the handlers give it to the engine. */
const openLogs = (paths: string[], day = (_p: string) => 0) => b.openSource({ kind: 'logs', files: paths.map((path) => ({ path, day: day(path) })) }, paths);

/** Every row's cells by column name (the window's cells). */
async function rowsOf(t: OpenTable): Promise<Array<Record<string, TableCell>>> {
  const w = await t.window({ offset: 0, limit: 10_000 });
  return w.cells.map((cells) => Object.fromEntries(w.columns.map((c, i) => [c.name, cells[i] ?? null])));
}

/** The cell a window gives for a value the collector's reader gives (times as epoch ms, integers past 2^53 as digits, NaN and infinities as they are). */
function cellOf(v: Value | undefined): TableCell | { json: unknown } {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
  if (typeof v === 'number') return !Number.isFinite(v) ? v : Number.isInteger(v) && !Number.isSafeInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : v;
  if (v instanceof VFloat) return v.value === 0 ? 0 : v.value;
  if (v instanceof VTime) return Number(v.unixNano / 1_000_000n);
  // Nested values: the JSON the writer wrote, as text (its value compared).
  return { json: JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof VDict ? Object.fromEntries(x.entries()) : x))) };
}

describe('day files read back as the collector reads them', () => {
  test('every value kind the store writes: the cell the collector\'s reader gives, in a column typed by its values', async () => {
    const file = await writeKinds(KINDS);
    const [want] = await readDayFile(file);
    const t = await openLogs([file]);
    assert.equal(t.state, 'ready', t.error?.message);
    const [got] = await rowsOf(t);
    const wrong: string[] = [];
    KINDS.forEach((v, i) => {
      const name = `c${i}`;
      const cell = got![name];
      let expect = cellOf(want!.get(name) as Value);
      if (v instanceof VBytes) expect = 'base64:/wBB'; // not UTF-8: kept as the cell's text rather than turned into U+FFFD
      if (v instanceof VTime) expect = cellOf(v); // the reader gives its text; the engine types it a time
      if (expect !== null && typeof expect === 'object') {
        // A dict or list: its JSON text as written (indented), the same value.
        if (typeof cell !== 'string' || JSON.stringify(JSON.parse(cell)) !== JSON.stringify(expect.json)) wrong.push(`${name} ${JSON.stringify(cell)} is not ${JSON.stringify(expect.json)}`);
      } else if (!Object.is(cell, expect) && cell !== expect) wrong.push(`${name}: ${JSON.stringify(cell)}, expected ${JSON.stringify(expect)} (written from ${String(typeof v === 'bigint' ? `${v}n` : JSON.stringify(v))})`);
    });
    assert.deepEqual(wrong, []);
    const time = `c${KINDS.findIndex((v) => v instanceof VTime)}`;
    assert.equal(t.info().columns.find((c) => c.name === time)?.type, 'timestamp', 'a time is a time');
    t.close();
  });

  test('a column of decimals keeps their fractions', async () => {
    const file = await writeKinds(FRACTIONS);
    const t = await openLogs([file]);
    const [got] = await rowsOf(t);
    assert.deepEqual(FRACTIONS.map((_, i) => got![`c${i}`]), FRACTIONS);
    t.close();
  });

  test("Velociraptor's cells: protective spaces, JSON values, RFC 3339 times, base64 text; '-' and 2018 JSON-quoted cells as text", async () => {
    const dir = join(b.dir, `cells${++seq}`);
    mkdirSync(dir);
    const f = join(dir, '2024-01-01.csv');
    writeFileSync(f, '_ts,Pid,Name,Args,Start,Enc,Old\n1704067200," 12"," true","{\n ""a"": [1]\n}",2024-01-01T00:00:00.5Z,base64:aGk=,"""2018-11-06T00:40:11Z"""\n1704067201," 13",x,[],2024-01-01T00:00:01Z, 5,-\n');
    const t = await openLogs([f]);
    assert.deepEqual(t.info().columns.map((c) => `${c.name}:${c.type}`), ['_ts:timestamp', 'Pid:text', 'Name:text', 'Args:text', 'Start:timestamp', 'Enc:text', 'Old:text']);
    const rows = await rowsOf(t);
    assert.deepEqual(rows.map((r) => [r._ts, r.Pid, r.Name, r.Start, r.Enc, r.Old]), [
      [1704067200000, '12', 'true', Date.UTC(2024, 0, 1, 0, 0, 0, 500), 'hi', '"2018-11-06T00:40:11Z"'],
      [1704067201000, '13', 'x', Date.UTC(2024, 0, 1, 0, 0, 1), '5', '-'],
    ]);
    assert.deepEqual(JSON.parse(String(rows[0]!.Args)), { a: [1] });
    t.close();
  });
});

describe('malformed records: kept at their place as text, listed with file and line', () => {
  test('a repeated header name: both columns are kept, with their values', async () => {
    const f = b.file(`2024-03-01-dup${++seq}.csv`, 'A,A,_ts\n1,2,3\nx,y,4\n');
    const t = await openLogs([f]);
    const w = await t.window({ offset: 0, limit: 10 });
    assert.equal(w.columns.filter((c) => c.name.startsWith('A')).length, 2, JSON.stringify(w.columns.map((c) => c.name)));
    assert.deepEqual(w.cells.map((r) => r.slice(0, 2)), [['1', '2'], ['x', 'y']]);
    t.close();
  });

  test('bad quotes, too few and too many fields: every record is a row or a listed problem row; the others keep their values', async () => {
    const f = b.file(`2024-03-01-bad${++seq}.csv`, 'N,Name,_ts\n1,a,10\n2,b"c",11\n3,"d"e,12\n4,f\n5,g,13,extra\n6,h,14\n');
    const t = await openLogs([f]);
    const rows = await rowsOf(t);
    assert.deepEqual(rows.map((r) => [r.N, r.Name, r._raw]), [
      [1, 'a', null], [2, 'b"c"', null], [null, null, '3,"d"e,12'], [null, null, '4,f'], [null, null, '5,g,13,extra'], [6, 'h', null],
    ]);
    const listed = [...t.problems].sort((x, y) => x.row - y.row).map((p) => [p.line, p.row, p.reason.replace(/:.*/s, '')]);
    assert.deepEqual(listed, [
      [3, 2, 'a quote inside an unquoted field'],
      [4, 3, 'a quote inside an unquoted field, or text after a closing quote'],
      [5, 4, 'too few fields'],
      [6, 5, 'too many fields'],
    ]);
    assert.ok(t.problems.every((p) => p.file === f));
    t.close();
  });

  test('a malformed header is listed, and the next record is read as the header', async () => {
    const f = b.file(`2024-03-02-badheader${++seq}.csv`, 'A,B"x",_ts\nN,Name,_ts\n1,a,10\n2,b,11\n');
    const t = await openLogs([f]);
    assert.deepEqual((await rowsOf(t)).map((r) => [r.N, r.Name]), [[1, 'a'], [2, 'b']]);
    assert.equal(t.problems.length, 1);
    assert.deepEqual(t.info().columns.map((c) => `${c.name}:${c.type}`), ['N:number', 'Name:text', '_ts:number']);
    const [p] = t.problems;
    assert.deepEqual([p!.file, p!.line, p!.row], [f, 1, 1]);
    assert.match(p!.reason, /^a malformed header \(a quote inside an unquoted field\): "A,B\\"x\\",_ts" does not name the columns; the next record is read as the header$/);
    t.close();
  });

  test('a time to the minute with a zone is a time, as the page read it (times with seconds beside it)', async () => {
    const f = b.file(`2024-03-07-minutes${++seq}.csv`, 'When,_ts\n2024-01-02T03:04-01:30,1\n2024-01-02T03:04:05Z,2\n" 2024-01-02T03:04Z",3\n');
    const t = await openLogs([f]);
    assert.deepEqual(t.info().columns.map((c) => `${c.name}:${c.type}`), ['When:text', '_ts:number']);
    t.close();
    const g = b.file(`2024-03-07-minutes${++seq}.csv`, 'When,_ts\n2024-01-02T03:04-01:30,1\n2024-01-02T03:04:05Z,2\n');
    const u = await openLogs([g]);
    assert.deepEqual(u.info().columns.map((c) => `${c.name}:${c.type}`), ['When:timestamp', '_ts:number']);
    assert.deepEqual((await rowsOf(u)).map((r) => r.When), [Date.UTC(2024, 0, 2, 4, 34), Date.UTC(2024, 0, 2, 3, 4, 5)]);
    u.close();
  });

  test('a malformed header in a later day: listed at that file\'s first row in time order; lines after it are the file\'s lines', async () => {
    const good = b.file(`2024-03-05-good${++seq}.csv`, 'N,Name,_ts\n1,a,10\n2,b,30\n');
    // Two malformed headers (text after a closing quote, then a quote inside a field), a ragged record, a multi-line value.
    const bad = b.file(`2024-03-06-bad${++seq}.csv`, '"A"x,B\nC,D"\nN,Name,_ts\n3,c,20\n4\n5,"e\nf",40\n6,g,50\n');
    const t = await openLogs([good, bad]);
    // The ragged record has no _ts: it stays after the row before it in its file (20).
    assert.deepEqual((await rowsOf(t)).map((r) => [r.N, r.Name, r._raw]), [[1, 'a', null], [3, 'c', null], [null, null, '4'], [2, 'b', null], [5, 'e\nf', null], [6, 'g', null]]);
    const listed = [...t.problems].sort((x, y) => x.line - y.line).map((p) => [p.file === bad, p.line, p.row, p.reason.replace(/:.*/s, '')]);
    assert.deepEqual(listed, [
      [true, 1, 2, 'a malformed header (text after a closing quote)'],
      [true, 2, 2, 'a malformed header (a quote inside an unquoted field)'],
      [true, 5, 3, 'too few fields'],
    ]);
    t.close();
  });

  test('rows after a quote never closed are rows of their own', async () => {
    const f = b.file(`2024-03-03-open${++seq}.csv`, 'N,T\n1,a\n2,"broken\n3,c\n4,"d,d"\n5,e\n');
    const t = await openLogs([f]);
    assert.deepEqual((await rowsOf(t)).map((r) => r.N), [1, null, 3, 4, 5]);
    assert.equal(t.problems.length, 1);
    t.close();
  });

  test('a record still being written (a torn last record) is left out silently', async () => {
    const f = b.file(`2024-03-04-torn${++seq}.csv`, 'N,T\n1,a\n2,"being\nwrit');
    const t = await openLogs([f]);
    assert.deepEqual((await rowsOf(t)).map((r) => r.N), [1]);
    assert.deepEqual(t.problems, []);
    t.close();
  });
});

describe('days and parts in one table', () => {
  test('parts merge by _ts (ties in part order; a row without _ts sorts with the row before it); columns are the union of headers', async () => {
    const ds = join(b.dir, `parts${++seq}`);
    const store = new MonitoringStore({ datastore: ds, now: () => new Date('2024-03-01T12:00:00Z') });
    const a = (n: number, ts: number | null) => VDict.fromObject({ N: n, _ts: ts as number });
    const c = (n: number, ts: number) => VDict.fromObject({ M: n, X: 'b', _ts: ts });
    await store.append('Test.Parts', [a(1, 10), a(2, 20), a(3, null), a(4, 40)]);
    await store.append('Test.Parts', [c(11, 10), c(12, 25), c(13, 30)]);
    await store.close();
    const dir = store.dir('Test.Parts');
    const t = await openLogs([join(dir, '2024-03-01.csv'), join(dir, '2024-03-01.1.csv')]);
    assert.deepEqual(t.info().columns.map((x) => x.name), ['N', '_ts', 'M', 'X']);
    // Row 3 has no _ts: it keeps 20, so it comes before 12 (25).
    assert.deepEqual((await rowsOf(t)).map((r) => r.N ?? r.M), [1, 11, 2, 3, 12, 13, 4]);
    t.close();
  });

  test('parts numbered past 9 keep their order (2 before 10) on equal times, and days come in day order', async () => {
    const ds = join(b.dir, `many${++seq}`);
    const write = (day: string, part: number, text: string) => {
      const f = dayFilePath(ds, 'C.0123abcd', 'Test.Many', day, part);
      mkdirSync(join(f, '..'), { recursive: true });
      writeFileSync(f, text);
    };
    for (const p of [0, 1, 2, 10]) write('2024-01-02', p, `_ts,P${p}\n100,${p}\n`);
    write('2023-12-31', 0, '_ts,P0\n50,-1\n');
    const { h } = handlersOver(ds);
    const info = value(await h.invoke['table:open']({ kind: 'logs', client: 'C.0123abcd', artifact: 'Test.Many', from: '2023-12-01', to: '2024-01-31' }));
    await ready(h, info.id);
    const w = value(await h.invoke['table:window']({ id: info.id, offset: 0, limit: 10, columns: ['P0', 'P1', 'P2', 'P10'] }));
    assert.deepEqual(w.cells.map((r) => r.find((x) => x !== null)), [-1, 0, 1, 2, 10]);
    h.close();
  });
});

function handlersOver(datastore: string) {
  const ctx = { opts: { push: () => {}, collector: { datastore } } } as unknown as ServiceContext;
  return { h: tableHandlers(ctx, b.engine) };
}

function value<T>(r: Result<T>): T {
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

async function ready(h: ReturnType<typeof tableHandlers>, id: string) {
  for (;;) {
    const info = value(await h.invoke['table:info'](id));
    if (info.state !== 'loading') return info;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the monitoring chart: table:timeline with series', () => {
  test('bars count the view\'s rows and lines average number columns in the same bars; both follow the grid\'s filters', async () => {
    const ds = join(b.dir, `chart${++seq}`);
    const f = dayFilePath(ds, 'C.0123abcd', 'Generic.Client.Stats', '2024-05-01', 0);
    mkdirSync(join(f, '..'), { recursive: true });
    // Two rows in each minute for 10 minutes; RSS in whole numbers (the engine types them BIGINT).
    const lines = ['_ts,RSS,Name'];
    for (let i = 0; i < 20; i++) lines.push(`${1714521600 + i * 30},${100 * (i + 1)},${i % 2 ? 'odd' : 'even'}`);
    writeFileSync(f, lines.join('\n') + '\n');
    const { h } = handlersOver(ds);
    const info = value(await h.invoke['table:open']({ kind: 'logs', client: 'C.0123abcd', artifact: 'Generic.Client.Stats', from: '2024-05-01', to: '2024-05-01' }));
    await ready(h, info.id);
    const tl = value(await h.invoke['table:timeline']({ id: info.id, buckets: 10, series: ['RSS'] }));
    assert.equal(tl.bucketMs, 60_000);
    assert.deepEqual(tl.counts, Array(10).fill(2));
    assert.deepEqual(tl.series, [{ column: 'RSS', avg: Array.from({ length: 10 }, (_, k) => 100 * (2 * k + 1.5)) }]);
    // Without series: the bars alone.
    assert.equal(value(await h.invoke['table:timeline']({ id: info.id, buckets: 10 })).series, undefined);

    // A view keeping the odd rows: one row per bar, the average is that row's.
    const v = value(await h.invoke['table:view']({ id: info.id, spec: { filters: [{ column: 'Name', text: '=odd' }] } }));
    const odd = value(await h.invoke['table:timeline']({ id: info.id, view: v.view, buckets: 10, series: ['RSS'] }));
    assert.deepEqual(odd.counts, Array(10).fill(1));
    assert.deepEqual(odd.series![0]!.avg, Array.from({ length: 10 }, (_, k) => 100 * (2 * k + 2)));
    // A view of the first four rows: the bars span its own time range (10 s each); bars
    // without a row have no average.
    const early = value(await h.invoke['table:view']({ id: info.id, spec: { filters: [{ column: 'RSS', text: '<=400' }] } }));
    const e = value(await h.invoke['table:timeline']({ id: info.id, view: early.view, buckets: 10, series: ['RSS'] }));
    assert.equal(e.bucketMs, 10_000);
    assert.equal(e.counts.reduce((s, x) => s + x, 0), 4);
    assert.deepEqual(e.series![0]!.avg.map((x, i) => (e.counts[i] ? x : x === null)), e.counts.map((n, i) => (n ? 100 * (1 + Math.round(i / 3)) : true)));

    // Clear errors: not a number column, not a column, not a list, a view that is gone.
    for (const [req, msg] of [
      [{ series: ['Name'] }, /Name is not a number column/],
      [{ series: ['Nope'] }, /no column "Nope"/],
      [{ series: 'RSS' }, /series must be a list/],
      [{ series: ['RSS'], view: 'v999' }, /view v999 is gone/],
    ] as const) {
      const r = await h.invoke['table:timeline']({ id: info.id, buckets: 10, ...(req as object) } as never);
      assert.ok(!r.ok && msg.test(r.error.message), JSON.stringify(r));
    }
    h.close();
  });
});
