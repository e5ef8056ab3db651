/**
 * The rows of a JSONL day file (or of the byte range of a time range, tidx.ts) as JSON text
 * with their merge keys (`_ts`), read in chunks in bounded memory: the shape csv-read.ts gives
 * for CSV day files, so that days and parts of either format merge the same way (merge.ts).
 *
 * Each line is checked (JSON.parse) and passed on as its own text, so numbers past 2^53 and key
 * order stay as written. Bad input is reported through `warn` with file and line, and reading
 * goes on (JSON lines are independent): a line that is not JSON or not an object; a line longer
 * than MAX_JSON_LINE, skipped without being held in memory; the bytes after the last line end
 * (a row cut short, or one being written) at the end of the file.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { NO_FOLLOW } from '../collector/csv-check.ts';
import type { JsonBatch, Warn } from './json-rows.ts';

const LF = 0x0a;
const CHUNK = 256 << 10;
const BATCH = 2000;
/** The longest line read as a row (DuckDB's JSON reader takes objects up to 16 MiB by default). */
export const MAX_JSON_LINE = 16 << 20;

/** Where to read: the whole file, or a byte range of it whose first line is row `firstLine`. */
export interface JsonlSpan {
  start?: number;
  end?: number;
  /** The line number of the range's first line (1 for the whole file). */
  firstLine?: number;
  /** Whether the range ends before the file does (its last row may then end without `\n`). */
  cut?: boolean;
}

/** The `_ts` of a parsed row as a number (seconds), or NaN. */
function tsOf(v: unknown): number {
  const ts = (v as Record<string, unknown>)._ts;
  return typeof ts === 'number' ? ts : typeof ts === 'string' && ts.trim() !== '' ? Number(ts) : NaN;
}

/**
 * The rows of `path` (see the module comment) in batches, in file order, keys = `_ts` (a row
 * without one takes the key of the row before it). `keys: false` skips the keys.
 */
export async function* readJsonlText(path: string, warn: Warn, span: JsonlSpan = {}, signal?: AbortSignal, chunkBytes = CHUNK): AsyncGenerator<JsonBatch> {
  const fh = await open(path, constants.O_RDONLY | NO_FOLLOW);
  try {
    const size = (await fh.stat()).size;
    const end = Math.min(size, span.end ?? size);
    let pos = Math.max(0, span.start ?? 0);
    let line = (span.firstLine ?? 1) - 1;
    let key = -Infinity;
    let buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, end - pos)));
    let have = 0;
    /** Bytes of an over-long line being skipped (its start already reported). */
    let skipping = -1;
    let batch: JsonBatch = { rows: [], keys: [] };
    const take = (b: Buffer, s: number, e: number) => {
      line++;
      while (s < e && (b[s] === 0x20 || b[s] === 0x09 || b[s] === 0x0d || b[s] === LF)) s++;
      while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x0d || b[e - 1] === 0x09)) e--;
      if (s === e) return;
      const text = b.toString('utf8', s, e);
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (err) {
        warn(`${path}: line ${line}: not JSON (${(err as Error).message}); the line is left out, the rest is read`);
        return;
      }
      if (!v || typeof v !== 'object' || Array.isArray(v)) {
        warn(`${path}: line ${line}: not a JSON object (a row is one: {"Column":value,...}); the line is left out, the rest is read`);
        return;
      }
      const t = tsOf(v);
      if (!Number.isNaN(t)) key = t;
      batch.rows.push(text);
      batch.keys.push(key);
    };
    while (pos < end && !signal?.aborted) {
      if (have === buf.length) {
        if (buf.length >= MAX_JSON_LINE) {
          // An over-long line: report it once and drop its bytes up to its end.
          if (skipping < 0) warn(`${path}: line ${line + 1}: longer than ${MAX_JSON_LINE >> 20} MiB; the line is left out, the rest is read`);
          skipping = 1;
          have = 0;
        } else {
          const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_JSON_LINE));
          buf.copy(bigger, 0, 0, have);
          buf = bigger;
        }
      }
      const { bytesRead } = await fh.read(buf, have, Math.min(buf.length - have, end - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      let s = 0;
      let nl = buf.indexOf(LF, have);
      have += bytesRead;
      if (skipping > 0) {
        if (nl < 0 || nl >= have) {
          have = 0;
          continue;
        }
        line++;
        skipping = -1;
        s = nl + 1;
        nl = buf.indexOf(LF, s);
      }
      for (; nl >= 0 && nl < have; s = nl + 1, nl = buf.indexOf(LF, s)) take(buf, s, nl);
      if (batch.rows.length >= BATCH) {
        yield batch;
        batch = { rows: [], keys: [] };
      }
      buf.copy(buf, 0, s, have);
      have -= s;
    }
    if (have > 0 && skipping < 0 && !signal?.aborted) {
      if (span.cut) take(buf, 0, have);
      else {
        let only = true;
        for (let i = 0; i < have && only; i++) only = buf[i] === 0x20 || buf[i] === 0x0d || buf[i] === 0x09;
        if (!only) warn(`${path}: line ${line + 1}: cut short (no line end; the file may still be being written); the line is left out, the rest is read`);
      }
    }
    if (batch.rows.length) yield batch;
  } finally {
    await fh.close();
  }
}

/**
 * A copy of a JSONL file (for the table engine's folder) with every line longer than `max`
 * bytes cut to its first `keep` bytes, so that a reader with a line limit (DuckDB's JSON reader:
 * 16 MiB) reads the rest and the cut line stays at its place as a line that does not parse.
 * Streams in chunks: a long line is never held. Returns the cut lines (1-based) and their sizes.
 */
export async function copyCuttingLongLines(src: string, dest: string, max = MAX_JSON_LINE, keep = 64 << 10, signal?: AbortSignal): Promise<Array<{ line: number; bytes: number }>> {
  const inp = await open(src, constants.O_RDONLY | NO_FOLLOW);
  const out = await open(dest, 'wx');
  const cut: Array<{ line: number; bytes: number }> = [];
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let line = 1;
    let len = 0; // bytes of the current line so far
    let pending: Buffer[] = []; // the current line's bytes while it may still fit
    for (let pos = 0; !signal?.aborted; ) {
      const { bytesRead } = await inp.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      let s = 0;
      for (let nl = buf.indexOf(LF, 0); s < bytesRead; nl = buf.indexOf(LF, s)) {
        const e = nl >= 0 && nl < bytesRead ? nl : bytesRead;
        const piece = buf.subarray(s, e);
        if (len + piece.length <= max) pending.push(Buffer.from(piece));
        else if (len <= max) {
          // The line just went past the limit: keep its start only.
          const head = Buffer.concat([...pending, piece]).subarray(0, keep);
          pending = [head];
        }
        len += piece.length;
        if (e === bytesRead) break;
        if (len > max) cut.push({ line, bytes: len });
        await out.write(Buffer.concat([...pending, Buffer.from([LF])]));
        pending = [];
        len = 0;
        line++;
        s = e + 1;
      }
    }
    if (len > max) cut.push({ line, bytes: len });
    if (pending.length) await out.write(Buffer.concat(pending));
  } finally {
    await inp.close();
    await out.close();
  }
  return cut;
}
