/**
 * The monitoring chart's lines: the average of number columns in each bar of a time histogram
 * (`table:timeline` with `series`), over the same rows as the bars (the grid's view) and in the
 * same buckets, so a line and the bars below it agree. One aggregate query over the opened
 * table, read through the table's read-only SQL path (the database is locked down by then).
 *
 * It composes the engine's own pieces (the view's WHERE from compileView, a cell's number and
 * a column's epoch ms from columns.ts, the bucket formula of aggregates.ts `timeline`); its home
 * is main/tables/aggregates.ts, next to `timeline`, once that module is open for changes.
 */
import type { TableTimeline, TableViewSpec } from '../ipc/contract.ts';
import { numSql, timeSql } from '../tables/columns.ts';
import { OpenTable, TableError } from '../tables/table.ts';
import { compileView } from '../tables/view.ts';
import { num } from '../tables/sql-text.ts';

/** Most lines one chart may ask for. */
export const MAX_SERIES = 16;

/**
 * Each column's average per bar of `tl` (a timeline of `t`), over the rows of `spec` (none:
 * every row). Bars without a number are null.
 */
export async function bucketAverages(t: OpenTable, spec: TableViewSpec | undefined, tl: TableTimeline, names: unknown): Promise<NonNullable<TableTimeline['series']>> {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw new TableError('BadRequest', 'series must be a list of column names');
  if (names.length > MAX_SERIES) throw new TableError('BadRequest', `at most ${MAX_SERIES} series at once`);
  const cols = (names as string[]).map((n) => {
    const c = t.columns.find((x) => x.name === n);
    if (!c) throw new TableError('BadRequest', `no column ${JSON.stringify(n)} in this table`);
    if (c.type !== 'number' && c.type !== 'bool') throw new TableError('BadRequest', `${n} is not a number column: only numbers can be averaged`);
    return c;
  });
  const time = t.columns.find((c) => c.name === tl.column);
  const ts = time && timeSql(time);
  if (!ts) throw new TableError('BadRequest', `${tl.column} is not a timestamp column`);
  const series = cols.map((c) => ({ column: c.name, avg: new Array<number | null>(tl.counts.length).fill(null) }));
  if (!cols.length || !tl.counts.length || !(tl.bucketMs > 0)) return series;
  const where = spec ? compileView(spec, t.columns).where : null;
  const sql = `SELECT CAST(floor((${ts} - ${num(tl.start)}) / ${num(tl.bucketMs)}) AS BIGINT) AS b, ${cols.map((c) => `avg(${numSql(c)})`).join(', ')}
    FROM data WHERE ${ts} IS NOT NULL${where ? ` AND (${where})` : ''} GROUP BY b`;
  const r = await t.sql(sql, tl.counts.length + 1);
  for (const row of r.cells) {
    const b = Number(row[0]);
    if (!Number.isInteger(b) || b < 0 || b >= tl.counts.length) continue;
    cols.forEach((_, i) => {
      const v = row[i + 1];
      series[i]!.avg[b] = typeof v === 'number' && Number.isFinite(v) ? v : null;
    });
  }
  return series;
}
