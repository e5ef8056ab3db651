/**
 * Opening a source into a table's database: its rows go into the table `data_rows` in `_row`
 * order (file order, or time order for monitoring logs) with the source's columns and the
 * types DuckDB infers, and the view `data` adds `_row` (1-based), which is the row's position:
 * `rowid + 1`. A table created from an ordered scan keeps the scan's order (DuckDB's
 * preserve_insertion_order), and a table nothing is deleted from has rowids 0..N-1 in that
 * order; numbering rows while loading (`row_number() OVER ()`) cost a quarter of a CSV load
 * and serialized it. A fast preview (`preview`, the first rows) comes first, so the grid shows
 * rows before the load ends; progress is polled from DuckDB; the load is cancelled by
 * interrupting the connection. The source is only read.
 *
 * Problems are never lost (issue item 3):
 * - A column DuckDB typed from its sample but that holds other values further down (a number
 *   column with `abc` at row 900,000) is read again as text: no value is dropped, and a note
 *   says which column and where.
 * - Malformed CSV records (ragged, bad quotes, a quote inside an unquoted field, invalid
 *   UTF-8, an over-long line) and JSON lines that do not parse are listed with file, line and
 *   reason, and kept as rows at their place in file order, their text in a `_raw` column
 *   (placement.ts finds the place).
 * - When DuckDB cannot work out the CSV at all from its sample, every column is read as text
 *   and typed afterwards from all of its values.
 * - JSON is read by DuckDB's reader in strict mode, which fails (rather than dropping a key or
 *   nulling a value) when a row has a key or a type its sample did not see; the file is then
 *   read again with every row sampled, and when a line does not parse, line by line as raw
 *   JSON (loadJsonRaw) so that the line is kept as a problem row.
 */
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { basename } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableProblem } from '../ipc/contract.ts';
import { epochScaleOf, mayBeEpoch, presentedType, type ColumnModel } from './columns.ts';
import { headOf, sniffFile, type Sniffed } from './dialect.ts';
import { placeRejected, type Placement } from './placement.ts';
import { Cancelled, readRows, scalar, tracked, type Tracking } from './query.ts';
import { ident, lit } from './sql-text.ts';

/** The table the rows are loaded into, in `_row` order, without `_row` (see `data`). */
export const ROWS_TABLE = 'data_rows';

/** The view every request reads: the rows with their number, `_row` = position + 1. */
const DATA_VIEW = `CREATE VIEW data AS SELECT rowid + 1 AS _row, * FROM ${ROWS_TABLE}`;

/** Rows of the preview shown while the rest loads. */
export const PREVIEW_ROWS = 1000;
/** Longest CSV line (bytes) read as a record; a longer one is a problem row. */
export const MAX_LINE_BYTES = 2 * 2 ** 20;
/**
 * Problem rows go between the good rows by copying the good rows range by range (two statements
 * a place, a few ms) when there are at most FEW_PLACES places or one per ROWS_PER_PLACE rows;
 * otherwise by one sort of the whole table (about 1.5 s per million rows on two cores).
 */
const FEW_PLACES = 20;
const ROWS_PER_PLACE = 2000;
/** Most problems listed per table (the rows are all kept; the list says how many more). */
export const MAX_PROBLEMS = 100_000;

/** One day file (or part) of a monitoring log. */
export interface LogFile {
  readonly path: string;
  /** Index of its day in the range (files of earlier days come first). */
  readonly day: number;
}

export type LoadSource = { kind: 'file'; path: string } | { kind: 'logs'; files: readonly LogFile[] };

export interface LoadHooks extends Tracking {
  /** Progress of the load (phase names a step). */
  readonly progress: (phase: string, fraction: number | null, rows: number) => void;
  /** The preview table is there: the grid may ask for its rows. */
  readonly previewReady: (columns: ColumnModel[], rows: number) => void;
}

export interface LoadResult {
  columns: ColumnModel[];
  rowCount: number;
  problems: TableProblem[];
  /** Problems past MAX_PROBLEMS (their rows are kept). */
  moreProblems: number;
  /** Notes on how the source was read (columns read as text, ...). */
  notes: string[];
  /** What the source turned out to be. */
  format: string;
  /** A CSV file to scan for quotes inside unquoted fields after the load (scanQuotes). */
  quoteScan?: { path: string; sniffed: Sniffed };
}

/** An error whose message is for the person who opened the file. */
export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

