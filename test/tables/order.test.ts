// Row order at scale (main/tables/load.ts, table.ts): `_row` is a row's position in `data_rows`
// (rowid + 1), so the load must keep file order across DuckDB's parallel row groups (122,880
// rows each) and problem rows must land at their place; filtered views read in file order
// without sorting, sorted views scroll from their table once it is made (and again after it was
// dropped for newer views). Files of 200,000 rows: several row groups on two threads.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bench } from './helpers.ts';
import type { OpenTable } from '../../main/tables/table.ts';
import { MAX_VIEW_TABLES } from '../../main/tables/table.ts';

const b = bench();
after(() => b.dispose());

const N = 200_000;
/** Lines (1-based data records) that are malformed, and what they hold. */
const BROKEN: Record<number, string> = {
  7: '7,short',
  130_000: '130000,too,many,fields,here',
  130_001: '130001,also,too,many,fields',
  199_999: '199999,"unterminated',
};

let t: OpenTable;
before(async () => {
  const parts = ['id,name,n\n'];
  for (let i = 1; i <= N; i++) parts.push(BROKEN[i] ? `${BROKEN[i]}\n` : `${i},name ${i % 1000},${(i * 7919) % 100_003}\n`);
  t = await b.open(b.file('order.csv', parts.join('')));
});

/** Every row of a view (or the table), 10,000 rows a window. */
async function all(view: string | undefined, columns: string[], total: number): Promise<{ rows: number[]; cells: unknown[][] }> {
  const rows: number[] = [];
  const cells: unknown[][] = [];
  for (let o = 0; o < total; o += 10_000) {
    const w = await t.window({ view, offset: o, limit: 10_000, columns });
    rows.push(...w.rows);
    cells.push(...w.cells);
  }
  return { rows, cells };
}

describe('file order and _row on 200,000 rows with problems', () => {
  test('every row is at its line, `_row` counts 1..N, problem rows in place with their text', async () => {
    assert.equal(t.state, 'ready', JSON.stringify(t.error));
    // A malformed record's fields do not make their column text (DuckDB lists a cast error with the record's own).
    assert.deepEqual(t.columns.map((c) => [c.name, c.type]), [['id', 'number'], ['name', 'text'], ['n', 'number'], ['_raw', 'text']]);
    assert.deepEqual(t.notes, []);
    // The unterminated quote costs its own line only: the last line is a row again (N records).
    assert.equal(t.rowCount, N);
    assert.deepEqual(t.problems.map((p) => [p.line, p.row]), [[8, 7], [130_001, 130_000], [130_002, 130_001], [200_000, 199_999]]);
    const { rows, cells } = await all(undefined, ['id', '_raw'], t.rowCount);
    assert.equal(rows.length, N);
    for (let i = 0; i < rows.length; i++) {
      const line = i + 1;
      if (rows[i] !== line) assert.fail(`window row ${i} has _row ${rows[i]}, not ${line}`);
      const want = BROKEN[line] ? null : line;
      if (cells[i]![0] !== want) assert.fail(`row ${line} holds id ${String(cells[i]![0])}, not ${String(want)}`);
    }
    assert.equal(cells[6]![1], BROKEN[7]);
    assert.equal(cells[129_999]![1], BROKEN[130_000]);
    assert.equal(cells[199_998]![1], BROKEN[199_999]);
    assert.deepEqual(cells[199_999], [N, null]);
    assert.equal(await t.locate(undefined, 130_001), 130_000);
  });

  test('the SQL box sees the same numbering', async () => {
    const r = await t.sql('SELECT count(*), min(_row), max(_row), count(*) FILTER (WHERE id IS NOT NULL AND id <> _row) FROM data');
    assert.deepEqual(r.cells, [[N, 1, N, 0]]);
  });
});

describe('views over several row groups', () => {
  test('a filter reads in file order, before its table is made and from it', async () => {
    const expected: number[] = [];
    for (let i = 1; i <= N; i++) if (!BROKEN[i] && i % 1000 === 7) expected.push(i);
    const v = await t.makeView({ filters: [{ column: 'name', text: '="name 7"' }] }, 50);
    assert.equal(v.total, expected.length);
    assert.deepEqual(v.window.rows, expected.slice(0, 50));
    // Windows asked while the table may still be being made: from the query (file order, no sort).
    assert.deepEqual((await t.window({ view: v.view, offset: 100, limit: 20 })).rows, expected.slice(100, 120));
    await t.locate(v.view, expected[0]!);
    const { rows } = await all(v.view, ['id'], v.total);
    assert.deepEqual(rows, expected);
    assert.equal(await t.locate(v.view, expected[150]!), 150);
  });

  test('a sorted view scrolls far down, ties in file order; its table is made again after newer views drop it', async () => {
    const ids: Array<[number, number]> = [];
    for (let i = 1; i <= N; i++) if (!BROKEN[i]) ids.push([(i * 7919) % 100_003, i]);
    // Problem rows have no n: empty cells sort last.
    const expected = [...ids.sort((x, y) => y[0] - x[0] || x[1] - y[1]).map(([, i]) => i), ...Object.keys(BROKEN).map(Number).sort((x, y) => x - y)];
    const first = await t.makeView({ sort: [{ column: 'n', desc: true }] }, 100);
    assert.deepEqual(first.window.rows, expected.slice(0, 100));
    // Far down (past the reach of a query), the window waits for the view's table.
    assert.deepEqual((await t.window({ view: first.view, offset: 150_000, limit: 30 })).rows, expected.slice(150_000, 150_030));
    for (let k = 0; k < MAX_VIEW_TABLES; k++) {
      const other = await t.makeView({ sort: [{ column: 'name' }, { column: 'id', desc: k === 0 }] }, 10);
      await t.locate(other.view, 1);
    }
    assert.deepEqual((await t.window({ view: first.view, offset: 180_000, limit: 30 })).rows, expected.slice(180_000, 180_030));
    assert.equal(await t.locate(first.view, expected[123_456]!), 123_456);
  });
});
