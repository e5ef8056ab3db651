/**
 * The storage layer of the local event collector: one CSV file per artifact (or artifact source)
 * per UTC day, appended in fsynced batches (layout in paths.ts, text format in csv-file.ts).
 *
 * - Day: the UTC date when `append()` is called (`now()`), one per batch.
 * - Parts: a file's header is the columns of its first row. Rows with other columns (names or
 *   order) go to another part of the day (`<day>.1.csv`, `<day>.2.csv`...), the first part whose
 *   header matches, else a new one. The parts of a day are indexed from the files' headers the
 *   first time the store touches that day of that query (so after a restart too).
 * - Durability: each batch is one write plus one fdatasync per file; `append()` resolves after
 *   them (and after an fsync of the directory when a file was created).
 * - Failure: when any file of a batch fails, every file of the batch is truncated back to its
 *   size before the batch, and `append()` rejects with a `StoreWriteError`: the caller retries
 *   the same batch later without duplicating or losing rows.
 * - Restart: `repair()` checks the day files (repair.ts, csv-check.ts). It only ever cuts an
 *   incomplete last record left by a crash; a file with any other damage (a bad line mid-file,
 *   a broken header), or that is not a regular file, is left exactly as it is, reported with
 *   its line, and never appended to: the day's new rows go to a new part, as after a schema
 *   change. Files are checked the same way the first time the store appends to their day.
 *   Only the files of today and yesterday (UTC, by the store's clock) are read in full: the
 *   store never appends to earlier days, so their files are only checked (and repaired) when
 *   they do not end with a newline, which keeps a restart fast in a datastore of many days.
 *   Files are opened without following symbolic links: a link in place of a day file is
 *   neither read nor written through.
 * - One process writes a datastore at a time: the store takes no lock itself, the collector
 *   holds the datastore's (lock.ts).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, rm, rmdir, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { VDict } from '../vql/values/types.ts';
import { completeRecords, headerLine, rowLines } from './csv-file.ts';
import { NO_FOLLOW, endsWithNewline } from './csv-check.ts';
import { repairDayFile, type RepairNote, type RepairOutcome } from './repair.ts';
import {
  CLIENT_ID_FILE,
  CLIENT_ID_SYNTAX,
  dayFileName,
  dayName,
  dayStart,
  monitoringRoot,
  nameOfDir,
  parseDayFileName,
  queryDir,
} from './paths.ts';

/** Options of a `MonitoringStore`: the datastore directory, and optionally a fixed client id and clock. */
export interface StoreOptions {
  datastore: string;
  clientId?: string;
  now?: () => Date;
  /**
   * Where to report a day file found damaged (or repaired) when the store first appends to its
   * day; default: `process.emitWarning`. `repair()` returns its findings instead (`repairNote`).
   */
  warn?: (message: string) => void;
}

export type { RepairNote } from './repair.ts';

/** Result of `append()`: the files written and the number of rows stored. */
export interface AppendResult {
  files: string[];
  rows: number;
}

/** Most file descriptors kept open at once; the least recently used beyond this are closed. */
export const MAX_OPEN_FILES = 64;

const CLIENT_ID_FORMAT = /^C\.[0-9a-f]{16}$/;

/** Flags to open a day file for appending: created when missing, never through a symbolic link. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NO_FOLLOW;

/** Error codes for which a write error says what the user can do about it. */
const ADVICE: Record<string, string> = {
  EACCES: 'the collector may not write there: fix the permissions of the datastore directory (or choose another datastore), then the batch is retried',
  EPERM: 'the collector may not write there: fix the permissions of the datastore directory (or choose another datastore), then the batch is retried',
  EROFS: 'the file system is read-only: remount it read-write or choose another datastore, then the batch is retried',
  ENOSPC: 'the disk is full: free some space (or keep fewer days with retention), then the batch is retried',
  EDQUOT: 'the disk quota is exhausted: free some space or raise the quota (or keep fewer days with retention), then the batch is retried',
  EIO: 'the disk reported an I/O error: check the device and the system log, then the batch is retried',
  EMFILE: 'too many open files: raise the open-file limit (ulimit -n), then the batch is retried',
  ENFILE: 'too many open files on the system: close other programs or raise the limit, then the batch is retried',
};

