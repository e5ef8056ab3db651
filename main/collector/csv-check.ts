/**
 * Checking a day file found on disk before the store repairs it or appends to it (after a
 * crash or a restart). The rule it serves: **a restart never deletes good rows**.
 *
 * One streaming pass parses the file strictly (the rules of `parseCsv`: Go encoding/csv without
 * LazyQuotes, `\r\n` or `\n` ending a record), checks every record's field count against the
 * header's and that the bytes are UTF-8 (the writer writes nothing else). The verdict:
 *
 * - `ok`: every record is complete and well formed; the store may append.
 * - `torn`: only the end of the file is incomplete, a write cut short by a crash. `cutAt` is
 *   where the incomplete record starts. It is either the bytes after the last `\n` (a record
 *   always ends with `\n`, so they can never hold a complete record), or a record whose quoted
 *   field holds newlines, started after the last good record, and then only when none of the
 *   lines it would remove reads on its own as a row with the header's field count (else an
 *   unbalanced quote mid-file could pass every row after it off as one torn record).
 * - `damaged`: anything else (a bad line mid-file, a broken header, a quote that is never
 *   closed with rows after it, bytes that are not UTF-8 before the last line). `line` and
 *   `problem` say where and what. The store leaves such a file exactly as it is and writes the
 *   day's new rows to a new part.
 * - `foreign`: not a regular file (a directory, a symbolic link, a FIFO), or one with other
 *   hard links (appending would change the file under its other names too, which may lie
 *   outside the datastore): left alone.
 *
 * A file whose only line is incomplete (a torn header) is `torn` with `cutAt` 0: it holds no
 * rows and may be removed.
 */
import { isUtf8 } from 'node:buffer';
import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { parseCsv } from './csv-file.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const CHUNK = 1 << 20;

/** Bytes that end or break an unquoted field: `,` `\n` `"`. */
const SPECIAL = new Uint8Array(256);
SPECIAL[COMMA] = SPECIAL[LF] = SPECIAL[QUOTE] = 1;

/** Opening flags that never follow a symbolic link nor block on a FIFO (0 where the OS has none). */
export const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const NON_BLOCK = constants.O_NONBLOCK ?? 0;

/** What `checkDayFile` found (see the module comment). */
export interface DayFileCheck {
  verdict: 'ok' | 'torn' | 'damaged' | 'foreign';
  /** Bytes in the file when it was checked. */
  size: number;
  /** Identity of the file checked (device and inode; 0 for `foreign`). */
  dev: number;
  ino: number;
  /** The header when the first record is complete and well formed, else null. */
  header: string[] | null;
  /** Complete, well-formed records before the first problem (the header included). */
  records: number;
  /** `torn`: the offset to cut the file to (0: the file holds no complete record). */
  cutAt: number;
  /** `torn`: the line where the incomplete record starts; `damaged`: the line of the first problem (1-based). */
  line: number;
  /** `damaged` and `foreign`: what is wrong, for a message after the file name and line. */
  problem: string;
}

/** Scanner states, as in Go's encoding/csv reader. */
const enum St {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: it closes the field or, doubled, stands for itself. */
  QuoteSeen,
  /** `\r` after a closing quote: only `\n` may follow. */
  CrAfterQuote,
}

/** The streaming strict scan of one file (see `checkDayFile`). */
class Scanner {
  private st = St.FieldStart;
  /** Fields completed in the current record. */
  private fields = 0;
  /** Offset and line of the record being read. */
  recordStart = 0;
  recordLine = 1;
  private line = 1;
  headerFields = -1;
  headerEnd = -1;
  records = 0;
  /** First invalid UTF-8 byte (absolute offset), once one was seen. */
  badUtf8 = Infinity;
  /** The first problem: the start and line of its record, and what it is. */
  problem: { start: number; line: number; message: string } | null = null;
  lastLf = -1;

