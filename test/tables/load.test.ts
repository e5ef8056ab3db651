// Opening sources into the engine (main/tables/load.ts): formats found from content (CSV, TSV
// and other delimiters, JSON arrays, JSON lines, gzip, Parquet), types inferred with mixed
// columns degraded to text without losing a value, epoch columns shown as times, `_row` in file
// order, the preview before the load ends, and nothing ever written next to the source.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { bench } from './helpers.ts';
import { OpenTable } from '../../main/tables/table.ts';

const b = bench();
after(() => b.dispose());

const srcFiles = () => readdirSync(join(b.dir, 'src')).sort();

describe('formats', () => {
  test('CSV: types, _row in file order, epoch seconds shown as times, quoted fields', async () => {
    const p = b.file('a.csv', '_ts,Name,Count,Ratio,Flag,When\n1714521600,"a, b",1,0.5,true,2024-05-01T00:00:00Z\n1714521601,"say ""hi""",2,1.5,false,2024-05-01 10:00:00\n');
    const t = await b.open(p);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.deepEqual(t.columns.map((c) => [c.name, c.type]), [['_ts', 'timestamp'], ['Name', 'text'], ['Count', 'number'], ['Ratio', 'number'], ['Flag', 'bool'], ['When', 'timestamp']]);
    const w = await t.window({ offset: 0, limit: 10 });
    assert.deepEqual(w.rows, [1, 2]);
    assert.deepEqual(w.cells[0], [1714521600000, 'a, b', 1, 0.5, true, Date.parse('2024-05-01T00:00:00Z')]);
    assert.deepEqual(w.cells[1]!.slice(1, 5), ['say "hi"', 2, 1.5, false]);
    assert.equal(t.format, 'csv');
  });

  test('delimiters are detected: tab, semicolon, bar', async () => {
    for (const [d, name] of [['\t', 'a.tsv'], [';', 'b.txt'], ['|', 'c.log']] as const) {
      const p = b.file(name, `x${d}y${d}z\n1${d}a,b${d}3\n4${d}c${d}6\n`);
      const t = await b.open(p);
      assert.deepEqual(t.columns.map((c) => c.name), ['x', 'y', 'z'], name);
      assert.deepEqual((await t.window({ offset: 0, limit: 5 })).cells, [[1, 'a,b', 3], [4, 'c', 6]], name);
    }
  });

  test('JSON array, JSON lines, gzip of both: every key, nested values as JSON', async () => {
    const rows = [{ a: 1, b: 'x', n: { k: [1, 2] } }, { a: 2, b: 'y' }, { a: 3, c: 'only here' }];
    const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    for (const [name, content] of [['r.json', JSON.stringify(rows)], ['r.jsonl', jsonl], ['r.json.gz', gzipSync(JSON.stringify(rows))], ['r.ndjson.gz', gzipSync(jsonl)]] as const) {
      const t = await b.open(b.file(name, content));
      assert.equal(t.state, 'ready', `${name}: ${JSON.stringify(t.error)}`);
      assert.deepEqual(t.columns.map((c) => c.name), ['a', 'b', 'n', 'c'], name);
      const w = await t.window({ offset: 0, limit: 5 });
      assert.deepEqual(w.cells.map((r) => [r[0], r[1], r[3]]), [[1, 'x', null], [2, 'y', null], [3, null, 'only here']], name);
      assert.equal(t.columns[2]!.type, 'json');
      assert.deepEqual(JSON.parse(String(w.cells[0]![2])), { k: [1, 2] }, name);
    }
  });

  test('a JSON value of another type further down is kept (the column becomes JSON)', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ a: i, b: `x${i}` }));
    lines.push(JSON.stringify({ a: 'abc', b: 'last', late: true }));
    const t = await b.open(b.file('late.jsonl', lines.join('\n')));
    const w = await t.window({ offset: 30_000, limit: 1 });
    assert.equal(String(w.cells[0]![0]).replace(/"/g, ''), 'abc');
    assert.deepEqual(t.columns.map((c) => c.name), ['a', 'b', 'late']);
  });

  test('JSON lines: a key first seen after the sample, and a nested one, are kept (every row is read again)', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ a: i, o: { k: i } }));
    lines.push(JSON.stringify({ a: 1, o: { k: 2, deep: 'x' }, late: 'here' }), JSON.stringify({ a: 2, o: { k: 3 } }));
    const t = await b.open(b.file('late-key.jsonl', lines.join('\n') + '\n'));
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.deepEqual(t.columns.map((c) => [c.name, c.type]), [['a', 'number'], ['o', 'json'], ['late', 'text']]);
    const w = await t.window({ offset: 29_999, limit: 3 });
    assert.deepEqual(w.rows, [30_000, 30_001, 30_002]);
    // A nested value is what its line holds (no key added as null: issue 13).
    assert.deepEqual(w.cells.map((r) => [r[0], JSON.parse(String(r[1])), r[2]]), [[29_999, { k: 29_999 }, null], [1, { k: 2, deep: 'x' }, 'here'], [2, { k: 3 }, null]]);
    assert.match(t.notes.join('\n'), /late-key\.jsonl: rows further down have keys or types the first rows do not have/);
  });

  test('JSON lines: times are typed the same whether or not a line is broken', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => JSON.stringify({ t: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(), n: i }));
    const clean = await b.open(b.file('times.jsonl', rows.join('\n')));
    const broken = await b.open(b.file('times-broken.jsonl', [...rows.slice(0, 50), '{"t": "2024-', ...rows.slice(50)].join('\n')));
    assert.equal(broken.problems.length, 1);
    for (const t of [clean, broken]) {
      assert.equal(t.columns[0]!.type, 'timestamp', t.label);
      assert.deepEqual((await t.window({ offset: 0, limit: 1, columns: ['t', 'n'] })).cells, [[Date.UTC(2024, 0, 1), 0]]);
    }
    assert.deepEqual((await broken.window({ offset: 50, limit: 2, columns: ['t', '_raw'] })).cells, [[null, '{"t": "2024-'], [Date.UTC(2024, 0, 1, 0, 0, 50), null]]);
  });

  test('columns named rowid, _row or _raw are renamed: _row stays the row number (CSV, JSON lines, Parquet)', async () => {
    const csv = await b.open(b.file('reserved.csv', 'ROWID,_row,_raw,x\n10,20,30,a\n11,21,31,b\n'));
    assert.deepEqual(csv.columns.map((c) => c.name), ['ROWID_1', '_row_1', '_raw_1', 'x']);
    assert.deepEqual((await csv.window({ offset: 0, limit: 5 })).rows, [1, 2]);
    assert.deepEqual((await csv.window({ offset: 1, limit: 1 })).cells, [[11, 21, 31, 'b']]);
    const jl = await b.open(b.file('reserved.jsonl', '{"rowid":5,"_row":6,"_row_1":7}\n{"rowid":8,"_row":9,"_row_1":10}\n'));
    assert.equal(jl.state, 'ready', JSON.stringify(jl.error));
    assert.deepEqual(jl.columns.map((c) => c.name), ['rowid_1', '_row_1', '_row_1_1']);
    assert.deepEqual((await jl.window({ offset: 0, limit: 5 })).rows, [1, 2]);
    assert.deepEqual((await jl.window({ offset: 0, limit: 5 })).cells, [[5, 6, 7], [8, 9, 10]]);
    const out = join(b.dir, 'reserved.parquet');
    await jl.exportTo({ id: jl.id, format: 'parquet', path: out }, out);
    const pq = await b.open(out);
    assert.deepEqual(pq.columns.map((c) => c.name), ['rowid_1', '_row_1', '_row_1_1']);
    assert.deepEqual((await pq.window({ offset: 0, limit: 5 })).rows, [1, 2]);
  });

  test('gzip CSV and Parquet (written by DuckDB) load; Parquet keeps its types', async () => {
    const gz = await b.open(b.file('g.csv.gz', gzipSync('a,b\n1,x\n2,y\n')));
    assert.equal(gz.format, 'csv (gzip)');
    assert.deepEqual((await gz.window({ offset: 0, limit: 5 })).cells, [[1, 'x'], [2, 'y']]);
    const out = join(b.dir, 'out.parquet');
    const r = await gz.exportTo({ id: gz.id, format: 'parquet', path: out }, out);
    assert.equal(r.rows, 2);
    const pq = await b.open(out);
    assert.equal(pq.format, 'parquet');
    assert.deepEqual(pq.columns.map((c) => [c.name, c.sqlType]), [['a', 'BIGINT'], ['b', 'VARCHAR']]);
    assert.deepEqual((await pq.window({ offset: 0, limit: 5 })).cells, [[1, 'x'], [2, 'y']]);
  });

  test('the format comes from the content, not the name', async () => {
    const t = await b.open(b.file('really-csv.parquet', 'a,b\n1,2\n'));
    assert.equal(t.format, 'csv');
    assert.equal(t.rowCount, 1);
  });
});

