/**
 * The collector's JSONL store: Velociraptor's current layout for client monitoring (a server
 * has stored client events so since 2020), one file per artifact (or source) per UTC day, with
 * its time index (names in jsonl-paths.ts, bytes in jsonl-file.ts):
 *
 *     clients/<client id>/monitoring/<Artifact>[/<Source>]/<YYYY-MM-DD>.json       one row a line
 *     clients/<client id>/monitoring/<Artifact>[/<Source>]/<YYYY-MM-DD>.json.tidx  24 bytes a row
 *
 * What it shares with the CSV store (day-store.ts): the day is the UTC date at flush time, one
 * per batch; a batch is one write and an fdatasync of the `.json`, then the same of the
 * `.json.tidx`, and `append()` resolves after both; when either fails, both are cut back to
 * their size before the batch and `append()` rejects with a `StoreWriteError` (the caller
 * retries the same batch, neither losing nor repeating rows); retention deletes a day's
 * `.json` with its `.json.tidx`.
 *
 * What differs: JSON lines carry their own keys, so rows of any columns go to the same file
 * (no parts); a bad line mid-file is reported and writing goes on after it (jsonl-repair.ts);
 * rows today are counted from the index (its size / 24, records past the end of the rows left
 * out). `repair()` reads today's and yesterday's files in full, earlier days only when a cheap
 * probe finds a torn line or index (`jsonlLooksClean`).
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { VDict } from '../vql/values/types.ts';
import { NO_FOLLOW } from './csv-check.ts';
import { DayStore, StoreWriteError, type AppendResult, type DayFileEntry, type LogFormat, type OpenFile, type StoreOptions } from './day-store.ts';
import { TIDX_RECORD, encodeBatch, readTidxRecord } from './jsonl-file.ts';
import { jsonlLooksClean } from './jsonl-check.ts';
import { JSONL_LAYOUT, jsonlFileName, tidxPath } from './jsonl-paths.ts';
import { repairJsonlDay, type JsonlOutcome } from './jsonl-repair.ts';
import { fileLines } from './jsonl-lines.ts';
import { dayName, dayStart } from './paths.ts';
import type { RepairNote } from './repair.ts';

/** The day a query directory is writing: its two files, checked once. */
interface DayPair {
  day: string;
  json: string;
  tidx: string;
}

/** The daily JSONL files (and time indexes) of one client's event artifacts in a datastore (see the module comment). */
export class JsonlMonitoringStore extends DayStore {
  readonly logFormat: LogFormat = 'jsonl';
  /** The day each query directory writes, once checked. */
  private readonly days = new Map<string, DayPair>();

  constructor(opts: StoreOptions) {
    super(opts, JSONL_LAYOUT);
  }

  protected async appendNow(dir: string, rows: readonly VDict[]): Promise<AppendResult> {
    if (rows.length === 0) return { files: [], rows: 0 };
    const at = this.now();
    const pair = await this.dayPair(dir, dayName(at));
    const json = await this.openForBatch(dir, pair.json);
    let tidx: OpenFile;
    try {
      tidx = await this.openForBatch(dir, pair.tidx);
    } catch (e) {
      json.busy--;
      throw e;
    }
    const before = { json: json.size, tidx: tidx.size };
    let writing = pair.json;
    try {
      const batch = encodeBatch(rows, this.clientId, at, before.json);
      await this.writeSynced(json, batch.json, dir);
      writing = pair.tidx;
      await this.writeSynced(tidx, batch.tidx, dir);
      return { files: [pair.json], rows: rows.length };
    } catch (e) {
      // Both files back to their size before the batch: a retry neither loses nor repeats rows.
      await this.restoreSize(json, before.json);
      await this.restoreSize(tidx, before.tidx);
      throw new StoreWriteError(writing, e);
    } finally {
      json.busy--;
      tidx.busy--;
    }
  }

  /** The files of `day` in `dir`, checked (and repaired) the first time; throws when one is not a day file. */
  private async dayPair(dir: string, day: string): Promise<DayPair> {
    const known = this.days.get(dir);
    if (known?.day === day) return known;
    const json = join(dir, jsonlFileName(day));
    const pair: DayPair = { day, json, tidx: tidxPath(json) };
    let outcome = await this.recall<JsonlOutcome>([pair.json, pair.tidx]);
    if (!outcome) {
      outcome = await repairJsonlDay(pair.json, day);
      // A blocked day is reported by the append's error (again at each retry, until it is fixed).
      if (outcome.state !== 'blocked') for (const n of outcome.notes) this.warn(n.message);
    }
    if (outcome.state === 'blocked') throw new StoreWriteError(outcome.problem!.path, outcome.problem!.error);
    for (const p of [known?.json, known?.tidx]) if (p) await this.forget(p);
    this.days.set(dir, pair);
    return pair;
  }

  protected async repairDayFile(f: DayFileEntry, recent: boolean): Promise<RepairNote[]> {
    if (!recent && (await jsonlLooksClean(f.path))) return [];
    const outcome = await repairJsonlDay(f.path, f.day);
    if (outcome.state !== 'gone') await this.remember([f.path, tidxPath(f.path)], outcome);
    return outcome.notes;
  }

  protected forgetDays(cutoff: number): void {
    for (const [dir, pair] of this.days) if (!(dayStart(pair.day) >= cutoff)) this.days.delete(dir);
  }

  protected countRows(path: string): Promise<number> {
    return countJsonlRows(path);
  }
}

/**
 * The rows of a JSONL day file, counted from its index: its records (size / 24) that point
 * inside the `.json` (records past its end, left by a crash before repair, do not count). A
 * day without an index (a file from elsewhere) is counted by its lines.
 */
export async function countJsonlRows(json: string): Promise<number> {
  const jfh = await open(json, constants.O_RDONLY | NO_FOLLOW);
  try {
    const size = (await jfh.stat()).size;
    let tfh;
    try {
      tfh = await open(tidxPath(json), constants.O_RDONLY | NO_FOLLOW);
    } catch {
      return size === 0 ? 0 : await countLines(jfh, size);
    }
    try {
      const n = Math.floor((await tfh.stat()).size / TIDX_RECORD);
      if (n === 0) return size === 0 ? 0 : await countLines(jfh, size);
      const b = Buffer.alloc(TIDX_RECORD);
      const offsetOf = async (i: number): Promise<number> => {
        await tfh.read(b, 0, TIDX_RECORD, i * TIDX_RECORD);
        return readTidxRecord(b, 0).offset;
      };
      if ((await offsetOf(n - 1)) < size) return n;
      // Binary search for the first record at or past the end (offsets grow with the rows).
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((await offsetOf(mid)) < size) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    } finally {
      await tfh.close();
    }
  } finally {
    await jfh.close();
  }
}

async function countLines(fh: FileHandle, size: number): Promise<number> {
  let n = 0;
  for await (const group of fileLines(fh, size)) n += group.lines.length;
  return n;
}
