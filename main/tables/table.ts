/**
 * One opened table: its database (engine.ts), its load (load.ts) with progress and cancel, its
 * views (view.ts) materialized for scrolling, its tags, and the requests the grid makes of it.
 * While loading, windows read the preview; views, aggregates, exports and the SQL box wait for
 * the load (they are refused with `Loading` until then).
 *
 * A view's first screen is a query (its count, and its first rows: a top-N for a sort, the
 * first matches in file order for a filter, which stops at them); its table (its rows in its
 * order, so that any window is a range of row ids) is made after, in the background. Making
 * that table takes both cores for seconds on millions of rows, so one is made at a time, for
 * the view asked for last: a new view interrupts the others' (made again when scrolled), and
 * only the tables of the last MAX_VIEW_TABLES views are kept (each is a copy of its rows).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type {
  TableFieldKeys, TableFieldPath, TableExportRequest, TableGroups, TableInfo, TableProblem, TableSqlResult, TableTimeline, TableValues, TableViewResult, TableViewSpec, TableWindow,
} from '../ipc/contract.ts';
import { groupCounts, timeline, valueCounts } from './aggregates.ts';
import { cellSql, type ColumnModel } from './columns.ts';
import type { TableDatabase, TableEngine } from './engine.ts';
import { exportView } from './export.ts';
import { loadSource, MAX_PROBLEMS, ROWS_TABLE, scanQuotes, type LoadSource } from './load.ts';
import { Cancelled, duckMessage, readRows, scalar, tracked } from './query.ts';
import { runSqlBox, SQL_ROWS, MAX_SQL_ROWS } from './sql.ts';
import { compileView, SpecError, type CompiledView } from './view.ts';
import { checkPath, deriveColumn, FieldError, fieldKeys, fieldName, isNested, rootOf, type DerivedColumn } from './nested.ts';
import { ident } from './sql-text.ts';

/** Most rows one window may ask for. */
export const MAX_WINDOW_ROWS = 10_000;
/** Views kept per table (older ones are dropped; their ids then fail with NotFound). */
export const MAX_VIEWS = 4;
/** Views whose materialized tables are kept (older ones are made again when scrolled). */
export const MAX_VIEW_TABLES = 2;
/** Before its table is there, a window of a view this far down waits for it rather than run a query that would sort or scan as much. */
const QUERY_WINDOW_REACH = 10_000;

/** An error with a code for the reply (`Loading`, `NotFound`, `BadRequest`, `Refused`...). */
export class TableError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'TableError';
  }
}

interface View {
  id: string;
  compiled: CompiledView;
  total: number;
  /** The materialized table, once it is complete. */
  table: string | null;
  materializing: Promise<void> | null;
  conn: DuckDBConnection | null;
  dropped: boolean;
  /** When it was last used (windows, aggregates): the least recently used table goes first. */
  used: number;
}

const pub = (c: ColumnModel) => ({ name: c.name, type: c.type, sqlType: c.sqlType, ...((c as DerivedColumn).derived ? { derived: (c as DerivedColumn).derived } : {}) });

export class OpenTable {
  state: TableInfo['state'] = 'loading';
  columns: ColumnModel[] = [];
  rowCount = 0;
  problems: TableProblem[] = [];
  moreProblems = 0;
  notes: string[] = [];
  format = '';
  error?: { code: string; message: string };
  ms?: number;
  /** Resolves when the load ends (ready, failed or cancelled). */
  readonly loaded: Promise<void>;
  /** Resolves when the problems are all listed (a CSV file is scanned for quote problems after its load). */
  linted: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private readonly views = new Map<string, View>();
  private readonly running = new Set<DuckDBConnection>();
  private viewSeq = 0;
  private useSeq = 0;
  /** The view whose table is being made (one at a time). */
  private materializer: View | null = null;
  /** Columns made from fields of nested columns (table:expand), in `data` after the loaded ones. */
  private derived: DerivedColumn[] = [];
  private previewColumns: ColumnModel[] = [];
  private previewRows = 0;
  private closed = false;
  /** A copy read in place of the source (a collection zip's member): its path is said as `as` in problems, notes and errors. */
  private shown: { path: string; as: string } | null = null;

