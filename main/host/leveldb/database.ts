/**
 * Opening a LevelDB folder read-only and listing its live key/value pairs, as LevelDB's
 * own recovery sees them, without writing anything or taking the LOCK file (the browser
 * may hold the database open):
 *
 * 1. `CURRENT` names the MANIFEST; its version edits give the live tables by level and the
 *    oldest write-ahead log still needed;
 * 2. those `.log` files are replayed (write batches) into memory, newest entry per key;
 * 3. the tables and the logs are merged by sequence number (merge.ts).
 *
 * A forensic copy is often incomplete: when `CURRENT` or the MANIFEST is missing or does not
 * parse, every `.ldb`/`.sst` table and every `.log` in the folder is read instead (obsolete
 * tables included: a value deleted since may then show again), and the log says so. All
 * problems are reported through `report` with the file they are in; the listing goes on
 * with what can be read.
 */
import type { Scope } from '../../vql/index.ts';
import type { Accessor, FileReader } from '../files/accessors.ts';
import type { OSPath } from '../files/ospath.ts';
import type { FileStat } from '../files/fileinfo.ts';
import { CorruptionError, compareBytes } from './coding.ts';
import { readLogRecords } from './log-reader.ts';
import { parseCurrent, readManifest, type Manifest, type TableFile } from './manifest.ts';
import { ConcatSource, MemSource, keepNewest, mergeLive } from './merge.ts';
import { Table, TableSource, splitInternalKey, type Source } from './table.ts';
import { decodeWriteBatch, type Entry } from './write-batch.ts';

export const BYTEWISE = 'leveldb.BytewiseComparator';

export type Level = 'debug' | 'info' | 'warn' | 'error';

/** Reports a problem: `file` is the file of the folder it concerns (empty: the folder). */
export type Reporter = (level: Level, file: string, message: string) => void;

export interface OpenOptions {
  readonly accessor: Accessor;
  readonly dir: OSPath;
  readonly scope: Scope;
  readonly signal: AbortSignal;
  readonly report: Reporter;
  /** Rows per batch. */
  readonly batch?: number;
}

/** The folder is not a LevelDB database, or cannot be listed: nothing can be read. */
export class NotADatabaseError extends Error {}

interface DirFile {
  readonly name: string;
  readonly number: number;
  readonly size: number | null;
}

interface Listing {
  current: DirFile | null;
  manifests: DirFile[];
  logs: DirFile[];
  tables: DirFile[];
}

const FILE_RE = /^(?:(\d+)\.(log|ldb|sst)|MANIFEST-(\d+)|CURRENT)$/;

async function listFolder(opts: OpenOptions): Promise<Listing> {
  const { accessor, dir, scope } = opts;
  if (!accessor.readDir) throw new NotADatabaseError(`accessor ${accessor.name} cannot list folders: give a filesystem accessor (file, auto, zip...)`);
  const st = await (accessor.stat ?? accessor.lstat)?.call(accessor, dir, scope).catch((e: unknown) => {
    throw new NotADatabaseError(errorText(e));
  });
  if (st && !st.isDir) throw new NotADatabaseError('is a file, not a folder: give the LevelDB folder (the one holding CURRENT and the .ldb/.log files)');
  let entries: FileStat[];
  try {
    entries = await accessor.readDir(dir, scope, st);
  } catch (e) {
    throw new NotADatabaseError(errorText(e));
  }
  const out: Listing = { current: null, manifests: [], logs: [], tables: [] };
  for (const e of entries) {
    if (e.isDir) continue;
    const name = e.name ?? e.path.basename;
    const m = FILE_RE.exec(name);
    if (!m) continue;
    const f: DirFile = { name, number: Number(m[1] ?? m[3] ?? 0), size: e.size === undefined ? null : Number(e.size) };
    if (name === 'CURRENT') out.current = f;
    else if (m[3] !== undefined) out.manifests.push(f);
    else if (m[2] === 'log') out.logs.push(f);
    else out.tables.push(f);
  }
  for (const l of [out.manifests, out.logs, out.tables]) l.sort((a, b) => a.number - b.number);
  return out;
}

function errorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such folder';
  if (code === 'ENOTDIR') return 'is a file, not a folder: give the LevelDB folder (the one holding CURRENT and the .ldb/.log files)';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

async function openFile(opts: OpenOptions, name: string): Promise<FileReader> {
  return opts.accessor.open(opts.dir.append([name]), opts.scope);
}

async function readSmallFile(opts: OpenOptions, name: string): Promise<string> {
  const r = await openFile(opts, name);
  try {
    return Buffer.from(await r.read(0, 4096)).toString('latin1');
  } finally {
    await r.close();
  }
}

/** The MANIFEST's state, or null (after saying why) when the folder must be read whole. */
async function loadManifest(opts: OpenOptions, listing: Listing): Promise<Manifest | null> {
  const { report } = opts;
  const fallback = 'reading every table and log in the folder instead (a value deleted since may show again)';
  let name: string;
  if (listing.current) {
    try {
      name = parseCurrent(await readSmallFile(opts, 'CURRENT'));
    } catch (e) {
      report('warn', 'CURRENT', `${(e as Error).message}; ${fallback}`);
      return null;
    }
    if (!listing.manifests.some((m) => m.name === name)) {
      report('warn', name, `named by CURRENT but absent from the folder; ${fallback}`);
      return null;
    }
  } else {
    const newest = listing.manifests.at(-1);
    if (!newest) {
      report('warn', '', `no CURRENT and no MANIFEST file; ${fallback}`);
      return null;
    }
    name = newest.name;
    report('warn', 'CURRENT', `absent: using the newest MANIFEST, ${name}`);
  }
  let reader: FileReader;
  try {
    reader = await openFile(opts, name);
  } catch (e) {
    report('warn', name, `${errorText(e)}; ${fallback}`);
    return null;
  }
  try {
    return await readManifest(reader, opts.signal);
  } catch (e) {
    report('warn', name, `${e instanceof CorruptionError ? e.message : `cannot read the MANIFEST: ${errorText(e)}`}; ${fallback}`);
    return null;
  } finally {
    await reader.close();
  }
}

/** Replays the write-ahead logs: the newest entry per key. */
async function replayLogs(opts: OpenOptions, logs: DirFile[]): Promise<Map<string, Entry>> {
  const newest = new Map<string, Entry>();
  const add = (e: Entry): void => keepNewest(newest, e);
  for (const log of logs) {
    if (opts.signal.aborted) break;
    let reader: FileReader;
    try {
      reader = await openFile(opts, log.name);
    } catch (e) {
      opts.report('warn', log.name, `cannot open the log: ${errorText(e)}`);
      continue;
    }
    try {
      for await (const record of readLogRecords(reader, (offset, m) => opts.report('warn', log.name, `offset ${offset}: ${m}`), opts.signal)) {
        try {
          decodeWriteBatch(record.data, add);
        } catch (e) {
          if (!(e instanceof CorruptionError)) throw e;
          opts.report('warn', log.name, `offset ${record.offset}: ${e.message}`);
        }
      }
    } catch (e) {
      if (e instanceof CorruptionError) opts.report('warn', log.name, e.message);
      else opts.report('warn', log.name, `cannot read the log: ${errorText(e)}`);
    } finally {
      await reader.close();
    }
  }
  return newest;
}

/** Opens a table as a source, or null after reporting why not. */
async function openTable(opts: OpenOptions, file: DirFile): Promise<Source | null> {
  let reader: FileReader;
  try {
    reader = await openFile(opts, file.name);
  } catch (e) {
    opts.report('warn', file.name, `cannot open the table: ${errorText(e)}`);
    return null;
  }
  try {
    const table = await Table.open(reader, reader.size ?? file.size ?? 0);
    return new TableSource(table, reader, (offset, m) => opts.report('warn', file.name, `offset ${offset}: ${m}`), opts.signal);
  } catch (e) {
    await reader.close();
    opts.report('warn', file.name, e instanceof CorruptionError ? `${e.message} (table skipped)` : `cannot read the table: ${errorText(e)}`);
    return null;
  }
}

