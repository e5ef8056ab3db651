/**
 * Reading day files for the log browser: a streaming reader (one buffer, refilled; only the
 * record cut at its end is carried over, so a day of any size is read in bounded memory) that
 * gives rows as JSON text (json-rows.ts), and a merge of a day's parts (schema changes)
 * into one stream in time order by `_ts`, the second at which the collector received each row.
 * A malformed record is reported through `warn` with its file and record number; nothing stops
 * the stream.
 */
import { open } from 'node:fs/promises';
import { parseCsv, scanRecords, type ScanState } from '../collector/csv-file.ts';
import type { RowJson } from '../ipc/contract.ts';
import { DayRows, recordEnd, type JsonBatch, type Warn } from './json-rows.ts';
import { mergeByKey } from './merge.ts';

export type { Warn };

/**
 * Bytes read at a time (the buffer grows past this only for a record longer than it). Measured
 * (scripts/bench-logs.ts): 128-256 KB beat 1-4 MB by a fifth, as a smaller batch of rows dies
 * young in the GC; it also keeps each step of the event loop short (~5 ms).
 */
const CHUNK = 256 << 10;

/**
 * The rows of one day file (part), in file order, in batches of the records of one chunk, with
 * their merge keys. Reads what the file held when it was opened; a torn last record (a write in
 * progress) is left out. `chunkBytes`: bytes read at a time (tests make it small to cut records
 * anywhere); `keys`: whether to give merge keys.
 */
export async function* readDayRows(path: string, warn: Warn, signal?: AbortSignal, chunkBytes = CHUNK, keys = true): AsyncGenerator<JsonBatch> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const state: ScanState = { inQuotes: false };
    let buf = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(size, 1)));
    let have = 0; // bytes in buf: the carried partial record, then what was just read
    let rows: DayRows | null = null;
    let record = 0; // records before the header (when a header did not parse)
    // The file line where buf[0] is: messages name lines (counted once per consumed buffer).
    let lineBase = 1;
    const lineAt = (b: Buffer, offset: number) => lineBase + countLf(b, 0, offset);
    for (let pos = 0; pos < size && !signal?.aborted; ) {
      if (have === buf.length) {
        // One record is longer than the buffer: make room for it.
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, have + size - pos));
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, have, Math.min(buf.length - have, size - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const { lastEnd } = scanRecords(buf.subarray(have, have + bytesRead), state);
      let end = lastEnd < 0 ? -1 : have + lastEnd;
      have += bytesRead;
      if (end < 0) continue;
      let start = 0;
      while (!rows && start < end) {
        const h = recordEnd(buf, start, end);
        record++;
        try {
          rows = new DayRows(parseCsv(buf.toString('utf8', start, h), path, lineAt(buf, start)).records[0]!, path, warn, record, keys);
          rows.lineAt = lineAt;
        } catch (e) {
          // Without a header the rows cannot be named: the next record is taken as the header.
          warn(`${(e as Error).message} (record ${record}); it is the header, so the next record is read as the header`);
        }
        start = h;
      }
      while (rows && start < end) {
        const batch = rows.convert(buf, start, end);
        if (batch.rows.length) yield batch;
        if (batch.resync === undefined) break;
        // A malformed record spanning lines: scan again from its second line with a fresh quote state.
        state.inQuotes = false;
        start = batch.resync;
        const again = scanRecords(buf.subarray(start, have), state).lastEnd;
        end = again < 0 ? start : start + again;
      }
      lineBase += countLf(buf, 0, end);
      buf.copy(buf, 0, end, have);
      have -= end;
    }
    // Left over: a record being written, or rows after a quote never closed (see DayRows.salvage).
    if (rows && have > 0 && !signal?.aborted) {
      const rest: JsonBatch = { rows: [], keys: [] };
      rows.record++;
      if (rows.salvage(buf, 0, have, rest) && rest.rows.length) yield rest;
    }
  } finally {
    await fh.close();
  }
}

/** Line feeds in bytes [s, e) of `b`. */
function countLf(b: Buffer, s: number, e: number): number {
  let n = 0;
  for (let i = b.indexOf(0x0a, s); i >= 0 && i < e; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * The rows of a day's parts as one stream of JSON text in `_ts` order (ties keep part order,
 * then file order; a row without `_ts` sorts with the row before it), in batches of up to
 * `batchRows`. One part is passed through as it is: its rows are in time order already.
 */
export async function* mergeParts(paths: readonly string[], warn: Warn, signal?: AbortSignal, batchRows = 2000): AsyncGenerator<RowJson[]> {
  if (paths.length === 1) {
    for await (const b of readDayRows(paths[0]!, warn, signal, CHUNK, false)) yield b.rows;
    return;
  }
  yield* mergeByKey(paths.map((p) => readDayRows(p, warn, signal)), signal, batchRows);
}