/** The columns of `table` (without `_row`) as the grid presents them; epoch columns found from their values. */
export async function describeColumns(conn: DuckDBConnection, table: string): Promise<ColumnModel[]> {
  const desc = await readRows(conn, `SELECT column_name, column_type FROM (DESCRIBE ${ident(table)})`);
  const cols: ColumnModel[] = desc.rows.filter((r) => r[0] !== '_row').map((r) => ({ name: String(r[0]), sqlType: String(r[1]), type: presentedType(String(r[1])) }));
  const epochs = cols.filter((c) => mayBeEpoch(c.name, c.sqlType));
  if (epochs.length) {
    const { rows } = await readRows(conn, `SELECT ${epochs.map((c) => `CAST(min(${ident(c.name)}) AS DOUBLE), CAST(max(${ident(c.name)}) AS DOUBLE)`).join(', ')} FROM ${ident(table)}`);
    epochs.forEach((c, i) => {
      const scale = epochScaleOf(rows[0]![2 * i] as number | null, rows[0]![2 * i + 1] as number | null);
      if (scale) Object.assign(c, { type: 'timestamp', epochScale: scale });
    });
  }
  return cols;
}

interface CsvFile {
  path: string;
  sniffed: Sniffed;
  /** Velociraptor's CSV (our monitoring logs): every cell is text to decode. */
  velociraptor: boolean;
}

let tableSeq = 0;
const fresh = (prefix: string) => `${prefix}_${++tableSeq}`;

function csvArgs(f: CsvFile, rejects: { table: string; scan: string } | null, extra: string[] = []): string {
  const args = [
    lit(f.path),
    `delim=${lit(f.sniffed.delimiter)}`,
    `quote='"'`,
    `escape='"'`,
    'header=true',
    `compression=${f.sniffed.gzip ? "'gzip'" : "'none'"}`,
    `max_line_size=${MAX_LINE_BYTES}`,
    ...(rejects ? ['store_rejects=true', `rejects_table=${lit(rejects.table)}`, `rejects_scan=${lit(rejects.scan)}`] : ['ignore_errors=true']),
    ...extra,
  ];
  return `read_csv(${args.join(', ')})`;
}

/** Column names the engine gives a meaning: `_row`, `_raw`, and `rowid` (a column of that name would hide DuckDB's row id). */
const RESERVED = ['_row', '_raw', 'rowid'];

/** The header's names made unique the way DuckDB would not confuse them (case-insensitive), `_row`/`_raw`/`rowid` renamed. */
export function uniqueNames(header: readonly string[]): string[] {
  const seen = new Set<string>(RESERVED);
  return header.map((h, i) => {
    let name = h.trim() === '' ? `column${i}` : h;
    const base = name;
    for (let k = 1; seen.has(name.toLowerCase()); k++) name = `${base}_${k}`;
    seen.add(name.toLowerCase());
    return name;
  });
}

const SNIFF_FAILED = /sniff|automatically detect|dialect/i;

/** Reason of a rejected record from DuckDB's error rows for it. */
function reasonOf(errors: Array<{ type: string; message: string }>): string {
  const names: Record<string, string> = {
    'TOO MANY COLUMNS': 'too many fields',
    'MISSING COLUMNS': 'too few fields',
    'UNQUOTED VALUE': 'a quote inside an unquoted field, or text after a closing quote',
    'INVALID ENCODING': 'invalid UTF-8',
    'INVALID UNICODE': 'invalid UTF-8',
    'LINE SIZE OVER MAXIMUM': `a line longer than ${MAX_LINE_BYTES / 2 ** 20} MiB`,
    'UNTERMINATED QUOTE': 'a quote that is never closed',
  };
  const first = errors[0]!;
  return `${names[first.type] ?? first.type.toLowerCase()}: ${first.message}`;
}

/**
 * Reads one CSV file into `target` (its columns, rows in file order): the typed read, then columns that did not
 * fit their sampled type read as text, then malformed records placed. Returns its problems.
 */
