/**
 * Reading a JSONL day file by time, as Velociraptor's timed result set reader does
 * (`result_sets/timed/reader.go`; VELOCIRAPTOR-FORMATS.md 2.4, 2.5): the rows whose index time
 * is in `[from, to)` are found by a binary search on the `.json.tidx` (times never go back),
 * then each record's row is read at its offset (skipping a leading `\n` or spaces, which
 * Velociraptor's blob writer leaves), and `_ts` is set to the index time in milliseconds.
 *
 * A day without an index (or with an empty one while the file has rows) is read line by line,
 * with each row's `_ts` (Unix seconds) as its time, as Velociraptor rebuilds a missing index.
 * A record whose row is not complete yet (the file is being written) ends the read; so do
 * records past the end of the file. A line that is not a JSON object is reported (file, line
 * and byte) and left out, and reading goes on: JSON lines are independent. Files are opened
 * read-only and without following symbolic links; nothing is written.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { fromJSON } from '../vql/values/json.ts';
import { VDict } from '../vql/values/types.ts';
import { NO_FOLLOW } from './csv-check.ts';
import { TIDX_RECORD, readTidxRecord, type TidxRecord } from './jsonl-file.ts';
import { tidxPath } from './jsonl-paths.ts';
import { fileLines } from './jsonl-lines.ts';

const LF = 0x0a;
const CHUNK = 1 << 20;
/** Index records read at once. */
const TIDX_CHUNK = 1 << 14;
/** Rows per batch yielded. */
const BATCH = 1000;

/** Options of `readJsonlRows`. */
export interface JsonlReadOptions {
  /** The first time to include, ms since the epoch (default: the start of the file). */
  from?: number;
  /** The first time to leave out, ms since the epoch (default: the end of the file). */
  to?: number;
  /**
   * `_ts` of the rows read: `index` (default), the index time in ms, as Velociraptor's readers
   * give it; `file`, as stored (Unix seconds, appended by the writer).
   */
  ts?: 'index' | 'file';
  /** Where a line that is not a JSON object is reported (it is left out); default: thrown. */
  onProblem?: (message: string) => void;
}

/** One row read, with its time (ms since the epoch, from the index) and where it is. */
export interface TimedRow {
  row: VDict;
  time: number;
  /** The row's line in the file (1-based; the index has one record per line). */
  line: number;
  offset: number;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === LF || c === 0x0d || c === 0x09;
}

/** A forward window on the bytes of a file, for reading the lines that records point at. */
class LineReader {
  private buf = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
  ) {}

  /** The line at `offset` (leading spaces and newlines skipped, without its `\n`) and where it starts; null when it is not complete. */
  async lineAt(offset: number): Promise<{ text: Buffer; start: number } | null> {
    let want = CHUNK;
    for (;;) {
      if (offset < this.start || offset >= this.start + this.buf.length) await this.load(offset, want);
      let p = offset - this.start;
      while (p < this.buf.length && isSpace(this.buf[p]!)) p++;
      const nl = this.buf.indexOf(LF, p);
      if (nl >= 0) return { text: this.buf.subarray(p, nl), start: this.start + p };
      if (this.start + this.buf.length >= this.size) return null;
      // The line goes on past the window: read a larger one from the offset.
      want = Math.max(want * 2, this.buf.length * 2);
      await this.load(offset, want);
    }
  }

  private async load(offset: number, length: number): Promise<void> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(n);
    const { bytesRead } = n ? await this.fh.read(buf, 0, n, offset) : { bytesRead: 0 };
    this.buf = buf.subarray(0, bytesRead);
    this.start = offset;
  }
}

/** Reads record `i` of an index. */
async function recordAt(fh: FileHandle, i: number): Promise<TidxRecord> {
  const b = Buffer.alloc(TIDX_RECORD);
  await fh.read(b, 0, TIDX_RECORD, i * TIDX_RECORD);
  return readTidxRecord(b, 0);
}

/** The first record in `[0, n)` whose time is at or after `ns` (n when none): a binary search. */
export async function searchTidx(fh: FileHandle, n: number, ns: bigint): Promise<number> {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((await recordAt(fh, mid)).ts < ns) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function msToNs(ms: number | undefined, dflt: bigint): bigint {
  return ms === undefined || !Number.isFinite(ms) ? dflt : BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms - Math.floor(ms)) * 1e6));
}

/** Parses one line into a row, or reports why it is left out. */
function parseRow(text: Buffer, where: () => string, report: (m: string) => void): VDict | null {
  let v;
  try {
    v = fromJSON(text.toString('utf8'));
  } catch (e) {
    report(`${where()}: not JSON (${(e as Error).message}); the line is left out and reading goes on`);
    return null;
  }
  if (!(v instanceof VDict)) {
    report(`${where()}: not a JSON object (a row is one: {"Column":value,...}); the line is left out and reading goes on`);
    return null;
  }
  return v;
}

