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
 *   UTF-8, a line over MAX_LINE_BYTES) and JSON lines that do not parse are listed with file, line
 *   and reason, and kept as rows at their place in file order, their text in a `_raw` column
 *   (placement.ts finds the place). DuckDB reads a CSV file with a 2 MiB line limit, and again
 *   with MAX_LINE_BYTES when it has a longer line (LongLines).
 * - When DuckDB cannot work out the CSV at all from its sample, every column is read as text
 *   and typed afterwards from all of its values.
 * - What DuckDB would read wrongly at the start of a CSV file (dialect.ts: Excel's `sep=` line, a
 *   CR in an LF file's header, a malformed header of a monitoring log, which is listed and the
 *   next record read as the header) is read from a copy from where its records begin
 *   (fromRecords); UTF-16 text from a UTF-8 copy (utf8Source). Problems name the source's lines.
 * - Line ends DuckDB cannot take (records ending with both CR LF and LF, a CR outside quotes
 *   that is data: line-ends.ts), seen by the sniffer, or further down when DuckDB fails on them
 *   or the placement scan meets them, are read from a copy whose records all end with LF, line
 *   for line (loadCsv). A file of blank lines alone is an empty table.
 * - A time to the minute with a zone, which DuckDB's sniffer leaves as text, is typed from all
 *   of a column's values when its first rows look like times (typeTimes).
 * - JSON is read by DuckDB's reader in strict mode, which fails (rather than dropping a key or
 *   nulling a value) when a row has a key or a type its sample did not see; the file is then
 *   read again with every row sampled, and when a line does not parse, line by line as raw
 *   JSON (loadJsonRaw) so that the line is kept as a problem row. Nested values (objects,
 *   arrays: Velociraptor's `Fields` dicts) are kept as the JSON text of each record, neither a
 *   key added nor one dropped (jsonSelect; nested.ts makes their fields into columns).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkDayFile, endsWithNewline } from '../collector/csv-check.ts';
import type { TableProblem } from '../ipc/contract.ts';
import { epochScaleOf, ISO_TIME_START, isoTimeSql, mayBeEpoch, presentedType, type ColumnModel } from './columns.ts';
import { writeReadable, writeRest, writeUtf8, type Readable } from './copies.ts';
import { headOf, MAX_LINE_BYTES, sniffAfterHeader, sniffFile, type Sniffed } from './dialect.ts';
import { writeLineFeeds } from './line-ends.ts';
import { firstLineLength, inspectLines, type Inspection } from './long-lines.ts';
import { placeRejected, type Placed, type Placement } from './placement.ts';
import { Cancelled, readRows, scalar, tracked, type Tracking } from './query.ts';
import { ident, lit } from './sql-text.ts';
import { legacyToJsonl } from '../logs/legacy.ts';
import { copyCuttingLongLines, MAX_JSON_LINE } from '../logs/jsonl-rows.ts';

/** The table the rows are loaded into, in `_row` order, without `_row` (see `data`). */
export const ROWS_TABLE = 'data_rows';

/** The view every request reads: the rows with their number, `_row` = position + 1. */
const DATA_VIEW = `CREATE VIEW data AS SELECT rowid + 1 AS _row, * FROM ${ROWS_TABLE}`;

/** Rows of the preview shown while the rest loads. */
export const PREVIEW_ROWS = 1000;
/** Longest CSV line (bytes) read as a record; a longer one is a problem row (dialect.ts). */
export { MAX_LINE_BYTES };
/**
 * The longest line of DuckDB's first read of a CSV file: its own default. A higher
 * `max_line_size` costs every file: DuckDB's default buffer is 16 times it (a 16 MiB limit makes
 * 256 MiB blocks, which a 512 MiB memory limit cannot take), and even with the buffer kept, a
 * 170 MB file peaked 20 to 40 MiB higher. A file with a longer line is read again (LongLines)
 * with MAX_LINE_BYTES and LONG_READ_BUFFER; other files are read once, as before.
 */
const FIRST_READ_LINE_BYTES = 2 * 2 ** 20;
/** DuckDB's buffer when it reads again with MAX_LINE_BYTES: the one of its first read (16 times 2 MiB). */
const LONG_READ_BUFFER = 32 * 2 ** 20;
/** Most characters of a problem row's text kept in `_raw`. */
const MAX_TEXT = 64 * 1024;
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
  /** How its rows are written (main/logs/datastore.ts); default: found by sniffing (CSV or JSON lines). */
  readonly format?: 'csv' | 'jsonl' | 'csv2018';
  /** JSON lines: only these bytes (a time range found in the `.json.tidx`), whose first line is line `firstLine`. */
  readonly range?: { start: number; end: number; firstLine: number };
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
  /** The file DuckDB reads: the source, or a copy of part of it in `scratch`. */
  path: string;
  /** The source the problems and notes name. */
  label: string;
  sniffed: Sniffed;
  /** Velociraptor's CSV (our monitoring logs): every cell is text to decode. */
  velociraptor: boolean;
  /** The table's own folder, where copies read again are written (copies.ts). */
  scratch: string;
  /** A copy read again: the columns and types of the rows read before it. */
  columns?: Array<{ name: string; sqlType: string }>;
  /** With `columns`: only their names are fixed, their types are found from this file's rows (no row was read before them). */
  sniffTypes?: boolean;
  /** 0 for the source, 1 for a copy of it, and so on. */
  depth: number;
  /** Lines of `label` before the first line of `path` (a copy from where the records begin: fromRecords); problems are shifted by it. */
  lineShift?: number;
  /** Read from such a copy: its quote problems are found while loading (there is no scan of the source after it). */
  rewritten?: boolean;
  /** A copy whose line ends were made regular (line-ends.ts): not copied so again. */
  normalized?: boolean;
  /** Read with MAX_LINE_BYTES as DuckDB's line limit (a line over FIRST_READ_LINE_BYTES was seen: LongLines). */
  longLines?: boolean;
}

let tableSeq = 0;
const fresh = (prefix: string) => `${prefix}_${++tableSeq}`;

/** The longest line DuckDB reads `f` with. */
const lineLimit = (f: CsvFile) => (f.longLines ? MAX_LINE_BYTES : FIRST_READ_LINE_BYTES);

