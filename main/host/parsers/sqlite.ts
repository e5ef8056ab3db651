/**
 * `sqlite(file, accessor, query, args)`: runs an SQL query on an SQLite database, one row per
 * result row (keys are the column names SQLite reports).
 *
 * The engine is node-sqlite3-wasm: SQLite compiled to WebAssembly (no native build, one
 * package for every OS) with a VFS that reads the database page by page through Node's fs,
 * so a database of any size is never read whole into memory (sql.js, the other WASM build,
 * loads the whole file). Its VFS locks a database by creating a `<file>.lock` directory
 * beside it, so the database is never opened in place: it is first copied (streamed) into a
 * temporary folder of our own, with its `-wal` journal when there is one, as Velociraptor
 * copies a database that is in use. That also makes a database that a running program holds
 * open readable. The copy is opened with exclusive locking (which lets SQLite read a WAL
 * without shared memory) and `query_only`, so the query cannot write.
 *
 * Copies are cached per query session by file, closed and deleted after 5 s unused (and at
 * exit), as Velociraptor caches its handles.
 *
 * A query that writes (INSERT, UPDATE, DELETE, REPLACE, CREATE, DROP, ALTER, VACUUM, REINDEX,
 * ANALYZE, `PRAGMA x = y`, decided by its first keyword; anything else that SQLite itself
 * refuses on the read-only copy before giving a row, e.g. `WITH ... INSERT`) runs on the file
 * itself, opened read-write and created when missing, as Velociraptor does for its local hash
 * database (Generic.Forensic.LocalHashes.*). Changing files stays behind the opt-in of rm() and
 * copy(): without `allowExecve` only a file inside the run's temp folder (tempfile(), tempdir())
 * or the workbench's local folder (`<datastore>/local`, main/artifacts/tools.ts) is written,
 * with links checked as copy() checks them; elsewhere one error says how to allow it. Only a
 * file of this machine (accessor `file` or `auto`) is written. The read-write handle is kept
 * for the next write to the same file (LocalHashes.Glob writes once per hashed file: opening
 * the database each time doubled the cost of an INSERT), closed after WRITE_IDLE_MS unused and
 * when the run ends; every statement commits on its own, so the file is complete between
 * statements. The cached read copies of that file are dropped on each write, so a later read
 * in the same query sees it.
 *
 * Differences from Velociraptor: URI options after `?` in the file name are not passed to
 * SQLite (the VFS has no URI support: they are dropped, with a log line); a file that is not
 * an SQLite database is logged (Velociraptor is silent); REAL values that are integral come
 * out as integers; declared DATE/TIMESTAMP columns are not turned into times.
 */
import { createRequire } from 'node:module';
import { rmSync, existsSync } from 'node:fs';
import { open as fsOpen, mkdtemp, mkdir, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isInside, landsWithin } from '../files/inside.ts';
import type { Database as SqliteDatabase } from 'node-sqlite3-wasm';
import { VBytes, VDict, VTime, normInt, toJSON, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { accessorOrLog } from '../files/read.ts';
import { writeReader, type Accessor } from '../files/accessors.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { errorText, fileError } from './common.ts';
import { runState, type RunState } from '../collect/run-files.ts';
import { localFolderOf } from '../../artifacts/tools.ts';

type SqliteModule = typeof import('node-sqlite3-wasm');

let sqliteModule: SqliteModule | null = null;

/** Loads the WASM build on first use (it is not part of the bundle: see scripts/build.mjs). */
function sqlite3(): SqliteModule {
  sqliteModule ??= createRequire(import.meta.url)('node-sqlite3-wasm') as SqliteModule;
  return sqliteModule;
}

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const IDLE_CLOSE_MS = 5000;
const COPY_CHUNK = 1 << 20;
const BATCH = 500;

interface Handle {
  readonly db: SqliteDatabase;
  readonly dir: string;
  users: number;
  timer: NodeJS.Timeout | null;
  /** The file was written since the copy was made: close as soon as nobody uses it. */
  stale: boolean;
}

/** A cached copy: the promise of its handle (the map entry's identity guards removals). */
interface Entry {
  readonly pending: Promise<Handle>;
}

/** Temporary folders still on disk: removed at exit whatever happens. */
const liveDirs = new Set<string>();
let exitHook = false;

function removeDir(dir: string): void {
  liveDirs.delete(dir);
  for (let i = 0; i < 3; i++) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch {
      // Windows may hold the file a moment after close: try again.
    }
  }
}

function trackDir(dir: string): void {
  liveDirs.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of [...liveDirs]) removeDir(d);
    });
  }
}