/**
 * The rows of a JSONL day file whose time is in `[from, to)`, in batches, in file order (see the
 * module comment). Throws when the file cannot be opened (ENOENT...).
 */
export async function* readJsonlRows(json: string, opts: JsonlReadOptions = {}): AsyncGenerator<TimedRow[]> {
  const report = opts.onProblem ?? ((m: string) => {
    throw new Error(m);
  });
  const fh = await open(json, constants.O_RDONLY | NO_FOLLOW);
  try {
    const size = (await fh.stat()).size;
    let tfh: FileHandle | null = null;
    try {
      tfh = await open(tidxPath(json), constants.O_RDONLY | NO_FOLLOW);
    } catch {
      // No index (or not one to follow): read the lines.
    }
    try {
      const n = tfh ? Math.floor((await tfh.stat()).size / TIDX_RECORD) : 0;
      if (tfh && (n > 0 || size === 0)) yield* byIndex(json, fh, size, tfh, n, opts, report);
      else yield* byLines(json, fh, size, opts, report);
    } finally {
      await tfh?.close();
    }
  } finally {
    await fh.close();
  }
}

async function* byIndex(json: string, fh: FileHandle, size: number, tfh: FileHandle, n: number, opts: JsonlReadOptions, report: (m: string) => void): AsyncGenerator<TimedRow[]> {
  const lo = await searchTidx(tfh, n, msToNs(opts.from, -(1n << 63n)));
  const hi = opts.to === undefined ? n : await searchTidx(tfh, n, msToNs(opts.to, 1n << 62n));
  const lines = new LineReader(fh, size);
  const records = Buffer.allocUnsafe(Math.min(TIDX_CHUNK, Math.max(1, hi - lo)) * TIDX_RECORD);
  let batch: TimedRow[] = [];
  for (let base = lo; base < hi; base += TIDX_CHUNK) {
    const count = Math.min(TIDX_CHUNK, hi - base);
    const { bytesRead } = await tfh.read(records, 0, count * TIDX_RECORD, base * TIDX_RECORD);
    for (let k = 0; k < Math.floor(bytesRead / TIDX_RECORD); k++) {
      const rec = readTidxRecord(records, k);
      // A record past the end, or whose row is not complete yet: the rows end here.
      const line = rec.offset < size ? await lines.lineAt(rec.offset) : null;
      if (!line) {
        if (batch.length) yield batch;
        return;
      }
      const i = base + k;
      const row = parseRow(line.text, () => `${json}: line ${i + 1} (byte ${line.start}, record ${i + 1} of the index)`, report);
      if (!row) continue;
      const time = Number(rec.ts / 1_000_000n);
      if (opts.ts !== 'file') row.set('_ts', time);
      batch.push({ row, time, line: i + 1, offset: line.start });
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

async function* byLines(json: string, fh: FileHandle, size: number, opts: JsonlReadOptions, report: (m: string) => void): AsyncGenerator<TimedRow[]> {
  const from = opts.from ?? -Infinity;
  const to = opts.to ?? Infinity;
  const bounded = opts.from !== undefined || opts.to !== undefined;
  let line = 0;
  let batch: TimedRow[] = [];
  for await (const group of fileLines(fh, size)) {
    for (const l of group.lines) {
      const at = ++line;
      let s = 0;
      while (s < l.bytes.length && isSpace(l.bytes[s]!)) s++;
      if (s === l.bytes.length) continue; // a blank line holds no row
      const row = parseRow(l.bytes.subarray(s), () => `${json}: line ${at} (byte ${l.start + s})`, report);
      if (!row) continue;
      const secs = row.get('_ts');
      const time = typeof secs === 'number' ? secs * 1000 : typeof secs === 'bigint' ? Number(secs) * 1000 : NaN;
      if (Number.isNaN(time) ? bounded : time < from || time >= to) continue;
      if (opts.ts !== 'file' && !Number.isNaN(time)) row.set('_ts', time);
      batch.push({ row, time, line: at, offset: l.start + s });
    }
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  // Bytes after the last `\n` are a row still being written: left out.
  if (batch.length) yield batch;
}

/** Every row of `readJsonlRows` (the rows only), for a day or a part of one. */
export async function readJsonlDay(json: string, opts: JsonlReadOptions = {}): Promise<VDict[]> {
  const out: VDict[] = [];
  for await (const batch of readJsonlRows(json, opts)) for (const r of batch) out.push(r.row);
  return out;
}
