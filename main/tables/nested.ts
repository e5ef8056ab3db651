/**
 * Fields inside nested values (Velociraptor's `Fields`, `EventData`, arrays of dicts...) made
 * into columns of their own: `Fields.Name`, `Tags[0]`, `EventData.Extra["a b"]`. Such a column
 * is an expression of the table's `data` view (table.ts) over the nested column it comes from,
 * so filters, sorts, groups, value counts, the chart, the SQL box and exports treat it like any
 * other column, and removing it is redefining the view. Its type comes from all of its values
 * (json_type over every row): numbers, booleans and times when every value is one, nested
 * values as JSON, text otherwise, the way a loaded column is typed (load.ts).
 *
 * Paths are JSON pointers (RFC 6901: `/Extra/Deep/0/K`), which DuckDB's JSON functions take,
 * so any key works (spaces, dots, quotes, slashes); an index reads an array, a key an object.
 * A nested column of another type than JSON (a STRUCT or a LIST of Parquet, a MAP) is read
 * through to_json, and a text column through its cells that are JSON (Velociraptor's CSV
 * writes a dict as its JSON text).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableFieldKeys, TableFieldPath } from '../ipc/contract.ts';
import { epochScaleOf, mayBeEpoch, presentedType, type ColumnModel } from './columns.ts';
import { readRows } from './query.ts';
import { ident, lit } from './sql-text.ts';

/** A column made from a field of a nested column: its SQL in the `data` view. */
export interface DerivedColumn extends ColumnModel {
  /** The expression over `data_rows`'s columns. */
  readonly expr: string;
  readonly derived: { readonly from: string; readonly path: TableFieldPath };
}

/** Deepest path accepted. */
export const MAX_DEPTH = 32;
/** Keys listed per level (the rest are counted). */
export const MAX_KEYS = 500;

/** json_type's names as the key list shows them. */
const TYPE_NAMES: Record<string, string> = { OBJECT: 'object', ARRAY: 'array', VARCHAR: 'text', BIGINT: 'integer', UBIGINT: 'integer', DOUBLE: 'number', BOOLEAN: 'bool', NULL: 'null' };

/** An error for the person: which column and what is wrong. */
export class FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldError';
  }
}

/** The path checked: object keys (text) and array indices (whole numbers from 0). */
export function checkPath(path: unknown): TableFieldPath {
  if (!Array.isArray(path)) throw new FieldError('the path of a field is a list of keys and array indices, like ["Fields", "Name"]');
  if (path.length > MAX_DEPTH) throw new FieldError(`a field path has at most ${MAX_DEPTH} steps`);
  return path.map((p) => {
    if (typeof p === 'string' && p.length <= 1000) return p;
    if (typeof p === 'number' && Number.isSafeInteger(p) && p >= 0) return p;
    throw new FieldError(`${JSON.stringify(p)?.slice(0, 40)} is not a key (text) or an array index (a whole number from 0)`);
  });
}