function csvArgs(f: CsvFile, rejects: { table: string; scan: string } | null, extra: string[] = []): string {
  const args = [
    lit(f.path),
    `delim=${lit(f.sniffed.delimiter)}`,
    `quote='"'`,
    `escape='"'`,
    'header=true',
    `compression=${f.sniffed.gzip ? "'gzip'" : "'none'"}`,
    `max_line_size=${lineLimit(f) + 1}`,
    ...(f.longLines ? [`buffer_size=${LONG_READ_BUFFER}`] : []),
    ...(f.sniffed.newLine ? [`new_line=${f.sniffed.newLine === '\r\n' ? "'\\r\\n'" : "'\\n'"}`] : []),
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
/** DuckDB's sniffer met a line longer than its `max_line_size`. */
const MAX_LINE_FAILED = /Maximum line size/i;

/** Reason of a rejected record from DuckDB's error rows for it. */
function reasonOf(errors: Array<{ type: string; message: string }>): string {
  const names: Record<string, string> = {
    'TOO MANY COLUMNS': 'too many fields',
    'MISSING COLUMNS': 'too few fields',
    'UNQUOTED VALUE': 'a quote inside an unquoted field, or text after a closing quote',
    'INVALID ENCODING': 'invalid UTF-8',
    'INVALID UNICODE': 'invalid UTF-8',
    [LINE_SIZE]: `a line longer than ${MAX_LINE_BYTES / 2 ** 20} MiB`,
    'UNTERMINATED QUOTE': 'a quote that is never closed',
  };
  const first = errors[0]!;
  return `${names[first.type] ?? first.type.toLowerCase()}: ${first.message}`;
}

/**
 * Reads one CSV file into `target` (its columns, rows in file order): the typed read, then columns that did not
 * fit their sampled type read as text, then malformed records placed. Returns its problems.
 * While DuckDB reads, the file is looked at for lines too long for it (long-lines.ts), which
 * it may drop without listing them, and a gzip file for damage, which its reader stops at
 * without a word: the readable part is then read again from a copy (loadReadable).
 */
async function loadCsv(conn: DuckDBConnection, f: CsvFile, target: string, hooks: LoadHooks, notes: string[]): Promise<TableProblem[]> {
  const noted = notes.length;
  try {
    return await loadCsvAsIs(conn, f, target, hooks, notes);
  } catch (e) {
    if (e instanceof LongLines && !f.longLines && !hooks.signal?.aborted) {
      notes.length = noted;
      await conn.run(`DROP TABLE IF EXISTS ${ident(target)}`);
      hooks.progress('reading again with a longer line limit', null, 0);
      return loadCsv(conn, { ...f, longLines: true }, target, hooks, notes);
    }
    if (e instanceof Cancelled || hooks.signal?.aborted || f.normalized) throw e;
    if (!(e instanceof IrregularLineEnds) && !INVALID_STATE.test((e as Error).message)) throw e;
    // A file whose lines end with CR (no line feed at its start) is no file with line feeds: its CRs are its line ends.
    // One with a NUL byte at its start is not an analyst's text (a PNG's signature holds CR LF, then LF): DuckDB's word stands.
    const head = await headOf(f.path, f.sniffed.gzip);
    if (!head.includes(10) || head.includes(0)) throw e;
  }
  notes.length = noted;
  await conn.run(`DROP TABLE IF EXISTS ${ident(target)}`);
  return loadLineFeeds(conn, f, target, hooks, notes);
}

/** DuckDB's reader met a CR it does not take (line-ends.ts). */
const INVALID_STATE = /state machine reached an invalid state/i;

/**
 * A record longer than FIRST_READ_LINE_BYTES: DuckDB refused it (a rejected record, or its
 * sniffer failed on it), the long-line look (long-lines.ts) or the placement scan found it. The
 * file is read again with MAX_LINE_BYTES (loadCsv), so that a record up to that long is a row.
 */
class LongLines extends Error {
  constructor() {
    super(`a line longer than ${FIRST_READ_LINE_BYTES / 2 ** 20} MiB`);
    this.name = 'LongLines';
  }
}

/** DuckDB's reason for a record longer than its `max_line_size`. */
const LINE_SIZE = 'LINE SIZE OVER MAXIMUM';

/** The placement scan found line ends DuckDB reads wrongly (line-ends.ts). */
class IrregularLineEnds extends Error {
  constructor(line: number) {
    super(`irregular line ends from line ${line}`);
    this.name = 'IrregularLineEnds';
  }
}

/** Notes that a file was read from a copy with regular line ends (once: the lines after a broken quote may be copied so again). */
function noteLineFeeds(label: string, notes: string[]): void {
  const note = `${basename(label)}: its records end with both CR LF and LF, or hold a CR outside quotes (which is data); it was read from a copy in the table's folder whose records all end with LF`;
  if (!notes.includes(note)) notes.push(note);
}

/**
 * `f` read from a copy of it with regular line ends (line-ends.ts: records ending with LF, a
 * field holding a CR that is data quoted). Its lines are `f`'s lines, so problems keep their
 * line numbers.
 */
async function loadLineFeeds(conn: DuckDBConnection, f: CsvFile, target: string, hooks: LoadHooks, notes: string[]): Promise<TableProblem[]> {
  hooks.progress('copying with regular line ends', null, 0);
  const copy = join(f.scratch, `${fresh('lines')}.csv`);
  try {
    await writeLineFeeds(f.path, f.sniffed.gzip, 0, f.sniffed.delimiter, copy, hooks.signal);
    noteLineFeeds(f.label, notes);
    // The copy's quote problems are found while it loads: the file is not scanned for them after (scanQuotes).
    if (!f.rewritten) scanned.add(f.label);
    return await loadCsv(conn, { ...f, path: copy, sniffed: { ...f.sniffed, gzip: false, newLine: '\n' }, rewritten: true, normalized: true }, target, hooks, notes);
  } finally {
    await rm(copy, { force: true });
  }
}

/** loadCsv of `f` as it is. */
async function loadCsvAsIs(conn: DuckDBConnection, f: CsvFile, target: string, hooks: LoadHooks, notes: string[]): Promise<TableProblem[]> {
  if (f.sniffed.longFirstLine) return loadNotLines(conn, f, target, hooks);
  // Blank lines are no records (DuckDB would read a row of NULL for each): no header, no row, as an empty file.
  if (f.sniffed.blank) {
    await conn.run(`CREATE OR REPLACE TABLE ${ident(target)} (column0 VARCHAR)`);
    return [];
  }
  const looked = inspectLines(f.path, f.sniffed.gzip, lineLimit(f) + 1, hooks.signal).catch((): Inspection => ({ longAt: 0 }));
  const asText = new Set<string>();
  let rejects = { table: fresh('rej'), scan: fresh('scan') };
  let typed = !f.velociraptor;
  const fixed = typed && !f.sniffTypes ? f.columns : undefined;
  const names = f.columns ? f.columns.map((c) => c.name) : uniqueNames(f.sniffed.header);
  // Columns named by the rows read before: named here (the copy's header line may differ: readRest).
  const renamed = !!f.columns || names.some((n, i) => n !== f.sniffed.header[i]);
  // Times with a zone read again with the columns read so far: as text, then typed as the first reading typed them (typeTimes).
  const zoned = new Set((fixed ?? []).filter((c) => /^TIMESTAMP(TZ| WITH TIME ZONE)$/i.test(c.sqlType)).map((c) => c.name));
  for (let attempt = 0; ; attempt++) {
    rejects = { table: fresh('rej'), scan: fresh('scan') };
    const extra: string[] = [];
    if (!typed) extra.push('auto_detect=false', `columns={${names.map((n) => `${lit(n)}: 'VARCHAR'`).join(', ')}}`);
    else if (fixed) extra.push('auto_detect=false', `columns={${fixed.map((c) => `${lit(c.name)}: ${lit(asText.has(c.name) || zoned.has(c.name) ? 'VARCHAR' : c.sqlType)}`).join(', ')}}`);
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
      if (e instanceof Cancelled || hooks.signal?.aborted) throw e;
      if (f.sniffed.gzip && GZIP_DAMAGE.test((e as Error).message) && (await looked).damaged) break;
      if (!f.longLines && MAX_LINE_FAILED.test((e as Error).message)) throw new LongLines();
      if (typed && (SNIFF_FAILED.test((e as Error).message) || MAX_LINE_FAILED.test((e as Error).message))) {
        typed = false;
        notes.push(`${basename(f.label)}: DuckDB could not work out the file from its first rows; every column was read as text, then typed from all of its values`);
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
      notes.push(`${basename(f.label)}: column ${JSON.stringify(col)} has values of another type from ${f.depth ? 'further down' : `line ${Number(line) + (f.lineShift ?? 0)} on`}: the whole column is text, no value is lost`);
    }
    if (attempt >= 2) {
      typed = false;
      asText.clear();
    }
  }
  const seen = await looked;
  if (seen.damaged) {
    await conn.run(`DROP TABLE IF EXISTS ${ident(target)}`);
    return loadReadable(conn, f, target, hooks, notes, seen.damaged);
  }
  if (!f.longLines && seen.longAt >= 0) throw new LongLines();
  if (!typed) await retype(conn, target, f.velociraptor);
  else await typeTimes(conn, target, fixed ? zoned : null);
  return placeProblems(conn, f, target, rejects.table, hooks, notes, seen.longAt >= 0 || !!f.rewritten);
}

/** Messages of a gzip reader that met damage. */
const GZIP_DAMAGE = /gzip|inflate|zlib|decompress|unexpected end of file|incorrect header check/i;

/** The start of a long line kept in `_raw`, and what the problem says about it. */
const KEPT = `its first ${MAX_TEXT / 1024} KiB are kept in _raw`;
const MIB = `${MAX_LINE_BYTES / 2 ** 20} MiB`;
const count = (n: number) => n.toLocaleString('en-US');

/**
 * A "CSV" file whose first line runs past MAX_LINE_BYTES (a 300 MB line, no line end at all):
 * not a line-oriented file. Its start is kept as one problem row (the table's only column is
 * `_raw`) rather than handed to DuckDB, which would drop it without a word.
 */
async function loadNotLines(conn: DuckDBConnection, f: CsvFile, target: string, hooks: LoadHooks): Promise<TableProblem[]> {
  const head = await headOf(f.path, f.sniffed.gzip, MAX_TEXT * 4);
  const text = head.toString('utf8').slice(0, MAX_TEXT);
  const first = await firstLineLength(f.path, f.sniffed.gzip, hooks.signal).catch(() => null);
  await conn.run(`CREATE OR REPLACE TABLE ${ident(target)} (_raw VARCHAR)`);
  const ap = await conn.createAppender(target);
  ap.appendVarchar(text);
  ap.endRow();
  ap.closeSync();
  const size = first ? ` (${count(first.bytes)} bytes)` : '';
  const after = first?.ended ? '; the lines after it are not read (the first line of a CSV file names its columns)' : '';
  return [{ file: f.label, line: 1, row: 1, reason: `a line longer than ${MIB}${size}: not a line-oriented file; ${KEPT}${after}` }];
}

/**
 * A gzip file damaged or cut short: DuckDB read up to the damage and stopped without a word,
 * maybe inside a line. The decompressed text up to its last line end is copied into the
 * table's folder and read again (its lines are the file's lines); the line the damage cut is
 * a problem row after the others, and a note says where the readable part ends.
 */
async function loadReadable(conn: DuckDBConnection, f: CsvFile, target: string, hooks: LoadHooks, notes: string[], damaged: { at: number; message: string }): Promise<TableProblem[]> {
  hooks.progress('reading the readable part', null, 0);
  const copy = join(f.scratch, `${fresh('readable')}.csv`);
  try {
    const r = await writeReadable(f.path, copy, MAX_TEXT * 4, hooks.signal);
    const problems = await loadCsv(conn, { ...f, path: copy, sniffed: { ...f.sniffed, gzip: false }, depth: f.depth + 1 }, target, hooks, notes);
    if (r.tail) problems.push(await appendCutLine(conn, target, f.label, r));
    notes.push(cutNote(f.label, r, damaged));
    return problems;
  } finally {
    await rm(copy, { force: true });
  }
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

/** Copies read again, one in another, at most this deep (a copy's scan agrees with DuckDB by construction; this is a guard). */
const MAX_DEPTH = 3;

/**
 * Places the problem records of `target`'s file among its rows: the records DuckDB listed,
 * long lines (which DuckDB may drop unlisted: scanned for when `mayBeLong`) and broken quotes
 * (placement.ts). The rows after a broken quote are read again from a copy (readRest), since
 * DuckDB's reading of them cannot be trusted.
 */
async function placeProblems(conn: DuckDBConnection, f: CsvFile, target: string, rejTable: string, hooks: LoadHooks, notes: string[], mayBeLong: boolean): Promise<TableProblem[]> {
  // line_byte_position: the record's first byte (CRLF files) or the one after it (LF files); placement.ts takes either.
  const rej = await readRows(conn, `SELECT line_byte_position, error_type, error_message FROM ${ident(rejTable)} WHERE error_type <> 'CAST' ORDER BY line_byte_position`);
  // A record DuckDB refused as too long for the first read: read again with the longer limit (loadCsv).
  if (!f.longLines && rej.rows.some((r) => r[1] === LINE_SIZE)) throw new LongLines();
  if (!rej.rows.length && !mayBeLong) return [];
  hooks.progress('placing problem rows', null, 0);
  const byOffset = new Map<number, Array<{ type: string; message: string }>>();
  for (const [offset, type, message] of rej.rows) {
    const o = Number(offset);
    let list = byOffset.get(o);
    if (!list) byOffset.set(o, (list = []));
    list.push({ type: String(type), message: String(message) });
  }
  const placement = await placeRejected(f.path, { gzip: f.sniffed.gzip, header: true, delimiter: f.sniffed.delimiter, rejectedOffsets: new Set(byOffset.keys()), maxText: MAX_TEXT, maxLine: lineLimit(f), lineEnds: !f.normalized, signal: hooks.signal });
  // Records DuckDB may have cut or joined at a CR: the file is read again from a copy with regular line ends (loadCsv).
  if (placement.irregularLine) throw new IrregularLineEnds(placement.irregularLine);
  // A record past the first read's limit that DuckDB did not list: read again with the longer one (loadCsv).
  if (!f.longLines && placement.placed.some((p) => p.longBytes !== undefined || p.runaway)) throw new LongLines();
  const loaded = Number(await scalar(conn, `SELECT count(*) FROM ${ident(target)}`));
  const file = f.label;
  if (!f.rewritten) scanned.add(file);
  // The first broken quote: DuckDB's rows after it are not trusted, the rest is read again.
  const cut = f.depth < MAX_DEPTH ? placement.placed.findIndex((p) => p.resume !== undefined) : -1;
  const brk = cut < 0 ? null : placement.placed[cut]!;
  const before = brk ? placement.placed.slice(0, cut) : placement.placed;
  const listed = [...byOffset.keys()].filter((o) => !brk || o < brk.offset);
  const found = new Set(before.filter((p) => p.rejected).map((p) => p.offset));
  const agree = listed.every((o) => found.has(o)) && (brk ? brk.goodBefore <= loaded : placement.good === loaded);
  const upTo = brk ? Math.min(brk.goodBefore, loaded) : loaded;
  let placed = before;
  if (!agree) {
    // The scan and DuckDB disagree on where records are: keep the rows, after the others, and say so.
    const missing = listed.filter((o) => !found.has(o)).map((offset): Placed => ({ offset, start: offset, line: 0, goodBefore: upTo, text: '', rejected: true }));
    placed = [...before, ...missing].map((p) => ({ ...p, goodBefore: upTo }));
    notes.push(`${basename(file)}: the rows of its malformed records are at the end of the table (their place in the file could not be worked out)`);
  }
  const reason = (p: Placed) => {
    if (p.longBytes !== undefined) return `a line longer than ${MIB} (${count(p.longBytes)} bytes): ${KEPT}`;
    const listedAs = byOffset.get(p.offset);
    if (p.resume !== undefined) return `a quote that is not closed on its line${listedAs ? ` (${listedAs[0]!.message.replace(/\.$/, '')})` : ''}: this line is kept as text and reading goes on with the next line`;
    return reasonOf(listedAs ?? [{ type: 'MALFORMED', message: 'malformed record' }]);
  };
  const problems: TableProblem[] = placed.map((p, k) => ({ file, line: p.line, reason: reason(p), row: p.goodBefore + k + 1 }));
  if (agree) problems.push(...bareQuoteProblems(file, placement.bareQuotes.filter((q) => !brk || q.line < brk.line)));
  // Nothing to place (the scan ran for a long line that is not there): the table stays as it is.
  if (!placed.length && !brk) return problems;
  const tmp = await withProblemRows(conn, target, placed, upTo, loaded, hooks);
  if (brk) {
    const row = upTo + placed.length + 1;
    await conn.run(`INSERT INTO ${ident(tmp)} (_raw) VALUES (${lit(brk.text)})`);
    problems.push({ file, line: brk.line, reason: reason(brk), row });
    const later = placement.placed.slice(cut + 1).filter((p) => p.resume !== undefined);
    const rest = await readRest(conn, f, target, brk, later, reason, hooks, notes, upTo === 0);
    for (const p of rest.problems) problems.push({ ...p, row: p.row + row });
    await appendRows(conn, tmp, rest.table, f, notes);
  }
  await conn.run(`DROP TABLE ${ident(target)}`);
  await conn.run(`ALTER TABLE ${ident(tmp)} RENAME TO ${ident(target)}`);
  return problems.sort((a, b) => a.row - b.row);
}

/**
 * A table of the first `upTo` rows of `target` (of `loaded`) with a `_raw` column and the
 * problem rows `placed` between them, each after its `goodBefore` good rows.
 */
async function withProblemRows(conn: DuckDBConnection, target: string, placed: readonly Placed[], upTo: number, loaded: number, hooks: LoadHooks): Promise<string> {
  await conn.run('CREATE OR REPLACE TEMP TABLE place (g BIGINT, cum BIGINT)');
  await conn.run('CREATE OR REPLACE TEMP TABLE probs (_row BIGINT, _raw VARCHAR)');
  const pa = await conn.createAppender('place');
  const pr = await conn.createAppender('probs');
  placed.forEach((p, k) => {
    pa.appendBigInt(BigInt(p.goodBefore));
    pa.appendBigInt(BigInt(k + 1));
    pa.endRow();
    pr.appendBigInt(BigInt(p.goodBefore + k + 1));
    pr.appendVarchar(p.text);
    pr.endRow();
  });
  pa.closeSync();
  pr.closeSync();
  const tmp = fresh('placed');
  const places = new Set(placed.map((p) => p.goodBefore)).size;
  if (places <= FEW_PLACES || places * ROWS_PER_PLACE < upTo) {
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
    if (upTo > from) await tracked(conn, `INSERT INTO ${ident(tmp)} SELECT *, NULL FROM ${ident(target)} WHERE rowid >= ${from}${upTo < loaded ? ` AND rowid < ${upTo}` : ''}`, hooks);
  } else {
    // Many places: good rows move down by the problem rows before them, then one sort; `_row` (a reserved name) orders, then goes.
    await tracked(conn, `CREATE TABLE ${ident(tmp)} AS SELECT * EXCLUDE (_row) FROM (
        SELECT d.* REPLACE (d._row + coalesce(p.cum, 0) AS _row), CAST(NULL AS VARCHAR) AS _raw
          FROM (SELECT rowid + 1 AS _row, * FROM ${ident(target)}${upTo < loaded ? ` WHERE rowid < ${upTo}` : ''}) d ASOF LEFT JOIN (SELECT g, max(cum) AS cum FROM place GROUP BY g) p ON d._row > p.g
        UNION ALL BY NAME
        SELECT _row, _raw FROM probs) ORDER BY _row`, hooks);
  }
  return tmp;
}

/**
 * The lines after a broken quote, read again: a copy of the file from its second line on
 * (copies.ts; the first lines of later broken quotes replaced by lines DuckDB rejects) read
 * into a table of its own with the columns and types read so far (`sniffTypes`: no row was
 * read before, so the types are found from its rows), its problems placed (the replaced lines
 * get their own text and reason back). Problem rows and lines are the file's; rows count from
 * the copy's first row.
 */
async function readRest(conn: DuckDBConnection, f: CsvFile, target: string, brk: Placed, later: readonly Placed[], reason: (p: Placed) => string, hooks: LoadHooks, notes: string[], sniffTypes: boolean): Promise<{ table: string; problems: TableProblem[] }> {
  hooks.progress('reading again after a broken quote', null, 0);
  const columns = (await readRows(conn, `SELECT column_name, column_type FROM (DESCRIBE ${ident(target)})`)).rows.map((r) => ({ name: String(r[0]), sqlType: String(r[1]) }));
  const d = f.sniffed.delimiter;
  // Any header line does: the copy is read with the columns named. The filler has one field more than the header
  // (not empty: DuckDB takes a line of delimiters alone for a trailing delimiter and an empty row).
  const eol = brk.crlf ? '\r\n' : '\n';
  const header = columns.map((c) => `"${c.name.replace(/"/g, '""').replace(/[\r\n]/g, ' ')}"`).join(d) + eol;
  const copy = join(f.scratch, `${fresh('rest')}.csv`);
  const table = fresh('rest');
  try {
    await writeRest(f.path, f.sniffed.gzip, brk.resume!, later.map((p) => ({ start: p.start, end: p.resume! })), header, Array(columns.length + 1).fill('0').join(d) + eol, copy, hooks.signal);
    // The copy holds the file's bytes after the broken quote's first line, whose line ends nothing has looked at.
    // (DuckDB finds their kind: the header line written here holds no CR.)
    const sniffed: Sniffed = { ...f.sniffed, gzip: false, header: columns.map((c) => c.name), ...(f.normalized ? { newLine: undefined } : {}) };
    const inner = await loadCsv(conn, { ...f, path: copy, sniffed, columns, sniffTypes, depth: f.depth + 1, normalized: false }, table, hooks, notes);
    // Line 2 of the copy is the line after the broken quote's first line.
    const shift = brk.line - 1;
    const byLine = new Map(later.map((p) => [p.line, p]));
    const fixes: Array<{ row: number; text: string }> = [];
    const problems = inner.map((p) => {
      const line = p.line + shift;
      const own = byLine.get(line);
      if (!own) return { ...p, line };
      fixes.push({ row: p.row, text: own.text });
      return { ...p, line, reason: reason(own) };
    });
    if (fixes.length) {
      await conn.run('CREATE OR REPLACE TEMP TABLE fixes (_row BIGINT, _raw VARCHAR)');
      const ap = await conn.createAppender('fixes');
      for (const x of fixes) {
        ap.appendBigInt(BigInt(x.row));
        ap.appendVarchar(x.text);
        ap.endRow();
      }
      ap.closeSync();
      // An update leaves every row where it is (rowids do not change).
      await conn.run(`UPDATE ${ident(table)} SET _raw = fixes._raw FROM fixes WHERE ${ident(table)}.rowid + 1 = fixes._row`);
    }
    return { table, problems };
  } finally {
    await rm(copy, { force: true });
  }
}

/** Appends the rows of `from` to `to` by column name (a column typed otherwise in either becomes text), then drops `from`. */
async function appendRows(conn: DuckDBConnection, to: string, from: string, f: CsvFile, notes: string[]): Promise<void> {
  const typesOf = async (t: string) => new Map((await readRows(conn, `SELECT column_name, column_type FROM (DESCRIBE ${ident(t)})`)).rows.map((r) => [String(r[0]), String(r[1])]));
  const [a, b] = await Promise.all([typesOf(to), typesOf(from)]);
  for (const [name, type] of a) {
    const other = b.get(name);
    if (other === undefined || other === type) continue;
    if (Number(await scalar(conn, `SELECT count(${ident(name)}) FROM ${ident(to)}`)) === 0) {
      // No value before (only problem rows): the column is what the rows after it are.
      await conn.run(`ALTER TABLE ${ident(to)} ALTER COLUMN ${ident(name)} TYPE ${other}`);
      continue;
    }
    if (type === 'VARCHAR') continue;
    await conn.run(`ALTER TABLE ${ident(to)} ALTER COLUMN ${ident(name)} TYPE VARCHAR`);
    notes.push(`${basename(f.label)}: column ${JSON.stringify(name)} has values of another type after a broken quote: the whole column is text, no value is lost`);
  }
  await conn.run(`INSERT INTO ${ident(to)} BY NAME SELECT * FROM ${ident(from)}`);
  await conn.run(`DROP TABLE ${ident(from)}`);
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
      unless(`count(CASE WHEN ${plain} AND regexp_full_match(${v}, '\\s*[+-]?\\d+\\s*') THEN TRY_CAST(${v} AS BIGINT) END)`),
      unless(`count(CASE WHEN ${plain} THEN TRY_CAST(${v} AS DOUBLE) END)`),
      unless(`count(CASE WHEN ${plain} AND lower(${v}) IN ('true', 'false') THEN 1 END)`),
      `count(CASE WHEN ${plain} AND regexp_matches(${v}, '^\\d{4}-\\d\\d-\\d\\d') THEN ${isoTimeSql(v)} END)`,
    ].join(', ');
  });
  const { rows } = await readRows(conn, `SELECT ${checks.join(', ')} FROM ${ident(table)}`);
  const r = rows[0]!.map(Number);
  const select = cols.map((c, i) => {
    const [n, int, dbl, bool, ts] = r.slice(i * 5, i * 5 + 5) as [number, number, number, number, number];
    const x = ident(c);
    const v = velociraptor ? decodedSql(x) : x;
    const type = n === 0 ? null : onlyTimes ? (ts === n ? 'TIMESTAMPTZ' : null) : int === n ? 'BIGINT' : dbl === n ? 'DOUBLE' : bool === n ? 'BOOLEAN' : ts === n ? 'TIMESTAMPTZ' : null;
    const cast = type === 'TIMESTAMPTZ' ? isoTimeSql(v) : type ? `CAST(${v} AS ${type})` : v;
    return type || velociraptor ? `${cast} AS ${x}` : null;
  }).filter((x) => x !== null);
  if (!select.length) return;
  const tmp = fresh('typed');
  await conn.run(`CREATE TABLE ${ident(tmp)} AS SELECT * REPLACE (${select.join(', ')}) FROM ${ident(table)}`);
  await conn.run(`DROP TABLE ${ident(table)}`);
  await conn.run(`ALTER TABLE ${ident(tmp)} RENAME TO ${ident(table)}`);
}