async function loadCsv(conn: DuckDBConnection, f: CsvFile, target: string, hooks: LoadHooks, notes: string[]): Promise<TableProblem[]> {
  const asText = new Set<string>();
  let rejects = { table: fresh('rej'), scan: fresh('scan') };
  let typed = !f.velociraptor;
  const names = uniqueNames(f.sniffed.header);
  const renamed = names.some((n, i) => n !== f.sniffed.header[i]);
  for (let attempt = 0; ; attempt++) {
    rejects = { table: fresh('rej'), scan: fresh('scan') };
    const extra: string[] = [];
    if (!typed) extra.push('auto_detect=false', `columns={${names.map((n) => `${lit(n)}: 'VARCHAR'`).join(', ')}}`);
    else {
      if (renamed) extra.push(`names=[${names.map(lit).join(', ')}]`);
      if (asText.size) extra.push(`types={${[...asText].map((n) => `${lit(n)}: 'VARCHAR'`).join(', ')}}`);
    }
    try {
      await tracked(conn, `CREATE OR REPLACE TABLE ${ident(target)} AS SELECT * FROM ${csvArgs(f, rejects, extra)}`, {
        ...hooks,
        onProgress: (fr, rows) => hooks.progress('reading', fr, rows),
      });
    } catch (e) {
      if (typed && (SNIFF_FAILED.test((e as Error).message) || /Maximum line size/i.test((e as Error).message))) {
        typed = false;
        notes.push(`${basename(f.path)}: DuckDB could not work out the file from its first rows; every column was read as text, then typed from all of its values`);
        continue;
      }
      throw e;
    }
    if (!typed) break;
    // A value of another type in a record that is malformed anyway (too many fields) is that record's problem, not its column's.
    const casts = await readRows(conn, `SELECT column_name, min(line), arg_min(csv_line, line) FROM ${ident(rejects.table)} WHERE error_type = 'CAST'
        AND line_byte_position NOT IN (SELECT line_byte_position FROM ${ident(rejects.table)} WHERE error_type <> 'CAST') GROUP BY column_name ORDER BY 2`);
    if (!casts.rows.length) break;
    for (const [col, line] of casts.rows) {
      asText.add(String(col));
      notes.push(`${basename(f.path)}: column ${JSON.stringify(col)} has values of another type from line ${line} on: the whole column is text, no value is lost`);
    }
    if (attempt >= 2) {
      typed = false;
      asText.clear();
    }
  }
  if (!typed) await retype(conn, target, f.velociraptor);
  return placeProblems(conn, f, target, rejects.table, hooks, notes);
}

/** The errors DuckDB listed for the records it left out, placed back as rows with their text in `_raw`. */
/** Files whose records were scanned during the load (placement.ts): their quote problems are known. */
const scanned = new Set<string>();

/** Records read as text although a quote stands inside an unquoted field (the value is kept as it is). */
export function bareQuoteProblems(file: string, found: Placement['bareQuotes']): TableProblem[] {
  return found.map((q) => ({ file, line: q.line, reason: 'a quote inside an unquoted field: the field is read as the text it is', row: q.record }));
}

/**
 * The quote problems of a CSV file loaded without rejects (DuckDB accepts a quote inside an
 * unquoted field; a scan finds them), or none when the load scanned it already.
 */
export async function scanQuotes(path: string, s: Sniffed, signal?: AbortSignal): Promise<TableProblem[]> {
  if (scanned.delete(path)) return [];
  const p = await placeRejected(path, { gzip: s.gzip, header: true, delimiter: s.delimiter, rejectedOffsets: new Set(), signal });
  return bareQuoteProblems(path, p.bareQuotes);
}

