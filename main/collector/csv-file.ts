/**
 * The CSV text of the collector's day files: encoding rows, a quote-aware record scanner (for
 * row counts and the log browser), a strict record parser, and `readDayFile`. Checking a file
 * found on disk before appending to it (crash repair) is csv-check.ts.
 *
 * Format: UTF-8, records end with `\n`, fields separated by `,` and quoted like Go's
 * encoding/csv writer (`csvQuote`), cells in Velociraptor's encoding (`csvCell`). The first
 * record is the header. A one-column record whose cell is empty is written as `""` so that it
 * is not a blank line (which CSV readers skip).
 */
import { open } from 'node:fs/promises';
import { csvCell, csvQuote, parseCsvCell } from '../vql/values/csv-cell.ts';
import { VDict, type Value } from '../vql/values/types.ts';

const QUOTE = 0x22;
const LF = 0x0a;
const CHUNK = 1 << 20;

/** The text of one field: the cell encoding of the value, quoted when needed. */
export function csvField(v: Value): string {
  // Fast path for the commonest cells: safe integers and plain words need neither rule.
  if (typeof v === 'number' && Number.isSafeInteger(v)) return Object.is(v, -0) ? '0' : String(v);
  return csvQuote(csvCell(v));
}

/** The header line (with its `\n`) of a file whose columns are `columns`. */
export function headerLine(columns: readonly string[]): string {
  if (columns.length === 1 && columns[0] === '') return '""\n';
  let s = '';
  for (let i = 0; i < columns.length; i++) s += (i === 0 ? '' : ',') + csvQuote(columns[i]!);
  return s + '\n';
}

/** The lines (each ending in `\n`) of rows that all have the same columns, as one string. */
export function rowLines(rows: readonly VDict[]): string {
  let s = '';
  for (const row of rows) {
    if (row.map.size === 1) {
      const [v] = row.map.values();
      const f = csvField(v);
      s += (f === '' ? '""' : f) + '\n';
      continue;
    }
    let first = true;
    for (const v of row.map.values()) {
      if (first) {
        s += csvField(v);
        first = false;
      } else {
        s += ',' + csvField(v);
      }
    }
    s += '\n';
  }
  return s;
}

/** State of a streaming record scan: whether the scan is inside a quoted field. */
export interface ScanState {
  inQuotes: boolean;
}

/**
 * Scans bytes of CSV for record ends (a `\n` outside quotes), continuing from `state`: returns
 * the number of complete records and the offset just after the last one (-1 when none ends in
 * this chunk). A `""` inside a quoted field toggles twice, so counting quotes is exact for
 * well-formed CSV.
 */
export function scanRecords(buf: Uint8Array, state: ScanState): { records: number; lastEnd: number } {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let records = 0;
  let lastEnd = -1;
  let i = 0;
  let q = b.indexOf(QUOTE, 0);
  let inQuotes = state.inQuotes;
  for (;;) {
    if (inQuotes) {
      if (q < 0) break;
      inQuotes = false;
      i = q + 1;
      q = b.indexOf(QUOTE, i);
      continue;
    }
    const n = b.indexOf(LF, i);
    if (n < 0) {
      // Opening quotes after the last newline still change the state.
      while (q >= 0) {
        inQuotes = !inQuotes;
        q = b.indexOf(QUOTE, q + 1);
      }
      break;
    }
    if (q >= 0 && q < n) {
      inQuotes = true;
      i = q + 1;
      q = b.indexOf(QUOTE, i);
      continue;
    }
    records++;
    lastEnd = n + 1;
    i = n + 1;
  }
  state.inQuotes = inQuotes;
  return { records, lastEnd };
}

/** Complete records of a file: their count, and the byte length they take (the rest is a torn tail). */
export async function completeRecords(path: string): Promise<{ records: number; length: number; size: number }> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
    const state: ScanState = { inQuotes: false };
    let pos = 0;
    let records = 0;
    let length = 0;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      const r = scanRecords(buf.subarray(0, bytesRead), state);
      records += r.records;
      if (r.lastEnd >= 0) length = pos + r.lastEnd;
      pos += bytesRead;
    }
    return { records, length, size };
  } finally {
    await fh.close();
  }
}

/** The header (first record) of a file, or null when the file has no complete first record. */
export async function readHeader(path: string): Promise<string[] | null> {
  const fh = await open(path, 'r');
  try {
    const state: ScanState = { inQuotes: false };
    const chunks: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return null;
      const chunk = buf.subarray(0, bytesRead);
      const r = scanRecords(chunk, state);
      if (r.lastEnd >= 0) {
        chunks.push(chunk.subarray(0, r.lastEnd));
        break;
      }
      chunks.push(chunk);
      pos += bytesRead;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const { records } = parseCsv(text, path);
    return records[0] ?? null;
  } finally {
    await fh.close();
  }
}

/** Records parsed from CSV text, and whether the text ended inside an unfinished record. */
export interface ParsedCsv {
  records: string[][];
  /** Offset just after the last complete record. */
  end: number;
  /** True when text follows the last complete record (a record without its `\n`). */
  partial: boolean;
}

/**
 * Parses CSV text strictly (Go encoding/csv rules without LazyQuotes): a quote may only open a
 * field and, doubled, stand for itself inside a quoted one; `\r\n` ends a record like `\n`.
 * Throws on malformed text, naming `file` and the line (counted from `firstLine`: the line of
 * the file where `text` starts, when it is a piece of one).
 */
