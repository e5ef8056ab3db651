/**
 * What the JSONL store does with a day file and its index found on disk (at `repair()` after a
 * restart, or the first time it appends to a day it has not seen), from their check
 * (jsonl-check.ts):
 *
 * - a torn last line of the `.json` is cut (only the bytes after the last `\n`);
 * - a torn last index record, and the index records past the end of the rows, are cut;
 * - complete rows without an index record are indexed (appended to the `.json.tidx`);
 * - a line that is not a JSON object, or an index that does not match the rows, is left exactly
 *   as it is and reported with its file and line; the store goes on appending to the day;
 * - a `.json` or `.json.tidx` that is not a regular file (a link, a directory) or has other
 *   hard links is left alone and reported, and the day cannot be written (`blocked`):
 *   Velociraptor's layout has one file per day, so there is no other part to go to. So is a
 *   day whose torn end could not be cut (unreadable, read-only, or changing while checked):
 *   a row appended after a torn line would be lost in it. The store's append then fails with
 *   the reason, and is retried (and the day checked again) later.
 *
 * Every cut goes through a handle opened without following symbolic links, after checking that
 * the file is still the one checked (same device, inode and size).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { NO_FOLLOW } from './csv-check.ts';
import { isNotFound, syncDirAsync } from './day-store.ts';
import { TIDX_RECORD, writeTidxRecord } from './jsonl-file.ts';
import { checkJsonlDay, type FileId, type JsonlDayCheck } from './jsonl-check.ts';
import { tidxPath } from './jsonl-paths.ts';
import type { RepairNote } from './repair.ts';

/** The outcome for one day: whether the store may append to it, and what was done (one note per file). */
export interface JsonlOutcome {
  /** `gone`: neither file exists; `appendable`: the store may append; `blocked`: it may not (see `problem`). */
  state: 'gone' | 'appendable' | 'blocked';
  /** `blocked`: the entry that cannot be written, and why (an error with a `code` when the OS gave one). */
  problem: { path: string; error: Error } | null;
  notes: RepairNote[];
}

/** Notes about one file, merged into one RepairNote (the first action and line; the messages in order). */
class Notes {
  private readonly byPath = new Map<string, RepairNote>();
  add(path: string, action: RepairNote['action'], line: number, bytes: number, message: string): void {
    const known = this.byPath.get(path);
    if (!known) this.byPath.set(path, { path, action, line, bytes, message });
    else this.byPath.set(path, { ...known, bytes: known.bytes + bytes, message: `${known.message} ${message}` });
  }
  list(): RepairNote[] {
    return [...this.byPath.values()];
  }
}

/** Cuts `path` to `size` after checking it is still the file `id`; false when it changed. */
async function cutTo(path: string, id: FileId, size: number): Promise<boolean> {
  const fh = await open(path, constants.O_RDWR | NO_FOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== id.dev || st.ino !== id.ino || st.size !== id.size) return false;
    await fh.truncate(size);
    await fh.datasync();
    return true;
  } finally {
    await fh.close();
  }
}

