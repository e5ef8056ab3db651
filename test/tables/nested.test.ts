// Velociraptor's result files in the engine (main/tables/nested.ts, table.ts expand): nested
// values (dicts, arrays, lists of dicts) arrive as the compact JSON of what the line holds (no
// keys added, none dropped, keys first seen late kept), and a field inside them becomes a column
// of its own (`Fields.Name`, `Tags[0]`, `Fields.Extra.Deep[1].K`) that filters, sorts, groups,
// counts and exports like any column, survives the view being made again, and can be removed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench } from './helpers.ts';
import type { OpenTable } from '../../main/tables/table.ts';
import { fieldName, pointer } from '../../main/tables/nested.ts';

const b = bench();
after(() => b.dispose());

/** A monitoring day file as Velociraptor's server writes it: artifact columns, then ClientId, _ts, _Source appended. */
const SAMPLE = 25_000; // past DuckDB's JSON sample (20,480 rows): keys first seen later must not be lost
function rowOf(i: number): Record<string, unknown> {
  const r: Record<string, unknown> = {
    EventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString(),
    EventID: 4624 + (i % 3),
    Fields: i % 2
      ? { Name: `proc${i % 5}.exe`, Pid: i, Args: ['-a', String(i)] }
      : { Name: `proc${i % 5}.exe`, Pid: i, Extra: { Deep: [{ K: i }, { K: i + 1 }] } },
    Tags: i % 4 ? ['x', `t${i % 4}`] : [],
  };
  if (i === SAMPLE) {
    // Late: a key of Fields no row had, a value of another type, a top-level key no row had.
    r.Fields = { Name: 'late.exe', Pid: 'not a number', LateKey: { When: '2024-05-02T00:00:00Z' } };
    r.Late = 'only here';
  }
  return { ...r, ClientId: `C.${(i % 2).toString(16).padStart(16, '0')}`, _ts: 1714521600 + i, _Source: i % 2 ? 'C.0000000000000001' : 'Generic.Client.Stats/Stats' };
}
const ROWS = Array.from({ length: SAMPLE + 2 }, (_, i) => rowOf(i));

