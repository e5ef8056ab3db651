/**
 * The analytic engine under the log workbench: DuckDB (through @duckdb/node-api, loaded on first
 * use so that the CLI does not load a native module it does not need), one in-memory database
 * per opened table, all under one temporary folder of this process
 * (`<tmp>/vql-workbench-tables-<pid>-<random>`), removed when the engine is disposed or the
 * process exits.
 *
 * Each table's database gets the memory limit in force when it is opened (default: a quarter of
 * RAM) and spills to its own folder beyond it. The limit is the user's for the process, and
 * DuckDB's `memory_limit` covers only its buffer manager: its readers, its allocator's cache and
 * the process itself (Node and the bindings, about 100 MiB) come on top, 130 to 470 MiB more
 * on a 3 GB CSV on two threads whatever the limit. So DuckDB gets the setting less a reserve of
 * 512 MiB or 15% of it, whichever is more (duckdbMemoryLimit), and never less than 128 MiB or
 * a quarter of the setting; its allocator gives memory back after each task (a 16 MiB flush
 * threshold, background purge threads). Measured with `npm run bench:tables -- --huge-gb 3
 * --memory-mb 1024` (the bench's child, peak RSS = VmHWM): DuckDB at the full 1024 MiB peaked at
 * 1,189 to 1,388 MiB; at 512 MiB (this rule at 1 GiB), at 714 to 857 MiB, under the limit.
 * Below about 768 MiB the rule cannot hold the process within the setting (DuckDB needs its
 * 128 MiB and the process its own); each open table has its own database and limit. It is created without extension installation or
 * loading, and once its source is loaded `lockDown` turns off every access to files outside
 * its export folder (`enable_external_access=false`, `allowed_directories`) and locks the
 * configuration, so the SQL box runs over a database that can no longer read or write files,
 * attach databases, load extensions or change a setting. JSON, Parquet and ICU are built into
 * the bindings: nothing is ever downloaded.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { MACROS } from './columns.ts';
import { lit } from './sql-text.ts';

type DuckDBModule = typeof import('@duckdb/node-api');

let duckdb: Promise<DuckDBModule> | null = null;

/** The bindings, imported once (a native module: only processes that open a table load it). */
export function loadDuckDB(): Promise<DuckDBModule> {
  duckdb ??= import('@duckdb/node-api');
  return duckdb;
}

/** Bytes of memory a table's database may use by default: a quarter of RAM. */
export function defaultMemoryLimit(): number {
  return Math.floor(totalmem() / 4);
}

/** The smallest memory limit accepted (DuckDB needs some room to sort and hash). */
export const MIN_MEMORY_LIMIT = 128 * 2 ** 20;

/** What the process needs beside DuckDB's buffer manager: this much, or RESERVE_SHARE of the setting when that is more. */
const RESERVE = 512 * 2 ** 20;
const RESERVE_SHARE = 0.15;

/** DuckDB's `memory_limit` for a memory limit set for the process (the rule in the module doc). */
export function duckdbMemoryLimit(setting: number): number {
  const rest = setting - Math.max(RESERVE, setting * RESERVE_SHARE);
  return Math.floor(Math.max(MIN_MEMORY_LIMIT, setting / 4, rest));
}

export interface EngineOptions {
  /** Where the engine's folder is made (default: the OS temp dir). */
  readonly tempRoot?: string;
  /** Memory limit per table database, in bytes (default: a quarter of RAM): DuckDB gets duckdbMemoryLimit of it. */
  readonly memoryLimit?: number;
  /** DuckDB threads per database (default: DuckDB's, the number of cores). */
  readonly threads?: number;
  /** Most bytes of spill files per database (default: DuckDB's, 90% of the free disk). */
  readonly maxTempBytes?: number;
}

/** One opened table's database: an in-memory DuckDB instance with its own spill and export folders. */
export class TableDatabase {
  private closed = false;
  private locked = false;

  constructor(
    readonly dir: string,
    readonly instance: DuckDBInstance,
    private readonly onClose: (db: TableDatabase) => void,
  ) {}

  /** Where Parquet exports are written by DuckDB before they are moved to the user's file. */
  get exportDir(): string {
    return join(this.dir, 'export');
  }

