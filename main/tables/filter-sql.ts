/**
 * The per-column filter language of the page's table (renderer/lib/table/filter.ts: `word`,
 * `"phrase"`, `=v`, `>v >=v <v <=v`, `a..b`, `a|b`, `!term`, dates naming whole periods on
 * timestamp columns) compiled to a SQL condition over a loaded table, with the same meaning on
 * the same cells: the same parser (positions and messages of syntax errors are the same), and
 * each test written in SQL over the cell's number, text and time as columns.ts defines them.
 * test/tables/filter-sql.test.ts runs the page's filter test cases through both.
 *
 * Every condition is NULL-free (coalesced to false), so `!term` is plain NOT.
 */
import { parseTimeSpan } from '../../renderer/lib/table/time-operand.ts';
import { filterNumber as asNumber, readFilter, type FilterBackend, type FilterOp as Op } from '../../renderer/lib/table/filter-syntax.ts';
import { emptySql, numSql, textSql, timeSql, type ColumnModel } from './columns.ts';
import { lit, num } from './sql-text.ts';

/** A compiled filter: `sql` is null for an empty filter; `error` says where the syntax broke. */
export type FilterSqlResult = { ok: true; sql: string | null } | { ok: false; error: string };

const orFalse = (cond: string) => `coalesce(${cond}, false)`;

function compare(op: Op, v: string, c: ColumnModel): string {
  const span = c.type === 'timestamp' ? parseTimeSpan(v) : null;
  if (span) {
    const t = timeSql(c)!;
    const { start, end } = span;
    if (op === '>') return orFalse(`${t} >= ${num(end)}`);
    if (op === '>=') return orFalse(`${t} >= ${num(start)}`);
    if (op === '<') return orFalse(`${t} < ${num(start)}`);
    if (op === '<=') return orFalse(`${t} < ${num(end)}`);
    return orFalse(`(${t} >= ${num(start)} AND ${t} < ${num(end)})`);
  }
  const n = asNumber(v);
  const lv = v.toLowerCase();
  const text = `lower(${textSql(c)})`;
  if (op === '=') {
    if (v === '') return emptySql(c);
    const textEquals = `(NOT ${emptySql(c)} AND ${text} = ${lit(lv)})`;
    if (n === null) return orFalse(textEquals);
    const x = numSql(c);
    return orFalse(`(CASE WHEN ${x} IS NOT NULL THEN ${x} = ${num(n)} ELSE ${textEquals} END)`);
  }
  if (n !== null) return orFalse(`${numSql(c)} ${op} ${num(n)}`);
  return orFalse(`(NOT ${emptySql(c)} AND ${text} ${op} ${lit(lv)})`);
}

/**
 * Case-insensitive "contains" on the cell's text (an empty cell contains nothing): both sides
 * lower-cased by DuckDB, which is what ILIKE does, at a third of its cost; a needle without
 * cased letters (digits, punctuation) is looked for as it is.
 */
export function containsSql(v: string, c: ColumnModel): string {
  const text = textSql(c);
  const caseless = v.toLowerCase() === v && v.toUpperCase() === v;
  const like = caseless ? `contains(${text}, ${lit(v)})` : `contains(lower(${text}), lower(${lit(v)}))`;
  // Text cells are matched as they are ('' contains the empty phrase); other cells only when not empty (NaN).
  return orFalse(c.type === 'text' ? like : `(NOT ${emptySql(c)} AND ${like})`);
}

/** The engine's backend of the filter language: SQL conditions over the column. */
function sqlBackend(c: ColumnModel): FilterBackend<string> {
  return {
    compare: (op, value) => compare(op, value, c),
    // An empty quoted phrase: every non-empty text contains it (as the page's RegExp('') does).
    contains: (value) => containsSql(value, c),
    all: (tests) => `(${tests.join(' AND ')})`,
    any: (tests) => `(${tests.join(' OR ')})`,
    not: (test) => `(NOT ${test})`,
  };
}

/**
 * Compiles a column filter to a SQL condition on column `c` (syntax in renderer/lib/table/filter.ts).
 * @example filterSql('>5 <=10', { name: 'n', type: 'number', sqlType: 'BIGINT' }) // { ok: true, sql: '(... AND ...)' }
 */
export function filterSql(text: string, c: ColumnModel): FilterSqlResult {
  const r = readFilter(text, sqlBackend(c));
  return r.ok ? { ok: true, sql: r.value } : r;
}