/** Rows looked at to find the text columns that may be times (typeTimes). */
const TIME_SAMPLE = 1000;

/**
 * Types as TIMESTAMPTZ the text columns of `table` that hold only times (isoTimeSql): DuckDB's
 * sniffer leaves a time to the minute with a zone as text. Only columns whose first rows all
 * begin like a date and time are looked at over all of their values, so a table of other text
 * costs one look at TIME_SAMPLE rows. `only`: these columns, without the look at the first rows.
 */
async function typeTimes(conn: DuckDBConnection, table: string, only: ReadonlySet<string> | null): Promise<void> {
  let cols = (await readRows(conn, `SELECT column_name, column_type FROM (DESCRIBE ${ident(table)})`)).rows
    .filter((r) => r[1] === 'VARCHAR' && r[0] !== '_raw' && (!only || only.has(String(r[0]))))
    .map((r) => String(r[0]));
  if (!cols.length) return;
  if (!only) {
    const looks = cols.map((c) => `count(${ident(c)}) > 0 AND count(${ident(c)}) = count(CASE WHEN regexp_matches(${ident(c)}, '${ISO_TIME_START}') THEN 1 END)`);
    const { rows } = await readRows(conn, `SELECT ${looks.join(', ')} FROM (SELECT ${cols.map(ident).join(', ')} FROM ${ident(table)} LIMIT ${TIME_SAMPLE})`);
    cols = cols.filter((_, i) => rows[0]![i] === true);
    if (!cols.length) return;
  }
  const { rows } = await readRows(conn, `SELECT ${cols.map((c) => `count(${ident(c)}) = count(${isoTimeSql(ident(c))})`).join(', ')} FROM ${ident(table)}`);
  const times = cols.filter((_, i) => rows[0]![i] === true);
  if (!times.length) return;
  const tmp = fresh('typed');
  await conn.run(`CREATE TABLE ${ident(tmp)} AS SELECT * REPLACE (${times.map((c) => `${isoTimeSql(ident(c))} AS ${ident(c)}`).join(', ')}) FROM ${ident(table)}`);
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

/** A structure whose objects' nested values (objects, arrays) are read as JSON. */
function topLevel(s: unknown): unknown {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return s;
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v && typeof v === 'object' ? 'JSON' : v]));
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

