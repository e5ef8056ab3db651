// Problems are never lost (issue item 3): malformed CSV records and JSON lines that do not
// parse are listed with file, line and reason, kept as rows (their text in `_raw`) at their
// place in file order, and `table:locate` finds the row a problem landed at.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { bench } from './helpers.ts';
import type { OpenTable } from '../../main/tables/table.ts';

const b = bench();
after(() => b.dispose());

/** `n` good lines with a few broken ones; returns the text and, per broken id, what it is. */
function brokenCsv(n: number, broken: Record<number, string>, crlf = false): string {
  const lines = ['id,name,when,n'];
  for (let i = 1; i <= n; i++) lines.push(broken[i] ?? `${i},"name ${i}",2024-01-01 00:00:${String(i % 60).padStart(2, '0')},${i * 2}`);
  return lines.join(crlf ? '\r\n' : '\n') + (crlf ? '\r\n' : '\n');
}

const BROKEN: Record<number, string> = {
  50: '50,ragged,2024-01-01 00:00:00,1,extra',
  60: '60,short',
  80: '80,"bad"quote,2024-01-01 00:00:00,4',
  90: '90,"multi\nline",2024-01-01 00:00:00,5', // well-formed: a quoted line break
  100: '100,BADUTF\u00ff\u00fe,2024-01-01 00:00:00,6',
  110: '110,"unterminated,2024-01-01 00:00:00,7',
};

/** The rows whose `_raw` is set, as [row, raw]. */
async function rawRows(t: OpenTable): Promise<Array<[number, string]>> {
  const w = await t.window({ offset: 0, limit: 10_000, columns: ['_raw'] });
  return w.rows.map((r, i) => [r, w.cells[i]![0] as string] as [number, string]).filter(([, raw]) => raw !== null);
}

describe('malformed CSV records', () => {
  for (const [label, n, crlf] of [['many good rows (DuckDB types the file)', 5000, false], ['a file DuckDB cannot sniff (read as text, then typed)', 300, false], ['CRLF line ends', 5000, true]] as const) {
    test(`listed with line and reason, kept as text in place: ${label}`, async () => {
      const text = Buffer.from(brokenCsv(n, BROKEN, crlf), 'latin1');
      const p = b.file(`broken-${n}-${crlf}.csv`, text);
      const t = await b.open(p);
      assert.equal(t.state, 'ready', JSON.stringify(t.error));
      const probs = t.problems.filter((x) => !/unquoted field: the field is read/.test(x.reason));
      // Lines: the header is line 1; the quoted line break pushes the later ones down by one.
      assert.deepEqual(probs.map((x) => [x.line, x.row]), [[51, 50], [61, 60], [81, 80], [102, 100], [112, 110]]);
      for (const x of probs) assert.equal(x.file, p);
      assert.match(probs[0]!.reason, /too many fields/);
      assert.match(probs[1]!.reason, /too few fields/);
      assert.match(probs[2]!.reason, /quote/);
      assert.match(probs[3]!.reason, /UTF-8/);
      // Every line is a row: the unterminated quote costs its own line only (the next line is read as a row again).
      assert.equal(t.rowCount, n);
      const raws = await rawRows(t);
      assert.deepEqual(raws.map(([r]) => r), [50, 60, 80, 100, 110]);
      assert.equal(raws[0]![1], BROKEN[50]);
      assert.equal(raws[1]![1], BROKEN[60]);
      assert.match(raws[3]![1], /^100,BADUTF\uFFFD\uFFFD,/);
      assert.equal(raws[4]![1], BROKEN[110]);
      assert.deepEqual((await t.window({ offset: 110, limit: 1, columns: ['id', 'name'] })).cells, [[111, 'name 111']], 'the line after it is a row');
      // Rows around a problem row are in file order, and the quoted line break is a good row.
      const w = await t.window({ offset: 47, limit: 5, columns: ['id', 'name'] });
      assert.deepEqual(w.rows, [48, 49, 50, 51, 52]);
      assert.deepEqual(w.cells.map((c) => c[0]), [48, 49, null, 51, 52]);
      const m = await t.window({ offset: 89, limit: 1, columns: ['name'] });
      assert.deepEqual(m.cells, [['multi\nline']]);
      // A problem's row is where a jump lands, also in a sorted view.
      assert.equal(await t.locate(undefined, 100), 99);
      const v = await t.makeView({ sort: [{ column: 'id', desc: true }] }, 5);
      const at = await t.locate(v.view, 100);
      const there = await t.window({ view: v.view, offset: at, limit: 1 });
      assert.deepEqual(there.rows, [100]);
      t.close();
    });
  }

  test('a quote inside an unquoted field is kept as the text it is, and listed', async () => {
    const p = b.file('bare.csv', brokenCsv(2000, { 70: '70,he said "hi",2024-01-01 00:00:00,3' }));
    const t = await b.open(p);
    assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[71, 70]]);
    assert.match(t.problems[0]!.reason, /quote inside an unquoted field/);
    assert.deepEqual((await t.window({ offset: 69, limit: 1, columns: ['name'] })).cells, [['he said "hi"']]);
    assert.equal(t.rowCount, 2000);
  });

  test('many malformed records among few rows (placed by one sort rather than range by range): each at its place', async () => {
    const broken: Record<number, string> = {};
    for (let i = 3; i <= 1000; i += 25) broken[i] = `${i},ragged,2024-01-01 00:00:00,1,extra`;
    broken[4] = '4,short';
    const t = await b.open(b.file('many-broken.csv', brokenCsv(1000, broken)));
    const want = Object.keys(broken).map(Number).sort((x, y) => x - y);
    assert.deepEqual(t.problems.map((x) => x.row), want);
    assert.deepEqual((await rawRows(t)).map(([r, raw]) => [r, raw]), want.map((r) => [r, broken[r]]));
    const w = await t.window({ offset: 0, limit: 1000, columns: ['id'] });
    assert.deepEqual(w.rows, Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.deepEqual(w.cells.map((c) => c[0]), w.rows.map((r) => (broken[r] ? null : r)));
  });

  test('gzip: the same places', async () => {
    const p = b.file('broken.csv.gz', gzipSync(Buffer.from(brokenCsv(3000, { 10: '10,x', 20: '20,a,b,c,d,e' }), 'latin1')));
    const t = await b.open(p);
    assert.deepEqual(t.problems.map((x) => [x.line, x.row]), [[11, 10], [21, 20]]);
    assert.deepEqual((await rawRows(t)).map(([r]) => r), [10, 20]);
  });
});

describe('JSON lines', () => {
  test('a line that does not parse is listed and kept as text at its place; blank lines are not rows', async () => {
    const p = b.file('bad.jsonl', '{"a":1}\n\n   \n{"a":2}\nnot json\n{"a":3,\n{"a":4, "b": "x"}\n');
    const t = await b.open(p);
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    assert.deepEqual(t.problems.map((x) => [x.line, x.row, x.reason]), [[5, 3, 'not valid JSON'], [6, 4, 'not valid JSON']]);
    const w = await t.window({ offset: 0, limit: 10 });
    assert.deepEqual(w.columns.map((c) => c.name), ['a', 'b', '_raw']);
    assert.deepEqual(w.cells, [[1, null, null], [2, null, null], [null, null, 'not json'], [null, null, '{"a":3,'], [4, 'x', null]]);
  });
});
