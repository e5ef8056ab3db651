/**
 * The storage layer of the local event collector: one CSV file per artifact (or artifact source)
 * per UTC day, appended in fsynced batches (layout in paths.ts, text format in csv-file.ts).
 * The machinery shared with the JSONL format (batches, durability, rollback, retention, open
 * files) is day-store.ts; this module is what is CSV's own.
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
import { mkdir, mkdtemp, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { VDict } from '../vql/values/types.ts';
import { completeRecords, headerLine, rowLines } from './csv-file.ts';
import { endsWithNewline } from './csv-check.ts';
import { repairDayFile, type RepairNote, type RepairOutcome } from './repair.ts';
import { CSV_LAYOUT, dayFileName, dayName, dayStart, parseDayFileName } from './paths.ts';
import { DayStore, StoreWriteError, isNotFound, type AppendResult, type DayFileEntry, type LogFormat, type OpenFile, type StoreOptions } from './day-store.ts';
import { JsonlMonitoringStore } from './jsonl-store.ts';

export { clientId } from './client-id.ts';
export { MAX_OPEN_FILES, StoreWriteError, type AppendResult, type StoreOptions } from './day-store.ts';
export type { RepairNote } from './repair.ts';

/** One part of a day: its file and header (null while the file is empty); a damaged part is never written. */
interface Part {
  part: number;
  path: string;
  headerKey: string | null;
  damaged: boolean;
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

/**
 * The daily CSV files of one client's event artifacts in a datastore (see the module comment).
 * `append()` skips rows with no columns (CSV cannot tell them from a blank line); `repair()`
 * reads earlier days only when their last line is torn.
 */
export class MonitoringStore extends DayStore {
  readonly logFormat: LogFormat = 'csv';
  /** Parts of one day of one query directory, keyed `dir \0 day`. */
  private readonly parts = new Map<string, Part[]>();

  constructor(opts: StoreOptions) {
    super(opts, CSV_LAYOUT);
  }

  protected async repairDayFile(f: DayFileEntry, recent: boolean): Promise<RepairNote[]> {
    if (!recent && (await endsWithNewline(f.path))) return [];
    const outcome = await repairDayFile(f.path);
    if (outcome.state !== 'gone') await this.remember([f.path], outcome);
    return outcome.note ? [outcome.note] : [];
  }

  protected forgetDays(cutoff: number): void {
    for (const key of [...this.parts.keys()]) {
      if (!(dayStart(key.slice(key.lastIndexOf('\0') + 1)) >= cutoff)) this.parts.delete(key);
    }
  }

  protected async countRows(path: string): Promise<number> {
    return Math.max(0, (await completeRecords(path)).records - 1);
  }

  // ---- batches ----

  protected async appendNow(dir: string, rows: readonly VDict[]): Promise<AppendResult> {
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
    return await this.settle(parts, plan, results);
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
    const file = await this.openForBatch(dir, part.path);
    const before = file.size;
    try {
      const text = (before === 0 ? headerLine(group.columns) : '') + rowLines(group.rows);
      await this.writeSynced(file, Buffer.from(text, 'utf8'), dir);
      return { file, before };
    } catch (e) {
      await this.restoreSize(file, before);
      file.busy--;
      throw new StoreWriteError(part.path, e);
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
    const known = await this.recall<RepairOutcome>([path]);
    if (known) return known;
    const outcome = await repairDayFile(path);
    if (outcome.note) this.warn(outcome.note.message);
    return outcome;
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
 * `batchSize` to a fresh store (of `logFormat`) under `dir`, and returns the rows per second.
 */
export async function benchStore(dir: string, rows = 1_000_000, batchSize = 5000, logFormat: LogFormat = 'csv'): Promise<number> {
  await mkdir(dir, { recursive: true });
  const datastore = await mkdtemp(join(dir, 'bench-'));
  const opts = { datastore, now: () => new Date(Date.UTC(2024, 0, 2, 12)) };
  const store = logFormat === 'jsonl' ? new JsonlMonitoringStore(opts) : new MonitoringStore(opts);
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