async function placeProblems(conn: DuckDBConnection, f: CsvFile, target: string, rejTable: string, hooks: LoadHooks, notes: string[]): Promise<TableProblem[]> {
  // line_byte_position: the record's first byte (CRLF files) or the one after it (LF files); placement.ts takes either.
  const rej = await readRows(conn, `SELECT line_byte_position, error_type, error_message FROM ${ident(rejTable)} WHERE error_type <> 'CAST' ORDER BY line_byte_position`);
  if (!rej.rows.length) return [];
  hooks.progress('placing problem rows', null, 0);
  const byOffset = new Map<number, Array<{ type: string; message: string }>>();
  for (const [offset, type, message] of rej.rows) {
    const o = Number(offset);
    let list = byOffset.get(o);
    if (!list) byOffset.set(o, (list = []));
    list.push({ type: String(type), message: String(message) });
  }
  const placement = await placeRejected(f.path, { gzip: f.sniffed.gzip, header: true, delimiter: f.sniffed.delimiter, rejectedOffsets: new Set(byOffset.keys()), signal: hooks.signal });
  const loaded = Number(await scalar(conn, `SELECT count(*) FROM ${ident(target)}`));
  let placed = placement.placed;
  const file = f.path;
  if (placement.good !== loaded || placed.length !== byOffset.size) {
    // The scan and DuckDB disagree on where records are: keep the rows, after the others, and say so.
    placed = [...byOffset.keys()].map((offset) => placement.placed.find((p) => p.offset === offset) ?? { offset, line: 0, goodBefore: loaded, text: '' }).map((p) => ({ ...p, goodBefore: loaded }));
    notes.push(`${basename(file)}: the rows of its malformed records are at the end of the table (their place in the file could not be worked out)`);
  }
  await conn.run('CREATE OR REPLACE TEMP TABLE place (g BIGINT, cum BIGINT)');
  await conn.run('CREATE OR REPLACE TEMP TABLE probs (_row BIGINT, _raw VARCHAR)');
  const pa = await conn.createAppender('place');
  const pr = await conn.createAppender('probs');
  const problems: TableProblem[] = [];
  placed.forEach((p, k) => {
    pa.appendBigInt(BigInt(p.goodBefore));
    pa.appendBigInt(BigInt(k + 1));
    pa.endRow();
    const row = p.goodBefore + k + 1;
    pr.appendBigInt(BigInt(row));
    pr.appendVarchar(p.text);
    pr.endRow();
    problems.push({ file, line: p.line, reason: reasonOf(byOffset.get(p.offset) ?? [{ type: 'MALFORMED', message: 'malformed record' }]), row });
  });
  if (placed === placement.placed) problems.push(...bareQuoteProblems(file, placement.bareQuotes));
  scanned.add(file);
  pa.closeSync();
  pr.closeSync();
  const tmp = fresh('placed');
  const places = new Set(placed.map((p) => p.goodBefore)).size;
  if (places <= FEW_PLACES || places * ROWS_PER_PLACE < loaded) {
    // The good rows copied range by range, the problem rows between them: no sort of the whole table.
    await conn.run(`CREATE TABLE ${ident(tmp)} AS SELECT *, CAST(NULL AS VARCHAR) AS _raw FROM ${ident(target)} LIMIT 0`);
    let from = 0;
    for (let k = 0; k < placed.length; ) {
      const at = placed[k]!.goodBefore;
      let j = k;
      while (j + 1 < placed.length && placed[j + 1]!.goodBefore === at) j++;
      if (at > from) await tracked(conn, `INSERT INTO ${ident(tmp)} SELECT *, NULL FROM ${ident(target)} WHERE rowid >= ${from} AND rowid < ${at}`, hooks);
      await conn.run(`INSERT INTO ${ident(tmp)} BY NAME SELECT _raw FROM probs WHERE _row BETWEEN ${at + k + 1} AND ${at + j + 1} ORDER BY _row`);
      from = at;
      k = j + 1;
    }
    await tracked(conn, `INSERT INTO ${ident(tmp)} SELECT *, NULL FROM ${ident(target)} WHERE rowid >= ${from}`, hooks);
  } else {
    // Many places: good rows move down by the problem rows before them, then one sort; `_row` (a reserved name) orders, then goes.
    await tracked(conn, `CREATE TABLE ${ident(tmp)} AS SELECT * EXCLUDE (_row) FROM (
        SELECT d.* REPLACE (d._row + coalesce(p.cum, 0) AS _row), CAST(NULL AS VARCHAR) AS _raw
          FROM (SELECT rowid + 1 AS _row, * FROM ${ident(target)}) d ASOF LEFT JOIN (SELECT g, max(cum) AS cum FROM place GROUP BY g) p ON d._row > p.g
        UNION ALL BY NAME
        SELECT _row, _raw FROM probs) ORDER BY _row`, hooks);
  }
  await conn.run(`DROP TABLE ${ident(target)}`);
  await conn.run(`ALTER TABLE ${ident(tmp)} RENAME TO ${ident(target)}`);
  return problems;
}

/** Velociraptor's CSV cell as text: the protective leading space removed, `base64:` bytes decoded (when they are UTF-8). */
function decodedSql(x: string): string {
  return `(CASE WHEN ${x} IS NULL OR ${x} = '' THEN NULL WHEN starts_with(${x}, ' ') THEN substr(${x}, 2)
    WHEN starts_with(${x}, 'base64:') THEN coalesce(try(decode(from_base64(substr(${x}, 8)))), ${x}) ELSE ${x} END)`;
}

/**
 * Types the text columns of `table` from all of their values: BIGINT, DOUBLE, BOOLEAN,
 * TIMESTAMPTZ when every value is one, else text. With `velociraptor`, cells are decoded first
 * and a protected cell (leading space) is text whatever it looks like. With `onlyTimes` (JSON,
 * whose strings stay strings), only times are typed, as DuckDB's JSON reader types them.
 */