/** True for DuckDB types of nested values (a STRUCT, a LIST, a MAP, a UNION, JSON). */
const NESTED_TYPE = /^(STRUCT|MAP|UNION|JSON)|\[\d*\]$/i;
const INT_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/i;

/**
 * The SELECT reading JSON records with DuckDB's reader (`reader`: read_json's arguments) with
 * nested values as the JSON text of each record (issue 13: a Velociraptor `Fields` dict shows
 * what its line holds). DuckDB types an object as a STRUCT of every key its sample met, which
 * shows keys a record does not have (as null) and fails on one it met later; so when the sample
 * finds nested columns, the records are read one level deep (every value JSON) and the other
 * columns cast to the types the sample found. `strict`: a value that does not fit fails with
 * the reader's own words (loadJson then reads every row to type the columns); else it is NULL
 * (the preview).
 */
async function jsonSelect(conn: DuckDBConnection, reader: string, strict: boolean): Promise<string> {
  const desc = (await readRows(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_json(${reader}))`)).rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
  const nested = desc.filter((c) => NESTED_TYPE.test(c.type) && !/^JSON$/i.test(c.type));
  if (!nested.length) return `SELECT * FROM read_json(${reader})`;
  const cols = desc.map(({ name, type }) => {
    const x = ident(name);
    const bad = strict ? `error(${lit(`JSON transform error: Failed to cast a value of ${name} to ${type}`)})` : 'NULL';
    const guard = (types: string, value: string) => `CASE WHEN ${x} IS NULL THEN NULL WHEN json_type(${x}) IN (${types}) THEN ${value} ELSE ${bad} END`;
    const str = `json_extract_string(${x}, '$')`;
    let v: string;
    if (NESTED_TYPE.test(type)) v = x;
    else if (INT_TYPE.test(type)) v = guard(`'BIGINT', 'UBIGINT'`, strict ? `CAST(${x} AS ${type})` : `TRY_CAST(${x} AS ${type})`);
    else if (/^(DOUBLE|FLOAT|DECIMAL)/i.test(type)) v = guard(`'BIGINT', 'UBIGINT', 'DOUBLE'`, `TRY_CAST(${x} AS DOUBLE)`);
    else if (/^BOOLEAN$/i.test(type)) v = guard(`'BOOLEAN'`, `CAST(${x} AS BOOLEAN)`);
    else if (/^VARCHAR$/i.test(type)) v = guard(`'VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN'`, str);
    else v = guard(`'VARCHAR'`, strict ? `coalesce(TRY_CAST(${str} AS ${type}), ${bad})` : `TRY_CAST(${str} AS ${type})`);
    return `${v} AS ${x}`;
  });
  // Every row sampled: every key is known, and naming them spares the reader another pass to find them.
  const depth1 = /sample_size=-1/.test(reader) ? `columns={${desc.map((c) => `${lit(c.name)}: 'JSON'`).join(', ')}}` : 'maximum_depth=1';
  return `SELECT ${cols.join(', ')} FROM read_json(${reader}, ${depth1})`;
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
      const reader = [...args, ...(sample ? [sample] : [])].join(', ');
      await tracked(conn, `CREATE OR REPLACE TABLE ${ident(target)} AS ${await jsonSelect(conn, reader, true)}`, { ...hooks, onProgress });
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
 * loadJson, and for a gzip file a look at whether it decompresses to its end (DuckDB's gzip
 * reader stops at damage without a word): JSON lines cut short are read again from a copy of
 * their readable part (the line the damage cut is a problem row after the others, a note says
 * where the damage is); a JSON array cut short cannot be read.
 */
async function loadJsonWhole(conn: DuckDBConnection, path: string, s: Sniffed, target: string, hooks: LoadHooks, notes: string[], scratch: string): Promise<TableProblem[]> {
  if (!s.gzip) return loadJson(conn, path, s, target, hooks, notes);
  const looked = inspectLines(path, true, Number.MAX_SAFE_INTEGER, hooks.signal).catch((): Inspection => ({ longAt: -1 }));
  let problems: TableProblem[] = [];
  let failed: unknown = null;
  try {
    problems = await loadJson(conn, path, s, target, hooks, notes);
  } catch (e) {
    if (e instanceof Cancelled || hooks.signal?.aborted) throw e;
    failed = e;
  }
  const { damaged } = await looked;
  if (!damaged) {
    if (failed) throw failed;
    return problems;
  }
  if (s.format === 'json') throw new LoadError(`${path} is damaged or truncated (${damaged.message}) after ${count(damaged.at)} bytes of text: a JSON array cut short cannot be read`);
  await conn.run(`DROP TABLE IF EXISTS ${ident(target)}`);
  hooks.progress('reading the readable part', null, 0);
  const copy = join(scratch, `${fresh('readable')}.jsonl`);
  try {
    const r = await writeReadable(path, copy, MAX_TEXT * 4, hooks.signal);
    problems = (await loadJson(conn, copy, { ...s, gzip: false }, target, hooks, notes)).map((p) => ({ ...p, file: path }));
    if (r.tail) problems.push(await appendCutLine(conn, target, path, r));
    notes.push(cutNote(path, r, damaged));
    return problems;
  } finally {
    await rm(copy, { force: true });
  }
}

/** The line a gzip file's damage cut, as a problem row after the others. */
async function appendCutLine(conn: DuckDBConnection, target: string, file: string, r: Readable): Promise<TableProblem> {
  const cols = (await readRows(conn, `SELECT column_name FROM (DESCRIBE ${ident(target)})`)).rows.map((x) => String(x[0]));
  if (!cols.includes('_raw')) {
    await conn.run(`ALTER TABLE ${ident(target)} ADD COLUMN _raw VARCHAR`);
    cols.push('_raw');
  }
  await conn.run(`INSERT INTO ${ident(target)} (_raw) VALUES (${lit(r.tail!.toString('utf8').slice(0, MAX_TEXT))})`);
  const rows = Number(await scalar(conn, `SELECT count(*) FROM ${ident(target)}`));
  return { file, line: r.lines + 1, row: rows, reason: `cut short: the gzip data ends inside this line (${count(r.tailBytes)} bytes of it could be read)` };
}

function cutNote(file: string, r: Readable, damaged: { message: string }): string {
  return `${basename(file)} is damaged or truncated (${r.error || damaged.message}) after ${count(r.bytes + r.tailBytes)} bytes of text: the ${count(r.lines)} lines before the damage are loaded${r.tail ? ', and the line it cut is a problem row' : ''}; nothing after it could be read`;
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
  // Nested values stay the JSON text of each record (as jsonSelect reads them).
  const structure = structureText === null ? null : topLevel(fixStructure(JSON.parse(String(structureText))));
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

/** Why a sniffed file is not read as text (binary), or null. */
function nonText(path: string, s: Sniffed): string | null {
  if (s.binaryAt !== undefined) return `${path} looks binary: NUL byte at offset ${s.binaryAt}${s.gzip ? ' of its decompressed data' : ''}; not a CSV, JSON or Parquet file`;
  if (s.notText) return `${path} does not look like text: ${Math.round(s.notText.share * 100)}% of its first ${s.notText.bytes.toLocaleString('en-US')} bytes${s.gzip ? ' (decompressed)' : ''} are control characters or invalid UTF-8; not a CSV, JSON or Parquet file`;
  return null;
}

/**
 * UTF-16 text (a byte order mark) as a UTF-8 copy in the table's folder (copies.ts), under the
 * source's name, and what the copy is (sniffed again); a note says so. Other files as they are.
 */
async function utf8Source(path: string, s: Sniffed, scratch: string, hooks: LoadHooks, notes: string[]): Promise<{ path: string; sniffed: Sniffed; copy?: string }> {
  if (!s.utf16) return { path, sniffed: s };
  hooks.progress('converting UTF-16 to UTF-8', null, 0);
  const dir = join(scratch, fresh('utf8'));
  await mkdir(dir);
  const copy = join(dir, basename(path).replace(/\.gz$/i, ''));
  const r = await writeUtf8(path, s.gzip, s.utf16, copy, hooks.signal);
  const name = basename(path);
  notes.push(`${name}: UTF-16 text (${s.utf16 === 'LE' ? 'little' : 'big'}-endian), read from a UTF-8 copy in the table's folder`);
  if (r.invalid) notes.push(`${name}: ${count(r.invalid)} code unit${r.invalid === 1 ? ' is' : 's are'} not UTF-16 (an unpaired surrogate, a cut last byte), from line ${r.firstInvalidLine} on: each is read as U+FFFD`);
  return { path: copy, sniffed: await sniffFile(copy), copy: dir };
}

/** Malformed headers skipped at most, one after the other, before the file is read as it is. */
const MAX_BAD_HEADERS = 10;

/**
 * A CSV file whose start DuckDB would read wrongly (dialect.ts: Excel's `sep=` line, a header
 * holding a CR, line ends it reads wrongly, and with `skipBadHeader` a malformed header) read
 * from a copy in the table's folder from where its records begin, under its header written
 * again when it holds a CR, or with regular line ends (line-ends.ts; a note says so).
 * A malformed header skipped is a problem (its text in the reason: it is no row) at the first
 * row. Returns the file to read and the copy to remove after; the file as it is otherwise.
 */
async function fromRecords(f: CsvFile, skipBadHeader: boolean, hooks: LoadHooks, notes: string[]): Promise<{ file: CsvFile; problems: TableProblem[]; copy?: string }> {
  let s = f.sniffed;
  const problems: TableProblem[] = [];
  const shift = f.lineShift ?? 0;
  while (skipBadHeader && s.badHeader && problems.length < MAX_BAD_HEADERS) {
    const text = s.badHeader.text.length > 200 ? `${s.badHeader.text.slice(0, 200)}…` : s.badHeader.text;
    problems.push({ file: f.label, line: shift + (s.start?.lines ?? 0) + 1, row: 1, reason: `a malformed header (${s.badHeader.reason}): ${JSON.stringify(text)} does not name the columns; the next record is read as the header` });
    s = await sniffAfterHeader(f.path, s);
  }
  const lineShift = shift + (s.start?.lines ?? 0);
  if (s.lineEndsFrom !== undefined) {
    hooks.progress('copying with regular line ends', null, 0);
    const copy = join(f.scratch, `${fresh('lines')}.csv`);
    await writeLineFeeds(f.path, s.gzip, s.lineEndsFrom, s.delimiter, copy, hooks.signal);
    noteLineFeeds(f.label, notes);
    const sniffed: Sniffed = { format: 'csv', gzip: false, delimiter: s.delimiter, header: s.header, newLine: '\n' };
    return { file: { ...f, path: copy, sniffed, lineShift, rewritten: true, normalized: true }, problems, copy };
  }
  if (!s.start && s.rewriteHeader === undefined) return { file: { ...f, sniffed: s }, problems };
  hooks.progress('copying from where the records begin', null, 0);
  const copy = join(f.scratch, `${fresh('records')}.csv`);
  const header = s.rewriteHeader === undefined ? '' : `${s.header.map((h) => `"${h.replace(/"/g, '""')}"`).join(s.delimiter)}${s.newLine}`;
  await writeRest(f.path, s.gzip, s.rewriteHeader ?? s.start!.bytes, [], header, '', copy, hooks.signal);
  const sniffed: Sniffed = { format: 'csv', gzip: false, delimiter: s.delimiter, header: s.header, ...(s.newLine ? { newLine: s.newLine } : {}) };
  return { file: { ...f, path: copy, sniffed, lineShift, rewritten: true }, problems, copy };
}