describe('types', () => {
  test('a number column with one "abc" at row 900,000 becomes text and loses nothing', async () => {
    const n = 900_001;
    const parts: string[] = ['id,v\n'];
    for (let i = 1; i <= n; i++) parts.push(`${i},${i === 900_000 ? 'abc' : i * 3}\n`);
    const t = await b.open(b.file('mixed.csv', parts.join('')));
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.equal(t.rowCount, n);
    assert.equal(t.columns[1]!.type, 'text');
    assert.equal(t.columns[0]!.type, 'number', 'the clean column keeps its type');
    const w = await t.window({ offset: 899_998, limit: 3 });
    assert.deepEqual(w.cells, [[899_999, String(899_999 * 3)], [900_000, 'abc'], [900_001, String(900_001 * 3)]]);
    assert.equal(t.problems.length, 0, 'a mixed column is not a malformed row');
    assert.match(t.notes.join('\n'), /column "v" has values of another type from line 900001 on/);
  });

  test('epoch milliseconds in a column named like a time; plain numbers stay numbers', async () => {
    const t = await b.open(b.file('ep.csv', 'created_at,EventTime,size,id_at_all\n1714521600000,1714521600,1714521600,5\n1714521600001,1714521601,3,6\n'));
    assert.deepEqual(t.columns.map((c) => c.type), ['timestamp', 'timestamp', 'number', 'number']);
    assert.deepEqual((await t.window({ offset: 0, limit: 1 })).cells[0]!.slice(0, 2), [1714521600000, 1714521600000]);
  });
});

