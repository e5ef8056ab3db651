/**
 * Checking a JSONL day file and its `.json.tidx` found on disk (after a crash or a restart),
 * before the JSONL store repairs them (jsonl-repair.ts) or appends to them. The rule is the CSV
 * store's: **a restart never deletes good rows**. What can be cut:
 *
 * - in the `.json`, only the bytes after the last `\n`: the writer ends every row with one, so
 *   they are a write cut short, never a complete row;
 * - in the `.json.tidx`, a torn last record (the size is not a multiple of 24), and the run of
 *   last records that point at or past the end of the `.json`'s complete lines (an index
 *   written ahead of rows a crash or a failed batch did not leave).
 *
 * Complete lines that have no index record (a crash between the two writes of a batch) get one
 * (`rebuild`), with the row's `_ts` as the time (never earlier than the record before it), as
 * Velociraptor's reader rebuilds a missing index. One streaming pass reads both files: every
 * complete line must be a JSON object, and record k must point at line k (or, as
 * Velociraptor's blob writer does, at the `\n` just before it) with times that never go back.
 * A line that is not a JSON object is reported (`badLines`) and left alone: JSON lines are
 * independent, so the store goes on appending. So is an index that does not match the lines
 * (`indexProblem`): it is not rebuilt over, and new rows are indexed after it.
 *
 * `foreign`: the `.json` or the `.json.tidx` is not a regular file, or has other hard links:
 * nothing is read nor written through it.
 */
import { isUtf8 } from 'node:buffer';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { NO_FOLLOW, endsWithNewline, openForCheck } from './csv-check.ts';
import { dayStart } from './paths.ts';
import { TIDX_RECORD, readTidxRecord, type TidxRecord } from './jsonl-file.ts';
import { isNotFound } from './day-store.ts';
import { tidxPath } from './jsonl-paths.ts';
import { fileLines } from './jsonl-lines.ts';

const LF = 0x0a;
/** Index records read at once. */
const TIDX_CHUNK = 1 << 16;
/** Bad lines listed by line number; more are counted. */
const MAX_BAD_LINES = 10;

/** Identity and size of a file when it was checked. */
export interface FileId {
  size: number;
  dev: number;
  ino: number;
}

/** What `checkJsonlDay` found (see the module comment). */
export interface JsonlDayCheck {
  verdict: 'ok' | 'foreign' | 'gone';
  /** `foreign`: the entry and what it is. */
  foreign: { path: string; problem: string } | null;
  json: FileId | null;
  tidx: FileId | null;
  /** Complete lines (rows and bad lines) of the `.json`. */
  lines: number;
  /** Where the torn tail of the `.json` starts (its size when there is none), and its line. */
  cutJsonAt: number;
  tornLine: number;
  /** Bytes of the index to keep: without a torn record and the records past the end. */
  keepTidx: number;
  tornTidxBytes: number;
  aheadRecords: number;
  /** Records to append for the complete lines that have none, and the first such line (1-based). */
  rebuild: TidxRecord[];
  rebuildFromLine: number;
  /** Lines that are not a JSON object (the first few), and how many there are. */
  badLines: { line: number; problem: string }[];
  badLineCount: number;
  /** Where the index stops matching the lines (record and line 1-based), or null. */
  indexProblem: { record: number; line: number; problem: string } | null;
}

/** The index records of a file, read in chunks as the check walks the lines. */
class TidxCursor {
  private buf = Buffer.alloc(0);
  private base = 0;
  /** Index of the next record. */
  index = 0;
  constructor(
    private readonly fh: FileHandle | null,
    readonly count: number,
  ) {}

  /** The next record, loading the next chunk when needed; null at the end. */
  async peek(): Promise<TidxRecord | null> {
    if (this.index >= this.count) return null;
    if (this.index - this.base >= this.buf.length / TIDX_RECORD) {
      const n = Math.min(TIDX_CHUNK, this.count - this.index);
      const buf = Buffer.allocUnsafe(n * TIDX_RECORD);
      const { bytesRead } = await this.fh!.read(buf, 0, buf.length, this.index * TIDX_RECORD);
      this.buf = buf.subarray(0, bytesRead - (bytesRead % TIDX_RECORD));
      this.base = this.index;
      if (this.buf.length === 0) return null;
    }
    return readTidxRecord(this.buf, this.index - this.base);
  }
}

/** The offset just after the last `\n` of the first `size` bytes (0 when there is none), read backwards. */
async function endOfLastLine(fh: FileHandle, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(Math.min(64 * 1024, Math.max(size, 1)));
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - buf.length);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const at = buf.subarray(0, bytesRead).lastIndexOf(LF);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/** What is wrong with one complete line (without its `\n`), or null; the parsed object when it is one. */
function parseLine(bytes: Buffer, checkUtf8: boolean): { problem: string | null; value: Record<string, unknown> | null } {
  if (checkUtf8 && !isUtf8(bytes)) return { problem: 'bytes that are not UTF-8', value: null };
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return { problem: `not JSON (${(e as Error).message})`, value: null };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { problem: `not a JSON object (a row is one: {"Column":value,...})`, value: null };
  return { problem: null, value: v as Record<string, unknown> };
}