let t: OpenTable;
before(async () => {
  t = await b.open(b.file('2024-05-01.json', ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  assert.equal(t.state, 'ready', JSON.stringify(t.error));
});

const cellsOf = async (names: string[], view?: string, offset = 0, limit = 10) => (await t.window({ view, offset, limit, columns: names })).cells;

describe('nested values', () => {
  test('the columns in file order; _ts a time; nested values are JSON columns', () => {
    assert.deepEqual(t.columns.map((c) => [c.name, c.type]), [
      ['EventTime', 'timestamp'], ['EventID', 'number'], ['Fields', 'json'], ['Tags', 'json'], ['ClientId', 'text'], ['_ts', 'timestamp'], ['_Source', 'text'], ['Late', 'text'],
    ]);
  });

  test('a cell is the compact JSON of what the line holds: no key added, none dropped, in the line order', async () => {
    for (const i of [0, 1, 4, SAMPLE]) {
      const [[fields, tags]] = (await cellsOf(['Fields', 'Tags'], undefined, i, 1)) as [[string, string | null]];
      assert.equal(fields, JSON.stringify(ROWS[i]!.Fields), `row ${i + 1}`);
      assert.equal(tags, JSON.stringify(ROWS[i]!.Tags), `row ${i + 1}`);
    }
    assert.deepEqual(await cellsOf(['_ts', 'Late'], undefined, SAMPLE, 1), [[(1714521600 + SAMPLE) * 1000, 'only here']]);
  });
});

describe('keys of a nested column', () => {
  test('every key met, in first-met order, with its rows and value types; late keys too', async () => {
    const k = await t.fieldKeys(undefined, 'Fields');
    assert.deepEqual(k.keys.map((x) => x.key), ['Name', 'Pid', 'Extra', 'Args', 'LateKey']);
    const by = new Map(k.keys.map((x) => [x.key, x]));
    assert.equal(by.get('Name')!.rows, ROWS.length);
    assert.deepEqual(by.get('Pid')!.types.sort(), ['integer', 'text']);
    assert.equal(by.get('LateKey')!.rows, 1);
    assert.equal(k.objects, ROWS.length);
    const deep = await t.fieldKeys(undefined, 'Fields', ['Extra', 'Deep']);
    assert.deepEqual(deep.keys.map((x) => [x.key, x.types]), [[0, ['object']], [1, ['object']]]);
    assert.equal(deep.arrays, Math.ceil(SAMPLE / 2));
  });

  test('a column without nested values has no fields', async () => {
    await assert.rejects(t.fieldKeys(undefined, 'EventID'), /EventID holds no nested values/);
  });
});

describe('expanded fields', () => {
  test('names and pointers: keys, indices, keys that are not names', () => {
    assert.equal(fieldName('Fields', ['Name']), 'Fields.Name');
    assert.equal(fieldName('Fields', ['Extra', 'Deep', 1, 'K']), 'Fields.Extra.Deep[1].K');
    assert.equal(fieldName('F', ['a b', 'x.y']), 'F["a b"]["x.y"]');
    assert.equal(pointer(['a/b', 'c~d', 0]), '/a~1b/c~0d/0');
  });

  test('Fields.Name: a text column with every row\'s value; filter, sort, group, value counts over it', async () => {
    const r = await t.expand('Fields', ['Name']);
    assert.equal(r.column, 'Fields.Name');
    const c = r.info.columns.find((x) => x.name === 'Fields.Name')!;
    assert.deepEqual([c.type, c.sqlType, c.derived], ['text', 'VARCHAR', { from: 'Fields', path: ['Name'] }]);
    assert.deepEqual(await cellsOf(['Fields.Name'], undefined, 0, 3), [['proc0.exe'], ['proc1.exe'], ['proc2.exe']]);
    assert.deepEqual(await cellsOf(['Fields.Name'], undefined, SAMPLE, 1), [['late.exe']]);
    const f = await t.makeView({ filters: [{ column: 'Fields.Name', text: '=proc3.exe' }], sort: [{ column: 'EventID', desc: true }, { column: '_ts' }] });
    assert.equal(f.total, ROWS.filter((x) => (x.Fields as { Name: string }).Name === 'proc3.exe').length);
    assert.ok(f.window.cells.every((row) => row[t.columns.findIndex((x) => x.name === 'Fields.Name')] === 'proc3.exe'));
    const s = await t.makeView({ sort: [{ column: 'Fields.Name', desc: true }] });
    assert.deepEqual(await cellsOf(['Fields.Name'], s.view, 0, 1), [['proc4.exe']]);
    assert.deepEqual(await cellsOf(['Fields.Name'], s.view, ROWS.length - 1, 1), [['late.exe']]);
    const v = await t.values(undefined, 'Fields.Name', 10);
    assert.deepEqual(v.values.map((x) => x.value).sort(), ['late.exe', 'proc0.exe', 'proc1.exe', 'proc2.exe', 'proc3.exe', 'proc4.exe']);
    const g = await t.groups(undefined, ['Fields.Name', 'EventID'], 100);
    assert.equal(g.groups.reduce((n, x) => n + x.count, 0), ROWS.length);
    // The SQL box sees it in `data`.
    const q = await t.sql(`SELECT count(*) AS n FROM data WHERE "Fields.Name" = 'proc0.exe'`);
    assert.deepEqual(q.cells, [[ROWS.filter((x) => (x.Fields as { Name: string }).Name === 'proc0.exe').length]]);
  });

  test('a deep field through arrays of dicts is a number column; a missing one is empty', async () => {
    const r = await t.expand('Fields', ['Extra', 'Deep', 1, 'K']);
    assert.equal(r.column, 'Fields.Extra.Deep[1].K');
    assert.equal(r.info.columns.find((x) => x.name === r.column)!.sqlType, 'BIGINT');
    assert.deepEqual(await cellsOf([r.column], undefined, 0, 3), [[1], [null], [3]]);
    const v = await t.makeView({ filters: [{ column: r.column, text: '>20000' }], sort: [{ column: r.column, desc: true }] });
    assert.equal(v.total, ROWS.filter((x, i) => i % 2 === 0 && i !== SAMPLE && i + 1 > 20000).length);
    assert.deepEqual(await cellsOf([r.column], v.view, 0, 1), [[SAMPLE - 1]], 'the last even row before the late one');
  });

  test('an expanded column expands further; the same field twice is one column', async () => {
    const extra = await t.expand('Fields', ['Extra']);
    assert.equal(t.columns.find((x) => x.name === extra.column)!.type, 'json');
    const k = await t.expand(extra.column, ['Deep', 1, 'K']);
    assert.equal(k.column, 'Fields.Extra.Deep[1].K', 'the same field as before');
    assert.equal(t.columns.filter((x) => x.name === k.column).length, 1);
    const first = await t.expand(extra.column, ['Deep', 0]);
    assert.equal(first.column, 'Fields.Extra.Deep[0]');
    assert.deepEqual(await cellsOf([first.column], undefined, 0, 1), [['{"K":0}']]);
  });

  test('types from every value: mixed values are text, times are times, indices of arrays', async () => {
    const pid = await t.expand('Fields', ['Pid']);
    assert.equal(t.columns.find((x) => x.name === pid.column)!.type, 'text');
    assert.deepEqual(await cellsOf([pid.column], undefined, SAMPLE - 1, 2), [[String(SAMPLE - 1)], ['not a number']]);
    const when = await t.expand('Fields', ['LateKey', 'When']);
    assert.equal(t.columns.find((x) => x.name === when.column)!.type, 'timestamp');
    assert.deepEqual(await cellsOf([when.column], undefined, SAMPLE, 1), [[Date.UTC(2024, 4, 2)]]);
    const tag = await t.expand('Tags', [1]);
    assert.equal(tag.column, 'Tags[1]');
    assert.deepEqual(await cellsOf([tag.column], undefined, 0, 3), [[null], ['t1'], ['t2']]);
  });

  test('two fields expanded at once: both columns are there, in windows and views', async () => {
    const [a, c] = await Promise.all([t.expand('Fields', ['Args', 0]), t.expand('Fields', ['Args', 1])]);
    assert.deepEqual([a.column, c.column], ['Fields.Args[0]', 'Fields.Args[1]']);
    assert.deepEqual(await cellsOf([a.column, c.column], undefined, 1, 1), [['-a', '1']]);
    const v = await t.makeView({ filters: [{ column: c.column, text: '=3' }] });
    assert.deepEqual(v.window.rows, [4]);
    await Promise.all([t.unexpand(a.column), t.unexpand(c.column)]);
    assert.ok(!t.columns.some((x) => x.name.startsWith('Fields.Args')));
  });

  test('exports hold the expanded column', async () => {
    const out = join(b.dir, 'expanded.csv');
    const v = await t.makeView({ filters: [{ column: 'Fields.Name', text: '=late.exe' }] });
    await t.exportTo({ id: t.id, view: v.view, format: 'csv', path: out, columns: ['EventID', 'Fields.Name', 'Tags[1]'] }, out);
    assert.deepEqual(readFileSync(out, 'utf8').trim().split(/\r?\n/), ['EventID,Fields.Name,Tags[1]', `${ROWS[SAMPLE]!.EventID},late.exe,`]);
    const all = join(b.dir, 'expanded-all.csv');
    const s = await t.makeView({ sort: [{ column: 'Tags[1]', desc: true }] });
    await t.exportTo({ id: t.id, view: s.view, format: 'csv', path: all, columns: ['Tags[1]'] }, all);
    assert.deepEqual(readFileSync(all, 'utf8').split(/\r?\n/).slice(0, 2), ['Tags[1]', 't3']);
  });

  test('removing an expanded column: gone from windows and views; a file column cannot be removed', async () => {
    const before = t.columns.length;
    const info = await t.unexpand('Tags[1]');
    assert.equal(info.columns.length, before - 1);
    assert.ok(!t.columns.some((x) => x.name === 'Tags[1]'));
    await assert.rejects(t.makeView({ sort: [{ column: 'Tags[1]' }] }), /no column "Tags\[1\]"/);
    await assert.rejects(t.unexpand('Tags'), /is a column of the file/);
    await assert.rejects(t.expand('EventID', ['x']), /holds no nested values/);
    assert.deepEqual(await cellsOf(['Fields.Name'], undefined, 1, 1), [['proc1.exe']]);
  });
});

describe('every way of reading keeps nested values as their lines hold them', () => {
  const rows = [
    { id: 1, Fields: { Name: 'a.exe', Args: ['-x'] } },
    { id: 2, Fields: { Pid: 7, Extra: { K: [1, { L: null }] } }, Tags: [] },
    { id: 3, Fields: {}, Tags: ['t'] },
  ];
  const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

  test('JSON lines, a JSON array, gzip, and a file with a broken line (read record by record)', async () => {
    const { gzipSync } = await import('node:zlib');
    const broken = `${JSON.stringify(rows[0])}\n{"id": 9, "Fields": {\n${JSON.stringify(rows[1])}\n${JSON.stringify(rows[2])}\n`;
    for (const [name, content, at] of [['n.jsonl', jsonl, [0, 1, 2]], ['n.json', JSON.stringify(rows), [0, 1, 2]], ['n.jsonl.gz', gzipSync(jsonl), [0, 1, 2]], ['broken.jsonl', broken, [0, 2, 3]]] as const) {
      const t = await b.open(b.file(name, content));
      assert.equal(t.state, 'ready', `${name}: ${JSON.stringify(t.error)}`);
      const w = await t.window({ offset: 0, limit: 10, columns: ['id', 'Fields', 'Tags'] });
      assert.deepEqual(at.map((i) => w.cells[i]), rows.map((r) => [r.id, JSON.stringify(r.Fields), r.Tags ? JSON.stringify(r.Tags) : null]), name);
      const e = await t.expand('Fields', ['Extra', 'K', 1, 'L']);
      assert.equal(e.column, 'Fields.Extra.K[1].L', name);
    }
  });

  test('a STRUCT and a LIST (Parquet) expand too', async () => {
    const { loadDuckDB } = await import('../../main/tables/engine.ts');
    const { DuckDBInstance } = await loadDuckDB();
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const out = join(b.dir, 'src', 'nested.parquet');
    await conn.run(`COPY (SELECT * FROM (VALUES (1, {'Name': 'a.exe', 'Pid': 10}, ['x', 'y']), (2, {'Name': 'b.exe', 'Pid': 11}, [])) v(id, Fields, Tags)) TO '${out}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const t = await b.open(out);
    assert.deepEqual(t.columns.map((c) => c.type), ['number', 'json', 'json']);
    const pid = await t.expand('Fields', ['Pid']);
    const tag = await t.expand('Tags', [1]);
    assert.deepEqual((await t.window({ offset: 0, limit: 5, columns: ['Fields', pid.column, tag.column] })).cells, [['{"Name":"a.exe","Pid":10}', 10, 'y'], ['{"Name":"b.exe","Pid":11}', 11, null]]);
    assert.deepEqual((await t.fieldKeys(undefined, 'Fields')).keys.map((k) => k.key), ['Name', 'Pid']);
  });
});

describe('the preview', () => {
  test('while a big file loads, its first rows show nested values as their lines hold them', async () => {
    const { OpenTable } = await import('../../main/tables/table.ts');
    const lines = Array.from({ length: 60_000 }, (_, i) => JSON.stringify(i % 2 ? { n: i, F: { a: i } } : { n: i, F: { b: [i] } }));
    const p = b.file('preview.jsonl', lines.join('\n') + '\n');
    const states: string[] = [];
    const t = await OpenTable.open(b.engine, 'pv-nested', 'preview', { kind: 'file', path: p }, [p], (_ph, _f, _r, info) => info && states.push(info.state));
    // open() resolves at the preview or the end, whichever is first: the same cells either way.
    const w = await t.window({ offset: 0, limit: 2, columns: ['F'] });
    assert.deepEqual(w.cells, [['{"b":[0]}'], ['{"a":1}']], `read while ${t.state}`);
    assert.equal(w.columns[0]!.sqlType, 'JSON');
    await t.loaded;
    assert.deepEqual((await t.window({ offset: 0, limit: 2, columns: ['F'] })).cells, [['{"b":[0]}'], ['{"a":1}']]);
    t.close();
  });
});

describe('table:keys, table:expand, table:unexpand handlers', () => {
  test('payloads are checked: clear errors for a bad path, an unknown column, a column of the file', async () => {
    const { tableHandlers } = await import('../../main/app/tables.ts');
    const ctx = { opts: { push: () => {} } } as unknown as import('../../main/app/service.ts').ServiceContext;
    const h = tableHandlers(ctx, b.engine);
    try {
      const p = b.file('h.jsonl', '{"a":1,"F":{"x":"y"}}\n{"a":2,"F":{"x":"z","w":[1]}}\n');
      const opened = await h.invoke['table:open']({ kind: 'file', path: p });
      assert.ok(opened.ok);
      const id = opened.value.id;
      for (;;) {
        const i = await h.invoke['table:info'](id);
        if (i.ok && i.value.state !== 'loading') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const keys = await h.invoke['table:keys']({ id, column: 'F' });
      assert.ok(keys.ok && keys.value.keys.map((k) => k.key).join() === 'x,w', JSON.stringify(keys));
      const bad = [
        [{ id, column: 'F', path: 'x' }, /a list of keys and array indices/],
        [{ id, column: 'F', path: [-1] }, /not a key \(text\) or an array index/],
        [{ id, column: 'F', path: [] }, /choose a key or an index inside F/],
        [{ id, column: 'nope', path: ['x'] }, /no column "nope"/],
        [{ id, column: 'a', path: ['x'] }, /a holds no nested values/],
      ] as const;
      for (const [req, msg] of bad) {
        const r = await h.invoke['table:expand'](req as never);
        assert.ok(!r.ok && r.error.code === 'BadRequest' && msg.test(r.error.message), JSON.stringify(r));
      }
      const e = await h.invoke['table:expand']({ id, column: 'F', path: ['w', 0] });
      assert.ok(e.ok && e.value.column === 'F.w[0]' && e.value.info.columns.at(-1)!.type === 'number', JSON.stringify(e));
      const w = await h.invoke['table:window']({ id, offset: 0, limit: 5, columns: ['F.w[0]'] });
      assert.ok(w.ok);
      assert.deepEqual(w.value.cells, [[null], [1]]);
      const file = await h.invoke['table:unexpand']({ id, column: 'F' });
      assert.ok(!file.ok && /is a column of the file/.test(file.error.message));
      const gone = await h.invoke['table:unexpand']({ id, column: 'F.w[0]' });
      assert.ok(gone.ok && !gone.value.columns.some((c) => c.derived));
    } finally {
      h.close();
    }
  });
});

describe('JSON text in a text column (Velociraptor CSV writes a dict as its JSON)', () => {
  test('its fields expand; a text column without JSON says so', async () => {
    const t = await b.open(b.file('v.csv', 'Name,Fields\nx,"{""Pid"":1,""Args"":[""-a""]}"\ny,not json\nz,"{""Pid"":3}"\n'));
    assert.deepEqual(t.columns.map((c) => c.type), ['text', 'text']);
    assert.deepEqual((await t.fieldKeys(undefined, 'Fields')).keys.map((k) => k.key), ['Pid', 'Args']);
    const pid = await t.expand('Fields', ['Pid']);
    assert.equal(t.columns.find((c) => c.name === pid.column)!.sqlType, 'BIGINT');
    assert.deepEqual((await t.window({ offset: 0, limit: 5, columns: [pid.column] })).cells, [[1], [null], [3]]);
    await assert.rejects(t.expand('Name', ['Pid']), /no cell of Name is JSON with Pid in it/);
  });
});