/** A failed write of a batch: names the file and the OS error and says what to do; `code` is the OS error code. */
export class StoreWriteError extends Error {
  readonly code: string | undefined;
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const e = cause as NodeJS.ErrnoException;
    const code = typeof e?.code === 'string' ? e.code : undefined;
    const os = e instanceof Error ? e.message : String(cause);
    const advice = (code && ADVICE[code]) ?? 'fix the cause, then the batch is retried';
    super(`cannot write monitoring file ${path}: ${os}. The batch was not stored (rows written earlier are intact); ${advice}.`, { cause });
    this.name = 'StoreWriteError';
    this.code = code;
    this.path = path;
  }
}

/**
 * The client id of a datastore: `C.` + 16 lowercase hex digits, read from `<datastore>/client_id`
 * (one line of text), or generated from crypto randomness and saved there on first use.
 */
export function clientId(datastore: string): string {
  const file = join(datastore, CLIENT_ID_FILE);
  const existing = readClientIdFile(file);
  if (existing !== undefined) return existing;
  mkdirSync(datastore, { recursive: true });
  const id = 'C.' + randomBytes(8).toString('hex');
  // Write a temporary file and hard-link it into place: the link fails when another process
  // created the file first, and then its id wins. The id is never seen half written.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, id + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  syncDir(datastore);
  const saved = readClientIdFile(file);
  if (saved === undefined) throw new Error(`${file}: the client id was not saved`);
  return saved;
}

function readClientIdFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const id = text.trim();
  if (!CLIENT_ID_FORMAT.test(id)) {
    throw new Error(`${file}: not a client id (expected C. followed by 16 lowercase hex digits, got ${JSON.stringify(id.slice(0, 40))}); fix or delete the file`);
  }
  return id;
}

function syncDir(dir: string): void {
  // Makes a new directory entry durable. Windows cannot open directories: nothing to do there.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function syncDirAsync(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort (Windows; file systems that refuse directory fsync)
  } finally {
    await fh?.close().catch(() => {});
  }
}

/** One part of a day: its file and header (null while the file is empty); a damaged part is never written. */
interface Part {
  part: number;
  path: string;
  headerKey: string | null;
  damaged: boolean;
}

/** A file's outcome at `repair()`, reused when it is still the same file (identity and size) at the first append. */
interface Checked {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  outcome: RepairOutcome;
}

/** An open (or openable) file being appended to. */
interface OpenFile {
  path: string;
  handle: FileHandle;
  /** Bytes known to be good: the size after the last successful batch. */
  size: number;
  busy: number;
}

/** A group written to its file, not yet committed: the file (still busy) and its size before. */
interface Written {
  file: OpenFile;
  before: number;
}

/** Rows of one batch that share their columns. */
interface Group {
  columns: string[];
  key: string;
  rows: VDict[];
}

function columnsKey(columns: readonly string[]): string {
  return JSON.stringify(columns);
}

function sameColumns(row: VDict, columns: readonly string[]): boolean {
  if (row.map.size !== columns.length) return false;
  let i = 0;
  for (const k of row.map.keys()) if (k !== columns[i++]) return false;
  return true;
}

function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The daily CSV files of one client's event artifacts in a datastore (see the module comment). */
export class MonitoringStore {
  /** The client id of the files: the option, else the datastore's own (`clientId()`). */
  readonly clientId: string;
  /** The datastore directory. */
  readonly datastore: string;
  private readonly now: () => Date;
  /** Parts of one day of one query directory, keyed `dir \0 day`. */
  private readonly parts = new Map<string, Part[]>();
  /** Open files, least recently used first. */
  private readonly files = new Map<string, OpenFile>();
  /** Files whose size on disk may be past their good size (a failed rollback): size to restore. */
  private readonly pendingTruncate = new Map<string, number>();
  /** Directories known to exist. */
  private readonly dirs = new Set<string>();
  /** Tail of the operations queued per query directory. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Tail of the last exclusive operation (repair, retain, close). */
  private barrier: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly warn: (message: string) => void;
  /** What the last `repair()` did, per file. */
  private notes = new Map<string, RepairNote>();
  /** The outcomes of the last `repair()`, so that the first append does not check a file again. */
  private readonly checked = new Map<string, Checked>();