/** Opens one of the pair for checking: null when missing, `foreign` when it is not to be touched. */
async function openPart(path: string): Promise<{ fh: FileHandle; id: FileId } | { foreign: string } | null> {
  let opened;
  try {
    opened = await openForCheck(path);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  if ('foreign' in opened) return { foreign: opened.foreign };
  return { fh: opened.fh, id: { size: opened.st.size, dev: opened.st.dev, ino: opened.st.ino } };
}

/**
 * Checks a JSONL day file `json` of day `day` with its index (see the module comment). Throws
 * only when a file cannot be opened or read (EACCES, EIO...).
 */
export async function checkJsonlDay(json: string, day: string): Promise<JsonlDayCheck> {
  const tidx = tidxPath(json);
  const result: JsonlDayCheck = {
    verdict: 'ok', foreign: null, json: null, tidx: null, lines: 0, cutJsonAt: 0, tornLine: 1,
    keepTidx: 0, tornTidxBytes: 0, aheadRecords: 0, rebuild: [], rebuildFromLine: 0,
    badLines: [], badLineCount: 0, indexProblem: null,
  };
  const j = await openPart(json);
  if (j && 'foreign' in j) return { ...result, verdict: 'foreign', foreign: { path: json, problem: j.foreign } };
  let t: Awaited<ReturnType<typeof openPart>>;
  try {
    t = await openPart(tidx);
  } catch (e) {
    await j?.fh.close();
    throw e;
  }
  if (t && 'foreign' in t) {
    await j?.fh.close();
    return { ...result, verdict: 'foreign', foreign: { path: tidx, problem: t.foreign } };
  }
  if (!j && !t) return { ...result, verdict: 'gone' };
  try {
    result.json = j?.id ?? null;
    result.tidx = t?.id ?? null;
    await scan(result, j?.fh ?? null, t?.fh ?? null, day);
    return result;
  } finally {
    await j?.fh.close();
    await t?.fh.close();
  }
}

/** The streaming pass over the lines and the records (fills `r`). */
async function scan(r: JsonlDayCheck, jfh: FileHandle | null, tfh: FileHandle | null, day: string): Promise<void> {
  const size = r.json?.size ?? 0;
  const end = jfh ? await endOfLastLine(jfh, size) : 0;
  r.cutJsonAt = end;
  const tsize = r.tidx?.size ?? 0;
  r.tornTidxBytes = tsize % TIDX_RECORD;
  const records = new TidxCursor(tfh, Math.floor(tsize / TIDX_RECORD));
  let matching = true;
  let missing = false;
  let prevTs = -1n;
  let aheadFrom = -1;
  const consumed = (rec: TidxRecord): void => {
    if (rec.offset >= end) {
      if (aheadFrom < 0) aheadFrom = records.index;
    } else aheadFrom = -1;
    records.index++;
  };
  const mismatch = (line: number, problem: string): void => {
    r.indexProblem = { record: records.index + 1, line, problem };
    matching = false;
  };

  const onLine = async (bytes: Buffer, start: number, checkUtf8: boolean): Promise<void> => {
    const line = ++r.lines;
    const { problem, value } = parseLine(bytes, checkUtf8);
    if (problem) {
      if (r.badLines.length < MAX_BAD_LINES) r.badLines.push({ line, problem });
      r.badLineCount++;
    }
    if (!matching) return;
    if (!missing) {
      const rec = await records.peek();
      if (rec && (rec.offset === start || (start > 0 && rec.offset === start - 1))) {
        if (rec.ts < prevTs) mismatch(line, `its time (${rec.ts} ns) is earlier than the record before it (${prevTs} ns)`);
        prevTs = rec.ts;
        consumed(rec);
        return;
      }
      if (rec && rec.offset < end) {
        mismatch(line, `it points at byte ${rec.offset}, but line ${line} (row ${line}) starts at byte ${start}`);
        return;
      }
      missing = true;
      r.rebuildFromLine = line;
    }
    // A complete line without a record: index it with its _ts (never going back in time).
    const secs = value?._ts;
    let ts = typeof secs === 'number' && Number.isFinite(secs) ? BigInt(Math.round(secs * 1e3)) * 1_000_000n : prevTs >= 0n ? prevTs : BigInt(dayStart(day)) * 1_000_000n;
    if (ts < prevTs) ts = prevTs;
    prevTs = ts;
    r.rebuild.push({ ts, offset: start });
  };

  if (jfh) {
    for await (const group of fileLines(jfh, end)) for (const l of group.lines) await onLine(l.bytes, l.start, !group.utf8);
  }
  r.tornLine = r.lines + 1;
  // The records after the last line: past the end (cut), or pointing at no line (damage).
  for (let rec = await records.peek(); rec; rec = await records.peek()) {
    if (matching && rec.offset < end) {
      mismatch(r.lines + 1, `it points at byte ${rec.offset}, inside the rows, ${missing ? 'after a record that points past their end' : 'but every row already has its record'}`);
    }
    consumed(rec);
  }
  const kept = aheadFrom >= 0 ? aheadFrom : records.count;
  r.keepTidx = kept * TIDX_RECORD;
  r.aheadRecords = records.count - kept;
  if (!matching) {
    r.rebuild = [];
    r.rebuildFromLine = 0;
  }
}

/**
 * Whether a day file needs no repair, by a cheap probe (for days the store no longer appends
 * to): the `.json` ends with `\n`, and its index has whole records, the last pointing inside
 * the file (or both are empty).
 */
export async function jsonlLooksClean(json: string): Promise<boolean> {
  if (!(await endsWithNewline(json))) return false;
  let fh: FileHandle;
  try {
    fh = await open(tidxPath(json), constants.O_RDONLY | NO_FOLLOW);
  } catch {
    return false;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.nlink > 1 || st.size % TIDX_RECORD !== 0) return false;
    const jsonSize = await sizeOf(json);
    if (st.size === 0) return jsonSize === 0;
    const b = Buffer.alloc(TIDX_RECORD);
    await fh.read(b, 0, TIDX_RECORD, st.size - TIDX_RECORD);
    return readTidxRecord(b, 0).offset < jsonSize;
  } finally {
    await fh.close();
  }
}

async function sizeOf(path: string): Promise<number> {
  const fh = await open(path, constants.O_RDONLY | NO_FOLLOW);
  try {
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}