async function retype(conn: DuckDBConnection, table: string, velociraptor: boolean, onlyTimes = false): Promise<void> {
  const cols = (await readRows(conn, `SELECT column_name, column_type FROM (DESCRIBE ${ident(table)})`)).rows
    .filter((r) => r[1] === 'VARCHAR' && r[0] !== '_raw')
    .map((r) => String(r[0]));
  if (!cols.length) return;
  const checks = cols.map((c) => {
    const x = ident(c);
    const v = velociraptor ? decodedSql(x) : x;
    const plain = velociraptor ? `(${x} IS NOT NULL AND NOT starts_with(${x}, ' ') AND NOT starts_with(${x}, 'base64:'))` : `(${x} IS NOT NULL)`;
    // Only times: the other counts are zeros that are not looked at (and not computed).
    const unless = (sql: string) => (onlyTimes ? '0' : sql);
    return [
      `count(${v})`,
      unless(`count(CASE WHEN ${plain} THEN TRY_CAST(${v} AS BIGINT) END)`),
      unless(`count(CASE WHEN ${plain} THEN TRY_CAST(${v} AS DOUBLE) END)`),
      unless(`count(CASE WHEN ${plain} AND lower(${v}) IN ('true', 'false') THEN 1 END)`),
      `count(CASE WHEN ${plain} AND regexp_matches(${v}, '^\\d{4}-\\d\\d-\\d\\d') THEN TRY_CAST(${v} AS TIMESTAMPTZ) END)`,
    ].join(', ');
  });
  const { rows } = await readRows(conn, `SELECT ${checks.join(', ')} FROM ${ident(table)}`);
  const r = rows[0]!.map(Number);
  const select = cols.map((c, i) => {
    const [n, int, dbl, bool, ts] = r.slice(i * 5, i * 5 + 5) as [number, number, number, number, number];
    const x = ident(c);
    const v = velociraptor ? decodedSql(x) : x;
    const type = n === 0 ? null : onlyTimes ? (ts === n ? 'TIMESTAMPTZ' : null) : int === n ? 'BIGINT' : dbl === n ? 'DOUBLE' : bool === n ? 'BOOLEAN' : ts === n ? 'TIMESTAMPTZ' : null;
    return type || velociraptor ? `${type ? `CAST(${v} AS ${type})` : v} AS ${x}` : null;
  }).filter((x) => x !== null);
  if (!select.length) return;
  const tmp = fresh('typed');
  await conn.run(`CREATE TABLE ${ident(tmp)} AS SELECT * REPLACE (${select.join(', ')}) FROM ${ident(table)}`);
  await conn.run(`DROP TABLE ${ident(table)}`);
  await conn.run(`ALTER TABLE ${ident(tmp)} RENAME TO ${ident(table)}`);
}

/** Texts of JSON lines by their record number (non-blank lines, 1-based), with their line numbers. */
async function jsonLines(path: string, gzip: boolean, wanted: ReadonlySet<number>, signal?: AbortSignal): Promise<{ records: number; found: Map<number, { line: number; text: string }> }> {
  const found = new Map<number, { line: number; text: string }>();
  let records = 0;
  let line = 0;
  let carry = '';
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gzip ? src.pipe(createGunzip()) : src;
  const take = (text: string) => {
    line++;
    if (!/\S/.test(text)) return;
    records++;
    if (wanted.has(records)) found.set(records, { line, text: text.length > 65536 ? text.slice(0, 65536) : text.replace(/\r$/, '') });
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw new Error('cancelled');
      const text = carry + chunk.toString('utf8');
      const lines = text.split('\n');
      carry = lines.pop()!;
      for (const l of lines) take(l);
    }
    if (carry) take(carry);
  } finally {
    src.destroy();
  }
  return { records, found };
}

/** JSON structure types DuckDB cannot make a column of become JSON (nothing is dropped). */
function fixStructure(s: unknown): unknown {
  if (s === 'NULL') return 'JSON';
  if (Array.isArray(s)) return s.map(fixStructure);
  if (s && typeof s === 'object') return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, fixStructure(v)]));
  return s;
}

/**
 * Renames columns DuckDB named after the source that the engine reserves (`_row`, `_raw`,
 * `rowid`), or that meet such a name once renamed, the way uniqueNames does for a CSV header.
 */
async function renameReserved(conn: DuckDBConnection, table: string): Promise<void> {
  const names = (await readRows(conn, `SELECT column_name FROM (DESCRIBE ${ident(table)})`)).rows.map((r) => String(r[0]));
  const wanted = uniqueNames(names);
  const moved = names.map((n, i) => [n, wanted[i]!, `__renamed_${i}`] as const).filter(([n, w]) => n !== w);
  // Through temporary names, so that no rename meets a name another one is about to free.
  for (const [n, , tmp] of moved) await conn.run(`ALTER TABLE ${ident(table)} RENAME COLUMN ${ident(n)} TO ${ident(tmp)}`);
  for (const [, w, tmp] of moved) await conn.run(`ALTER TABLE ${ident(table)} RENAME COLUMN ${ident(tmp)} TO ${ident(w)}`);
}

