/**
 * The columns of a loaded table as the grid sees them, and the SQL that gives each cell the
 * same value, number and text that the page's table (renderer/lib/table) gives it, so that a
 * filter, a search or a sort over DuckDB agrees with what a person sees on screen:
 *
 * - `cell`: what a window returns (timestamps as epoch milliseconds, like the page's
 *   `timestamp` columns; nested values as JSON text the handler parses).
 * - `num`: the cell as a number (cellNumber in renderer/lib/table/filter.ts): numbers, booleans
 *   as 0/1, numeric text the way JavaScript's Number() reads it.
 * - `text`: the cell's text (cellText in renderer/lib/table/cell-text.ts): numbers the way
 *   JavaScript's String() writes them, times as ISO 8601 UTC with milliseconds.
 * - `time`: epoch milliseconds of a timestamp column.
 *
 * The macros (`js_number`, `js_text`) are created in every table's database by engine.ts.
 *
 * Times in text (`isoTimeSql`): what DuckDB's cast to TIMESTAMPTZ takes, and also a time to the
 * minute with a zone (`2024-01-02T03:04-01:30`, `...03:04Z`), which the page's importer read
 * as a time and DuckDB's cast and CSV sniffer do not.
 */
import { ident } from './sql-text.ts';
import { EPOCH_MILLIS, EPOCH_SECONDS, TIME_NAME } from '../../renderer/lib/table/time.ts';
import type { TableColumn, TableColumnType } from '../ipc/contract.ts';

/** A column of a loaded table: its DuckDB type and how it is presented. */
export interface ColumnModel extends TableColumn {
  /** For a number column presented as a time: milliseconds per unit (1000 for epoch seconds, 1 for ms). */
  readonly epochScale?: number;
}

/** JavaScript's whitespace for String.prototype.trim, as an RE2 class. */
const JS_SPACE = '[\\s\\x{0B}\\x{A0}\\x{FEFF}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]';

/**
 * SQL macros giving JavaScript's number <-> text conversions (created once per database).
 * js_text(x): String(x) for a DOUBLE (DuckDB writes `1.0`, `1e-07`, `inf`; JavaScript `1`,
 * `1e-7`, `Infinity`, and fixed notation from 1e-6 to 1e21). js_number(s): Number(s) for text,
 * NULL when it is not a finite number (as asNumber in filter.ts: blank text is not a number).
 */
export const MACROS: readonly string[] = [
  // Digits and the exponent of the first digit, from DuckDB's shortest round-trip text.
  `CREATE OR REPLACE MACRO js_sci(s) AS regexp_extract(s, '^(-?)(\\d+)(?:\\.(\\d+))?(?:e([+-]\\d+))?$', ['sign', 'int', 'frac', 'exp'])`,
  `CREATE OR REPLACE MACRO js_fmt(sign, digits, e) AS sign || CASE
     WHEN e >= 21 OR e <= -7 THEN left(digits, 1) || CASE WHEN length(digits) > 1 THEN '.' || substr(digits, 2) ELSE '' END || 'e' || CASE WHEN e > 0 THEN '+' ELSE '-' END || CAST(abs(e) AS VARCHAR)
     WHEN e < 0 THEN '0.' || repeat('0', CAST(-e - 1 AS BIGINT)) || digits
     WHEN length(digits) <= e + 1 THEN digits || repeat('0', CAST(e + 1 - length(digits) AS BIGINT))
     ELSE left(digits, CAST(e + 1 AS BIGINT)) || '.' || substr(digits, CAST(e + 2 AS BIGINT)) END`,
  // A DuckDB text without an exponent: its exponent is the length of the integer part minus one (or the position of the first non-zero fraction digit).
  `CREATE OR REPLACE MACRO js_sci_text(p) AS CASE
     WHEN p.exp <> '' THEN js_fmt(p.sign, rtrim(p.int || p.frac, '0'), CAST(p.exp AS BIGINT) + length(p.int) - 1)
     WHEN ltrim(p.int, '0') <> '' THEN js_fmt(p.sign, rtrim(ltrim(p.int, '0') || p.frac, '0'), length(ltrim(p.int, '0')) - 1)
     ELSE js_fmt(p.sign, rtrim(ltrim(p.frac, '0'), '0'), -(length(p.frac) - length(ltrim(p.frac, '0'))) - 1) END`,
  `CREATE OR REPLACE MACRO js_text(x) AS CASE
     WHEN x IS NULL THEN NULL
     WHEN isnan(CAST(x AS DOUBLE)) THEN 'NaN'
     WHEN isinf(CAST(x AS DOUBLE)) THEN CASE WHEN x > 0 THEN 'Infinity' ELSE '-Infinity' END
     WHEN x = 0 THEN '0'
     WHEN x = trunc(x) AND abs(x) < 9007199254740992 THEN CAST(CAST(x AS BIGINT) AS VARCHAR)
     ELSE js_sci_text(js_sci(CAST(CAST(x AS DOUBLE) AS VARCHAR))) END`,
  `CREATE OR REPLACE MACRO js_number_t(t) AS CASE
     WHEN regexp_full_match(t, '[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?') THEN (CASE WHEN isfinite(TRY_CAST(t AS DOUBLE)) THEN TRY_CAST(t AS DOUBLE) END)
     WHEN regexp_full_match(t, '0[xX][0-9a-fA-F]+') THEN CAST(coalesce(TRY_CAST(t AS BIGINT), TRY_CAST(t AS UBIGINT)) AS DOUBLE)
     ELSE NULL END`,
  `CREATE OR REPLACE MACRO js_number(s) AS js_number_t(regexp_replace(s, '^${JS_SPACE}+|${JS_SPACE}+$', '', 'g'))`,
];

