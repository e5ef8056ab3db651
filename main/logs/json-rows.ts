/**
 * Day-file records to rows of JSON text (RowJson), straight from the bytes: a scanner for the
 * writer's strict CSV (csv-file.ts) splits a record into field spans, and json-out.ts
 * writes each cell's JSON after the column's key. No value or dict is made per row, so a day of
 * millions of rows makes little garbage.
 *
 * The text is exactly what `toJSON(row)` gives for the row the old reader made (`toRow`):
 * records that the fast path does not take (a ragged record, malformed quotes, bytes that are
 * not UTF-8, a header with a repeated name) go through that old path, one record at a time.
 */
import { isUtf8 } from 'node:buffer';
import { parseCsv } from '../collector/csv-file.ts';
import { lineIsRecord } from '../collector/csv-check.ts';
import { parseCsvCell } from '../vql/values/csv-cell.ts';
import { toJSON } from '../vql/values/json.ts';
import { VDict } from '../vql/values/types.ts';
import { JsonOut, cellKey, cellText, writeCell } from './json-out.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Reports a problem in a file without stopping the read. */
export type Warn = (message: string) => void;

/**
 * Rows of JSON text and their merge keys (`_ts`, or the key of the row before when a row has
 * none; left empty when the reader was asked for no keys).
 */
export interface JsonBatch {
  rows: string[];
  keys: number[];
  /**
   * Set when a record spanning lines was malformed (a stray quote makes quote parity split the
   * rest of the file wrongly): the offset of its second line, where the caller reads on with a
   * fresh quote state. The batch holds the rows before it.
   */
  resync?: number;
}

/** `path: line 2010 (record 2004)`, or without the line when it is not known (0). */
export function recordPlace(path: string, record: number, line: number): string {
  return line > 0 ? `${path}: line ${line} (record ${record})` : `${path}: record ${record}`;
}

/** The old reader's row of a record: missing cells are null, extra ones `_extra1`... (reported). `line`: its file line (0: unknown). */
export function toRow(header: readonly string[], rec: readonly string[], path: string, record: number, warn: Warn, line = 0): VDict {
  if (rec.length !== header.length) {
    warn(`${recordPlace(path, record, line)} has ${rec.length} fields, the header has ${header.length}: the missing cells are empty, extra ones are shown as _extra1, _extra2...`);
  }
  const row = new VDict();
  for (let i = 0; i < rec.length; i++) row.map.set(i < header.length ? header[i]! : `_extra${i - header.length + 1}`, parseCsvCell(rec[i]!));
  for (let i = rec.length; i < header.length; i++) row.map.set(header[i]!, null);
  return row;
}

/** The end (just after its `\n`) of the record starting at `s`, by quote parity as scanRecords counts. */
export function recordEnd(src: Buffer, s: number, e: number): number {
  let inQuotes = false;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c === QUOTE) inQuotes = !inQuotes;
    else if (c === LF && !inQuotes) return i + 1;
  }
  return e;
}

/** Converts the complete records of one day file (part), after its header, keeping the record count. */
export class DayRows {
  private lastKey = -Infinity;
  private readonly prefixes: Buffer[] | null;
  private readonly tsCol: number;
  private readonly out = new JsonOut();
  // Field spans of the record being read: start, end, and 1 when it holds doubled quotes.
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private escs = new Uint8Array(64);
  private count = 0;

  /**
   * `record`: the header's record number; it counts the records read, the header included
   * (for messages). `withKeys`: whether batches carry merge keys (only a merge needs them).
   */
  /**
   * The file line of a byte offset of the buffer `convert` reads (set by the reader, which knows
   * where the buffer starts in the file); messages name records by it. Counted only when a
   * message needs it.
   */
  lineAt: (src: Buffer, offset: number) => number = () => 0;

  constructor(readonly header: readonly string[], readonly path: string, private readonly warn: Warn, public record = 1, private readonly withKeys = true) {
    const unique = new Set(header).size === header.length;
    // `{"name":` before the first cell, `,"name":` before the others.
    this.prefixes = unique ? header.map((h, i) => Buffer.from((i === 0 ? '{' : ',') + toJSON(h) + ':', 'utf8')) : null;
    this.tsCol = header.indexOf('_ts');
  }

  /** The rows of the records in bytes [s, e), which end with a record end. */
  convert(src: Buffer, s: number, e: number): JsonBatch {
    const batch: JsonBatch = { rows: [], keys: [] };
    const fast = this.prefixes !== null && isUtf8(src.subarray(s, e));
    for (let p = s; p < e; ) {
      this.record++;
      const next = fast ? this.fastRecord(src, p, e, batch) : -1;
      if (next >= 0) p = next;
      else {
        const end = recordEnd(src, p, e);
        const lf = src.indexOf(LF, p);
        const nl = lf < 0 ? end : lf + 1;
        if (!this.slowRecord(src, p, end, batch, nl < end) && nl < end) {
          batch.resync = nl;
          break;
        }
        p = end;
      }
    }
    return batch;
  }

