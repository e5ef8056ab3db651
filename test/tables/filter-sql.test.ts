// The filter language over DuckDB (main/tables/filter-sql.ts) against the page's own filter
// (renderer/lib/table/filter.ts) on the same cells: every filter of the page's filter-language
// tests (test/renderer/table-view.test.ts, "filter language") plus harder ones, on columns of
// every type, must select the same rows in both. The page sees each cell as a window returns it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseFilter } from '../../renderer/lib/table/filter.ts';
import type { Cell } from '../../renderer/lib/table/source.ts';
import { filterSql } from '../../main/tables/filter-sql.ts';
import { cellSql, type ColumnModel } from '../../main/tables/columns.ts';
import { ident } from '../../main/tables/sql-text.ts';
import { readRows } from '../../main/tables/query.ts';
import { TableEngine, type TableDatabase } from '../../main/tables/engine.ts';

/** The filters of test/renderer/table-view.test.ts "filter language", in order. */
const PAGE_FILTERS = [
  'error', '!error', '"a b"', 'error disk', 'a.b',
  '>5', '>=5 <=10', '=10', '!=10', '5..10', '..1', '10..', '!5..10', '=1|=11', '=', '!=', '>9',
  '=root', '>b', 'b..c',
  '=2024-05-01', '>2024-05-01', '<=2024-05-01', '2024-05-01..2024-05-02', '>=2024-05-01T12:30', '2024-05-01T12',
];
/** Harder cases: quoting, LIKE wildcards, number text forms, JS Number() corner cases, dates with zones. */
const MORE_FILTERS = [
  '""', '=""', '="a b"', '%', '_', '\\', "'", 'a|b|c', '!a|b', '!=abc', '=abc', '<a', '>=z', 'A..b',
  '5', '0', '.5', '0.5', 'e-7', '1e', '000', '-2', '>-1', '<=0', '=7', '= 7', '=1e3', '>0x10', '=0x1F', '>1e21', '<1e-6',
  '5..', '..', '>=5 <7|>100', '!=', '!""',
  'true', '=true', '=1', '>0', 'é', 'É', 'ésté', 'infinity', 'nan', '=NaN', '2024', '>=2024', '<2024-05', '=2024-05-01T10:00+02:00', '2024-05-01T08',
  '>2024-05-01T00:00:00.000Z', '=2024-05-01T12:30:00.000', '2023..2024', '1714521600000', '>1714521600000', ':30', 'T12',
];
const FILTERS = [...PAGE_FILTERS, ...MORE_FILTERS];

const ms = (s: string) => Date.parse(s);
/** Columns of every type, as DuckDB holds them. */
const COLUMNS: Array<{ name: string; sqlType: string; type: ColumnModel['type']; epochScale?: number; values: string[] }> = [
  { name: 'txt', sqlType: 'VARCHAR', type: 'text', values: [
    "'Error: disk'", "'warning'", "'no ERRORs'", 'NULL', "'a b c'", "''", "'a.b'", "'axb'", "'Root'", "'root2'", "'ROOT'", "'apple'", "'Banana'",
    "'cherry'", "'10'", "'9'", "'abc'", "'7'", "' 5 '", "'0x1F'", "'1e3'", "'É'", "'ésté'", "'-2'", "'1_000'", "'Infinity'", "'50%'", "'a_b'", "'a\\b'",
    "'it''s'", "'b'", "'c'", "'z'", "'true'", "'NaN'", "'.5'", "'5.'", "'+5'", "'\t7\n'", "'1e400'", "'2024-05-01'", "'00012'",
  ] },
  { name: 'dbl', sqlType: 'DOUBLE', type: 'number', values: [
    '1', '5', '10', '11', '-2', 'NULL', '7', '0.5', '1e-7', '1.5e-5', '123456789.123', '1e21', '1152921504606846976', '-0.25', "'nan'::DOUBLE", '100.5',
    '0.30000000000000004', '1e-6', '0.000123', '2.5e20', '-1.5e-7', '1000', '0', '-0.0', '12e-1', "'inf'::DOUBLE", '1714521600000',
  ] },
  { name: 'int', sqlType: 'BIGINT', type: 'number', values: ['1', '5', '10', '11', '-2', 'NULL', '7', '0', '1000', '9007199254740993', '-9007199254740993', '31', '2024', '105'] },
  { name: 'ts', sqlType: 'TIMESTAMP', type: 'timestamp', values: [
    "'2024-04-30 23:59:59.999'", "'2024-05-01 00:00:00'", "'2024-05-01 12:30:00'", "'2024-05-02 00:00:00'", "'2024-05-03 08:00:00'", 'NULL',
    "'2024-05-01 08:00:00'", "'2023-12-31 23:59:59'", "'2024-05-01 08:00:59.5'", "'1970-01-01 00:00:00'",
  ] },
  { name: 'tstz', sqlType: 'TIMESTAMPTZ', type: 'timestamp', values: ["'2024-05-01 10:00:00+02'", "'2024-05-01 08:00:30Z'", "'2024-04-30 22:00:00-04'", 'NULL'] },
  { name: '_ts', sqlType: 'DOUBLE', type: 'timestamp', epochScale: 1000, values: [String(ms('2024-05-01T00:00:00Z') / 1000), String(ms('2024-05-01T12:30:00Z') / 1000 + 0.25), String(ms('2024-05-02T00:00:00Z') / 1000), 'NULL'] },
  { name: 'epoch_ms', sqlType: 'BIGINT', type: 'timestamp', epochScale: 1, values: [String(ms('2024-05-01T00:00:00Z')), String(ms('2024-04-30T23:59:59.999Z')), 'NULL'] },
  { name: 'flag', sqlType: 'BOOLEAN', type: 'bool', values: ['true', 'false', 'NULL'] },
  { name: 'day', sqlType: 'DATE', type: 'timestamp', values: ["'2024-05-01'", "'2024-05-02'", 'NULL'] },
];

