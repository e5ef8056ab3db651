/**
 * The CSV text of the collector's day files: encoding rows, a quote-aware record scanner (for
 * crash repair and row counts), a strict record parser, and `readDayFile`.
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
 * Throws on malformed text, naming `file` and the line.
 */
export function parseCsv(text: string, file = '<csv>'): ParsedCsv {
  const records: string[][] = [];
  let pos = 0;
  let end = 0;
  let line = 1;
  const len = text.length;
  outer: while (pos < len) {
    const record: string[] = [];
    for (;;) {
      // One field starting at pos.
      if (text.charCodeAt(pos) === QUOTE) {
        let field = '';
        let j = pos + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) break outer; // unfinished quoted field: a torn record
          const chunk = text.slice(j, q);
          line += countNewlines(chunk);
          if (text.charCodeAt(q + 1) === QUOTE) {
            field += chunk + '"';
            j = q + 2;
            continue;
          }
          field += chunk;
          pos = q + 1;
          break;
        }
        record.push(field);
        const c = text.charCodeAt(pos);
        if (c === 0x2c) {
          pos++;
          continue;
        }
        if (c === LF || (c === 0x0d && text.charCodeAt(pos + 1) === LF)) {
          pos += c === LF ? 1 : 2;
          break;
        }
        if (pos >= len) break outer;
        throw new Error(`${file}: line ${line}: extraneous or missing " in quoted field`);
      }
      let k = pos;
      while (k < len) {
        const c = text.charCodeAt(k);
        if (c === 0x2c || c === LF) break;
        if (c === QUOTE) throw new Error(`${file}: line ${line}: bare " in non-quoted field`);
        k++;
      }
      if (k >= len) break outer; // no record end yet
      let field = text.slice(pos, k);
      if (text.charCodeAt(k) === LF && field.endsWith('\r')) field = field.slice(0, -1);
      record.push(field);
      pos = k + 1;
      if (text.charCodeAt(k) === LF) break;
      if (pos >= len) break outer; // a ',' at the very end: unfinished
    }
    line++;
    records.push(record);
    end = pos;
  }
  return { records, end, partial: end < len };
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
}

/**
 * The rows of a day file: the header names the columns and every cell is read back with
 * `parseCsvCell`. Throws when a record's field count differs from the header's, or (unless
 * `allowPartial`) when the file ends inside a record.
 */
export async function readDayFile(path: string, opts: ReadDayFileOptions = {}): Promise<VDict[]> {
  const fh = await open(path, 'r');
  let text: string;
  try {
    text = await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
  const { records, partial } = parseCsv(text, path);
  if (partial && !opts.allowPartial) throw new Error(`${path}: the last record is incomplete (a torn write: run the store's repair())`);
  if (records.length === 0) return [];
  const header = records[0]!;
  const rows: VDict[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    if (rec.length !== header.length) {
      throw new Error(`${path}: record ${r + 1} has ${rec.length} fields, the header has ${header.length}`);
    }
    const row = new VDict();
    for (let i = 0; i < header.length; i++) row.map.set(header[i]!, parseCsvCell(rec[i]!));
    rows.push(row);
  }
  return rows;
}
