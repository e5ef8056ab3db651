/**
 * `sqlite(file, accessor, query, args)`: runs an SQL query on an SQLite database, read-only,
 * one row per result row (keys are the column names SQLite reports).
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
 * Differences from Velociraptor: URI options after `?` in the file name are not passed to
 * SQLite (the VFS has no URI support: they are dropped, with a log line); a file that is not
 * an SQLite database is logged (Velociraptor is silent); REAL values that are integral come
 * out as integers; declared DATE/TIMESTAMP columns are not turned into times.
 */
import { createRequire } from 'node:module';
import { rmSync, existsSync } from 'node:fs';
import { open as fsOpen, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database as SqliteDatabase } from 'node-sqlite3-wasm';
import { VBytes, VDict, VTime, normInt, toJSON, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { accessorOrLog } from '../files/read.ts';
import type { Accessor } from '../files/accessors.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { errorText, fileError } from './common.ts';

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

function handles(scope: Scope): Map<string, Promise<Handle>> {
  let m = scope.env.context.get(HANDLES) as Map<string, Promise<Handle>> | undefined;
  if (!m) scope.env.context.set(HANDLES, (m = new Map()));
  return m;
}

/** Copies `filename` (through its accessor) to `dest`, streaming. */
async function copyFile(accessor: Accessor, filename: Value, scope: Scope, dest: string, signal: AbortSignal): Promise<void> {
  const reader = await accessor.open(filename, scope);
  const out = await fsOpen(dest, 'wx');
  try {
    for (let pos = 0; ; ) {
      if (signal.aborted) throw new Error('cancelled');
      const b = await reader.read(pos, COPY_CHUNK);
      if (b.length === 0) break;
      await out.write(b, 0, b.length, pos);
      pos += b.length;
    }
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
    return { db, dir, users: 0, timer: null };
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}

function release(map: Map<string, Promise<Handle>>, key: string, h: Handle): void {
  h.users--;
  if (h.users > 0) return;
  if (h.timer) clearTimeout(h.timer);
  h.timer = setTimeout(() => {
    if (h.users > 0) return;
    map.delete(key);
    try {
      h.db.close();
    } catch {
      // Already closed.
    }
    removeDir(h.dir);
  }, IDLE_CLOSE_MS);
  h.timer.unref();
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

export const sqlite: PluginDef = {
  name: 'sqlite',
  doc: 'Run an SQL query on an SQLite database, read-only (a copy is queried, so a database in use can be read): one row per result row.',
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

    let head: Uint8Array;
    try {
      head = await header(accessor, filename, scope);
    } catch (e) {
      log('warn', fileError('file', accessor, filename, errorText(e)));
      return;
    }
    if (head.length < 12 || Buffer.compare(Buffer.from(head.subarray(0, 12)), HEADER.subarray(0, 12)) !== 0) {
      log('warn', fileError('file', accessor, filename, head.length === 0 ? 'the file is empty: not an SQLite database' : 'not an SQLite database (no "SQLite format 3" header)'));
      return;
    }

    const map = handles(scope);
    const key = `${accessor.name}\0${pathText(accessor.path(filename))}`;
    let pending = map.get(key);
    if (!pending) {
      pending = openHandle(accessor, filename, scope, signal);
      map.set(key, pending);
    }
    let handle: Handle;
    try {
      handle = await pending;
    } catch (e) {
      map.delete(key);
      log('error', fileError('file', accessor, filename, `cannot open the database: ${errorText(e)}`));
      return;
    }
    handle.users++;
    if (handle.timer) {
      clearTimeout(handle.timer);
      handle.timer = null;
    }
    let stmt: ReturnType<SqliteDatabase['prepare']> | null = null;
    try {
      stmt = handle.db.prepare(sql);
      const values = args.args === undefined || args.args === null ? undefined : Array.isArray(args.args) ? args.args.map(bindValue) : [bindValue(args.args)];
      let batch: VDict[] = [];
      for (const row of stmt.iterate(values as never)) {
        const out = new VDict();
        for (const [k, v] of Object.entries(row as Record<string, unknown>)) out.map.set(k, sqlValue(v));
        batch.push(out);
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
          if (signal.aborted) return;
        }
      }
      if (batch.length) yield batch;
    } catch (e) {
      log('error', fileError('file', accessor, filename, `query ${JSON.stringify(sql.length > 200 ? sql.slice(0, 200) + '...' : sql)}: ${errorText(e)}`));
    } finally {
      try {
        stmt?.finalize();
      } catch {
        // Already finalized.
      }
      release(map, key, handle);
    }
  },
};

/** For tests: whether temporary copies are still on disk. */
export function liveTempDirs(): readonly string[] {
  return [...liveDirs];
}