describe('the source is only read', () => {
  test('nothing is written next to the source; the table folder goes at close', async () => {
    const before = srcFiles();
    const t = await b.open(b.file('only-read.csv', 'a\n1\n'));
    assert.deepEqual(srcFiles(), [...before, 'only-read.csv'].sort());
    const out = join(b.dir, 'exports.csv');
    await t.exportTo({ id: t.id, format: 'csv', path: out }, out);
    assert.deepEqual(srcFiles(), [...before, 'only-read.csv'].sort());
    const folders = readdirSync(b.engine.folder).length;
    t.close();
    await t.loaded;
    await new Promise((r) => setImmediate(r));
    assert.equal(readdirSync(b.engine.folder).length, folders - 1, 'the database folder is removed at close');
  });

  test('the preview is there before the load ends, and windows read it meanwhile', async () => {
    const parts = ['n,s\n'];
    for (let i = 1; i <= 300_000; i++) parts.push(`${i},row ${i}\n`);
    const p = b.file('big.csv', parts.join(''));
    const infos: string[] = [];
    const t = await OpenTable.open(b.engine, 'pv', 'big', { kind: 'file', path: p }, [p], (_ph, _f, _r, info) => info && infos.push(info.state));
    // open() resolves at the preview or the end, whichever is first; either way rows are readable.
    const w = await t.window({ offset: 0, limit: 3 });
    assert.deepEqual(w.cells, [[1, 'row 1'], [2, 'row 2'], [3, 'row 3']]);
    await t.loaded;
    assert.equal(t.rowCount, 300_000);
    assert.equal(infos.at(-1), 'ready');
    if (infos.length > 1) assert.equal(infos[0], 'loading', 'the preview push comes first');
    t.close();
  });
});