const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/** A field's column name: `Fields.Name`, `Tags[0]`, `Fields["a b"]`. */
export function fieldName(parent: string, path: TableFieldPath): string {
  return parent + path.map((p) => (typeof p === 'number' ? `[${p}]` : PLAIN_KEY.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join('');
}

/** The path as a JSON pointer (`~` and `/` escaped). */
export function pointer(path: TableFieldPath): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/**
 * True for columns whose values may hold fields: JSON, STRUCT, MAP, LIST, and text, whose cells
 * may be JSON text (Velociraptor's CSV writes a dict as its JSON).
 */
export function isNested(c: ColumnModel): boolean {
  return c.type === 'json' || (c.type === 'text' && /^VARCHAR$/i.test(c.sqlType));
}

/** A nested column as JSON (text that is not JSON is NULL). */
function jsonOf(c: ColumnModel): string {
  const x = ident(c.name);
  if (/^JSON$/i.test(c.sqlType)) return x;
  if (/^VARCHAR$/i.test(c.sqlType)) return `(CASE WHEN json_valid(${x}) THEN CAST(${x} AS JSON) END)`;
  return `to_json(${x})`;
}

/** The JSON value at `path` of the nested column `base` (the column itself for an empty path). */
export function fieldJson(base: ColumnModel, path: TableFieldPath): string {
  return path.length ? `json_extract(${jsonOf(base)}, ${lit(pointer(path))})` : jsonOf(base);
}

/** Where a field's path starts: the loaded column it is read from, and the whole path from it. */
export function rootOf(columns: readonly ColumnModel[], c: ColumnModel, path: TableFieldPath): { base: ColumnModel; path: TableFieldPath } {
  const d = (c as Partial<DerivedColumn>).derived;
  if (!d) return { base: c, path };
  const base = columns.find((x) => x.name === d.from);
  if (!base) throw new FieldError(`${c.name} comes from ${d.from}, which is not in this table`);
  return { base, path: [...d.path, ...path] };
}

/**
 * The column for the field at `path` of `base` in `from` (the table's rows): typed from every
 * value. `name` is the column's name (already made unique by the caller).
 */
export async function deriveColumn(conn: DuckDBConnection, from: string, base: ColumnModel, path: TableFieldPath, name: string): Promise<DerivedColumn> {
  if (!path.length) throw new FieldError(`choose a key or an index inside ${base.name}`);
  const j = fieldJson(base, path);
  const ptr = lit(pointer(path));
  const text = `json_extract_string(${jsonOf(base)}, ${ptr})`;
  const { rows } = await readRows(conn, `SELECT
      count_if(t IN ('BIGINT', 'UBIGINT')), count_if(t = 'DOUBLE'), count_if(t = 'BOOLEAN'), count_if(t = 'VARCHAR'), count_if(t IN ('OBJECT', 'ARRAY')),
      count_if(t IN ('BIGINT', 'UBIGINT') AND TRY_CAST(v AS BIGINT) IS NULL),
      count_if(t = 'VARCHAR' AND regexp_matches(s, '^\\d{4}-\\d\\d-\\d\\d') AND TRY_CAST(s AS TIMESTAMPTZ) IS NOT NULL)
    FROM (SELECT v, json_type(v) AS t, CASE WHEN json_type(v) = 'VARCHAR' THEN json_extract_string(v, '$') END AS s FROM (SELECT ${j} AS v FROM ${from}))`);
  const [ints, dbls, bools, strs, nested, bigInts, times] = rows[0]!.map(Number) as [number, number, number, number, number, number, number];
  if (base.type === 'text' && ints + dbls + bools + strs + nested === 0) throw new FieldError(`no cell of ${base.name} is JSON with ${fieldName('', path).replace(/^\./, '')} in it: only JSON text has fields to expand`);
  let expr: string;
  let sqlType: string;
  if (nested > 0) [expr, sqlType] = [j, 'JSON'];
  else if (strs > 0 && strs === times && ints + dbls + bools === 0) [expr, sqlType] = [`TRY_CAST(${text} AS TIMESTAMPTZ)`, 'TIMESTAMP WITH TIME ZONE'];
  else if (strs > 0 || (bools > 0 && ints + dbls > 0)) [expr, sqlType] = [text, 'VARCHAR'];
  else if (bools > 0) [expr, sqlType] = [`TRY_CAST(${j} AS BOOLEAN)`, 'BOOLEAN'];
  else if (dbls > 0) [expr, sqlType] = [`TRY_CAST(${j} AS DOUBLE)`, 'DOUBLE'];
  else if (ints > 0) [expr, sqlType] = bigInts ? [`TRY_CAST(${j} AS HUGEINT)`, 'HUGEINT'] : [`TRY_CAST(${j} AS BIGINT)`, 'BIGINT'];
  else [expr, sqlType] = [text, 'VARCHAR']; // no value anywhere: an empty text column
  const col: DerivedColumn = { name, sqlType, type: presentedType(sqlType), expr, derived: { from: base.name, path } };
  if (mayBeEpoch(name, sqlType)) {
    const mm = await readRows(conn, `SELECT CAST(min(x) AS DOUBLE), CAST(max(x) AS DOUBLE) FROM (SELECT ${expr} AS x FROM ${from})`);
    const scale = epochScaleOf(mm.rows[0]![0] as number | null, mm.rows[0]![1] as number | null);
    if (scale) return { ...col, type: 'timestamp', epochScale: scale };
  }
  return col;
}

/**
 * The keys (of objects) and indices (of arrays) found at `path` of `base` over the rows of
 * `from`, with how many rows have each and the JSON types of their values: what "Expand field"
 * offers.
 */
export async function fieldKeys(conn: DuckDBConnection, from: string, column: string, base: ColumnModel, path: TableFieldPath, limit = MAX_KEYS): Promise<TableFieldKeys> {
  const n = Math.min(MAX_KEYS, Math.max(1, Math.floor(Number(limit) || MAX_KEYS)));
  const j = fieldJson(base, path);
  // Keys in the order they are first met (file order), so Velociraptor's column order shows.
  const objs = await readRows(conn, `SELECT key, min(r * 1048576 + least(pos, 1048575)) AS first, count(*) AS rows, array_to_string(list(DISTINCT t ORDER BY t), ',') AS types, count(*) OVER () AS keys
    FROM (SELECT r, key, pos, json_type(v, '/' || replace(replace(key, '~', '~0'), '/', '~1')) AS t
          FROM (SELECT r, v, unnest(json_keys(v)) AS key, unnest(range(len(json_keys(v)))) AS pos FROM (SELECT _row AS r, ${j} AS v FROM ${from}) WHERE json_type(v) = 'OBJECT'))
    GROUP BY key ORDER BY first, key LIMIT ${n}`);
  const arrs = await readRows(conn, `SELECT i, count(*) AS rows, array_to_string(list(DISTINCT t ORDER BY t), ',') AS types
    FROM (SELECT i, json_type(v, '/' || i) AS t
          FROM (SELECT v, unnest(range(least(json_array_length(v), ${n})::BIGINT)) AS i FROM (SELECT ${j} AS v FROM ${from}) WHERE json_type(v) = 'ARRAY'))
    GROUP BY i ORDER BY i`);
  const counts = await readRows(conn, `SELECT count_if(json_type(v) = 'OBJECT'), count_if(json_type(v) = 'ARRAY'), count(v) FROM (SELECT ${j} AS v FROM ${from})`);
  const [objects, arrays, values] = counts.rows[0]!.map(Number) as [number, number, number];
  const typesOf = (x: unknown) => [...new Set(String(x ?? '').split(',').filter(Boolean).map((t) => TYPE_NAMES[String(t)] ?? String(t).toLowerCase()))];
  const keys: TableFieldKeys['keys'] = [
    ...objs.rows.map((r) => ({ key: String(r[0]), rows: Number(r[2]), types: typesOf(r[3]) })),
    ...arrs.rows.map((r) => ({ key: Number(r[0]), rows: Number(r[1]), types: typesOf(r[2]) })),
  ].slice(0, n);
  const totalKeys = Number(objs.rows[0]?.[4] ?? 0) + arrs.rows.length;
  return { column, path, objects, arrays, values, keys, more: Math.max(0, totalKeys - keys.length) };
}