export function parseCsv(text: string, file = '<csv>', firstLine = 1): ParsedCsv {
  const records: string[][] = [];
  let pos = 0;
  let line = firstLine;
  while (pos < text.length) {
    const r = parseRecord(text, pos, file, line);
    if (!r) break;
    records.push(r.fields);
    pos = r.end;
    line += r.lines;
  }
  return { records, end: pos, partial: pos < text.length };
}

/** One record parsed strictly from `pos`: its fields, its end, and the lines it takes. */
interface ParsedRecord {
  fields: string[];
  end: number;
  lines: number;
}

/**
 * The record starting at `pos` (on line `line`), or null when the text ends inside it. Throws
 * on malformed text, naming `file` and the line of the fault.
 */
function parseRecord(text: string, pos: number, file: string, line: number): ParsedRecord | null {
  const len = text.length;
  const fields: string[] = [];
  let ln = line;
  for (;;) {
    if (text.charCodeAt(pos) === QUOTE) {
      let field = '';
      let j = pos + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return null; // unfinished quoted field: a torn record
        const chunk = text.slice(j, q);
        ln += countNewlines(chunk);
        if (text.charCodeAt(q + 1) === QUOTE) {
          field += chunk + '"';
          j = q + 2;
          continue;
        }
        field += chunk;
        pos = q + 1;
        break;
      }
      fields.push(field);
      const c = text.charCodeAt(pos);
      if (c === 0x2c) {
        pos++;
        continue;
      }
      if (c === LF || (c === 0x0d && text.charCodeAt(pos + 1) === LF)) return { fields, end: pos + (c === LF ? 1 : 2), lines: ln - line + 1 };
      if (pos >= len || (c === 0x0d && pos + 1 >= len)) return null;
      throw new Error(`${file}: line ${line}: extraneous or missing " in quoted field${ln === line ? '' : ` (the field runs to line ${ln})`}`);
    }
    let k = pos;
    while (k < len) {
      const c = text.charCodeAt(k);
      if (c === 0x2c || c === LF) break;
      if (c === QUOTE) throw new Error(`${file}: line ${ln}: bare " in non-quoted field${ln === line ? '' : ` (in the record starting at line ${line})`}`);
      k++;
    }
    if (k >= len) return null; // no record end yet
    let field = text.slice(pos, k);
    if (text.charCodeAt(k) === LF && field.endsWith('\r')) field = field.slice(0, -1);
    fields.push(field);
    pos = k + 1;
    if (text.charCodeAt(k) === LF) return { fields, end: pos, lines: ln - line + 1 };
    if (pos >= len) return null; // a ',' at the very end: unfinished
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Options of `readDayFile`. */
export interface ReadDayFileOptions {
  /** Ignore a torn last record (a file being written, or not yet repaired) instead of throwing. */
  allowPartial?: boolean;
  /**
   * Report damage here instead of throwing: a malformed record, one with the wrong number of
   * fields, or a quote that is never closed is reported (file and line) and left out, and
   * reading goes on at the next line, so the good rows before and after it are all returned.
   */
  onProblem?: (message: string) => void;
}

/**
 * The rows of a day file: the header names the columns and every cell is read back with
 * `parseCsvCell`. Throws (naming the file and line) on a malformed record, on one whose field
 * count differs from the header's, or (unless `allowPartial`) when the file ends inside a
 * record; with `onProblem`, reports those and reads on instead.
 */
export async function readDayFile(path: string, opts: ReadDayFileOptions = {}): Promise<VDict[]> {
  const fh = await open(path, 'r');
  let text: string;
  try {
    text = await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
  const report = opts.onProblem;
  const problem = (message: string, rest: string): void => {
    if (!report) throw new Error(message);
    report(`${message}; ${rest}`);
  };
  const rows: VDict[] = [];
  let header: string[] | null = null;
  let record = 0;
  let line = 1;
  for (let pos = 0; pos < text.length; ) {
    let r: ParsedRecord | null;
    try {
      r = parseRecord(text, pos, path, line);
    } catch (e) {
      problem((e as Error).message, `the record at line ${line} is left out and reading goes on at the next line`);
      [pos, line] = nextLine(text, pos, line);
      continue;
    }
    if (!r) {
      if (report && text.indexOf('\n', pos) >= 0) {
        report(`${path}: line ${line}: a quoted field that starts here is never closed; the line is left out and reading goes on at the next line`);
        [pos, line] = nextLine(text, pos, line);
        continue;
      }
      if (!opts.allowPartial) problem(`${path}: line ${line}: the last record is incomplete (a torn write: run the store's repair())`, 'it is left out');
      break;
    }
    record++;
    if (!header) header = r.fields;
    else if (r.fields.length !== header.length) {
      problem(`${path}: record ${record} (line ${line}) has ${r.fields.length} fields, the header has ${header.length}`, 'the record is left out');
    } else {
      const row = new VDict();
      for (let i = 0; i < header.length; i++) row.map.set(header[i]!, parseCsvCell(r.fields[i]!));
      rows.push(row);
    }
    pos = r.end;
    line += r.lines;
  }
  return rows;
}

/** The offset and number of the line after the one at `pos`. */
function nextLine(text: string, pos: number, line: number): [number, number] {
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? [text.length, line] : [nl + 1, line + 1];
}