/** Errors of DuckDB's JSON reader saying that its sample did not cover the file (a key or a type first seen later). */
const JSON_SAMPLE_MISSED = /JSON transform error|unknown key|Failed to cast|Could not convert|Conversion Error|out of range/i;
/** Errors no other way of reading JSON gets past: the file itself could not be read, or no room. */
const JSON_UNREADABLE = /gzip|inflate|zlib|decompress|No such file|Permission denied|IO Error|Out of Memory|max_temp_directory_size|No space left/i;

/**
 * A JSON array or JSON lines file of objects into `target`, by DuckDB's JSON reader in strict
 * mode, which fails rather than drop a key or null a value its sample did not foresee: first
 * with its sample (one pass, on every thread), then, when a later row did not fit, with every
 * row sampled (one more pass). When that fails too (a line that does not parse, records that
 * are not objects, a repeated key), the file is read record by record as raw JSON
 * (loadJsonRaw), which keeps such a line as a problem row at its place.
 */
async function loadJson(conn: DuckDBConnection, path: string, s: Sniffed, target: string, hooks: LoadHooks, notes: string[]): Promise<TableProblem[]> {
  const args = [lit(path), `format=${s.format === 'json' ? "'array'" : "'newline_delimited'"}`, 'records=true', `compression=${s.gzip ? "'gzip'" : "'uncompressed'"}`];
  const onProgress = (fr: number | null, rows: number) => hooks.progress('reading', fr, rows);
  for (const sample of [null, 'sample_size=-1']) {
    try {
      await tracked(conn, `CREATE OR REPLACE TABLE ${ident(target)} AS SELECT * FROM read_json(${[...args, ...(sample ? [sample] : [])].join(', ')})`, { ...hooks, onProgress });
      await renameReserved(conn, target);
      if (sample) notes.push(`${basename(path)}: rows further down have keys or types the first rows do not have: every row was read to type the columns`);
      return [];
    } catch (e) {
      if (e instanceof Cancelled || hooks.signal?.aborted) throw e;
      const m = (e as Error).message;
      if (JSON_UNREADABLE.test(m)) throw e;
      if (!JSON_SAMPLE_MISSED.test(m)) break;
    }
  }
  await conn.run(`DROP TABLE IF EXISTS ${ident(target)}`);
  return loadJsonRaw(conn, path, s, target, hooks);
}

/**
 * A JSON array or JSON lines file with every record read as raw JSON first: each object's keys
 * and types from ALL objects (a key seen once, a value of another type: none is dropped), times
 * typed as the JSON reader types them; a line that does not parse is a problem row.
 */
async function loadJsonRaw(conn: DuckDBConnection, path: string, s: Sniffed, target: string, hooks: LoadHooks): Promise<TableProblem[]> {
  const raw = fresh('jraw');
  const compression = `compression=${s.gzip ? "'gzip'" : "'uncompressed'"}`;
  const reader = s.format === 'json' ? `read_json_objects(${lit(path)}, format='array', ${compression})` : `read_ndjson_objects(${lit(path)}, ignore_errors=true, ${compression})`;
  // Record n (non-blank lines, 1-based; a line that does not parse is a NULL) is the row of rowid n - 1.
  await tracked(conn, `CREATE TABLE ${ident(raw)} AS SELECT json FROM ${reader}`, { ...hooks, onProgress: (fr, rows) => hooks.progress('reading', fr, rows) });
  hooks.progress('typing', null, 0);
  // One record of each distinct shape has the structure of all (json_group_structure over every record runs on one thread).
  const structureText = await scalar(conn, `SELECT CAST(json_group_structure(j) AS VARCHAR) FROM (SELECT any_value(json) AS j FROM ${ident(raw)} WHERE json IS NOT NULL GROUP BY json_structure(json))`);
  const structure = structureText === null ? null : fixStructure(JSON.parse(String(structureText)));
  const isObject = structure !== null && typeof structure === 'object' && !Array.isArray(structure) && Object.keys(structure).length > 0;
  const keys = isObject ? Object.keys(structure as object) : [];
  const names = uniqueNames(keys);
  const body = isObject
    ? `SELECT ${keys.map((k, i) => `json_transform(json, ${lit(JSON.stringify(structure))}).${ident(k)} AS ${ident(names[i]!)}`).join(', ')} FROM ${ident(raw)}`
    : `SELECT json AS value FROM ${ident(raw)}`;
  await tracked(conn, `CREATE OR REPLACE TABLE ${ident(target)} AS ${body}`, { ...hooks, onProgress: (fr, rows) => hooks.progress('typing', fr, rows) });
  if (isObject) await retype(conn, target, false, true);
  const bad = (await readRows(conn, `SELECT rowid + 1 FROM ${ident(raw)} WHERE json IS NULL ORDER BY 1 LIMIT ${MAX_PROBLEMS * 10}`)).rows.map((r) => Number(r[0]));
  const problems: TableProblem[] = [];
  if (bad.length) {
    hooks.progress('placing problem rows', null, 0);
    const { found } = await jsonLines(path, s.gzip, new Set(bad), hooks.signal);
    await conn.run(`ALTER TABLE ${ident(target)} ADD COLUMN _raw VARCHAR`);
    await conn.run('CREATE OR REPLACE TEMP TABLE probs (_row BIGINT, _raw VARCHAR)');
    const ap = await conn.createAppender('probs');
    for (const row of bad) {
      const f = found.get(row);
      ap.appendBigInt(BigInt(row));
      ap.appendVarchar(f?.text ?? '');
      ap.endRow();
      problems.push({ file: path, line: f?.line ?? 0, reason: 'not valid JSON', row });
    }
    ap.closeSync();
    // An update leaves every row where it is (rowids do not change).
    await conn.run(`UPDATE ${ident(target)} SET _raw = probs._raw FROM probs WHERE ${ident(target)}.rowid + 1 = probs._row`);
  }
  await conn.run(`DROP TABLE ${ident(raw)}`);
  return problems;
}