const HANDLES = Symbol('sqlite-handles');

function handles(scope: Scope): Map<string, Entry> {
  let m = scope.env.context.get(HANDLES) as Map<string, Entry> | undefined;
  if (!m) scope.env.context.set(HANDLES, (m = new Map()));
  return m;
}

/** Copies `filename` (through its accessor) to `dest`, streaming. */
async function copyFile(accessor: Accessor, filename: Value, scope: Scope, dest: string, signal: AbortSignal): Promise<void> {
  const reader = await accessor.open(filename, scope);
  const out = await fsOpen(dest, 'wx');
  try {
    if ((await writeReader(reader, out, signal, COPY_CHUNK)) === null) throw new Error('cancelled');
  } finally {
    await out.close();
    await reader.close();
  }
}

/** The first bytes of a file (throws when it cannot be opened). */
async function header(accessor: Accessor, filename: Value, scope: Scope): Promise<Uint8Array> {
  const r = await accessor.open(filename, scope);
  try {
    return await r.read(0, HEADER.length);
  } finally {
    await r.close();
  }
}

/** The database file name without `?options`, and the options. */
function splitOptions(filename: Value): { name: Value; options: string } {
  const text = pathText(filename);
  const q = text.lastIndexOf('?');
  const slash = Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\'));
  if (q < 0 || q < slash) return { name: filename, options: '' };
  const stripped = text.slice(0, q);
  return { name: filename instanceof OSPath ? OSPath.parse(stripped, filename.type) : stripped, options: text.slice(q + 1) };
}

async function openHandle(accessor: Accessor, filename: Value, scope: Scope, signal: AbortSignal): Promise<Handle> {
  const dir = await mkdtemp(join(tmpdir(), 'vql-sqlite-'));
  trackDir(dir);
  try {
    const dest = join(dir, 'db.sqlite');
    await copyFile(accessor, filename, scope, dest, signal);
    // A database in WAL mode keeps recent transactions in its -wal file: copy it too.
    if (accessor.name === 'file' || accessor.name === 'auto') {
      const wal = pathText(accessor.path(filename)) + '-wal';
      if (existsSync(wal)) await copyFile(accessor, wal, scope, dest + '-wal', signal).catch(() => {});
    }
    const { Database } = sqlite3();
    const db = new Database(dest, { fileMustExist: true });
    try {
      db.exec('PRAGMA locking_mode=EXCLUSIVE');
      db.exec('PRAGMA query_only=1');
    } catch (e) {
      db.close();
      throw e;
    }
    return { db, dir, users: 0, timer: null, stale: false };
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}

function closeHandle(h: Handle): void {
  if (h.timer) clearTimeout(h.timer);
  h.timer = null;
  closeQuietly(h.db);
  removeDir(h.dir);
}

function release(map: Map<string, Entry>, key: string, entry: Entry, h: Handle): void {
  h.users--;
  if (h.users > 0) return;
  if (h.stale) {
    closeHandle(h);
    return;
  }
  if (h.timer) clearTimeout(h.timer);
  h.timer = setTimeout(() => {
    if (h.users > 0) return;
    if (map.get(key) === entry) map.delete(key);
    closeHandle(h);
  }, IDLE_CLOSE_MS);
  h.timer.unref();
}

/** The path part of a cache key (`accessor\0path`). */
function keyPath(key: string): string {
  return key.slice(key.indexOf('\0') + 1);
}

/** Drops the cached copies of the local file `path` (it was written): the next read copies it again. */
function invalidate(map: Map<string, Entry>, path: string): void {
  for (const [key, entry] of [...map]) {
    const name = key.slice(0, key.indexOf('\0'));
    if ((name !== 'file' && name !== 'auto') || resolve(keyPath(key)) !== path) continue;
    map.delete(key);
    entry.pending.then(
      (h) => {
        h.stale = true;
        if (h.users === 0) closeHandle(h);
      },
      () => {},
    );
  }
}

/** A VQL value as an SQLite parameter. */
function bindValue(v: Value): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (v instanceof VBytes) return v.bytes;
  if (v instanceof VTime) return v.toRFC3339();
  if (v instanceof OSPath) return v.toString();
  const j = JSON.parse(toJSON(v)) as unknown;
  return typeof j === 'string' || typeof j === 'number' ? j : JSON.stringify(j);
}

/** An SQLite value as a VQL value: BLOBs as strings (bytes when not UTF-8), big ints kept. */
function sqlValue(v: unknown): Value {
  if (v instanceof Uint8Array) return bytesToValue(v);
  if (typeof v === 'bigint') return normInt(v);
  return v as Value;
}