  private constructor(
    readonly id: string,
    readonly label: string,
    /** The files read (an export is never written next to them). */
    readonly sources: readonly string[],
    private readonly db: TableDatabase,
    private readonly memoryLimit: number,
    source: LoadSource,
    private readonly onProgress: (phase: string, fraction: number | null, rows: number, info?: TableInfo) => void,
    onPreview: () => void,
  ) {
    this.loaded = this.load(source, onPreview);
  }

  /**
   * Opens a table and starts its load; resolves when the preview is there or the load ended
   * (whichever comes first), so the grid shows rows at once.
   */
  static async open(engine: TableEngine, id: string, label: string, source: LoadSource, sources: readonly string[], onProgress: OpenTable['onProgress'], shown?: OpenTable['shown']): Promise<OpenTable> {
    const db = await engine.openDatabase();
    let previewed!: () => void;
    const preview = new Promise<void>((r) => (previewed = r));
    const t = new OpenTable(id, label, sources, db, engine.memoryLimit, source, onProgress, () => previewed());
    t.shown = shown ?? null;
    await Promise.race([preview, t.loaded]);
    return t;
  }

  info(): TableInfo {
    const ready = this.state === 'ready';
    return {
      id: this.id,
      label: this.label,
      state: this.state,
      format: this.format,
      columns: (ready ? this.columns : this.previewColumns).map(pub),
      rowCount: ready ? this.rowCount : this.previewRows,
      problemCount: this.problems.length + this.moreProblems,
      notes: this.notes,
      memoryLimit: this.memoryLimit,
      ...(this.error ? { error: this.error } : {}),
      ...(this.ms !== undefined ? { ms: this.ms } : {}),
    };
  }

  private async load(source: LoadSource, onPreview: () => void): Promise<void> {
    const t0 = performance.now();
    const conn = await this.db.connect();
    const previewConn = await this.db.connect();
    this.running.add(conn);
    try {
      const r = await loadSource(conn, previewConn, source, {
        signal: this.abort.signal,
        progress: (phase, fraction, rows) => this.onProgress(phase, fraction, rows),
        previewReady: (columns, rows) => {
          if (this.state !== 'loading') return;
          this.previewColumns = columns;
          this.previewRows = rows;
          onPreview();
          this.onProgress('reading', null, rows, this.info());
        },
      }, this.db.dir);
      const said = (text: string) => (this.shown ? text.replaceAll(this.shown.path, this.shown.as) : text);
      Object.assign(this, { columns: r.columns, rowCount: r.rowCount, problems: r.problems.map((p) => ({ ...p, file: said(p.file) })), moreProblems: r.moreProblems, notes: r.notes.map(said), format: r.format });
      await conn.run('CREATE TABLE tags (_row BIGINT PRIMARY KEY)');
      await conn.run('DROP TABLE IF EXISTS preview');
      await this.db.lockDown(conn);
      this.state = 'ready';
      this.ms = Math.round(performance.now() - t0);
      if (r.quoteScan) this.linted = this.lint(r.quoteScan.path, r.quoteScan.sniffed);
    } catch (e) {
      if (e instanceof Cancelled || this.abort.signal.aborted) {
        this.state = 'cancelled';
        this.error = { code: 'Cancelled', message: 'the load was cancelled' };
      } else {
        this.state = 'failed';
        const message = loadMessage(this.sources, e);
        this.error = { code: (e as Error).name === 'LoadError' ? 'LoadError' : 'LoadFailed', message: this.shown ? message.replaceAll(this.shown.path, this.shown.as) : message };
      }
    } finally {
      this.running.delete(conn);
      if (!this.db.isClosed) {
        conn.closeSync();
        previewConn.closeSync();
      }
    }
    this.onProgress(this.state, this.state === 'ready' ? 1 : null, this.rowCount, this.info());
    if (this.state !== 'ready') this.close();
  }

  /** Lists quote problems found by a scan after the load (the rows are already there, as text). */
  private async lint(path: string, sniffed: Parameters<typeof scanQuotes>[1]): Promise<void> {
    try {
      const found = await scanQuotes(path, sniffed, this.abort.signal);
      if (!found.length || this.closed) return;
      const shown = this.shown;
      const all = [...this.problems, ...found.map((p) => (shown ? { ...p, file: p.file.replaceAll(shown.path, shown.as) } : p))].sort((a, b) => a.row - b.row);
      this.problems = all.slice(0, MAX_PROBLEMS);
      this.moreProblems += Math.max(0, all.length - MAX_PROBLEMS);
      this.onProgress('problems listed', 1, this.rowCount, this.info());
    } catch {
      // The table is there either way; a scan that failed (the file went away) lists nothing more.
    }
  }