  /** Scans `b`, the bytes at file offset `base`. */
  feed(b: Buffer, base: number): void {
    const lf = b.lastIndexOf(LF);
    if (lf >= 0) this.lastLf = base + lf;
    if (this.problem) return;
    const n = b.length;
    let st = this.st;
    for (let i = 0; i < n; i++) {
      let c = b[i]!;
      switch (st) {
        case St.FieldStart:
        case St.Unquoted:
          if (st === St.FieldStart && c === QUOTE) {
            st = St.Quoted;
            break;
          }
          while (SPECIAL[c] === 0 && ++i < n) c = b[i]!;
          if (i >= n) {
            st = St.Unquoted;
            break;
          }
          if (c === COMMA) {
            this.fields++;
            st = St.FieldStart;
          } else if (c === LF) {
            st = this.endRecord(base + i);
          } else {
            return this.fail('a bare " in a field that does not start with "');
          }
          break;
        case St.Quoted: {
          const q = b.indexOf(QUOTE, i);
          const stop = q < 0 ? n : q;
          for (let j = b.indexOf(LF, i); j >= 0 && j < stop; j = b.indexOf(LF, j + 1)) this.line++;
          if (q < 0) i = n;
          else {
            i = q;
            st = St.QuoteSeen;
          }
          break;
        }
        case St.QuoteSeen:
          if (c === QUOTE) st = St.Quoted;
          else if (c === COMMA) {
            this.fields++;
            st = St.FieldStart;
          } else if (c === LF) st = this.endRecord(base + i);
          else if (c === CR) st = St.CrAfterQuote;
          else return this.fail('a quoted field is followed by other text (an extra or missing ")');
          break;
        case St.CrAfterQuote:
          if (c !== LF) return this.fail('a quoted field is followed by other text (an extra or missing ")');
          st = this.endRecord(base + i);
          break;
      }
      if (this.problem) return;
    }
    this.st = st;
  }

  /** Whether the scan ended exactly at the end of a record. */
  get atRecordEnd(): boolean {
    return this.st === St.FieldStart && this.fields === 0;
  }

  /** Fields the incomplete last record has begun (the one being read included). */
  get openFields(): number {
    return this.fields + 1;
  }

  private endRecord(lfOffset: number): St {
    const fields = this.fields + 1;
    this.fields = 0;
    if (this.badUtf8 <= lfOffset) {
      this.fail('bytes that are not UTF-8');
      return St.FieldStart;
    }
    if (this.headerFields < 0) {
      this.headerFields = fields;
      this.headerEnd = lfOffset + 1;
    } else if (fields !== this.headerFields) {
      this.fail(`${fields} field${fields === 1 ? '' : 's'} where the header has ${this.headerFields}`);
      return St.FieldStart;
    }
    this.records++;
    this.line++;
    this.recordStart = lfOffset + 1;
    this.recordLine = this.line;
    return St.FieldStart;
  }

  private fail(message: string): void {
    this.problem = { start: this.recordStart, line: this.recordLine, message };
  }
}

/** The end of `b` minus an incomplete UTF-8 sequence cut by the chunk's end (read again with the next chunk). */
function utf8SafeEnd(b: Buffer): number {
  const n = b.length;
  for (let j = n - 1; j >= 0 && j >= n - 3; j--) {
    const c = b[j]!;
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return j + need > n ? j : n;
  }
  return n;
}

/** Index of the first byte of `b` that does not begin a valid UTF-8 sequence (`b` is known to be invalid). */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    let need: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return b.length;
}

/**
 * Whether a line (without its `\n`) reads on its own as one complete record with `fields`
 * fields (any number when `fields` < 0): a row that a cut must not remove.
 */
export function lineIsRecord(line: string, fields: number): boolean {
  try {
    const { records, partial } = parseCsv(line + '\n');
    return !partial && records.length === 1 && (fields < 0 || records[0]!.length === fields);
  } catch {
    return false;
  }
}

/** Whether any complete line in [start, end) of the file reads on its own as a row (see `lineIsRecord`). */
async function anyLineIsRecord(fh: FileHandle, start: number, end: number, fields: number): Promise<boolean> {
  let carry = Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(end - start, 1)));
  for (let pos = start; pos < end; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    let s = 0;
    for (let nl = chunk.indexOf(LF); nl >= 0; s = nl + 1, nl = chunk.indexOf(LF, s)) {
      if (lineIsRecord(chunk.toString('utf8', s, nl), fields)) return true;
    }
    carry = Buffer.from(chunk.subarray(s));
  }
  return false;
}

/**
 * Opens a file to check it, without following a symbolic link nor blocking on a FIFO; an entry
 * that is not a regular file, or one with other hard links, is `foreign` (with what it is).
 */