  /** Splits the record at `p` into field spans (`count` of them); returns its end, or -1 when malformed. */
  private fields(src: Buffer, p: number, e: number): number {
    let n = 0;
    for (;;) {
      if (n === this.starts.length) this.growSpans();
      let fs: number;
      let fe: number;
      let esc = 0;
      if (src[p] === QUOTE) {
        let j = p + 1;
        let q: number;
        for (;;) {
          q = src.indexOf(QUOTE, j);
          if (q < 0 || q + 1 >= e) return -1;
          if (src[q + 1] !== QUOTE) break;
          esc = 1;
          j = q + 2;
        }
        fs = p + 1;
        fe = q;
        p = q + 1;
      } else {
        let k = p;
        for (; k < e; k++) {
          const c = src[k]!;
          if (c === COMMA || c === LF) break;
          if (c === QUOTE) return -1; // a bare quote: the old path reports it
        }
        if (k >= e) return -1;
        fs = p;
        fe = src[k] === LF && k > p && src[k - 1] === CR ? k - 1 : k;
        p = k;
      }
      this.starts[n] = fs;
      this.ends[n] = fe;
      this.escs[n++] = esc;
      const c = src[p];
      if (c === COMMA) p++;
      else {
        this.count = n;
        if (c === LF) return p + 1;
        // Only a closing quote can be followed by `\r\n`; anything else after it is malformed.
        return c === CR && src[p + 1] === LF ? p + 2 : -1;
      }
    }
  }

  private growSpans(): void {
    const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts, (n) => new Int32Array(n));
    this.ends = grow(this.ends, (n) => new Int32Array(n));
    this.escs = grow(this.escs, (n) => new Uint8Array(n));
  }

  /** Converts the record at `p`; returns the offset after it, or -1 to have the old path read it. */
  private fastRecord(src: Buffer, p: number, e: number, batch: JsonBatch): number {
    const end = this.fields(src, p, e);
    if (end < 0) return -1;
    const n = this.count;
    const prefixes = this.prefixes!;
    const { starts, ends, escs } = this;
    if (n !== prefixes.length) {
      const rec: string[] = [];
      for (let i = 0; i < n; i++) rec.push(cellText(src, starts[i]!, ends[i]!, escs[i] === 1));
      this.addRow(toRow(this.header, rec, this.path, this.record, this.warn, this.lineAt(src, p)), batch);
      return end;
    }
    const out = this.out;
    out.pos = 0;
    out.nonAscii = false;
    for (let i = 0; i < n; i++) {
      const pre = prefixes[i]!;
      out.room(pre.length);
      out.copy(pre, 0, pre.length);
      writeCell(out, src, starts[i]!, ends[i]!, escs[i] === 1);
    }
    out.room(1);
    out.buf[out.pos++] = 0x7d; // }
    batch.rows.push(out.take(0));
    if (!this.withKeys) return end;
    if (this.tsCol >= 0) {
      const k = cellKey(src, starts[this.tsCol]!, ends[this.tsCol]!, escs[this.tsCol] === 1);
      if (k !== undefined) this.lastKey = k;
    }
    batch.keys.push(this.lastKey);
    return end;
  }

  /**
   * The old path for one record: parsed strictly; a malformed record is reported and left out
   * (returning false). `multiline`: it spans lines, and the caller reads on from its second.
   */
  private slowRecord(src: Buffer, p: number, end: number, batch: JsonBatch, multiline: boolean): boolean {
    let rec: string[] | undefined;
    const line = this.lineAt(src, p);
    try {
      // The parser's lines are the file's: `path: line 2010: bare " ...`, then the record number.
      rec = parseCsv(src.toString('utf8', p, end), this.path, line || 1).records[0];
    } catch (e) {
      const message = line ? (e as Error).message : (e as Error).message.replace(`${this.path}: `, `${this.path}: record ${this.record}: `);
      this.warn(`${message}${line ? ` (record ${this.record})` : ''}; the record is left out, the rest of the file is read${multiline ? ' from its second line' : ''}`);
      return false;
    }
    if (rec) this.addRow(toRow(this.header, rec, this.path, this.record, this.warn, line), batch);
    return true;
  }

  /**
   * The bytes [s, e) left at the end of a file, which quote parity took for one unfinished
   * record: a record being written, or lines after a quote never closed (damage mid-file). In
   * the second case (some of the lines read on their own as rows), those lines are converted
   * one by one and the damage reported; returns false (doing nothing) in the first.
   */
  salvage(src: Buffer, s: number, e: number, batch: JsonBatch): boolean {
    const lines: number[] = [];
    for (let ls = s, nl = src.indexOf(LF, s); nl >= 0 && nl < e; ls = nl + 1, nl = src.indexOf(LF, ls)) lines.push(ls, nl + 1);
    const isRow = (i: number) => lineIsRecord(src.toString('utf8', lines[i]!, lines[i + 1]! - 1), this.header.length);
    let i = 0;
    while (i < lines.length && !isRow(i)) i += 2;
    if (i >= lines.length) return false;
    this.warn(`${recordPlace(this.path, this.record, this.lineAt(src, s))}: a quote in it is never closed (a damaged line); its lines are read one by one and those that are not rows are left out`);
    for (; i < lines.length; i += 2) {
      if (!isRow(i)) continue;
      const b = this.convert(src, lines[i]!, lines[i + 1]!);
      for (const r of b.rows) batch.rows.push(r);
      for (const k of b.keys) batch.keys.push(k);
    }
    return true;
  }

  private addRow(row: VDict, batch: JsonBatch): void {
    const ts = row.get('_ts');
    if (typeof ts === 'number') this.lastKey = ts;
    batch.rows.push(toJSON(row));
    if (this.withKeys) batch.keys.push(this.lastKey);
  }
}
