/**
 * What the store does with a day file found on disk (at `repair()` after a restart, or the first
 * time it appends to a day it has not seen), from its check (csv-check.ts):
 *
 * - well formed: nothing; the store may append to it.
 * - torn (a crash cut the last write short): the incomplete last record is cut off, and a file
 *   whose only line was an incomplete header is removed. Nothing else is ever cut.
 * - damaged (a bad line mid-file, a broken header, a quote never closed with rows after it),
 *   not a regular file (a directory, a symbolic link), unreadable, or torn but not cuttable
 *   (read-only): left exactly as it is, reported with its file and line, and the store writes
 *   the day's new rows to a new part (`<day>.<n>.csv`), as after a schema change. The log
 *   browser reads every part of a day, so the rows of the file stay visible.
 *
 * Every cut goes through a handle opened without following symbolic links, after checking that
 * the file is still the one checked (same device, inode and size).
 */
import { constants } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { checkDayFile, NO_FOLLOW, type DayFileCheck } from './csv-check.ts';

/** What was done to one day file, with a message naming the file and line. */
export interface RepairNote {
  path: string;
  /**
   * `cut`: an incomplete last record was cut off; `removed`: a file with only a torn header;
   * `kept`: left as it is; `indexed` (JSONL): rows without a time index record were indexed.
   */
  action: 'cut' | 'removed' | 'kept' | 'indexed';
  /** The line of the record cut off, or of the problem found (0 when no line applies). */
  line: number;
  /** Bytes cut off or removed (0 for `kept`). */
  bytes: number;
  message: string;
}

/** The outcome for one file: whether the store may append to it, its header, and what was done. */
export interface RepairOutcome {
  /** `gone`: the file does not exist (any more); `appendable`: well formed now; `kept`: not to be written. */
  state: 'gone' | 'appendable' | 'kept';
  header: string[] | null;
  note: RepairNote | null;
}

function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** `2024-01-02.csv` -> `2024-01-02.<n>.csv`: how the message names the parts new rows go to. */
function nextPartPattern(path: string): string {
  return basename(path).replace(/^(\d{4}-\d\d-\d\d)(?:\.\d+)?\.csv$/, '$1.<n>.csv');
}

function kept(path: string, line: number, what: string): RepairOutcome {
  const where = line > 0 ? `${path}: line ${line}: ` : `${path}: `;
  const message =
    `${where}${what}. The file is left exactly as it is (its rows stay readable) and this day's new rows go to a new part (${nextPartPattern(path)}). ` +
    `To write to it again, fix or delete the bad line${line > 0 ? ` (${line})` : ''}, or move the file out of the datastore.`;
  return { state: 'kept', header: null, note: { path, action: 'kept', line, bytes: 0, message } };
}

/**
 * Cuts `path` to `check.cutAt` bytes (removes it when that is 0), after making sure it is still
 * the file that was checked. Throws on an OS error.
 */
async function cut(path: string, check: DayFileCheck): Promise<boolean> {
  if (check.cutAt === 0) {
    const st = await lstat(path);
    if (!st.isFile() || st.dev !== check.dev || st.ino !== check.ino || st.size !== check.size) return false;
    await unlink(path);
    return true;
  }
  const fh = await open(path, constants.O_RDWR | NO_FOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== check.dev || st.ino !== check.ino || st.size !== check.size) return false;
    await fh.truncate(check.cutAt);
    await fh.datasync();
    return true;
  } finally {
    await fh.close();
  }
}

/** Checks a day file and repairs it when that is safe (see the module comment). Never throws. */
export async function repairDayFile(path: string): Promise<RepairOutcome> {
  let check: DayFileCheck;
  try {
    check = await checkDayFile(path);
  } catch (e) {
    if (isNotFound(e)) return { state: 'gone', header: null, note: null };
    return kept(path, 0, `cannot be read (${(e as Error).message})`);
  }
  switch (check.verdict) {
    case 'ok':
      return { state: 'appendable', header: check.header, note: null };
    case 'foreign':
      return kept(path, 0, `is ${check.problem}`);
    case 'damaged':
      return { ...kept(path, check.line, check.problem), header: check.header };
    case 'torn':
      break;
  }
  const bytes = check.size - check.cutAt;
  try {
    if (!(await cut(path, check))) return kept(path, check.line, 'the file changed while it was being checked, so its incomplete last record was not cut');
  } catch (e) {
    if (isNotFound(e)) return { state: 'gone', header: null, note: null };
    return { ...kept(path, check.line, `the last record is incomplete (a crash) but cannot be cut off (${(e as Error).message})`), header: check.header };
  }
  if (check.cutAt === 0) {
    const message = `${path}: removed: it held only an incomplete header line (${bytes} bytes, no rows), left by a crash`;
    return { state: 'gone', header: null, note: { path, action: 'removed', line: 1, bytes, message } };
  }
  const message = `${path}: cut ${bytes} bytes from line ${check.line} to the end: the last record was left incomplete by a crash (no complete row was removed)`;
  return { state: 'appendable', header: check.header, note: { path, action: 'cut', line: check.line, bytes, message } };
}
