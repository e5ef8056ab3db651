/**
 * Reading day files for the log browser: a streaming reader (1 MB chunks cut at record ends,
 * so a day of any size is read in bounded memory), and a merge of a day's parts (schema
 * changes) into one stream in time order by `_ts`, the second at which the collector received
 * each row. A malformed record is reported through `warn` with its file and record number and
 * kept as far as it parses; nothing stops the stream.
 */
import { open } from 'node:fs/promises';
import { parseCsv, scanRecords, type ScanState } from '../collector/csv-file.ts';
import { parseCsvCell } from '../vql/values/csv-cell.ts';
import { VDict } from '../vql/values/types.ts';

const CHUNK = 1 << 20;

/** Reports a problem in a file without stopping the read. */
export type Warn = (message: string) => void;

/**
 * The rows of one day file (part), in file order, in batches of the records of one chunk.
 * Reads what the file held when it was opened; a torn last record (a write in progress) is left out.
 */
export async function* readDayRows(path: string, warn: Warn, signal?: AbortSignal): AsyncGenerator<VDict[]> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const state: ScanState = { inQuotes: false };
    let header: string[] | null = null;
    let carry: Buffer = Buffer.alloc(0);
    let record = 0;
    for (let pos = 0; pos < size && !signal?.aborted; ) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      const { lastEnd } = scanRecords(chunk, state);
      if (lastEnd < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const text = Buffer.concat([carry, chunk.subarray(0, lastEnd)]).toString('utf8');
      carry = chunk.subarray(lastEnd);
      let records: string[][];
      try {
        records = parseCsv(text, path).records;
      } catch (e) {
        warn(`${(e as Error).message} (counting from record ${record + 1}); the records of this 1 MB block are skipped, the rest of the file is read`);
        continue;
      }
      const rows: VDict[] = [];
      for (const rec of records) {
        record++;
        if (header === null) {
          header = rec;
          continue;
        }
        rows.push(toRow(header, rec, path, record, warn));
      }
      if (rows.length) yield rows;
    }
  } finally {
    await fh.close();
  }
}

function toRow(header: string[], rec: string[], path: string, record: number, warn: Warn): VDict {
  if (rec.length !== header.length) {
    warn(`${path}: record ${record} has ${rec.length} fields, the header has ${header.length}: the missing cells are empty, extra ones are shown as _extra1, _extra2...`);
  }
  const row = new VDict();
  for (let i = 0; i < rec.length; i++) row.map.set(i < header.length ? header[i]! : `_extra${i - header.length + 1}`, parseCsvCell(rec[i]!));
  for (let i = rec.length; i < header.length; i++) row.map.set(header[i]!, null);
  return row;
}

/** A part being merged: its reader, the batch in hand and the sort key of its next row. */
class Cursor {
  private batch: VDict[] = [];
  private i = 0;
  private lastKey = -Infinity;
  done = false;

  constructor(private readonly rows: AsyncGenerator<VDict[]>) {}

  /** Makes sure a row is in hand (unless the part is exhausted). */
  async fill(): Promise<void> {
    while (!this.done && this.i >= this.batch.length) {
      const next = await this.rows.next();
      if (next.done) this.done = true;
      else {
        this.batch = next.value;
        this.i = 0;
      }
    }
  }

  /** `_ts` of the next row; a row without one sorts with the row before it. */
  key(): number {
    const ts = this.batch[this.i]!.get('_ts');
    if (typeof ts === 'number') this.lastKey = ts;
    return this.lastKey;
  }

  take(): VDict {
    return this.batch[this.i++]!;
  }

  close(): void {
    void this.rows.return(undefined);
  }
}

/**
 * The rows of a day's parts as one stream in `_ts` order (ties keep part order, then file
 * order), in batches of up to `batchRows`. One part is passed through as it is.
 */
export async function* mergeParts(paths: readonly string[], warn: Warn, signal?: AbortSignal, batchRows = 2000): AsyncGenerator<VDict[]> {
  if (paths.length === 1) {
    yield* readDayRows(paths[0]!, warn, signal);
    return;
  }
  const cursors = paths.map((p) => new Cursor(readDayRows(p, warn, signal)));
  try {
    let out: VDict[] = [];
    for (;;) {
      if (signal?.aborted) return;
      let best: Cursor | undefined;
      let bestKey = Infinity;
      for (const c of cursors) {
        await c.fill();
        if (c.done) continue;
        const k = c.key();
        if (!best || k < bestKey) {
          best = c;
          bestKey = k;
        }
      }
      if (!best) break;
      out.push(best.take());
      if (out.length >= batchRows) {
        yield out;
        out = [];
      }
    }
    if (out.length) yield out;
  } finally {
    for (const c of cursors) c.close();
  }
}
