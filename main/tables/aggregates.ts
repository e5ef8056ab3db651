/**
 * Aggregates over a view for the grid and the monitoring chart: counts by group (one or more
 * columns), a column's top values, and a time histogram with "nice" bucket widths. Values are
 * the cells as a window shows them (times as epoch ms), so a group can be clicked into a
 * value filter (view.ts valueSql).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableGroups, TableTimeline, TableValues } from '../ipc/contract.ts';
import { cellSql, emptySql, timeSql, type ColumnModel } from './columns.ts';
import { readRows } from './query.ts';
import { ident } from './sql-text.ts';

const pub = (c: ColumnModel) => ({ name: c.name, type: c.type, sqlType: c.sqlType });

/** Counts of each combination of `cols` in `from` (a table or a parenthesized query), largest first. */
export async function groupCounts(conn: DuckDBConnection, conn2: DuckDBConnection, from: string, cols: readonly ColumnModel[], limit: number): Promise<TableGroups> {
  const cells = cols.map((c, i) => `${cellSql(c)} AS g${i}`).join(', ');
  const positions = cols.map((_, i) => String(i + 1)).join(', ');
  const [top, total] = await Promise.all([
    readRows(conn, `SELECT ${cells}, count(*) AS n FROM ${from} GROUP BY ALL ORDER BY n DESC, ${positions} LIMIT ${limit}`),
    readRows(conn2, `SELECT count(*) FROM (SELECT ${cells} FROM ${from} GROUP BY ALL)`),
  ]);
  return {
    columns: cols.map(pub),
    groups: top.rows.map((r) => ({ values: r.slice(0, cols.length), count: Number(r[cols.length]) })),
    total: Number(total.rows[0]![0]),
  };
}

/** A top value the grid shows as empty (emptySql's cells: null, empty text, NaN). */
const isEmptyValue = (v: unknown) => v === null || v === '' || (typeof v === 'number' && Number.isNaN(v));

/**
 * The most frequent values of a column (the empty value among them, so that it can be clicked
 * into a filter), with the distinct count of the values that are not empty (HyperLogLog),
 * the empty cells (null, empty text, NaN: what the grid shows as empty) counted apart, the
 * nulls, and the rows.
 */
export async function valueCounts(conn: DuckDBConnection, conn2: DuckDBConnection, from: string, c: ColumnModel, limit: number): Promise<TableValues> {
  const cell = cellSql(c);
  const empty = emptySql(c);
  const [top, stats] = await Promise.all([
    readRows(conn, `SELECT ${cell} AS v, count(*) AS n FROM ${from} GROUP BY ALL ORDER BY n DESC, v LIMIT ${limit}`),
    readRows(conn2, `SELECT approx_count_distinct(${ident(c.name)}) FILTER (WHERE NOT ${empty}), count(*) - count(${ident(c.name)}), count(*) FILTER (WHERE ${empty}), count(*) FROM ${from}`),
  ]);
  const [distinct, nulls, empties, rows] = stats.rows[0]!.map(Number) as [number, number, number, number];
  // The top list is exact: a distinct count below its non-empty values is an estimate that fell short.
  const shown = top.rows.filter((r) => !isEmptyValue(r[0]!)).length;
  return { column: pub(c), values: top.rows.map((r) => ({ value: r[0]!, count: Number(r[1]) })), distinct: Math.max(distinct, shown), nulls, empty: empties, rows };
}

/** Bucket widths a person reads easily, in ms. */
const NICE = [1, 5, 10, 50, 100, 500, 1e3, 5e3, 10e3, 15e3, 30e3, 60e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3, 365 * 86400e3];

/** The smallest nice width giving at most `buckets` bars over `span` ms. */
export function niceBucket(span: number, buckets: number): number {
  const want = span / Math.max(1, buckets);
  return NICE.find((w) => w >= want) ?? Math.ceil(want / NICE[NICE.length - 1]!) * NICE[NICE.length - 1]!;
}

/** Rows per time bucket of a timestamp column (the monitoring chart). */
export async function timeline(conn: DuckDBConnection, from: string, c: ColumnModel, buckets: number): Promise<TableTimeline> {
  const t = timeSql(c);
  if (!t) throw new Error(`${c.name} is not a timestamp column`);
  const range = await readRows(conn, `SELECT min(${t}), max(${t}) FROM ${from}`);
  const [min, max] = range.rows[0] as [number | null, number | null];
  if (min === null || max === null) return { column: c.name, start: 0, bucketMs: 0, counts: [] };
  const w = niceBucket(max - min + 1, buckets);
  const start = Math.floor(min / w) * w;
  const n = Math.floor((max - start) / w) + 1;
  const counts = new Array<number>(n).fill(0);
  const { rows } = await readRows(conn, `SELECT CAST(floor((${t} - ${start}) / ${w}) AS BIGINT) AS b, count(*) FROM ${from} WHERE ${t} IS NOT NULL GROUP BY b`);
  for (const [b, k] of rows) counts[Number(b)] = Number(k);
  return { column: c.name, start, bucketMs: w, counts };
}