export async function openForCheck(path: string): Promise<{ fh: FileHandle; st: Stats } | { foreign: string; st: Stats | null }> {
  // Where O_NOFOLLOW does not exist (Windows), look first: a link is not followed then either.
  if (!NO_FOLLOW) {
    const ls = await lstat(path);
    if (ls.isSymbolicLink()) return { foreign: 'a symbolic link, not a day file', st: ls };
  }
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | NO_FOLLOW | NON_BLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') return { foreign: 'a symbolic link, not a day file', st: null };
    throw e;
  }
  const st = await fh.stat();
  if (st.isFile() && st.nlink <= 1) return { fh, st };
  await fh.close();
  if (st.isFile()) return { foreign: `a file with ${st.nlink} hard links (other names, maybe outside the datastore, would change too)`, st };
  return { foreign: st.isDirectory() ? 'a directory, not a day file' : 'not a regular file', st };
}

/**
 * Whether a file ends with `\n` (an empty one counts): false for a torn last line, and for an
 * entry that is not a regular file. A cheap probe for day files the store no longer appends to.
 */
export async function endsWithNewline(path: string): Promise<boolean> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | NO_FOLLOW | NON_BLOCK);
  } catch {
    return false;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.nlink > 1) return false;
    if (st.size === 0) return true;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, st.size - 1);
    return b[0] === LF;
  } finally {
    await fh.close();
  }
}

/**
 * Checks a day file (see the module comment). Throws only when the file cannot be opened or
 * read (ENOENT when it is gone, EACCES, EIO...).
 */
export async function checkDayFile(path: string): Promise<DayFileCheck> {
  const opened = await openForCheck(path);
  if ('foreign' in opened) {
    return { verdict: 'foreign', size: 0, dev: 0, ino: 0, header: null, records: 0, cutAt: 0, line: 0, problem: opened.foreign };
  }
  const { fh, st } = opened;
  try {
    const size = st.size;
    const base = { size, dev: st.dev, ino: st.ino };
    const sc = new Scanner();
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 4)));
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      let b = buf.subarray(0, bytesRead);
      // Keep a UTF-8 sequence cut by the chunk's end for the next chunk (unless the file ends here).
      if (pos + bytesRead < size) {
        const safe = utf8SafeEnd(b);
        if (safe > 0) b = b.subarray(0, safe);
      }
      if (sc.badUtf8 === Infinity && !sc.problem && !isUtf8(b)) sc.badUtf8 = pos + firstInvalidUtf8(b);
      sc.feed(b, pos);
      pos += b.length;
    }
    const lastLine = sc.lastLf + 1; // where the bytes after the last `\n` begin
    const header = await readHeaderBytes(fh, sc);
    const verdict = (v: Partial<DayFileCheck> & Pick<DayFileCheck, 'verdict'>): DayFileCheck => ({ ...base, header, records: sc.records, cutAt: 0, line: 0, problem: '', ...v });
    if (sc.problem) {
      // A problem in the bytes after the last `\n` is a torn write, anything before it damage.
      if (sc.problem.start >= lastLine) return verdict({ verdict: 'torn', cutAt: lastLine, line: sc.problem.line });
      return verdict({ verdict: 'damaged', line: sc.problem.line, problem: sc.problem.message });
    }
    if (sc.atRecordEnd) return verdict({ verdict: 'ok' });
    const start = sc.recordStart;
    if (start >= lastLine) return verdict({ verdict: 'torn', cutAt: lastLine, line: sc.recordLine });
    // The incomplete record spans lines: a quoted field with newlines, cut by a crash, or a
    // quote mid-file that is never closed. Cut it only when nothing in it could be a row.
    if (sc.badUtf8 < lastLine) return verdict({ verdict: 'damaged', line: sc.recordLine, problem: 'bytes that are not UTF-8 in a record that is never finished' });
    const tooManyFields = sc.headerFields >= 0 && sc.openFields > sc.headerFields;
    if (tooManyFields || (await anyLineIsRecord(fh, start, lastLine, sc.headerFields))) {
      return verdict({ verdict: 'damaged', line: sc.recordLine, problem: 'a quoted field that starts here is never closed, and the lines after it are rows' });
    }
    return verdict({ verdict: 'torn', cutAt: start, line: sc.recordLine });
  } finally {
    await fh.close();
  }
}

/** The header of a checked file: its first record, when that was complete and well formed. */
async function readHeaderBytes(fh: FileHandle, sc: Scanner): Promise<string[] | null> {
  if (sc.records === 0 || sc.headerEnd <= 0) return null;
  const bytes = Buffer.allocUnsafe(sc.headerEnd);
  const { bytesRead } = await fh.read(bytes, 0, sc.headerEnd, 0);
  return parseCsv(bytes.toString('utf8', 0, bytesRead)).records[0] ?? null;
}
