/**
 * Velociraptor's 2018 monitoring day files (VELOCIRAPTOR.md 3.2): `monitoring/Artifact%20<Name>/
 * <YYYY-MM-DD>`, no extension, CSV whose header is the query's columns and whose every cell is
 * the JSON encoding of its value (numbers bare, strings in their JSON quotes, which CSV quoting
 * then doubles, nested values as JSON text), `-` for a column the row did not have. There is no
 * `_ts`: rows are in the order the server appended them.
 *
 * Each record becomes the JSON text of its row: a cell that is valid JSON is copied as it is
 * (so big integers keep their digits), `-` is null, anything else is a string. Read in chunks
 * cut at record ends (bounded memory); a record that does not parse is reported with its line
 * and left out. Also written as a JSONL copy (`legacyToJsonl`) for the table engine, into the
 * table's own folder, never next to the source.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { parseCsv, scanRecords, type ScanState } from '../collector/csv-file.ts';
import type { JsonBatch, Warn } from './json-rows.ts';

const CHUNK = 256 << 10;
/** The longest record read (a longer one is reported and the file is read no further). */
const MAX_RECORD = 16 << 20;

function cellJson(cell: string): string {
  if (cell === '-') return 'null';
  const c = cell.trim();
  if (c !== '' && (c[0] === '"' || c[0] === '{' || c[0] === '[' || c[0] === '-' || (c[0]! >= '0' && c[0]! <= '9') || c === 'true' || c === 'false' || c === 'null')) {
    try {
      JSON.parse(c);
      return c;
    } catch {
      // Not JSON: the cell's text.
    }
  }
  return JSON.stringify(cell);
}

/** The rows of a 2018 day file as JSON text, in file order (keys: the record number, so merges keep file order). */
export async function* readLegacyRows(path: string, warn: Warn, signal?: AbortSignal): AsyncGenerator<JsonBatch> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const state: ScanState = { inQuotes: false };
    let buf = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, size)));
    let have = 0;
    let header: string[] | null = null;
    let keys: string[] = [];
    let line = 1;
    let n = 0;
    for (let pos = 0; pos < size && !signal?.aborted; ) {
      if (have === buf.length) {
        if (buf.length >= MAX_RECORD) {
          warn(`${path}: line ${line}: a record longer than ${MAX_RECORD >> 20} MiB (or a quote never closed); the rest of the file is not read`);
          return;
        }
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, have, Math.min(buf.length - have, size - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const { lastEnd } = scanRecords(buf.subarray(have, have + bytesRead), state);
      const end = lastEnd < 0 ? -1 : have + lastEnd;
      have += bytesRead;
      if (end < 0) continue;
      const text = buf.toString('utf8', 0, end);
      const batch: JsonBatch = { rows: [], keys: [] };
      // Record by record, so that one that does not parse is named and the others are kept.
      let at = 0;
      while (at < text.length) {
        const nl = text.indexOf('\n', at);
        let stop = nl < 0 ? text.length : nl + 1;
        // A quoted field spanning lines: extend to the record's real end.
        while (stop < text.length && (text.slice(at, stop).split('"').length - 1) % 2 === 1) {
          const next = text.indexOf('\n', stop);
          stop = next < 0 ? text.length : next + 1;
        }
        const recText = text.slice(at, stop);
        const lines = recText.split('\n').length - 1;
        try {
          const rec = parseCsv(recText, path, line).records[0];
          if (rec) {
            if (!header) {
              header = rec;
              keys = header.map((h) => JSON.stringify(h));
            } else {
              let s = '{';
              for (let i = 0; i < header.length; i++) s += `${i ? ',' : ''}${keys[i]}:${i < rec.length ? cellJson(rec[i]!) : 'null'}`;
              batch.rows.push(s + '}');
              batch.keys.push(++n);
              if (rec.length > header.length) warn(`${path}: line ${line}: ${rec.length} fields for ${header.length} columns; the extra fields are left out`);
            }
          }
        } catch (e) {
          warn(`${path}: line ${line}: ${(e as Error).message}; the record is left out, the rest is read`);
        }
        line += lines;
        at = stop;
      }
      if (batch.rows.length) yield batch;
      buf.copy(buf, 0, end, have);
      have -= end;
    }
    if (have > 0 && !signal?.aborted) warn(`${path}: line ${line}: cut short (no line end); the record is left out`);
  } finally {
    await fh.close();
  }
}

/** Writes the rows of a 2018 day file as JSON lines to `dest` (the table engine's folder); returns the rows written. */
export async function legacyToJsonl(path: string, dest: string, warn: Warn, signal?: AbortSignal): Promise<number> {
  const out = createWriteStream(dest);
  let rows = 0;
  try {
    for await (const b of readLegacyRows(path, warn, signal)) {
      rows += b.rows.length;
      if (!out.write(b.rows.join('\n') + '\n')) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return rows;
}