/** Bytes of the start of a text file copied for the preview. */
const PREVIEW_BYTES = 256 * 1024;

/**
 * The start of a text source (decompressed), cut after its last line end, copied into the
 * table's own folder (never next to the source): DuckDB reads it in milliseconds, where the
 * whole file would first be sampled.
 */
async function previewCopy(path: string, s: Sniffed, scratch: string): Promise<string | null> {
  const head = await headOf(path, s.gzip, PREVIEW_BYTES).catch(() => null);
  if (!head) return null;
  const end = head.length < PREVIEW_BYTES ? head.length : head.lastIndexOf(10) + 1;
  if (end <= 0) return null;
  const copy = join(scratch, `preview.${s.format === 'csv' ? 'csv' : 'jsonl'}`);
  await writeFile(copy, head.subarray(0, end));
  return copy;
}

/** A preview of the first rows (errors ignored), or nothing when even that cannot be read. */
async function preview(conn: DuckDBConnection, from: string | Promise<string | null>, hooks: LoadHooks): Promise<void> {
  try {
    const src = await from;
    if (!src) return;
    await conn.run(`CREATE OR REPLACE TABLE preview AS SELECT row_number() OVER () AS _row, * FROM ${src} LIMIT ${PREVIEW_ROWS}`);
    const n = Number(await scalar(conn, 'SELECT count(*) FROM preview'));
    hooks.previewReady(await describeColumns(conn, 'preview'), n);
  } catch {
    // The full load says what is wrong.
  }
}

function cannotRead(path: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') throw new LoadError(`${path} does not exist`);
  if (code === 'EISDIR') throw new LoadError(`${path} is a folder: open a file`);
  if (code === 'EACCES' || code === 'EPERM') throw new LoadError(`${path} cannot be read (permission denied)`);
  throw e;
}

/**
 * Loads `source` into the table `data_rows` and the view `data` of `conn`'s database (the preview
 * table `preview` first).
 * `previewConn`: a second connection for the preview, so it is not queued behind the load.
 */