/** loadCsv of a file read from a copy (fromRecords): problems name the lines of the source. */
async function loadCsvFrom(conn: DuckDBConnection, f: CsvFile, target: string, hooks: LoadHooks, notes: string[]): Promise<TableProblem[]> {
  const problems = await loadCsv(conn, f, target, hooks, notes);
  const shift = f.lineShift ?? 0;
  return shift ? problems.map((p) => ({ ...p, line: p.line + shift })) : problems;
}

function refuseNonText(path: string, s: Sniffed): void {
  const why = nonText(path, s);
  if (why) throw new LoadError(why);
}

/**
 * A note when the file changed while it was read (a log still being written): the table holds
 * what was read, and a line being written at that moment may be cut (then a problem row).
 */
async function noteChange(path: string, before: { size: number; mtimeMs: number }, notes: string[]): Promise<void> {
  const now = await stat(path).catch(() => null);
  if (!now) notes.push(`${basename(path)} was removed or moved while it was read: the table holds what was read`);
  else if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
    notes.push(`${basename(path)} changed while it was read (${count(before.size)} bytes when the load began, ${count(now.size)} now): the table holds what was read; open it again to read it as it is now`);
  }
}

function cannotRead(path: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') throw new LoadError(`${path} does not exist`);
  if (code === 'EISDIR') throw new LoadError(`${path} is a folder: open a file`);
  if (code === 'EACCES' || code === 'EPERM') throw new LoadError(`${path} cannot be read (permission denied)`);
  if (/not a readable gzip file/.test((e as Error)?.message)) throw new LoadError((e as Error).message);
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
    refuseNonText(source.path, s);
    const before = await stat(source.path);
    const copies: string[] = [];
    // The preview runs beside the load on its own connection: it must have ended before the
    // table closes its connections (closing one under a running statement crashes DuckDB).
    const previews: Array<Promise<void>> = [];
    const previewing = (pv: Promise<void>) => (previews.push(pv), pv);
    try {
      const { utf16, gzip } = s;
      const read = await utf8Source(source.path, s, scratch, hooks, notes);
      if (read.copy) copies.push(read.copy);
      s = read.sniffed;
      refuseNonText(source.path, s);
      format = `${s.format}${utf16 ? ` (UTF-16 ${utf16})` : ''}${gzip ? ' (gzip)' : ''}`;
      const p = lit(source.path);
      if (s.format === 'parquet') {
        void previewing(preview(previewConn, `read_parquet(${p})`, hooks));
        await tracked(conn, `CREATE TABLE ${ROWS_TABLE} AS SELECT * FROM read_parquet(${p})`, { ...hooks, onProgress: (fr, rows) => hooks.progress('reading', fr, rows) });
        await renameReserved(conn, ROWS_TABLE);
      } else if (s.format === 'csv') {
        const from = await fromRecords({ path: read.path, label: source.path, sniffed: s, velociraptor: false, scratch, depth: 0 }, false, hooks, notes);
        if (from.copy) copies.push(from.copy);
        const f = from.file;
        if (s.sepLine) notes.push(`${basename(source.path)}: its first line (sep=${s.delimiter}) names the delimiter; the header is line 2`);
        const pv = s.blank ? Promise.resolve() : previewing(preview(previewConn, previewCopy(f.path, f.sniffed, scratch).then((c) => (c ? csvArgs({ ...f, path: c, sniffed: { ...f.sniffed, gzip: false } }, null) : null)), hooks));
        problems = await loadCsvFrom(conn, f, ROWS_TABLE, hooks, notes);
        await pv;
        // A copy was scanned for quotes while it loaded.
        if (f.path === source.path) quoteScan = { path: source.path, sniffed: s };
      } else {
        // A JSON array cut short is no array: only JSON lines get a preview.
        const pv = s.format === 'jsonl' ? previewing(preview(previewConn, previewCopy(read.path, s, scratch).then(async (c) => (c ? `(${await jsonSelect(previewConn, `${lit(c)}, format='newline_delimited', ignore_errors=true`, false)})` : null)), hooks)) : Promise.resolve();
        problems = await loadJsonWhole(conn, read.path, s, ROWS_TABLE, hooks, notes, scratch);
        if (read.copy) problems = problems.map((x) => ({ ...x, file: source.path }));
        await pv;
      }
    } finally {
      if (previews.length) {
        previewConn.interrupt();
        await Promise.allSettled(previews);
      }
      for (const c of copies) await rm(c, { recursive: true, force: true });
    }
    await noteChange(source.path, before, notes);
  } else {
    format = `monitoring log (${[...new Set(source.files.map((f) => (f.format === 'csv2018' ? 'csv 2018' : f.format ?? 'csv')))].join(', ')})`;
    problems = await loadLogs(conn, source.files, hooks, notes, scratch);
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
/**
 * A day file being written may end in a record the collector has not finished (no line end
 * yet). Such a file is read from a copy of its complete records in the table's folder, as the
 * collector's repair would cut it: the unfinished record is neither a row nor a problem. Returns
 * the path to read (`null`: no complete record yet). A file damaged before its end is read as
 * it is, its problems listed.
 */
async function withoutTornRecord(path: string, scratch: string, signal?: AbortSignal): Promise<string | null> {
  if (await endsWithNewline(path)) return path;
  const check = await checkDayFile(path).catch(() => null);
  if (!check || check.verdict !== 'torn') return path;
  if (check.cutAt === 0) return null;
  const copy = join(scratch, `${fresh('complete')}.csv`);
  await pipeline(createReadStream(path, { start: 0, end: check.cutAt - 1 }), createWriteStream(copy), { signal });
  return copy;
}

/**
 * One JSON-lines day file of a monitoring log into `target` (loadJsonWhole: a line that does not
 * parse, or is cut short, is a problem row with its file and line). A byte range (a time range
 * found in the `.json.tidx`) and a 2018 CSV day (main/logs/legacy.ts) are read from a copy in
 * the table's own folder, never next to the source; their problems name the source and its
 * lines. Returns null when there is no row to read.
 */
async function loadLogJson(conn: DuckDBConnection, lf: LogFile, s: Sniffed, target: string, hooks: LoadHooks, notes: string[], scratch: string): Promise<TableProblem[] | null> {
  let path = lf.path;
  let shift = 0;
  if (lf.format === 'csv2018') {
    path = join(scratch, `${fresh('legacy')}.jsonl`);
    const rows = await legacyToJsonl(lf.path, path, (m) => notes.push(m), hooks.signal);
    if (!rows) {
      await rm(path, { force: true });
      return null;
    }
  } else if (lf.range) {
    if (lf.range.end <= lf.range.start) return null;
    path = join(scratch, `${fresh('range')}.jsonl`);
    await pipeline(createReadStream(lf.path, { start: lf.range.start, end: lf.range.end - 1 }), createWriteStream(path), { signal: hooks.signal });
    // The range may end at a row's last byte (the index points at the line end before the next row).
    if (!(await endsWithNewline(path))) await writeFile(path, '\n', { flag: 'a' });
    shift = lf.range.firstLine - 1;
  } else if ((await stat(lf.path)).size === 0) return null;
  const copies = path === lf.path ? [] : [path];
  try {
    let long = new Map<number, number>();
    let got: TableProblem[];
    try {
      got = await loadJsonWhole(conn, path, { ...s, format: 'jsonl', ...(path === lf.path ? {} : { gzip: false }) }, target, hooks, notes, scratch);
    } catch (e) {
      if (e instanceof Cancelled || hooks.signal?.aborted || !/maximum_object_size/.test((e as Error).message)) throw e;
      // A line past DuckDB's 16 MiB: read again from a copy with such lines cut to their start (a problem row each).
      await conn.run(`DROP TABLE IF EXISTS ${ident(target)}`);
      hooks.progress('reading again without its over-long lines', null, 0);
      const copy = join(scratch, `${fresh('long')}.jsonl`);
      copies.push(copy);
      long = new Map((await copyCuttingLongLines(path, copy, MAX_JSON_LINE, MAX_TEXT, hooks.signal)).map((c) => [c.line, c.bytes]));
      got = await loadJsonWhole(conn, copy, { ...s, format: 'jsonl', gzip: false }, target, hooks, notes, scratch);
    }
    return got.map((p) => {
      const bytes = long.get(p.line);
      return { ...p, file: lf.path, line: p.line ? p.line + shift : p.line, ...(bytes ? { reason: `a line longer than ${MAX_JSON_LINE >> 20} MiB (${count(bytes)} bytes): ${KEPT}` } : {}) };
    });
  } finally {
    for (const c of copies) await rm(c, { force: true });
  }
}

/**
 * A range of Velociraptor JSONL days, one file a day, read by one multi-file scan of DuckDB's
 * JSON reader (strict, every file on every thread) straight into the table: a day file is in
 * the order the server received its rows (its `.json.tidx` times never go back), and files come
 * in day order, so the scan's order is the range's time order and no sort is needed. Returns
 * false when the range is not such (parts, other formats, byte ranges) or the scan fails (a line
 * that does not parse...): the caller then reads file by file, which lists the problems.
 */
async function loadJsonDays(conn: DuckDBConnection, files: readonly LogFile[], hooks: LoadHooks, notes: string[]): Promise<boolean> {
  if (files.length < 2 || files.some((f, i) => f.format !== 'jsonl' || f.range || (i > 0 && files[i - 1]!.day === f.day))) return false;
  const sizes = await Promise.all(files.map((f) => stat(f.path).then((st) => st.size, () => -1)));
  if (sizes.some((n) => n <= 0)) return false;
  const args = [`[${files.map((f) => lit(f.path)).join(', ')}]`, "format='newline_delimited'", 'records=true', "compression='uncompressed'"];
  // The first day's sample types the columns (DuckDB would sample 32 files: 3x the scan); a later day with other keys or
  // types makes the strict scan fail, and then every file's schema is read.
  for (const sample of ['maximum_sample_files=1', 'union_by_name=true', 'union_by_name=true, sample_size=-1']) {
    try {
      await tracked(conn, `CREATE OR REPLACE TABLE ${ROWS_TABLE} AS SELECT * FROM read_json(${[...args, ...(sample ? [sample] : [])].join(', ')})`, {
        ...hooks,
        onProgress: (fr, rows) => hooks.progress(`reading ${files.length} days`, fr, rows),
      });
      await renameReserved(conn, ROWS_TABLE);
      if (sample?.includes('sample_size')) notes.push('rows further down have keys or types the first rows do not have: every row was read to type the columns');
      return true;
    } catch (e) {
      if (e instanceof Cancelled || hooks.signal?.aborted) throw e;
      await conn.run(`DROP TABLE IF EXISTS ${ROWS_TABLE}`);
      if (!JSON_SAMPLE_MISSED.test((e as Error).message)) return false;
    }
  }
  return false;
}

async function loadLogs(conn: DuckDBConnection, files: readonly LogFile[], hooks: LoadHooks, notes: string[], scratch: string): Promise<TableProblem[]> {
  if (!files.length) throw new LoadError('no day files in this range');
  if (await loadJsonDays(conn, files, hooks, notes)) return [];
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
    if (!nonText(lf.path, s) && (lf.format === 'jsonl' || lf.format === 'csv2018' || (lf.format === undefined && s.format === 'jsonl'))) {
      // Velociraptor's JSON lines (2020 on), or its 2018 CSV of JSON cells read as JSON lines.
      const stage = fresh('day');
      const before = await stat(lf.path);
      const got = await loadLogJson(conn, lf, s, stage, { ...hooks, progress: (ph, fr, rows) => hooks.progress(`${ph} ${i + 1}/${files.length}`, fr, rows) }, notes, scratch);
      if (!got) continue;
      problems.push(...got);
      await noteChange(lf.path, before, notes);
      stageTables.push(stage);
      stages.push(`SELECT ${lf.day} AS _day, ${i} AS _file, rowid + 1 AS _row, * FROM ${ident(stage)}`);
      continue;
    }
    const stage = fresh('day');
    const before = await stat(lf.path);
    const copies: string[] = [];
    try {
      const read = await utf8Source(lf.path, s, scratch, hooks, notes);
      if (read.copy) copies.push(read.copy);
      s = read.sniffed;
      const refused = nonText(lf.path, s);
      if (refused || s.format !== 'csv' || !s.header.length) {
        notes.push(refused ? `${refused}: skipped` : `${lf.path} is empty or not CSV: skipped`);
        continue;
      }
      const complete = await withoutTornRecord(read.path, scratch, hooks.signal);
      if (complete === null) continue;
      if (complete !== read.path) copies.push(complete);
      // A malformed header is listed and the next record is the header (the collector always writes one).
      const from = await fromRecords({ path: complete, label: lf.path, sniffed: s, velociraptor: true, scratch, depth: 0 }, true, hooks, notes);
      if (from.copy) copies.push(from.copy);
      if (!from.file.sniffed.header.length) {
        notes.push(`${lf.path} has no header that is not malformed: skipped`);
        problems.push(...from.problems);
        continue;
      }
      problems.push(...from.problems);
      problems.push(...(await loadCsvFrom(conn, from.file, stage, { ...hooks, progress: (ph, fr, rows) => hooks.progress(`${ph} ${i + 1}/${files.length}`, fr, rows) }, notes)));
    } finally {
      for (const c of copies) await rm(c, { recursive: true, force: true });
    }
    await noteChange(lf.path, before, notes);
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
    // A malformed header skipped is listed at its file's first row (and may be the only problem: no _raw column).
    const hasRaw = (await readRows(conn, `SELECT 1 FROM (DESCRIBE ordered) WHERE column_name = '_raw'`)).rows.length > 0;
    const { rows } = await readRows(conn, `SELECT _file, _row, _new FROM ordered WHERE ${hasRaw ? '_raw IS NOT NULL OR ' : ''}_row = 1`);
    const renumber = new Map(rows.map(([f, r, n]) => [`${f}:${r}`, Number(n)]));
    for (const p of problems) p.row = renumber.get(`${fileIndex.get(p.file)}:${p.row}`) ?? p.row;
  }
  await conn.run('DROP TABLE ordered');
  await conn.run('DROP TABLE all_days');
  for (const t of stageTables) await conn.run(`DROP TABLE IF EXISTS ${ident(t)}`);
  return problems;
}