/** Text that begins like an ISO 8601 date and time (to the minute at least). */
export const ISO_TIME_START = '^\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d';

/**
 * The text `x` (SQL) as a TIMESTAMPTZ, NULL when it is not a time; a time to the minute with a
 * zone gets its seconds. The rewrite is tried only where the plain cast gave NULL (DuckDB's
 * coalesce evaluates its next argument for those rows alone): a column of ordinary times costs
 * the cast alone (a regexp_replace on every value tripled it).
 */
export function isoTimeSql(x: string): string {
  return `coalesce(TRY_CAST(${x} AS TIMESTAMPTZ), TRY_CAST(regexp_replace(${x}, '^(\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d)([Zz]|[+-]\\d\\d(?::?\\d\\d)?)$', '\\1:00\\2') AS TIMESTAMPTZ))`;
}

/** How a DuckDB type is presented (before epoch detection, which needs the values). */
export function presentedType(sqlType: string): TableColumnType {
  const t = sqlType.toUpperCase();
  if (t === 'BOOLEAN') return 'bool';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/.test(t)) return 'number';
  if (/^(TIMESTAMP|DATE$)/.test(t)) return 'timestamp';
  if (/^(STRUCT|MAP|UNION|JSON)/.test(t) || /\[\d*\]$/.test(t)) return 'json';
  return 'text';
}

/** True for numeric DuckDB types whose column may be an epoch time (its name says time). */
export function mayBeEpoch(name: string, sqlType: string): boolean {
  return presentedType(sqlType) === 'number' && TIME_NAME.test(name) && !/^(DECIMAL|HUGEINT|UHUGEINT)/i.test(sqlType);
}

/** The epoch scale when every value of the column lies in the epoch-seconds or -milliseconds range, else 0 (as numberKind in renderer/lib/csv/infer.ts). */
export function epochScaleOf(min: number | null, max: number | null): number {
  if (min === null || max === null) return 0;
  if (min >= EPOCH_SECONDS[0] && max < EPOCH_SECONDS[1]) return 1000;
  if (min >= EPOCH_MILLIS[0] && max < EPOCH_MILLIS[1]) return 1;
  return 0;
}

/** The column as the window returns it. */
export function cellSql(c: ColumnModel): string {
  const x = ident(c.name);
  if (c.type === 'timestamp') return timeSql(c)!;
  if (c.type === 'json') return `CAST(to_json(${x}) AS VARCHAR)`;
  if (c.type === 'text' && c.sqlType.toUpperCase() !== 'VARCHAR') return `CAST(${x} AS VARCHAR)`;
  if (/^DECIMAL/i.test(c.sqlType)) return `CAST(${x} AS DOUBLE)`;
  return x;
}

/** Epoch milliseconds (DOUBLE) of a timestamp column, else null. */
export function timeSql(c: ColumnModel): string | null {
  if (c.type !== 'timestamp') return null;
  const x = ident(c.name);
  if (c.epochScale) return `(CAST(${x} AS DOUBLE) * ${c.epochScale})`;
  // epoch_us keeps sub-millisecond precision that the page's numbers would keep too.
  if (/^DATE$/i.test(c.sqlType)) return `CAST(epoch_ms(CAST(${x} AS TIMESTAMP)) AS DOUBLE)`;
  return `(CAST(epoch_us(${x}) AS DOUBLE) / 1000)`;
}

/** The cell as a number (cellNumber), NULL when it is not one. */
export function numSql(c: ColumnModel): string {
  const x = ident(c.name);
  switch (c.type) {
    case 'number':
      return `(CASE WHEN isnan(CAST(${x} AS DOUBLE)) THEN NULL ELSE CAST(${x} AS DOUBLE) END)`;
    case 'timestamp':
      return timeSql(c)!;
    case 'bool':
      return `CAST(${x} AS DOUBLE)`;
    case 'text':
      return `js_number(${cellSql(c)})`;
    default:
      return 'CAST(NULL AS DOUBLE)';
  }
}

/** The cell's text (cellText); NULL for a null cell. */
export function textSql(c: ColumnModel): string {
  const x = ident(c.name);
  switch (c.type) {
    case 'number':
      // Integers: their exact digits (what String() gives below 2^53, and what a window returns as text above it).
      if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/i.test(c.sqlType)) return `CAST(${x} AS VARCHAR)`;
      return `js_text(CAST(${x} AS DOUBLE))`;
    case 'timestamp':
      return `strftime(make_timestamp(CAST(floor(${timeSql(c)}) AS BIGINT) * 1000), '%Y-%m-%dT%H:%M:%S.%gZ')`;
    case 'bool':
      return `CAST(${x} AS VARCHAR)`;
    default:
      return cellSql(c);
  }
}

/** True for the cells the page treats as empty (isEmptyCell): null, '' and NaN. */
export function emptySql(c: ColumnModel): string {
  const x = ident(c.name);
  if (c.type === 'number') return `(${x} IS NULL OR isnan(CAST(${x} AS DOUBLE)))`;
  if (c.type === 'text') return `(${x} IS NULL OR CAST(${x} AS VARCHAR) = '')`;
  return `(${x} IS NULL)`;
}