const WRITE_KEYWORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'CREATE', 'DROP', 'ALTER', 'VACUUM', 'REINDEX', 'ANALYZE']);

/** `sql` without its leading blanks and comments (`-- ...`, `/* ... *\/`). */
function skipComments(sql: string): string {
  let s = sql;
  for (;;) {
    s = s.trimStart();
    if (s.startsWith('--')) {
      const nl = s.indexOf('\n');
      s = nl < 0 ? '' : s.slice(nl + 1);
    } else if (s.startsWith('/*')) {
      const end = s.indexOf('*/', 2);
      s = end < 0 ? '' : s.slice(end + 2);
    } else {
      return s;
    }
  }
}

/**
 * Whether a statement writes, by its first keyword: INSERT, UPDATE, DELETE, REPLACE, CREATE,
 * DROP, ALTER, VACUUM, REINDEX, ANALYZE, and a PRAGMA that sets a value (`PRAGMA user_version
 * = 3`). Anything else (SELECT, WITH, EXPLAIN, a PRAGMA that reads) is tried as a read; a
 * write among those (`WITH x AS (...) INSERT ...`) is recognised by SQLite refusing it on the
 * read-only copy (see `refusedAsWrite`).
 */
export function writesByKeyword(sql: string): boolean {
  const s = skipComments(sql);
  const word = /^[A-Za-z]+/.exec(s)?.[0].toUpperCase() ?? '';
  if (WRITE_KEYWORDS.has(word)) return true;
  // PRAGMA [schema.]name = value (names may be quoted).
  if (word === 'PRAGMA') return /^PRAGMA\s+(?:(?:\w+|"[^"]*"|`[^`]*`|\[[^\]]*\])\s*\.\s*)?(?:\w+|"[^"]*"|`[^`]*`|\[[^\]]*\])\s*=/i.test(s);
  return false;
}

/** Whether the first bytes of a file are SQLite's header (`SQLite format 3`). */
function isSqliteHeader(head: Uint8Array): boolean {
  return head.length >= 12 && Buffer.compare(Buffer.from(head.subarray(0, 12)), HEADER.subarray(0, 12)) === 0;
}

/** SQLite's refusal of a write on a database opened with `query_only` (or read-only). */
function refusedAsWrite(e: unknown): boolean {
  return /attempt to write a readonly database/i.test(errorText(e));
}

/** SQLite's "the file is locked" errors. */
function isBusy(e: unknown): boolean {
  return /database is locked|SQLITE_BUSY|database table is locked/i.test(errorText(e));
}


/** How to allow sqlite() to write anywhere (as rm() and copy()). */
export const SQLITE_WRITE_DISABLED =
  "the database is readonly here: sqlite() writes only inside the run's temp folder (tempfile(), tempdir()) and the workbench's local folder; elsewhere writing needs --allow-execve (CLI) or 'Allow artifacts to run programs' in the app settings";

const BUSY_RETRIES = 20;
const BUSY_WAIT_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ctx {
  readonly scope: Scope;
  readonly accessor: Accessor;
  readonly filename: Value;
  readonly sql: string;
  readonly values: unknown[] | undefined;
  readonly signal: AbortSignal;
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', m: string) => void;
  readonly allowed: boolean;
}

const quoted = (sql: string) => JSON.stringify(sql.length > 200 ? sql.slice(0, 200) + '...' : sql);

function toRow(row: unknown): VDict {
  const out = new VDict();
  for (const [k, v] of Object.entries(row as Record<string, unknown>)) out.map.set(k, sqlValue(v));
  return out;
}

/**
 * A read: on the cached copy. Returns 'write' when SQLite refused the statement as a write
 * before any row (the caller runs it as a write), else nothing.
 */
async function* readQuery(c: Ctx): AsyncGenerator<VDict[], 'write' | undefined> {
  const { accessor, filename, scope, signal, log, sql } = c;
  let head: Uint8Array;
  try {
    head = await header(accessor, filename, scope);
  } catch (e) {
    log('warn', fileError('file', accessor, filename, errorText(e)));
    return;
  }
  if (!isSqliteHeader(head)) {
    log('warn', fileError('file', accessor, filename, head.length === 0 ? 'the file is empty: not an SQLite database' : 'not an SQLite database (no "SQLite format 3" header)'));
    return;
  }

  const map = handles(scope);
  const key = `${accessor.name}\0${pathText(accessor.path(filename))}`;
  let entry = map.get(key);
  if (!entry) {
    entry = { pending: openHandle(accessor, filename, scope, signal) };
    map.set(key, entry);
  }
  let handle: Handle;
  try {
    handle = await entry.pending;
  } catch (e) {
    if (map.get(key) === entry) map.delete(key);
    log('error', fileError('file', accessor, filename, `cannot open the database: ${errorText(e)}`));
    return;
  }
  handle.users++;
  if (handle.timer) {
    clearTimeout(handle.timer);
    handle.timer = null;
  }
  let stmt: ReturnType<SqliteDatabase['prepare']> | null = null;
  let rows = 0;
  try {
    stmt = handle.db.prepare(sql);
    let batch: VDict[] = [];
    for (const row of stmt.iterate(c.values as never)) {
      batch.push(toRow(row));
      rows++;
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
        if (signal.aborted) return;
      }
    }
    if (batch.length) yield batch;
  } catch (e) {
    if (rows === 0 && refusedAsWrite(e) && (accessor.name === 'file' || accessor.name === 'auto')) return 'write';
    log('error', fileError('file', accessor, filename, `query ${quoted(sql)}: ${errorText(e)}`));
  } finally {
    try {
      stmt?.finalize();
    } catch {
      // Already finalized.
    }
    release(map, key, entry, handle);
  }
  return;
}

/** How long a read-write handle stays open with no write (then the file is closed). */
export const WRITE_IDLE_MS = 1000;

interface WriteHandle {
  readonly db: SqliteDatabase;
  users: number;
  timer: NodeJS.Timeout | null;
}

/**
 * The read-write handles of one run, by file: opened on first write, kept while writes keep
 * coming, closed after WRITE_IDLE_MS without one (the timer does not keep the process alive)
 * and when the run ends (RunState.finish).
 */
class WriteHandles {
  private readonly open = new Map<string, WriteHandle>();

  acquire(path: string): WriteHandle {
    let h = this.open.get(path);
    if (!h) {
      h = { db: new (sqlite3().Database)(path), users: 0, timer: null };
      this.open.set(path, h);
    }
    if (h.timer) clearTimeout(h.timer);
    h.timer = null;
    h.users++;
    return h;
  }

  release(path: string, h: WriteHandle, drop: boolean): void {
    h.users--;
    if (drop && this.open.get(path) === h) this.open.delete(path);
    if (h.users > 0) return;
    // Dropped (now or by another user of it): closed at once, not kept.
    if (this.open.get(path) !== h) {
      closeQuietly(h.db);
      return;
    }
    h.timer = setTimeout(() => {
      if (this.open.get(path) === h && h.users === 0) {
        this.open.delete(path);
        closeQuietly(h.db);
      }
    }, WRITE_IDLE_MS);
    h.timer.unref();
  }

  closeAll(): void {
    for (const [path, h] of this.open) {
      if (h.timer) clearTimeout(h.timer);
      this.open.delete(path);
      closeQuietly(h.db);
    }
  }
}

function closeQuietly(db: SqliteDatabase): void {
  try {
    db.close();
  } catch {
    // Already closed.
  }
}

const runWriters = new WeakMap<RunState, WriteHandles>();

function writeHandles(run: RunState): WriteHandles {
  let w = runWriters.get(run);
  if (!w) {
    const made = new WriteHandles();
    runWriters.set(run, made);
    run.atExit(async () => {
      made.closeAll();
      runWriters.delete(run);
    });
    w = made;
  }
  return w;
}

/** A write: on the file itself, opened read-write (created when missing); the handle is kept for the next write (WriteHandles). */
async function* writeQuery(c: Ctx): AsyncGenerator<VDict[]> {
  const { accessor, filename, scope, signal, log, sql, allowed } = c;
  const fail = (m: string) => log('error', fileError('file', accessor, filename, `query ${quoted(sql)} writes to the database: ${m}`));
  if (accessor.name !== 'file' && accessor.name !== 'auto') {
    fail(`only a file of this machine can be written (accessor=file), not one read through accessor=${accessor.name}`);
    return;
  }
  let path: string;
  try {
    path = resolve(pathText(accessor.path(filename)));
  } catch (e) {
    fail(errorText(e));
    return;
  }
  const run = runState(scope);
  const local = localFolderOf(scope.env.registry);
  const inTemp = run.inTempFolder(path);
  const inLocal = local !== undefined && isInside(local, path);
  if (!allowed && !inTemp && !inLocal) {
    fail(`${SQLITE_WRITE_DISABLED} (the temp folder is ${run.files.tempDir}${local ? `, the local folder ${local}` : ''})`);
    return;
  }
  try {
    // The folders sqlite() may write in are made on first use, private (0700).
    if (inTemp) run.tempFolder();
    else if (inLocal && dirname(path) === resolve(local!)) await mkdir(local!, { recursive: true, mode: 0o700 });
    const st = await lstat(path).catch(() => null);
    if (!allowed) {
      const root = inTemp ? run.files.tempDir : local!;
      if (!(await landsWithin(root, path)) || st?.isSymbolicLink()) {
        fail(`${SQLITE_WRITE_DISABLED} (${path} leads out of ${root} through a link)`);
        return;
      }
    }
    if (st && !st.isFile()) {
      fail(st.isDirectory() ? 'is a directory' : 'not a regular file');
      return;
    }
    if (st && st.size > 0) {
      if (!isSqliteHeader(await header(accessor, filename, scope))) {
        fail('not an SQLite database (no "SQLite format 3" header): the file is left as it is');
        return;
      }
    }
  } catch (e) {
    fail(errorText(e));
    return;
  }
  // Reads of this file in this query copy it again from now on.
  invalidate(handles(scope), path);

  const writers = writeHandles(run);
  let rows: VDict[] = [];
  for (let attempt = 0; ; attempt++) {
    if (signal.aborted) return;
    let handle: WriteHandle | null = null;
    let stmt: ReturnType<SqliteDatabase['prepare']> | null = null;
    let failed = false;
    rows = [];
    try {
      handle = writers.acquire(path);
      stmt = handle.db.prepare(sql);
      for (const row of stmt.iterate(c.values as never)) rows.push(toRow(row));
      break;
    } catch (e) {
      failed = true;
      if (isBusy(e) && attempt < BUSY_RETRIES) {
        // Another program (or query) holds the file: wait a little and try again.
      } else {
        const busy = isBusy(e) ? ` (another program holds it; if none does, remove ${path}.lock)` : '';
        log('error', fileError('file', accessor, filename, `query ${quoted(sql)}: ${errorText(e)}${busy}`));
        return;
      }
    } finally {
      try {
        stmt?.finalize();
      } catch {
        // Already finalized.
      }
      // A handle whose statement failed is not trusted again: the next write opens the file anew.
      if (handle) writers.release(path, handle, failed);
    }
    await sleep(BUSY_WAIT_MS);
  }
  // A read copy made while the statement ran (another query of this session) is stale too.
  invalidate(handles(scope), path);
  for (let i = 0; i < rows.length; i += BATCH) {
    yield rows.slice(i, i + BATCH);
    if (signal.aborted) return;
  }
}

/** The sqlite plugin; `allowed` is the user's leave to change files (HostOptions.allowExecve). */
export function sqlitePlugin(allowed: boolean): PluginDef {
  return {
    name: 'sqlite',
    doc: "Run an SQL query on an SQLite database: one row per result row. Reads query a copy (a database in use can be read); writes (INSERT, CREATE...) change the file itself, only in the run's temp folder or the workbench's local folder unless --allow-execve.",
    args: {
      file: { type: 'any', required: true, doc: 'The database file' },
      accessor: { type: 'string', doc: 'How to read it (file, auto, data...)', default: 'file' },
      query: { type: 'string', required: true, doc: 'The SQL query' },
      args: { type: 'any', doc: 'Values for the query\'s ? placeholders: one value or a list' },
    },
    batched: true,
    async *run(call) {
      const { args, scope, signal } = call;
      const log = call.log.bind(call);
      const accessor = accessorOrLog(scope, args.accessor === undefined || args.accessor === '' ? 'file' : args.accessor, 'sqlite', log);
      if (!accessor) return;
      const sql = String(args.query ?? '').trim();
      if (sql === '') return;
      const { name: filename, options } = splitOptions(args.file);
      if (options) log('debug', `file options ?${options} are not passed to SQLite (not supported here)`);
      const values = args.args === undefined || args.args === null ? undefined : Array.isArray(args.args) ? args.args.map(bindValue) : [bindValue(args.args)];
      const c: Ctx = { scope, accessor, filename, sql, values, signal, log, allowed };
      if (writesByKeyword(sql) || (yield* readQuery(c)) === 'write') yield* writeQuery(c);
    },
  };
}

/** The plugin as registered by default: writes only in the run's temp folder and the local folder. */
export const sqlite: PluginDef = sqlitePlugin(false);

/** For tests: whether temporary copies are still on disk. */
export function liveTempDirs(): readonly string[] {
  return [...liveDirs];
}