/** The table files of the folder named by the MANIFEST, by level; absent ones are reported. */
function liveTables(opts: OpenOptions, manifest: Manifest, listing: Listing): DirFile[][] {
  const byNumber = new Map(listing.tables.map((t) => [t.number, t]));
  return manifest.levels.map((files: TableFile[], level) => {
    const sorted = level === 0 ? files : [...files].sort((a, b) => compareInternal(a.smallest, b.smallest));
    const out: DirFile[] = [];
    for (const f of sorted) {
      const t = byNumber.get(f.number);
      if (t) out.push(t);
      else opts.report('warn', `${String(f.number).padStart(6, '0')}.ldb`, `live table (level ${level}) named by the MANIFEST is absent from the folder: its keys are missing`);
    }
    return out;
  });
}

function compareInternal(a: Uint8Array, b: Uint8Array): number {
  try {
    const x = splitInternalKey(a);
    const y = splitInternalKey(b);
    return compareBytes(x.key, y.key) || y.seq - x.seq;
  } catch {
    return compareBytes(a, b);
  }
}

/** Drains sources in any order into the newest entry per key (for databases not in bytewise order). */
async function collectNewest(sources: Source[], into: Map<string, Entry>, signal: AbortSignal): Promise<void> {
  for (const s of sources) {
    try {
      for (let r = s.step(); r === true || (r !== false && (await r)); r = s.step()) {
        keepNewest(into, { key: s.key, seq: s.seq, type: s.type, value: s.value });
        if (signal.aborted) return;
      }
    } finally {
      await s.close();
    }
  }
}

/**
 * The live key/value pairs of the LevelDB database in `opts.dir`, in bytewise key order,
 * in batches. Throws NotADatabaseError when the folder cannot be read at all.
 */
export async function* readDatabase(opts: OpenOptions): AsyncGenerator<Array<[Uint8Array, Uint8Array]>> {
  const batch = opts.batch ?? 500;
  const listing = await listFolder(opts);
  if (!listing.current && listing.manifests.length === 0 && listing.logs.length === 0 && listing.tables.length === 0) {
    throw new NotADatabaseError('not a LevelDB folder: no CURRENT, MANIFEST, .log, .ldb or .sst file in it');
  }
  const manifest = await loadManifest(opts, listing);
  let comparatorIsBytewise = true;
  if (manifest?.comparator && manifest.comparator !== BYTEWISE) {
    comparatorIsBytewise = false;
    opts.report('warn', '', `the database orders its keys with the comparator ${JSON.stringify(manifest.comparator)}: rows are listed in bytewise key order instead`);
  }
  const logs = manifest ? listing.logs.filter((l) => l.number >= manifest.logNumber || l.number === manifest.prevLogNumber) : listing.logs;
  const memtable = await replayLogs(opts, logs);
  if (opts.signal.aborted) return;

  const sources: Source[] = [];
  if (manifest) {
    const levels = liveTables(opts, manifest, listing);
    for (const t of levels[0]!) {
      const s = await openTable(opts, t);
      if (s) sources.push(s);
    }
    for (const files of levels.slice(1)) {
      if (files.length > 0) sources.push(new ConcatSource(files.map((f) => () => openTable(opts, f))));
    }
  } else {
    for (const t of listing.tables) {
      const s = await openTable(opts, t);
      if (s) sources.push(s);
    }
  }
  if (!comparatorIsBytewise) {
    await collectNewest(sources, memtable, opts.signal);
    sources.length = 0;
  }
  sources.push(new MemSource(memtable));
  yield* mergeLive(sources, batch, opts.signal);
}