  get isLocked(): boolean {
    return this.locked;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error('the table was closed');
    return this.instance.connect();
  }

  /**
   * After loading: no more file access but the export folder, no extensions, no setting
   * changes, for every connection of this database from now on.
   */
  async lockDown(conn: DuckDBConnection): Promise<void> {
    if (this.locked) return;
    await conn.run(`SET allowed_directories = [${lit(this.exportDir + '/')}]`);
    await conn.run('SET enable_external_access = false');
    await conn.run('SET lock_configuration = true');
    this.locked = true;
  }

  /** Closes the database (running queries are interrupted by their connections' owners first) and removes its folder. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.instance.closeSync();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
      this.onClose(this);
    }
  }
}

/** The engine of one process: settings, the temp folder, the open databases. */
export class TableEngine {
  private root: string | null = null;
  private readonly open = new Set<TableDatabase>();
  private seq = 0;
  private memoryLimitBytes: number;
  private readonly exitHook = () => this.dispose();

  constructor(private readonly opts: EngineOptions = {}) {
    this.memoryLimitBytes = opts.memoryLimit ?? defaultMemoryLimit();
  }

  get memoryLimit(): number {
    return this.memoryLimitBytes;
  }

  /** Sets the memory limit of tables opened from now on (an open table keeps the limit it was opened with: its configuration is locked). */
  setMemoryLimit(bytes: number): void {
    if (!Number.isFinite(bytes) || bytes < MIN_MEMORY_LIMIT) throw new RangeError(`the memory limit must be at least ${MIN_MEMORY_LIMIT / 2 ** 20} MiB`);
    this.memoryLimitBytes = Math.floor(bytes);
  }

  /** The engine's folder (made on first use). */
  get folder(): string {
    if (!this.root) {
      this.root = mkdtempSync(join(this.opts.tempRoot ?? tmpdir(), `vql-workbench-tables-${process.pid}-`));
      process.once('exit', this.exitHook);
    }
    return this.root;
  }

  get openCount(): number {
    return this.open.size;
  }

  /** A new database for one table, with the current settings. */
  async openDatabase(): Promise<TableDatabase> {
    const { DuckDBInstance } = await loadDuckDB();
    const dir = join(this.folder, `t${++this.seq}`);
    mkdirSync(join(dir, 'spill'), { recursive: true });
    mkdirSync(join(dir, 'export'), { recursive: true });
    const options: Record<string, string> = {
      memory_limit: `${Math.floor(duckdbMemoryLimit(this.memoryLimitBytes) / 2 ** 20)}MiB`,
      // Freed memory goes back to the system after each task rather than staying in the allocator's cache.
      allocator_flush_threshold: '16MiB',
      allocator_background_threads: 'true',
      temp_directory: join(dir, 'spill'),
      extension_directory: join(dir, 'extensions'),
      secret_directory: join(dir, 'secrets'),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      allow_unsigned_extensions: 'false',
      allow_persistent_secrets: 'false',
    };
    if (this.opts.threads) options.threads = String(this.opts.threads);
    if (this.opts.maxTempBytes) options.max_temp_directory_size = `${Math.floor(this.opts.maxTempBytes / 1024)}KiB`;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', options);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const db = new TableDatabase(dir, instance, (d) => this.open.delete(d));
    this.open.add(db);
    try {
      const conn = await db.connect();
      // ICU's setting (not an option at creation): times without a zone are UTC, as in the page.
      await conn.run("SET TimeZone = 'UTC'");
      for (const m of MACROS) await conn.run(m);
      conn.closeSync();
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  /** Closes every database and removes the folder. */
  dispose(): void {
    for (const db of [...this.open]) {
      try {
        db.close();
      } catch {
        // Closing the rest matters more than one that failed.
      }
    }
    if (this.root) {
      rmSync(this.root, { recursive: true, force: true });
      process.removeListener('exit', this.exitHook);
      this.root = null;
    }
  }
}

let shared: TableEngine | null = null;

/** The engine shared by every window and connection of this process. */
export function sharedTableEngine(): TableEngine {
  shared ??= new TableEngine();
  return shared;
}
