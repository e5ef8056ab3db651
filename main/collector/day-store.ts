/**
 * What the collector's two store formats share (the CSV files of store.ts and the JSONL files of
 * jsonl-store.ts): one directory per artifact (or source) under
 * `<datastore>/clients/<client id>/monitoring`, day files named by the UTC day at flush time,
 * and the rules that make a batch durable and retryable.
 *
 * - Batches of one query run one after another; `repair()`, `retain()` and `close()` run alone.
 * - A batch is written with one write per file and an fdatasync (`writeSynced`), the directory
 *   fsynced when a file was created; `append()` resolves after them.
 * - A failed batch cuts every file it touched back to its size before (`restoreSize`), and when
 *   that cut fails too, the cut is made before the file is next written or at `repair()`; then
 *   `append()` rejects with a `StoreWriteError`, and the caller retries the same batch.
 * - Files are opened for appending without following symbolic links, and at most
 *   MAX_OPEN_FILES stay open (least recently used closed first).
 * - `retain(keepDays)` deletes every file of the days before the cutoff (a JSONL day's index
 *   too), then the directories left empty; `rowsToday()` counts the rows of today's day files.
 * - `repair()` first redoes the failed cuts, then hands each day file to the format's check
 *   (`repairDayFile`); what a check finds is kept by path (`repairNote`), and a file that has
 *   not changed since is not checked again when the store first appends to its day (`recall`).
 *
 * One process writes a datastore at a time: the store takes no lock itself, the collector holds
 * the datastore's (lock.ts).
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rmdir, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { VDict } from '../vql/values/types.ts';
import { NO_FOLLOW } from './csv-check.ts';
import { clientId } from './client-id.ts';
import type { RepairNote } from './repair.ts';
import { CLIENT_ID_SYNTAX, dayName, dayStart, monitoringRoot, queryDir, type DayLayout } from './paths.ts';

/** The formats a store writes: `csv` (store.ts, the default) or `jsonl` (Velociraptor's current layout, jsonl-store.ts). */
export type LogFormat = 'csv' | 'jsonl';
export const LOG_FORMATS: readonly LogFormat[] = ['csv', 'jsonl'];

/** Options of a store: the datastore directory, and optionally a fixed client id and clock. */
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

/** Result of `append()`: the files written and the number of rows stored. */
export interface AppendResult {
  files: string[];
  rows: number;
}

/** Most file descriptors kept open at once; the least recently used beyond this are closed. */
export const MAX_OPEN_FILES = 64;

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
  ENOTREG: 'the store never writes through a link, nor to a file with other names: move the entry out of the datastore, then the batch is retried',
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