export async function loadSource(conn: DuckDBConnection, previewConn: DuckDBConnection, source: LoadSource, hooks: LoadHooks, scratch: string): Promise<LoadResult> {
  const notes: string[] = [];
  let problems: TableProblem[] = [];
  let format: string;
  let quoteScan: LoadResult['quoteScan'];
  if (source.kind === 'file') {
    let s: Sniffed;
    try {
      s = await sniffFile(source.path);
    } catch (e) {
      cannotRead(source.path, e);
    }
    format = `${s.format}${s.gzip ? ' (gzip)' : ''}`;
    const p = lit(source.path);
    if (s.format === 'parquet') {
      void preview(previewConn, `read_parquet(${p})`, hooks);
      await tracked(conn, `CREATE TABLE ${ROWS_TABLE} AS SELECT * FROM read_parquet(${p})`, { ...hooks, onProgress: (fr, rows) => hooks.progress('reading', fr, rows) });
      await renameReserved(conn, ROWS_TABLE);
    } else if (s.format === 'csv') {
      const f: CsvFile = { path: source.path, sniffed: s, velociraptor: false };
      const pv = preview(previewConn, previewCopy(source.path, s, scratch).then((c) => (c ? csvArgs({ ...f, path: c, sniffed: { ...s, gzip: false } }, null) : null)), hooks);
      problems = await loadCsv(conn, f, ROWS_TABLE, hooks, notes);
      await pv;
      quoteScan = { path: source.path, sniffed: s };
    } else {
      // A JSON array cut short is no array: only JSON lines get a preview.
      const pv = s.format === 'jsonl' ? preview(previewConn, previewCopy(source.path, s, scratch).then((c) => (c ? `read_json(${lit(c)}, format='newline_delimited', ignore_errors=true)` : null)), hooks) : Promise.resolve();
      problems = await loadJson(conn, source.path, s, ROWS_TABLE, hooks, notes);
      await pv;
    }
  } else {
    format = 'monitoring log (csv)';
    problems = await loadLogs(conn, source.files, hooks, notes);
  }
  await conn.run(DATA_VIEW);
  const columns = await describeColumns(conn, 'data');
  const rowCount = Number(await scalar(conn, `SELECT count(*) FROM ${ROWS_TABLE}`));
  const moreProblems = Math.max(0, problems.length - MAX_PROBLEMS);
  return { columns, rowCount, problems: problems.slice(0, MAX_PROBLEMS), moreProblems, notes, format, ...(quoteScan ? { quoteScan } : {}) };
}

/**
 * A day range of our monitoring logs: every day file and part read as Velociraptor CSV (all text,
 * decoded), unioned by column name, typed from all values, in time order (`_ts`; ties keep day,
 * part and file order; a row without `_ts` stays after the row before it).
 */
async function loadLogs(conn: DuckDBConnection, files: readonly LogFile[], hooks: LoadHooks, notes: string[]): Promise<TableProblem[]> {
  if (!files.length) throw new LoadError('no day files in this range');
  const problems: TableProblem[] = [];
  const stages: string[] = [];
  const stageTables: string[] = [];
  for (const [i, lf] of files.entries()) {
    let s: Sniffed;
    try {
      s = await sniffFile(lf.path);
    } catch (e) {
      cannotRead(lf.path, e);
    }
    if (s.format !== 'csv' || !s.header.length) {
      notes.push(`${lf.path} is empty or not CSV: skipped`);
      continue;
    }
    const stage = fresh('day');
    problems.push(...(await loadCsv(conn, { path: lf.path, sniffed: s, velociraptor: true }, stage, { ...hooks, progress: (ph, fr, rows) => hooks.progress(`${ph} ${i + 1}/${files.length}`, fr, rows) }, notes)));
    stageTables.push(stage);
    stages.push(`SELECT ${lf.day} AS _day, ${i} AS _file, rowid + 1 AS _row, * FROM ${ident(stage)}`);
  }
  if (!stages.length) throw new LoadError('no readable day files in this range');
  hooks.progress('ordering by time', null, 0);
  await tracked(conn, `CREATE TABLE all_days AS ${stages.join(' UNION ALL BY NAME ')}`, hooks);
  const hasTs = (await readRows(conn, `SELECT 1 FROM (DESCRIBE all_days) WHERE column_name = '_ts'`)).rows.length > 0;
  const key = hasTs ? `last_value(TRY_CAST(_ts AS DOUBLE) IGNORE NULLS) OVER (PARTITION BY _file ORDER BY _row ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)` : '0';
  await tracked(conn, `CREATE TABLE ordered AS SELECT row_number() OVER (ORDER BY _day, _key, _file, _row) AS _new, *
      FROM (SELECT *, ${key} AS _key FROM all_days)`, hooks);
  await tracked(conn, `CREATE TABLE ${ROWS_TABLE} AS SELECT * EXCLUDE (_new, _row, _day, _file, _key) FROM ordered ORDER BY _new`, hooks);
  if (problems.length) {
    // Problem rows were numbered within their file: their numbers in time order.
    const fileIndex = new Map(files.map((f, i) => [f.path, i]));
    const { rows } = await readRows(conn, `SELECT _file, _row, _new FROM ordered WHERE _raw IS NOT NULL`);
    const renumber = new Map(rows.map(([f, r, n]) => [`${f}:${r}`, Number(n)]));
    for (const p of problems) p.row = renumber.get(`${fileIndex.get(p.file)}:${p.row}`) ?? p.row;
  }
  await conn.run('DROP TABLE ordered');
  await conn.run('DROP TABLE all_days');
  for (const t of stageTables) await conn.run(`DROP TABLE IF EXISTS ${ident(t)}`);
  return problems;
}