  /** Runs `fn` on a new connection, interrupted by `cancel()` or `close()`. */
  private async withConn<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) throw new TableError('NotFound', `table ${this.id} was closed`);
    const conn = await this.db.connect();
    this.running.add(conn);
    try {
      return await fn(conn);
    } catch (e) {
      if (e instanceof TableError || e instanceof SpecError) throw e;
      if (this.closed) throw new TableError('Cancelled', 'the table was closed');
      if (/INTERRUPT/i.test((e as Error).message)) throw new TableError('Cancelled', 'cancelled');
      throw new TableError('QueryFailed', duckMessage(e));
    } finally {
      this.running.delete(conn);
      if (!this.db.isClosed) conn.closeSync();
    }
  }

  private needReady(what: string): void {
    if (this.state === 'loading') throw new TableError('Loading', `the table is still loading: ${what} works once it is loaded`);
    if (this.state !== 'ready') throw new TableError('NotFound', `table ${this.id} did not load: ${this.error?.message ?? this.state}`);
  }

  private view(id: string | undefined): View | null {
    if (id === undefined || id === null || id === '') return null;
    const v = this.views.get(String(id));
    if (!v) throw new TableError('NotFound', `view ${String(id).slice(0, 40)} is gone (only the last ${MAX_VIEWS} views of a table are kept): make it again`);
    return v;
  }

  private pick(names: readonly string[] | undefined, from: readonly ColumnModel[]): ColumnModel[] {
    if (!names) return [...from];
    if (!Array.isArray(names)) throw new TableError('BadRequest', 'columns must be a list of column names');
    return names.map((n) => {
      const c = from.find((x) => x.name === n);
      if (!c) throw new TableError('BadRequest', `no column ${JSON.stringify(n)} in this table`);
      return c;
    });
  }

  /** The rows of `v` as a FROM item (the materialized table when complete, else the query). */
  private fromOf(v: View | null): string {
    if (!v) return 'data';
    v.used = ++this.useSeq;
    if (v.table) return ident(v.table);
    return v.compiled.where ? `(SELECT * FROM data WHERE ${v.compiled.where})` : 'data';
  }

  async window(req: { view?: string; offset: number; limit: number; columns?: string[] }): Promise<TableWindow> {
    const offset = Math.max(0, Math.floor(Number(req.offset) || 0));
    const limit = Math.min(MAX_WINDOW_ROWS, Math.max(0, Math.floor(Number(req.limit) || 0)));
    if (this.state === 'loading') {
      const cols = this.pick(req.columns, this.previewColumns);
      if (!this.previewColumns.length) return { offset, rows: [], cells: [], columns: [], tagged: [], total: 0 };
      return this.withConn((conn) => this.readWindow(conn, 'preview', `_row > ${offset} AND _row <= ${offset + limit}`, '_row', cols, offset, this.previewRows));
    }
    this.needReady('a window');
    const v = this.view(req.view);
    const cols = this.pick(req.columns, this.columns);
    return this.withConn((conn) => this.windowOf(conn, v, offset, limit, cols));
  }

  private async windowOf(conn: DuckDBConnection, v: View | null, offset: number, limit: number, cols: ColumnModel[]): Promise<TableWindow> {
    if (!v || !needsTable(v)) {
      // _row is rowid + 1: a range of rowids is read from the zone maps (a filter on `data`'s _row is not).
      return this.readWindow(conn, `(SELECT ${this.rowsSelect()} FROM ${ROWS_TABLE} WHERE rowid >= ${offset} AND rowid < ${offset + limit})`, 'true', '_row', cols, offset, this.rowCount);
    }
    v.used = ++this.useSeq;
    if (!v.table && offset >= QUERY_WINDOW_REACH) await this.ensureTable(v);
    const table = v.table;
    if (table) {
      try {
        return await this.readWindow(conn, ident(table), `rowid >= ${offset} AND rowid < ${offset + limit}`, 'rowid', cols, offset, v.total);
      } catch (e) {
        // Its table was dropped for a newer view's meanwhile: the query below reads the same rows.
        if (v.table === table) throw e;
      }
    } else if (offset > 0) void this.ensureTable(v);
    if (v.compiled.fileOrder) {
      // Matches in file order: the scan stops at the window (a LIMIT without ORDER BY keeps the table's order).
      return this.readWindow(conn, `(SELECT * FROM data WHERE ${v.compiled.where ?? 'true'} LIMIT ${limit} OFFSET ${offset})`, 'true', '_row', cols, offset, v.total);
    }
    return this.readWindow(conn, 'data', v.compiled.where ?? 'true', `${v.compiled.order} LIMIT ${limit} OFFSET ${offset}`, cols, offset, v.total);
  }

  /** The select list of `data` over `data_rows`: `_row`, the loaded columns, the derived ones. */
  private rowsSelect(): string {
    return ['rowid + 1 AS _row', '*', ...this.derived.map((d) => `${d.expr} AS ${ident(d.name)}`)].join(', ');
  }

  /** The keys and indices inside a nested column at `path` over the view's rows (what "Expand field" offers). */
  async fieldKeys(viewId: string | undefined, column: string, path: TableFieldPath = [], limit?: number): Promise<TableFieldKeys> {
    this.needReady('expanding a field');
    const [c] = this.pick([column], this.columns);
    try {
      const root = rootOf(this.columns, c!, checkPath(path));
      if (!isNested(root.base)) throw new FieldError(`${c!.name} holds no nested values (objects or arrays)`);
      const from = this.fromOf(this.view(viewId));
      return await this.withConn((conn) => fieldKeys(conn, from, c!.name, root.base, root.path, limit));
    } catch (e) {
      if (e instanceof FieldError) throw new TableError('BadRequest', e.message);
      throw e;
    }
  }

  /**
   * Adds the column of the field at `path` of `column` (a nested column, or one expanded from
   * it): an expression of `data`, typed from every row. The same field again gives the column
   * there is. Views are dropped (their tables lack the column): the page makes its view again.
   */
  async expand(column: string, path: TableFieldPath): Promise<{ column: string; info: TableInfo }> {
    this.needReady('expanding a field');
    const [c] = this.pick([column], this.columns);
    let root: { base: ColumnModel; path: TableFieldPath };
    try {
      root = rootOf(this.columns, c!, checkPath(path));
      if (!isNested(root.base)) throw new FieldError(`${c!.name} holds no nested values (objects or arrays): only a nested column has fields to expand`);
      if (!root.path.length) throw new FieldError(`choose a key or an index inside ${c!.name}`);
    } catch (e) {
      if (e instanceof FieldError) throw new TableError('BadRequest', e.message);
      throw e;
    }
    const same = this.derived.find((d) => d.derived.from === root.base.name && JSON.stringify(d.derived.path) === JSON.stringify(root.path));
    if (same) return { column: same.name, info: this.info() };
    // DuckDB's names are case-insensitive: a name met in any case gets a number.
    const taken = new Set(['_row', 'rowid', ...this.columns.map((x) => x.name.toLowerCase())]);
    const wanted = fieldName(root.base.name, root.path);
    let name = wanted;
    for (let k = 1; taken.has(name.toLowerCase()); k++) name = `${wanted} (${k})`;
    const col = await this.withConn((conn) => deriveColumn(conn, ROWS_TABLE, root.base, root.path, name).catch((e) => {
      throw e instanceof FieldError ? new TableError('BadRequest', e.message) : e;
    }));
    await this.setDerived((now) => (now.some((d) => d.name === col.name) ? now : [...now, col]));
    return { column: name, info: this.info() };
  }

  /** Removes a column `expand` added (each is read from a column of the file: removing one leaves the others). */
  async unexpand(column: string): Promise<TableInfo> {
    this.needReady('removing a column');
    const d = this.derived.find((x) => x.name === column);
    if (!d) {
      this.pick([column], this.columns);
      throw new TableError('BadRequest', `${column} is a column of the file: hide it instead (only expanded fields can be removed)`);
    }
    await this.setDerived((now) => now.filter((x) => x.name !== d.name));
    return this.info();
  }

  /** One change of the derived columns at a time (each redefines `data` from the list before it). */
  private deriving: Promise<unknown> = Promise.resolve();

  /** Redefines `data` with `change(derived)`, drops every view (made again by the page), and lists the columns. */
  private setDerived(change: (derived: DerivedColumn[]) => DerivedColumn[]): Promise<void> {
    const run = this.deriving.then(() => this.applyDerived(change(this.derived)));
    this.deriving = run.catch(() => {});
    return run;
  }

  private async applyDerived(derived: DerivedColumn[]): Promise<void> {
    const before = this.derived;
    this.derived = derived;
    try {
      await this.withConn((conn) => conn.run(`CREATE OR REPLACE VIEW data AS SELECT ${this.rowsSelect()} FROM ${ROWS_TABLE}`));
    } catch (e) {
      this.derived = before;
      throw e;
    }
    const names = new Set(before.map((x) => x.name));
    this.columns = [...this.columns.filter((x) => !names.has(x.name)), ...derived];
    for (const v of [...this.views.values()]) {
      this.views.delete(v.id);
      v.dropped = true;
      v.conn?.interrupt();
      if (v.table) {
        const t = v.table;
        v.table = null;
        void this.withConn((c) => c.run(`DROP TABLE IF EXISTS ${ident(t)}`)).catch(() => {});
      }
    }
    this.materializer = null;
  }

  private async readWindow(conn: DuckDBConnection, from: string, where: string, order: string, cols: ColumnModel[], offset: number, total: number): Promise<TableWindow> {
    const select = ['_row', ...cols.map(cellSql)].join(', ');
    const { rows } = await readRows(conn, `SELECT ${select} FROM ${from} WHERE ${where} ORDER BY ${order}`);
    const rowNumbers = rows.map((r) => Number(r[0]));
    let tagged: number[] = [];
    if (rowNumbers.length && from !== 'preview') {
      tagged = (await readRows(conn, `SELECT _row FROM tags WHERE _row BETWEEN ${Math.min(...rowNumbers)} AND ${Math.max(...rowNumbers)} AND _row IN (${rowNumbers.join(',')})`)).rows.map((r) => Number(r[0]));
    }
    return { offset, rows: rowNumbers, cells: rows.map((r) => r.slice(1)), columns: cols.map(pub), tagged, total };
  }

  /** Makes a view: its count and first window now; its materialized table in the background. */
  async makeView(spec: TableViewSpec, limit = 200, columns?: string[]): Promise<TableViewResult> {
    this.needReady('sorting and filtering');
    let compiled: CompiledView;
    try {
      compiled = compileView(spec, this.columns);
    } catch (e) {
      if (e instanceof SpecError) throw new TableError('BadRequest', e.message);
      throw e;
    }
    const cols = this.pick(columns, this.columns);
    const id = `v${++this.viewSeq}`;
    const v: View = { id, compiled, total: 0, table: null, materializing: null, conn: null, dropped: false, used: ++this.useSeq };
    // The person looks at this view now: other views' tables are not made meanwhile.
    this.stopMaterializing(null);
    const n = Math.min(MAX_WINDOW_ROWS, Math.max(0, Math.floor(Number(limit) || 0)));
    const [total, window] = await Promise.all([
      compiled.where ? this.withConn(async (c) => Number(await scalar(c, `SELECT count(*) FROM data WHERE ${compiled.where}`))) : Promise.resolve(this.rowCount),
      this.withConn((c) => this.windowOf(c, v, 0, n, cols)),
    ]);
    v.total = total;
    window.total = total;
    this.views.set(id, v);
    this.dropOldViews();
    if (needsTable(v)) void this.ensureTable(v);
    return { view: id, total, window };
  }

  /** Interrupts the making of every view's table but `keep`'s. */
  private stopMaterializing(keep: View | null): void {
    for (const o of this.views.values()) {
      if (o === keep || !o.materializing) continue;
      if (this.materializer === o) this.materializer = null;
      o.conn?.interrupt();
    }
  }

  /** The view's table, made (in the background) when it is not there; resolves when it is there or could not be made. */
  private ensureTable(v: View): Promise<void> {
    if (v.table || v.dropped || this.closed) return Promise.resolve();
    this.stopMaterializing(v);
    this.materializer = v;
    v.materializing ??= this.materialize(v).finally(() => {
      v.materializing = null;
    });
    return v.materializing;
  }

  private async materialize(v: View): Promise<void> {
    const name = `view_${v.id}`;
    try {
      await this.withConn(async (conn) => {
        // Superseded by a newer view before it began.
        if (this.materializer !== v || v.dropped) return;
        v.conn = conn;
        // A filter alone keeps file order without sorting (the scan's order is kept).
        await tracked(conn, `CREATE OR REPLACE TABLE ${ident(name)} AS SELECT * FROM data${v.compiled.where ? ` WHERE ${v.compiled.where}` : ''}${v.compiled.fileOrder ? '' : ` ORDER BY ${v.compiled.order}`}`);
        if (v.dropped) await conn.run(`DROP TABLE IF EXISTS ${ident(name)}`);
        else {
          v.table = name;
          await this.dropOldTables(conn);
        }
      });
    } catch {
      // Interrupted (a newer view, the view dropped, the table closed) or out of room: windows use the query, or make it again.
    } finally {
      v.conn = null;
      if (this.materializer === v) this.materializer = null;
    }
  }

  /** Drops the tables of the least recently used views beyond MAX_VIEW_TABLES. */
  private async dropOldTables(conn: DuckDBConnection): Promise<void> {
    const withTables = [...this.views.values()].filter((x) => x.table).sort((a, b) => b.used - a.used);
    for (const old of withTables.slice(MAX_VIEW_TABLES)) {
      const table = old.table!;
      old.table = null;
      await conn.run(`DROP TABLE IF EXISTS ${ident(table)}`);
    }
  }

  private dropOldViews(): void {
    while (this.views.size > MAX_VIEWS) {
      const [oldest] = this.views.values();
      this.views.delete(oldest!.id);
      oldest!.dropped = true;
      oldest!.conn?.interrupt();
      if (oldest!.table) void this.withConn((c) => c.run(`DROP TABLE IF EXISTS ${ident(oldest!.table!)}`)).catch(() => {});
    }
  }

  /** The 0-based position of `_row` in a view, -1 when the view does not hold it. */
  async locate(viewId: string | undefined, row: number): Promise<number> {
    this.needReady('jumping to a row');
    const v = this.view(viewId);
    const r = Math.floor(Number(row));
    if (!Number.isFinite(r)) throw new TableError('BadRequest', 'the row must be a number');
    if (!v || !needsTable(v)) return r >= 1 && r <= this.rowCount ? r - 1 : -1;
    await this.ensureTable(v);
    return this.withConn(async (conn) => {
      if (v.table) {
        const pos = await scalar(conn, `SELECT rowid FROM ${ident(v.table)} WHERE _row = ${r}`);
        return pos === null ? -1 : Number(pos);
      }
      const pos = await scalar(conn, `SELECT n - 1 FROM (SELECT _row, row_number() OVER (ORDER BY ${v.compiled.order}) AS n FROM data${v.compiled.where ? ` WHERE ${v.compiled.where}` : ''}) WHERE _row = ${r}`);
      return pos === null ? -1 : Number(pos);
    });
  }

  async groups(viewId: string | undefined, names: string[], limit = 1000): Promise<TableGroups> {
    this.needReady('grouping');
    if (!Array.isArray(names) || !names.length) throw new TableError('BadRequest', 'group by at least one column');
    const cols = this.pick(names, this.columns);
    const from = this.fromOf(this.view(viewId));
    const n = Math.min(100_000, Math.max(1, Math.floor(Number(limit) || 1000)));
    return this.withConn((a) => this.withConn((b) => groupCounts(a, b, from, cols, n)));
  }

  async values(viewId: string | undefined, name: string, limit = 100): Promise<TableValues> {
    this.needReady('value counts');
    const [c] = this.pick([name], this.columns);
    const from = this.fromOf(this.view(viewId));
    const n = Math.min(100_000, Math.max(1, Math.floor(Number(limit) || 100)));
    return this.withConn((a) => this.withConn((b) => valueCounts(a, b, from, c!, n)));
  }

  async timeline(viewId: string | undefined, name: string | undefined, buckets = 100): Promise<TableTimeline> {
    this.needReady('the chart');
    const c = name !== undefined ? this.pick([name], this.columns)[0]! : this.columns.find((x) => x.name === '_ts' && x.type === 'timestamp') ?? this.columns.find((x) => x.type === 'timestamp');
    if (!c || c.type !== 'timestamp') throw new TableError('BadRequest', name ? `${name} is not a timestamp column` : 'this table has no timestamp column');
    const from = this.fromOf(this.view(viewId));
    const n = Math.min(10_000, Math.max(1, Math.floor(Number(buckets) || 100)));
    return this.withConn((conn) => timeline(conn, from, c, n));
  }

  async tag(rows: number[], tagged: boolean): Promise<number> {
    this.needReady('tagging');
    if (!Array.isArray(rows) || rows.some((r) => !Number.isSafeInteger(r))) throw new TableError('BadRequest', 'rows must be a list of row numbers');
    if (rows.length > 1_000_000) throw new TableError('BadRequest', 'at most a million rows at once');
    return this.withConn(async (conn) => {
      if (rows.length) {
        await conn.run('CREATE OR REPLACE TEMP TABLE tag_batch (_row BIGINT)');
        const ap = await conn.createAppender('tag_batch');
        for (const r of rows) {
          ap.appendBigInt(BigInt(r));
          ap.endRow();
        }
        ap.closeSync();
        if (tagged) await conn.run(`INSERT OR IGNORE INTO tags SELECT DISTINCT b._row FROM tag_batch b JOIN data d ON d._row = b._row`);
        else await conn.run('DELETE FROM tags WHERE _row IN (SELECT _row FROM tag_batch)');
      }
      return Number(await scalar(conn, 'SELECT count(*) FROM tags'));
    });
  }

  async sql(text: string, limit = SQL_ROWS): Promise<TableSqlResult> {
    this.needReady('the SQL box');
    const n = Math.min(MAX_SQL_ROWS, Math.max(1, Math.floor(Number(limit) || SQL_ROWS)));
    return this.withConn(async (conn) => {
      try {
        return await runSqlBox(conn, text, n, this.db.isLocked);
      } catch (e) {
        if ((e as Error).name === 'SqlRefused') throw new TableError('Refused', (e as Error).message);
        throw e;
      }
    });
  }

  async exportTo(req: TableExportRequest, path: string): Promise<{ rows: number; bytes: number }> {
    this.needReady('export');
    const v = this.view(req.view);
    if (v && needsTable(v)) await this.ensureTable(v);
    const cols = this.pick(req.columns, this.columns);
    return this.withConn((conn) =>
      exportView({
        conn,
        from: this.fromOf(v),
        order: v?.table ? 'rowid' : v ? v.compiled.order : '_row',
        columns: cols,
        format: req.format,
        path,
        neutralize: req.neutralize ?? true,
        exportDir: this.db.exportDir,
        tracking: { signal: this.abort.signal },
      }),
    );
  }

  problemsPage(offset = 0, limit = 1000): { total: number; problems: TableProblem[] } {
    const o = Math.max(0, Math.floor(Number(offset) || 0));
    const n = Math.min(10_000, Math.max(0, Math.floor(Number(limit) || 1000)));
    return { total: this.problems.length + this.moreProblems, problems: this.problems.slice(o, o + n) };
  }

  /** Interrupts what runs now (the load: the table then closes). */
  cancel(): void {
    if (this.state === 'loading') this.abort.abort();
    for (const c of this.running) c.interrupt();
  }

  /** Cancels everything and drops the database. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const c of this.running) c.interrupt();
    for (const v of this.views.values()) v.conn?.interrupt();
    // The load may still be unwinding: close once it has (its finally closes its connections).
    void this.loaded.finally(() => this.db.close());
  }
}

/** Whether a view has rows or an order of its own (else its windows are ranges of `data`). */
function needsTable(v: View): boolean {
  return v.compiled.where !== null || !v.compiled.fileOrder;
}

/** A load error for the person: which file, what DuckDB said, what to do. */
function loadMessage(sources: readonly string[], e: unknown): string {
  // A LoadError says what is wrong in its own words, naming the file.
  if ((e as Error)?.name === 'LoadError') return (e as Error).message;
  const m = duckMessage(e);
  const where = sources.length === 1 ? sources[0] : `${sources.length} files`;
  if (/No space left|max_temp_directory_size|Could not write|failed to offload/i.test(m)) {
    return `${where}: the temporary disk is full (${m}). Free space in the temp folder or raise the memory limit, then open it again.`;
  }
  if (/Out of Memory/i.test(m)) return `${where}: ${m}. Raise the memory limit (table settings), then open it again.`;
  if (/gzip|inflate|zlib|decompress|unexpected end of file|incorrect header check/i.test(m)) return `${where} is a damaged or truncated gzip file: ${m}`;
  if (/parquet/i.test(m)) return `${where} is not a readable Parquet file: ${m}`;
  if (/json/i.test(m)) return `${where} is not readable JSON: ${m}`;
  return `${where}: ${m}`;
}