export async function syncDirAsync(dir: string): Promise<void> {
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

export function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** An open (or openable) file being appended to. */
export interface OpenFile {
  path: string;
  handle: FileHandle;
  /** Bytes known to be good: the size after the last successful batch. */
  size: number;
  busy: number;
}

/** A file of the store found in the tree: its query, day, and whether it is a day file (not a companion). */
export interface DayFileEntry {
  path: string;
  dir: string;
  day: string;
  queryName: string;
  main: boolean;
}

/** The shared machinery of the store formats (see the module comment). */
export abstract class DayStore {
  /** The client id of the files: the option, else the datastore's own (`clientId()`). */
  readonly clientId: string;
  /** The datastore directory. */
  readonly datastore: string;
  abstract readonly logFormat: LogFormat;
  protected readonly now: () => Date;
  protected readonly warn: (message: string) => void;
  /** Open files, least recently used first. */
  protected readonly files = new Map<string, OpenFile>();
  /** Files whose size on disk may be past their good size (a failed rollback): size to restore. */
  protected readonly pendingTruncate = new Map<string, number>();
  /** What the last `repair()` did, per file. */
  protected notes = new Map<string, RepairNote>();
  /** Directories known to exist. */
  private readonly dirs = new Set<string>();
  /** Tail of the operations queued per query directory. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Tail of the last exclusive operation (repair, retain, close). */
  private barrier: Promise<void> = Promise.resolve();
  private closed = false;
  /** The outcomes of the last `repair()` with the identity of the files checked (see `recall`). */
  private readonly checked = new Map<string, { stamp: string; outcome: unknown }>();

  constructor(opts: StoreOptions, protected readonly layout: DayLayout) {
    this.datastore = opts.datastore;
    this.clientId = opts.clientId ?? clientId(opts.datastore);
    if (!CLIENT_ID_SYNTAX.test(this.clientId)) throw new TypeError(`invalid client id ${JSON.stringify(this.clientId)}`);
    this.now = opts.now ?? (() => new Date());
    this.warn = opts.warn ?? ((m) => process.emitWarning(m, 'MonitoringStoreWarning'));
  }

  /** Directory of one artifact's monitoring files. */
  dir(queryName: string): string {
    return queryDir(this.datastore, this.clientId, queryName, this.layout.dirName);
  }

  /** The monitoring directory of this client (`<datastore>/clients/<id>/monitoring`). */
  root(): string {
    return monitoringRoot(this.datastore, this.clientId);
  }

  /**
   * Appends a batch of rows of one query (`Artifact` or `Artifact/Source`) to today's file(s),
   * resolving once they are written and fsynced.
   */
  append(queryName: string, rows: readonly VDict[]): Promise<AppendResult> {
    let dir: string;
    try {
      dir = this.dir(queryName);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.keyed(dir, async () => {
      if (this.closed) throw new Error('MonitoringStore: append() after close()');
      try {
        return await this.appendNow(dir, rows);
      } finally {
        // Concurrent batches of many queries may have opened more files than the limit: trim now.
        await this.evict(MAX_OPEN_FILES);
      }
    });
  }

  /** Writes one batch to the day files of `dir` (see the module comment for the rules). */
  protected abstract appendNow(dir: string, rows: readonly VDict[]): Promise<AppendResult>;

  /**
   * Checks (and repairs when safe) one day file found at `repair()`, with its companions;
   * `recent`: a day the store may still append to (today or yesterday), else only a cheap
   * probe decides whether it needs checking. Returns what was done, one note per file.
   */
  protected abstract repairDayFile(f: DayFileEntry, recent: boolean): Promise<RepairNote[]>;

  /** Forgets what the format knows of the files (before `repair()`), or of the days before `cutoff` (after `retain()`). */
  protected abstract forgetDays(cutoff: number): void;

  /** Rows of one day file, counted from the files (for `rowsToday()`). */
  protected abstract countRows(path: string): Promise<number>;

  /**
   * Checks the day files after a restart (see the module comment; the format's check says
   * what it cuts). Returns the files it has something to say about (cut, removed, or left as
   * they are); `repairNote(path)` says what and where.
   */
  repair(): Promise<string[]> {
    return this.exclusive(async () => {
      await this.closeAll();
      this.forgetDays(Infinity);
      this.checked.clear();
      this.notes = new Map();
      const repaired = await this.redoFailedCuts();
      const today = dayStart(dayName(this.now()));
      for (const f of await this.dayFiles(true)) {
        if (!f.main) continue;
        for (const note of await this.repairDayFile(f, dayStart(f.day) >= today - 86_400_000)) {
          this.notes.set(note.path, note);
          if (!repaired.includes(note.path)) repaired.push(note.path);
        }
      }
      return repaired;
    });
  }

  /** The rollbacks that failed earlier: cut back to the exact size before their batch. */
  private async redoFailedCuts(): Promise<string[]> {
    const repaired: string[] = [];
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
    return repaired;
  }

  /** What the last `repair()` did to a file it returned, as a message naming the file and line. */
  repairNote(path: string): string {
    return this.notes.get(path)?.message ?? `${path}: repaired`;
  }

  /** What the last `repair()` did, file by file. */
  repairNotes(): RepairNote[] {
    return [...this.notes.values()];
  }

  /** Deletes the day files (all parts, indexes and sources) dated more than `keepDays` days before today (UTC); returns the files deleted. */
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
      this.forgetDays(cutoff);
      return deleted.sort();
    });
  }

  /** Rows written today (UTC) per query name, counted from the files (for `vql monitor --status`). */
  async rowsToday(): Promise<Map<string, number>> {
    const today = dayName(this.now());
    const out = new Map<string, number>();
    for (const f of await this.dayFiles()) {
      if (f.day !== today || !f.main) continue;
      let rows: number;
      try {
        rows = await this.countRows(f.path);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      out.set(f.queryName, (out.get(f.queryName) ?? 0) + rows);
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

  // ---- what repair() found, reused at the first append ----

  /** Identity of files (device, inode, size, mtime; `-` when missing), to tell whether they changed. */
  private async stamp(paths: readonly string[]): Promise<string> {
    let s = '';
    for (const p of paths) {
      try {
        const st = await lstat(p);
        s += `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}|`;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        s += '-|';
      }
    }
    return s;
  }

  /** Keeps `repair()`'s outcome for the files `paths` (first the key's), as they are now. */
  protected async remember(paths: readonly string[], outcome: unknown): Promise<void> {
    try {
      this.checked.set(paths[0]!, { stamp: await this.stamp(paths), outcome });
    } catch {
      // Unreadable meanwhile: checked again when appended to.
    }
  }

  /** `repair()`'s outcome for the files `paths`, when none of them changed since (once). */
  protected async recall<T>(paths: readonly string[]): Promise<T | undefined> {
    const known = this.checked.get(paths[0]!);
    if (!known) return undefined;
    this.checked.delete(paths[0]!);
    try {
      return (await this.stamp(paths)) === known.stamp ? (known.outcome as T) : undefined;
    } catch {
      return undefined;
    }
  }

  // ---- writing ----

  /** Writes `buf` at the end of `file` with one write (looping on short writes) and an fdatasync; `dir` is fsynced when the file was empty. */
  protected async writeSynced(file: OpenFile, buf: Buffer, dir: string): Promise<void> {
    const before = file.size;
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await file.handle.write(buf, off, buf.length - off, null);
      if (bytesWritten <= 0) throw Object.assign(new Error('write returned no progress'), { code: 'EIO' });
      off += bytesWritten;
    }
    await file.handle.datasync();
    if (before === 0) await syncDirAsync(dir);
    file.size = before + buf.length;
  }

  /** The open file of `path` in `dir` (created when missing), marked busy; a failure is the batch's StoreWriteError. */
  protected async openForBatch(dir: string, path: string): Promise<OpenFile> {
    try {
      await this.ensureDir(dir);
      return await this.openFile(path);
    } catch (e) {
      throw new StoreWriteError(path, e);
    }
  }

  /** Cuts a file back to `size`; when that fails too, remembers to do it before the next write. */
  protected async restoreSize(file: OpenFile, size: number): Promise<void> {
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

  protected async ensureDir(dir: string): Promise<void> {
    if (this.dirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.dirs.add(dir);
  }

  /** The open file of `path` (opened for appending when needed), marked busy: the caller decrements `busy`. */
  protected async openFile(path: string): Promise<OpenFile> {
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

  protected async forget(path: string): Promise<void> {
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

  /** Every file of this layout of this client (day files and their companions); `others`: also entries with such a name that are not regular files. */
  protected async dayFiles(others = false): Promise<DayFileEntry[]> {
    const out: DayFileEntry[] = [];
    const scan = async (dir: string, queryName: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      for (const ent of entries) {
        // The layouts never give an artifact or source directory a day file's name.
        const p = depth > 0 ? this.layout.parseFileName(ent.name) : undefined;
        if (p) {
          if (ent.isFile() || others) out.push({ path: join(dir, ent.name), dir, day: p.day, queryName, main: p.main });
        } else if (ent.isDirectory() && depth < 2) {
          await scan(join(dir, ent.name), (queryName ? queryName + '/' : '') + this.layout.nameOfDir(ent.name), depth + 1);
        }
      }
    };
    await scan(this.root(), '', 0);
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