  constructor(opts: StoreOptions) {
    this.datastore = opts.datastore;
    this.clientId = opts.clientId ?? clientId(opts.datastore);
    if (!CLIENT_ID_SYNTAX.test(this.clientId)) throw new TypeError(`invalid client id ${JSON.stringify(this.clientId)}`);
    this.now = opts.now ?? (() => new Date());
    this.warn = opts.warn ?? ((m) => process.emitWarning(m, 'MonitoringStoreWarning'));
  }

  /** Directory of one artifact's monitoring files. */
  dir(queryName: string): string {
    return queryDir(this.datastore, this.clientId, queryName);
  }

  /** The monitoring directory of this client (`<datastore>/clients/<id>/monitoring`). */
  root(): string {
    return monitoringRoot(this.datastore, this.clientId);
  }

  /**
   * Appends a batch of rows of one query (`Artifact` or `Artifact/Source`) to today's file(s),
   * resolving once they are written and fsynced; rows with no columns are skipped.
   */
  append(queryName: string, rows: readonly VDict[]): Promise<AppendResult> {
    let dir: string;
    try {
      dir = this.dir(queryName);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.keyed(dir, () => this.appendNow(dir, rows));
  }

  /**
   * Checks the day files after a restart (see the module comment; earlier days only when their
   * last line is torn): cuts an incomplete last record left by a crash (removing a file that
   * held only a torn header), leaves any other damage as it is. Returns the files it has
   * something to say about (cut, removed, or left as they are); `repairNote(path)` says what
   * and where.
   */
  repair(): Promise<string[]> {
    return this.exclusive(async () => {
      await this.closeAll();
      this.parts.clear();
      this.checked.clear();
      this.notes = new Map();
      const repaired: string[] = [];
      // First the rollbacks that failed earlier: cut back to the exact size before their batch.
      for (const [path, size] of this.pendingTruncate) {
        try {
          const bytes = (await stat(path)).size - size;
          if (bytes > 0) {
            await truncate(path, size);
            repaired.push(path);
            const message = `${path}: cut ${bytes} bytes: the end of a batch whose write failed and could not be undone then (the batch is written again)`;
            this.notes.set(path, { path, action: 'cut', line: 0, bytes, message });
          }
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        this.pendingTruncate.delete(path);
      }
      const today = dayStart(dayName(this.now()));
      for (const f of await this.dayFiles(true)) {
        if (dayStart(f.day) < today - 86_400_000 && (await endsWithNewline(f.path))) continue;
        const outcome = await repairDayFile(f.path);
        if (outcome.note) {
          this.notes.set(f.path, outcome.note);
          if (!repaired.includes(f.path)) repaired.push(f.path);
        }
        if (outcome.state === 'gone') continue;
        try {
          const st = await lstat(f.path);
          this.checked.set(f.path, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, outcome });
        } catch {
          // Gone meanwhile: checked again when appended to.
        }
      }
      return repaired;
    });
  }

  /** What the last `repair()` did to a file it returned, as a message naming the file and line. */
  repairNote(path: string): string {
    return this.notes.get(path)?.message ?? `${path}: repaired`;
  }

  /** What the last `repair()` did, file by file. */
  repairNotes(): RepairNote[] {
    return [...this.notes.values()];
  }

  /** Deletes the day files (all parts) dated more than `keepDays` days before today (UTC); returns the files deleted. */
  retain(keepDays: number): Promise<string[]> {
    if (!Number.isInteger(keepDays) || keepDays < 0) return Promise.reject(new RangeError(`retain: keepDays must be a whole number >= 0, got ${keepDays}`));
    return this.exclusive(async () => {
      const cutoff = dayStart(dayName(this.now())) - keepDays * 86_400_000;
      const deleted: string[] = [];
      const touchedDirs = new Set<string>();
      for (const f of await this.dayFiles()) {
        if (dayStart(f.day) >= cutoff) continue;
        await this.forget(f.path);
        try {
          await unlink(f.path);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        deleted.push(f.path);
        touchedDirs.add(f.dir);
      }
      // Drop directories left empty (a source directory, then its artifact directory).
      const root = this.root();
      for (const d of [...touchedDirs].sort((a, b) => b.length - a.length)) {
        for (let cur = d; cur.startsWith(root) && cur !== root; cur = join(cur, '..')) {
          try {
            await rmdir(cur);
            this.dirs.delete(cur);
          } catch {
            break;
          }
        }
      }
      for (const key of [...this.parts.keys()]) {
        if (dayStart(key.slice(key.lastIndexOf('\0') + 1)) < cutoff) this.parts.delete(key);
      }
      return deleted.sort();
    });
  }

  /** Rows written today (UTC) per query name, counted from the files (for `vql monitor --status`). */
  async rowsToday(): Promise<Map<string, number>> {
    const today = dayName(this.now());
    const out = new Map<string, number>();
    for (const f of await this.dayFiles()) {
      if (f.day !== today) continue;
      let records: number;
      try {
        records = (await completeRecords(f.path)).records;
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      out.set(f.queryName, (out.get(f.queryName) ?? 0) + Math.max(0, records - 1));
    }
    return out;
  }

  /** Waits for pending batches and closes every open file; later calls reject. */
  close(): Promise<void> {
    return this.exclusive(async () => {
      this.closed = true;
      await this.closeAll();
    });
  }

  // ---- batches ----

  private async appendNow(dir: string, rows: readonly VDict[]): Promise<AppendResult> {
    if (this.closed) throw new Error('MonitoringStore: append() after close()');
    const groups = groupRows(rows);
    if (groups.length === 0) return { files: [], rows: 0 };
    const day = dayName(this.now());
    const parts = await this.dayParts(dir, day);

    // Choose the part of each group; new parts are numbered after the existing ones.
    const plan: { part: Part; group: Group; isNew: boolean }[] = [];
    for (const group of groups) {
      let part = parts.find((p) => !p.damaged && p.headerKey === group.key);
      let isNew = false;
      if (!part) {
        part = parts.find((p) => !p.damaged && p.headerKey === null);
        if (!part) {
          const n = parts.reduce((m, p) => Math.max(m, p.part + 1), 0);
          part = { part: n, path: join(dir, dayFileName(day, n)), headerKey: null, damaged: false };
          parts.push(part);
          parts.sort((a, b) => a.part - b.part);
        }
        part.headerKey = group.key;
        isNew = true;
      }
      plan.push({ part, group, isNew });
    }

    const results = await Promise.allSettled(plan.map((p) => this.writeGroup(dir, p.part, p.group)));
    try {
      return await this.settle(parts, plan, results);
    } finally {
      // Concurrent batches of many queries may have opened more files than the limit: trim now.
      await this.evict(MAX_OPEN_FILES);
    }
  }

  /** The result of a batch whose files were written, or its rollback when one of them failed. */
  private async settle(parts: Part[], plan: { part: Part; group: Group; isNew: boolean }[], results: PromiseSettledResult<Written>[]): Promise<AppendResult> {
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed < 0) {
      for (const r of results) if (r.status === 'fulfilled') r.value.file.busy--;
      return { files: plan.map((p) => p.part.path), rows: plan.reduce((n, p) => n + p.group.rows.length, 0) };
    }
    // Roll the whole batch back, so that a retry neither loses nor repeats rows.
    for (let i = 0; i < plan.length; i++) {
      const r = results[i]!;
      if (r.status === 'fulfilled') {
        await this.restoreSize(r.value.file, r.value.before);
        r.value.file.busy--;
      }
      if (plan[i]!.isNew && (r.status === 'rejected' || r.value.before === 0)) await this.dropEmptyPart(parts, plan[i]!.part);
    }
    throw (results[failed] as PromiseRejectedResult).reason;
  }

  /**
   * Writes one group to its part with one write and one fdatasync, returning the file still
   * marked busy (the caller releases it after committing or rolling back) and its size before.
   * On failure the file is cut back to that size and a StoreWriteError is thrown.
   */
  private async writeGroup(dir: string, part: Part, group: Group): Promise<Written> {
    let file: OpenFile;
    try {
      await this.ensureDir(dir);
      file = await this.openFile(part.path);
    } catch (e) {
      throw new StoreWriteError(part.path, e);
    }
    const before = file.size;
    try {
      const text = (before === 0 ? headerLine(group.columns) : '') + rowLines(group.rows);
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await file.handle.write(buf, off, buf.length - off, null);
        if (bytesWritten <= 0) throw Object.assign(new Error('write returned no progress'), { code: 'EIO' });
        off += bytesWritten;
      }
      await file.handle.datasync();
      if (before === 0) await syncDirAsync(dir);
      file.size = before + buf.length;
      return { file, before };
    } catch (e) {
      await this.restoreSize(file, before);
      file.busy--;
      throw new StoreWriteError(part.path, e);
    }
  }

  /** Cuts a file back to `size`; when that fails too, remembers to do it before the next write. */
  private async restoreSize(file: OpenFile, size: number): Promise<void> {
    file.size = size;
    try {
      await file.handle.truncate(size);
      await file.handle.datasync();
      this.pendingTruncate.delete(file.path);
    } catch {
      this.pendingTruncate.set(file.path, size);
      // The handle may be unusable (EIO): reopen next time.
      await this.forget(file.path);
    }
  }

  private async dropEmptyPart(parts: Part[], part: Part): Promise<void> {
    const file = this.files.get(part.path);
    if (file && file.size !== 0) return;
    part.headerKey = null;
    if (this.pendingTruncate.has(part.path)) return;
    await this.forget(part.path);
    try {
      const st = await stat(part.path);
      if (st.size === 0) await unlink(part.path);
      const i = parts.indexOf(part);
      if (i >= 0) parts.splice(i, 1);
    } catch (e) {
      if (isNotFound(e)) {
        const i = parts.indexOf(part);
        if (i >= 0) parts.splice(i, 1);
      }
      // Otherwise keep the empty part in the index: the next batch reuses it.
    }
  }

  // ---- index of parts ----

  /** The parts of one day of one query, read from the files' headers the first time. */
  private async dayParts(dir: string, day: string): Promise<Part[]> {
    const key = dir + '\0' + day;
    const known = this.parts.get(key);
    if (known) return known;
    // One day per directory is kept: the index of an earlier day is not needed any more.
    for (const k of this.parts.keys()) if (k.startsWith(dir + '\0')) this.parts.delete(k);
    const parts: Part[] = [];
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (!isNotFound(e)) throw new StoreWriteError(dir, e);
    }
    for (const name of names) {
      const p = parseDayFileName(name);
      if (!p || p.day !== day) continue;
      const path = join(dir, name);
      const found = await this.examine(path);
      if (found.state === 'gone') continue;
      const damaged = found.state === 'kept';
      parts.push({ part: p.part, path, headerKey: damaged || found.header === null ? null : columnsKey(found.header), damaged });
    }
    parts.sort((a, b) => a.part - b.part);
    this.parts.set(key, parts);
    return parts;
  }

