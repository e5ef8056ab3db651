/**
 * Views of a loaded table: a spec (per-column filters in the page's filter language, values
 * kept or excluded, a search across columns, tagged rows only, sort keys) compiled to a WHERE
 * condition and an ORDER BY with the page's sort rules (numbers by value, text case-folded,
 * empty cells last in both directions, ties in file order). A view is materialized as its own
 * table in that order (`CREATE TABLE ... ORDER BY`), so a window anywhere in it is a range of
 * row ids read from zone maps: scrolling a sorted ten-million-row result is a few milliseconds.
 */
import type { TableCell, TableViewSpec } from '../ipc/contract.ts';
import { cellSql, emptySql, type ColumnModel } from './columns.ts';
import { containsSql, filterSql } from './filter-sql.ts';
import { ident, lit, num } from './sql-text.ts';

/** A spec that cannot be compiled: the message says which column and what is wrong. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

export interface CompiledView {
  /** NULL-free condition, or null for every row. */
  where: string | null;
  /** ORDER BY list (always ends with `_row`, so the order is total). */
  order: string;
  /** Whether the order is file order (no sort keys). */
  fileOrder: boolean;
}

function column(columns: readonly ColumnModel[], name: unknown, what: string): ColumnModel {
  const c = typeof name === 'string' ? columns.find((x) => x.name === name) : undefined;
  if (!c) throw new SpecError(`${what}: no column ${JSON.stringify(name)} in this table`);
  return c;
}

/** The page's sort key of a column: numbers and times by value, booleans as 0/1, text (and nested values) case-folded. */
function sortKey(c: ColumnModel): string {
  const x = ident(c.name);
  if (c.type === 'text' || c.type === 'json') return `lower(${cellSql(c)})`;
  return x;
}

/** `x = value` for a cell value as a window returns it. */
export function valueSql(c: ColumnModel, value: TableCell): string {
  if (value === null) return `(${ident(c.name)} IS NULL)`;
  const cell = cellSql(c);
  if (typeof value === 'string') return `coalesce(CAST(${cell} AS VARCHAR) = ${lit(value)}, false)`;
  if (typeof value === 'number') return `coalesce(CAST(${cell} AS DOUBLE) = ${num(value)}, false)`;
  if (typeof value === 'boolean') return `coalesce(CAST(${cell} AS BOOLEAN) = ${value ? 'TRUE' : 'FALSE'}, false)`;
  throw new SpecError(`a value to keep or exclude must be text, a number, true/false or null`);
}

/** Compiles a view spec against the table's columns. */
export function compileView(spec: TableViewSpec, columns: readonly ColumnModel[]): CompiledView {
  if (!spec || typeof spec !== 'object') throw new SpecError('a view needs a spec object: { sort?, filters?, values?, search?, taggedOnly? }');
  const where: string[] = [];
  for (const f of spec.filters ?? []) {
    const c = column(columns, f?.column, 'filter');
    if (typeof f.text !== 'string') throw new SpecError(`filter on ${c.name}: the filter must be text`);
    const r = filterSql(f.text, c);
    if (!r.ok) throw new SpecError(`${c.name}: ${r.error}`);
    if (r.sql) where.push(r.sql);
  }
  for (const v of spec.values ?? []) {
    const c = column(columns, v?.column, 'value');
    const eq = valueSql(c, v.value);
    where.push(v.exclude ? `(NOT ${eq})` : eq);
  }
  const needle = typeof spec.search?.text === 'string' ? spec.search.text.trim() : '';
  if (needle) {
    const cols = (spec.search!.columns ?? []).map((n) => column(columns, n, 'search'));
    where.push(cols.length ? `(${cols.map((c) => containsSql(needle, c)).join(' OR ')})` : 'false');
  }
  if (spec.taggedOnly) where.push('(_row IN (SELECT _row FROM tags))');
  const keys = (spec.sort ?? []).map((k) => {
    const c = column(columns, k?.column, 'sort');
    return `${emptySql(c)}, ${sortKey(c)} ${k.desc ? 'DESC' : 'ASC'}`;
  });
  return { where: where.length ? where.join(' AND ') : null, order: [...keys, '_row'].join(', '), fileOrder: keys.length === 0 };
}