let engine: TableEngine;
let db: TableDatabase;
let conn: DuckDBConnection;

before(async () => {
  engine = new TableEngine({ memoryLimit: 256 * 2 ** 20, threads: 1 });
  db = await engine.openDatabase();
  conn = await db.connect();
  for (const c of COLUMNS) {
    await conn.run(`CREATE TABLE ${ident(`t_${c.name}`)} AS SELECT row_number() OVER () AS _row, CAST(v AS ${c.sqlType}) AS ${ident(c.name)} FROM (VALUES ${c.values.map((v) => `(${v})`).join(', ')}) AS x(v)`);
  }
});
after(() => {
  conn?.closeSync();
  engine?.dispose();
});

/** Rows the page's filter keeps, given the cells as a window returns them. */
function pageRows(text: string, col: ColumnModel, cells: Array<[number, Cell]>): number[] | string {
  const r = parseFilter(text, col.type);
  if (!r.ok) return r.error;
  return cells.filter(([, c]) => (r.test ? r.test(c) : true)).map(([row]) => row);
}

async function sqlRows(text: string, col: ColumnModel): Promise<number[] | string> {
  const r = filterSql(text, col);
  if (!r.ok) return r.error;
  const { rows } = await readRows(conn, `SELECT _row FROM ${ident(`t_${col.name}`)}${r.sql ? ` WHERE ${r.sql}` : ''} ORDER BY _row`);
  return rows.map((x) => Number(x[0]));
}

describe('the filter language in SQL agrees with the page on the same cells', () => {
  for (const spec of COLUMNS) {
    test(`${spec.name} (${spec.sqlType} shown as ${spec.type})`, async () => {
      const col: ColumnModel = { name: spec.name, sqlType: spec.sqlType, type: spec.type, ...(spec.epochScale ? { epochScale: spec.epochScale } : {}) };
      const { rows } = await readRows(conn, `SELECT _row, ${cellSql(col)} FROM ${ident(`t_${col.name}`)} ORDER BY _row`);
      const cells = rows.map((r) => [Number(r[0]), r[1] as Cell] as [number, Cell]);
      const differ: string[] = [];
      for (const f of FILTERS) {
        const want = pageRows(f, col, cells);
        const got = await sqlRows(f, col);
        if (JSON.stringify(want) !== JSON.stringify(got)) {
          const show = (x: number[] | string) => (typeof x === 'string' ? x : x.map((r) => JSON.stringify(cells[r - 1]![1])).join(' '));
          differ.push(`${JSON.stringify(f)}: page [${show(want)}] sql [${show(got)}]`);
        }
      }
      assert.deepEqual(differ, []);
    });
  }

  test('syntax errors have the same position and message', () => {
    const col: ColumnModel = { name: 'txt', sqlType: 'VARCHAR', type: 'text' };
    for (const f of ['>', 'a "b', '..', 'a|', '"a"b', '!', '>=', 'x >']) {
      const page = parseFilter(f, 'text');
      const sql = filterSql(f, col);
      assert.equal(page.ok, false, f);
      assert.equal(sql.ok, false, f);
      if (!page.ok && !sql.ok) assert.equal(sql.error, page.error, f);
    }
  });

  test('an operand is a literal: quotes, LIKE wildcards and backslashes cannot change the SQL', async () => {
    const col: ColumnModel = { name: 'txt', sqlType: 'VARCHAR', type: 'text' };
    for (const f of ["x' OR 1=1 --", "=') OR true OR ('", '"%"', '_', '\\%']) {
      const r = filterSql(f, col);
      assert.ok(r.ok, f);
      // Runs (no syntax error) and matches nothing it should not: every matched cell contains or equals the operand.
      const got = await sqlRows(f, col);
      assert.ok(Array.isArray(got), f);
    }
    assert.deepEqual(await sqlRows("x' OR 1=1 --", col), []);
    assert.deepEqual(await sqlRows('%', col), [27], 'only 50% holds a percent sign');
  });
});