  /**
   * The outcome for a file found on disk before appending to its day: `repair()`'s when the file
   * has not changed since, else it is checked (and repaired) now, and what was done is reported.
   */
  private async examine(path: string): Promise<RepairOutcome> {
    const known = this.checked.get(path);
    if (known) {
      this.checked.delete(path);
      try {
        const st = await lstat(path);
        if (st.dev === known.dev && st.ino === known.ino && st.size === known.size && st.mtimeMs === known.mtimeMs) return known.outcome;
      } catch (e) {
        if (isNotFound(e)) return { state: 'gone', header: null, note: null };
      }
    }
    const outcome = await repairDayFile(path);
    if (outcome.note) this.warn(outcome.note.message);
    return outcome;
  }

  // ---- file handles ----

  private async ensureDir(dir: string): Promise<void> {
    if (this.dirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.dirs.add(dir);
  }

  /** The open file of `path` (opened for appending when needed), marked busy: the caller decrements `busy`. */
  private async openFile(path: string): Promise<OpenFile> {
    const known = this.files.get(path);
    if (known) {
      this.files.delete(path);
      this.files.set(path, known);
      known.busy++;
      return known;
    }
    await this.evict(MAX_OPEN_FILES - 1);
    const handle = await open(path, APPEND_FLAGS, 0o666);
    try {
      let size = (await handle.stat()).size;
      const pending = this.pendingTruncate.get(path);
      if (pending !== undefined && pending < size) {
        await handle.truncate(pending);
        await handle.datasync();
        size = pending;
      }
      this.pendingTruncate.delete(path);
      const file: OpenFile = { path, handle, size, busy: 1 };
      this.files.set(path, file);
      return file;
    } catch (e) {
      await handle.close().catch(() => {});
      throw e;
    }
  }

  /** Closes least recently used idle files until at most `keep` are open. */
  private async evict(keep: number): Promise<void> {
    if (this.files.size <= keep) return;
    for (const [path, file] of this.files) {
      if (this.files.size <= keep) break;
      if (file.busy > 0) continue;
      this.files.delete(path);
      await file.handle.close().catch(() => {});
    }
  }

  private async forget(path: string): Promise<void> {
    const file = this.files.get(path);
    if (!file) return;
    this.files.delete(path);
    await file.handle.close().catch(() => {});
  }

  private async closeAll(): Promise<void> {
    const all = [...this.files.values()];
    this.files.clear();
    await Promise.all(all.map((f) => f.handle.close().catch(() => {})));
  }

  // ---- walking the tree ----

  /** Every day file of this client, with its query name, day and directory; `others`: also entries with a day file's name that are not regular files. */
  private async dayFiles(others = false): Promise<{ path: string; dir: string; day: string; queryName: string }[]> {
    const root = this.root();
    const out: { path: string; dir: string; day: string; queryName: string }[] = [];
    const scan = async (dir: string, queryName: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      for (const ent of entries) {
        // safeDirName never gives an artifact or source directory a day file's name.
        const p = depth > 0 ? parseDayFileName(ent.name) : undefined;
        if (p) {
          if (ent.isFile() || others) out.push({ path: join(dir, ent.name), dir, day: p.day, queryName });
        } else if (ent.isDirectory() && depth < 2) {
          await scan(join(dir, ent.name), (queryName ? queryName + '/' : '') + nameOfDir(ent.name), depth + 1);
        }
      }
    };
    await scan(root, '', 0);
    return out;
  }

  // ---- serialization ----

  /** Runs `fn` after the earlier operations on `key` and the last exclusive operation. */
  private keyed<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const run = Promise.all([prev, this.barrier]).then(fn);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  /** Runs `fn` alone: after every queued operation, before any later one. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = Promise.all([this.barrier, ...this.queues.values()]).then(fn);
    this.barrier = run.then(
      () => {},
      () => {},
    );
    return run;
  }
}

/** Splits a batch into groups of rows with the same columns (in order), keeping row order within each. */
function groupRows(rows: readonly VDict[]): Group[] {
  const groups: Group[] = [];
  const byKey = new Map<string, Group>();
  let last: Group | undefined;
  for (const row of rows) {
    if (row.map.size === 0) continue; // nothing to store, and CSV cannot tell it from a blank line
    if (last && sameColumns(row, last.columns)) {
      last.rows.push(row);
      continue;
    }
    const columns = [...row.map.keys()];
    const key = columnsKey(columns);
    let g = byKey.get(key);
    if (!g) {
      g = { columns, key, rows: [] };
      byKey.set(key, g);
      groups.push(g);
    }
    g.rows.push(row);
    last = g;
  }
  return groups;
}

/**
 * A micro-benchmark: appends `rows` small rows (5 columns of ints and strings) in batches of
 * `batchSize` to a fresh store under `dir`, and returns the rows per second.
 */
export async function benchStore(dir: string, rows = 1_000_000, batchSize = 5000): Promise<number> {
  await mkdir(dir, { recursive: true });
  const datastore = await mkdtemp(join(dir, 'bench-'));
  const store = new MonitoringStore({ datastore, now: () => new Date(Date.UTC(2024, 0, 2, 12)) });
  try {
    const users = ['root', 'alice', 'bob', 'www-data', 'SYSTEM'];
    const batches: VDict[][] = [];
    for (let done = 0; done < rows; ) {
      const n = Math.min(batchSize, rows - done);
      const batch: VDict[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const seq = done + i;
        const row = new VDict();
        row.map.set('Seq', seq);
        row.map.set('Pid', 1000 + (seq % 30000));
        row.map.set('Name', 'proc' + (seq % 97) + '.exe');
        row.map.set('User', users[seq % users.length]);
        row.map.set('RSS', seq * 4096);
        batch[i] = row;
      }
      batches.push(batch);
      done += n;
    }
    const start = performance.now();
    for (const batch of batches) await store.append('Bench.Events', batch);
    const seconds = (performance.now() - start) / 1000;
    return rows / seconds;
  } finally {
    await store.close();
    await rm(datastore, { recursive: true, force: true });
  }
}