/** Cuts the index to `check.keepTidx` bytes and appends the rebuilt records (creating the index when missing); false when it changed. */
async function fixIndex(tidx: string, check: JsonlDayCheck): Promise<boolean> {
  const records = Buffer.alloc(check.rebuild.length * TIDX_RECORD);
  check.rebuild.forEach((r, i) => writeTidxRecord(records, i, r));
  const flags = check.tidx ? constants.O_RDWR | NO_FOLLOW : constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW;
  const fh = await open(tidx, flags, 0o666);
  try {
    const st = await fh.stat();
    const id = check.tidx;
    if (id && (!st.isFile() || st.dev !== id.dev || st.ino !== id.ino || st.size !== id.size)) return false;
    if (st.size !== check.keepTidx) await fh.truncate(check.keepTidx);
    if (records.length) await fh.write(records, 0, records.length, check.keepTidx);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  if (!check.tidx) await syncDirAsync(dirname(tidx));
  return true;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** An error with a code, for the append that cannot write the day. */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** How often a day that changes while it is checked is checked again. */
const ATTEMPTS = 3;

/** Checks a day file (and its index) and repairs them when that is safe (see the module comment). Never throws. */
export async function repairJsonlDay(json: string, day: string, attempt = 1): Promise<JsonlOutcome> {
  const tidx = tidxPath(json);
  const notes = new Notes();
  const blocked = (path: string, error: Error): JsonlOutcome => ({ state: 'blocked', problem: { path, error }, notes: notes.list() });
  let check: JsonlDayCheck;
  try {
    check = await checkJsonlDay(json, day);
  } catch (e) {
    if (isNotFound(e)) return { state: 'gone', problem: null, notes: [] };
    notes.add(json, 'kept', 0, 0, `${json}: cannot be read (${(e as Error).message}); it is left as it is, and this day's rows of this query are held until it can be.`);
    return blocked(json, e as Error);
  }
  if (check.verdict === 'gone') return { state: 'gone', problem: null, notes: [] };
  if (check.verdict === 'foreign') {
    const { path, problem } = check.foreign!;
    notes.add(path, 'kept', 0, 0,
      `${path}: is ${problem}. It is left exactly as it is, and this day's rows of this query cannot be written (one file per day, as Velociraptor lays them out): ` +
      `move it out of the datastore; the rows are held and retried meanwhile.`);
    return blocked(path, coded(`it is ${problem}`, 'ENOTREG'));
  }
  const name = basename(json);
  const changed = (path: string): Promise<JsonlOutcome> | JsonlOutcome =>
    attempt < ATTEMPTS ? repairJsonlDay(json, day, attempt + 1) : blocked(path, coded('it kept changing while it was checked (is another program writing the datastore?)', 'EBUSY'));
  try {
    if (check.json && check.cutJsonAt < check.json.size) {
      const bytes = check.json.size - check.cutJsonAt;
      if (!(await cutTo(json, check.json, check.cutJsonAt))) return changed(json);
      notes.add(json, 'cut', check.tornLine, bytes, `${json}: cut ${bytes} bytes from line ${check.tornLine} to the end: the last line was left incomplete by a crash (no complete row was removed).`);
    }
    if (check.tidx ? check.keepTidx < check.tidx.size || check.rebuild.length > 0 : check.rebuild.length > 0) {
      if (!(await fixIndex(tidx, check))) return changed(tidx);
      if (check.tornTidxBytes) notes.add(tidx, 'cut', 0, check.tornTidxBytes, `${tidx}: cut ${check.tornTidxBytes} bytes: an incomplete last record left by a crash.`);
      if (check.aheadRecords) {
        notes.add(tidx, 'cut', 0, check.aheadRecords * TIDX_RECORD, `${tidx}: cut ${plural(check.aheadRecords, 'record')} pointing past the end of the rows of ${name} (the index of a batch whose rows a crash or a failed write did not leave).`);
      }
      if (check.rebuild.length) {
        const first = check.rebuildFromLine;
        const last = first + check.rebuild.length - 1;
        notes.add(tidx, 'indexed', first, 0,
          `${tidx}: indexed ${plural(check.rebuild.length, 'row')} (line${first === last ? ` ${first}` : `s ${first}-${last}`} of ${name}) that had no time index record ` +
          `(a crash between writing rows and their index, or no index), with each row's _ts as its time.`);
      }
    }
  } catch (e) {
    if (isNotFound(e)) return changed(json);
    notes.add(json, 'kept', 0, 0, `${json}: the end of the day file or its index cannot be repaired (${(e as Error).message}); the files are left as they are, and this day's rows of this query are held until they can be.`);
    return blocked(json, e as Error);
  }
  if (check.badLineCount) {
    const [first] = check.badLines;
    const others = check.badLines.slice(1).map((b) => b.line);
    const more = check.badLineCount > 1 ? ` (${plural(check.badLineCount - 1, 'more bad line')}${others.length ? `: line${others.length > 1 ? 's' : ''} ${others.join(', ')}${check.badLineCount - 1 > others.length ? ', ...' : ''}` : ''})` : '';
    notes.add(json, 'kept', first!.line, 0,
      `${json}: line ${first!.line}: ${first!.problem}${more}. The line is left exactly as it is: JSON lines are independent, so the other rows stay readable and new rows are appended after it. ` +
      `To clear this message, fix or delete the line.`);
  }
  if (check.indexProblem) {
    const p = check.indexProblem;
    notes.add(tidx, 'kept', p.line, 0,
      `${tidx}: record ${p.record}: ${p.problem}. The index is left as it is and new rows are indexed after it; seeking by time in this day may miss rows. ` +
      `To rebuild it from the rows' _ts, stop the collector and delete ${basename(tidx)}.`);
  }
  return { state: 'appendable', problem: null, notes: notes.list() };
}
