/**
 * One opened table of the log workbench, driven through the Bridge (main/ipc/contract.ts
 * `table:*`): open with progress pushes and Cancel, the first rows as soon as `table:open`
 * replies (the engine's preview), then the whole table once loaded; the view the grid shows
 * (ViewState -> `table:view`, a window cache over it), jump to a row, tags, problems, group
 * counts, value counts, the time histogram (the monitoring chart), the SQL box, exports and the
 * engine's settings. The page holds only the
 * windows around the screen. Opening another file or closing the view closes the table
 * (`table:close`), which drops its database.
 *
 * Plain TypeScript with subscribe(): the components redraw on its notifications, the tests
 * drive it in Node against a real AppService (test/renderer/workbench-session.test.ts).
 */
import type {
  Bridge, Result, TableColumn, TableExportRequest, TableFieldKeys, TableFieldPath, TableExportResult, TableGroups, TableInfo, TableProblem, TableProgress, TableSettings,
  TableSource, TableSqlResult, TableTimeline, TableTimelineRequest, TableValues,
} from '../../../main/ipc/contract.ts';
import { ColumnLayout } from '../table/columns.ts';
import { ViewState, isPlainSpec, specKey } from './spec.ts';
import { WindowCache, type FetchWindow } from './window-cache.ts';
import { metadataColumns } from './nested.ts';

export type SessionStatus = 'idle' | 'opening' | 'loading' | 'ready' | 'failed' | 'cancelled';

/** Problems listed in the panel (the rest are counted). */
export const PROBLEMS_SHOWN = 1000;

export interface SessionOptions {
  /** Rows per window (default 200). */
  windowSize?: number;
  /** Windows kept (default 8). */
  keep?: number;
}

const fail = (message: string, code = 'Error'): Result<never> => ({ ok: false, error: { code, message } });

export class WorkbenchSession {
  status: SessionStatus = 'idle';
  source: TableSource | null = null;
  info: TableInfo | null = null;
  progress: TableProgress | null = null;
  /** Why the open or the load failed (or that it was cancelled). */
  error: string | null = null;
  /** Why the last view (sort, filters...) was refused. */
  viewError: string | null = null;
  /** The current view (undefined: every row in file order). */
  viewId: string | undefined;
  /** A view request is on its way. */
  applying = false;
  spec = new ViewState();
  layout = new ColumnLayout();
  readonly cache: WindowCache;
  /** Rows tagged in this table. */
  tagCount = 0;
  problems: TableProblem[] = [];
  problemTotal = 0;
  private openSeq = 0;
  private viewSeq = 0;
  private appliedKey: string | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly offProgress: () => void;
  /** Progress pushed before `table:open` replied (the id is not known yet). */
  private early: Array<[string, TableProgress]> = [];

  constructor(private readonly api: Bridge, opts: SessionOptions = {}) {
    this.cache = new WindowCache(() => Promise.reject(new Error('no table is open')), { size: opts.windowSize, keep: opts.keep, onChange: () => this.notify() });
    this.offProgress = api.subscribe('table:progress', (id, p) => this.onProgress(id, p));
  }

  /** The table's columns (the preview's while loading). */
  get columns(): readonly TableColumn[] {
    return this.info?.columns ?? [];
  }

  /** Rows in the view. */
  get total(): number {
    return this.cache.total;
  }

  /** Rows in the table. */
  get rowCount(): number {
    return this.info?.rowCount ?? 0;
  }

  /** Visible columns (indices into `columns`) in display order. */
  visible(): number[] {
    return this.layout.visible();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Opens a file or folder (closing the table open before); false when it could not be opened (see `error`). */
  async open(source: TableSource): Promise<boolean> {
    const seq = ++this.openSeq;
    await this.drop();
    if (seq !== this.openSeq) return false; // another open (or a close) came after this one
    this.status = 'opening';
    this.source = source;
    this.early = [];
    this.notify();
    const r = await this.api.invoke('table:open', source);
    if (seq !== this.openSeq) {
      // Replaced (or closed) while opening: this table is nobody's.
      if (r.ok) void this.api.invoke('table:close', r.value.id);
      return false;
    }
    if (!r.ok) {
      this.status = 'failed';
      this.error = r.error.message;
      this.notify();
      return false;
    }
    this.setInfo(r.value);
    this.cache.reset(r.value.rowCount, this.fetcher(undefined));
    if (r.value.state === 'ready') this.afterReady();
    const early = this.early.filter(([id]) => id === r.value.id);
    this.early = [];
    for (const [, p] of early) this.onProgress(r.value.id, p);
    this.notify();
    const status = this.status as SessionStatus; // setInfo and the early pushes may have changed it
    return status !== 'failed' && status !== 'cancelled';
  }

  /** Stops the load (the table then closes). */
  cancel(): void {
    if (this.info && this.status === 'loading') this.api.send('table:cancel', this.info.id);
  }

  /** Closes the table (its database is dropped) and forgets it; an open on its way is dropped too. */
  async close(): Promise<void> {
    this.openSeq++;
    await this.drop();
  }

  /** Forgets the table and closes it in the engine. */
  private async drop(): Promise<void> {
    const info = this.info;
    this.status = 'idle';
    this.source = null;
    this.info = null;
    this.progress = null;
    this.error = null;
    this.viewError = null;
    this.viewId = undefined;
    this.applying = false;
    this.appliedKey = null;
    this.spec = new ViewState();
    this.layout = new ColumnLayout();
    this.tagCount = 0;
    this.problems = [];
    this.problemTotal = 0;
    this.cache.reset(0);
    this.notify();
    if (info && info.state !== 'failed' && info.state !== 'cancelled') await this.api.invoke('table:close', info.id);
  }

  /** Stops listening and closes the table. */
  dispose(): Promise<void> {
    this.offProgress();
    return this.close();
  }

  /**
   * Makes the view the grid shows from `spec` (sort, filters, search over the visible columns,
   * values, tagged only), unless it is the one shown (`force`: make it again). While the table
   * loads, the view waits for the end of the load.
   */
  async apply(force = false): Promise<void> {
    const info = this.info;
    if (!info) return;
    const spec = this.spec.spec(info.columns, this.visible().map((c) => info.columns[c]!.name));
    const key = specKey(spec);
    if (!force && key === this.appliedKey) return;
    if (this.status !== 'ready') return; // afterReady applies it
    const seq = ++this.viewSeq;
    this.appliedKey = key;
    if (isPlainSpec(spec)) {
      this.viewId = undefined;
      this.viewError = null;
      this.applying = false;
      this.cache.reset(info.rowCount, this.fetcher(undefined));
      this.notify();
      return;
    }
    this.applying = true;
    this.notify();
    const r = await this.api.invoke('table:view', { id: info.id, spec, limit: this.cache.size });
    if (seq !== this.viewSeq || this.info !== info) return;
    this.applying = false;
    if (!r.ok) {
      this.appliedKey = null;
      this.viewError = r.error.message;
      // The engine names the column of a filter it refused (`col: ...`): show it under that column.
      const col = spec.filters?.find((f) => r.error.message.startsWith(`${f.column}: `));
      if (col) this.spec.refuseFilter(col.column, r.error.message);
      this.notify();
      return;
    }
    this.viewError = null;
    this.viewId = r.value.view;
    this.cache.reset(r.value.total, this.fetcher(r.value.view), r.value.window);
    this.notify();
  }

  /** The position of `_row` in the view (-1: the view does not hold it: filtered out). */
  async locate(row: number): Promise<Result<number>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    if (this.status !== 'ready') return fail('jumping to a row works once the table is loaded', 'Loading');
    return this.api.invoke('table:locate', { id: info.id, ...(this.viewId ? { view: this.viewId } : {}), row });
  }

  /** Tags (bookmarks) or untags rows by `_row`. */
  async tag(rows: number[], tagged: boolean): Promise<Result<number>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    const r = await this.api.invoke('table:tag', { id: info.id, rows, tagged });
    if (r.ok && this.info === info) {
      this.tagCount = r.value;
      for (const row of rows) this.cache.setTagged(row, tagged);
      this.notify();
      if (this.spec.taggedOnly) await this.apply(true);
    }
    return r;
  }

  async groups(columns: string[], limit?: number): Promise<Result<TableGroups>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    return this.api.invoke('table:groups', { id: info.id, ...(this.viewId ? { view: this.viewId } : {}), columns, ...(limit ? { limit } : {}) });
  }

  async values(column: string, limit?: number): Promise<Result<TableValues>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    return this.api.invoke('table:values', { id: info.id, ...(this.viewId ? { view: this.viewId } : {}), column, ...(limit ? { limit } : {}) });
  }

  /** Rows of the view per time bucket, and averages of number columns per bucket (`series`). */
  async timeline(req: Omit<TableTimelineRequest, 'id' | 'view'>): Promise<Result<TableTimeline>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    return this.api.invoke('table:timeline', { ...req, id: info.id, ...(this.viewId ? { view: this.viewId } : {}) });
  }

  async sql(text: string, limit?: number): Promise<Result<TableSqlResult>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    return this.api.invoke('table:sql', { id: info.id, sql: text, ...(limit ? { limit } : {}) });
  }

  /**
   * Exports the view: its rows in its order, the visible columns in display order; to `path` on
   * the host, or (`download`) for the web host to hand over once.
   */
  async exportView(req: Omit<TableExportRequest, 'id' | 'view' | 'columns' | 'path'> & { path?: string }): Promise<Result<TableExportResult>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    const columns = this.visible().map((c) => info.columns[c]!.name);
    return this.api.invoke('table:export', { ...req, path: req.path ?? '', id: info.id, ...(this.viewId ? { view: this.viewId } : {}), columns });
  }

  /** The engine's settings; a memory limit applies to tables opened afterwards. */
  settings(memoryLimit?: number): Promise<Result<TableSettings>> {
    return this.api.invoke('table:settings', memoryLimit === undefined ? {} : { memoryLimit });
  }

  /** Reloads the problems list. */
  async loadProblems(): Promise<void> {
    const info = this.info;
    if (!info) return;
    const r = await this.api.invoke('table:problems', { id: info.id, offset: 0, limit: PROBLEMS_SHOWN });
    if (!r.ok || this.info?.id !== info.id) return;
    this.problems = r.value.problems;
    this.problemTotal = r.value.total;
    this.notify();
  }

  /** The keys and indices inside a nested column (at `path`) over the view's rows: what "Expand field" offers. */
  async fieldKeys(column: string, path: TableFieldPath = []): Promise<Result<TableFieldKeys>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    return this.api.invoke('table:keys', { id: info.id, ...(this.viewId ? { view: this.viewId } : {}), column, path });
  }

  /**
   * Adds the column of the field at `path` of `column` (the engine's `table:expand`), shown
   * right after the column it comes from; the view (sort, filters) is made again with it.
   * Replies with the new column's name.
   */
  async expand(column: string, path: TableFieldPath): Promise<Result<string>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    const r = await this.api.invoke('table:expand', { id: info.id, column, path });
    if (!r.ok) return r;
    if (this.info?.id !== info.id) return { ok: true, value: r.value.column };
    const known = this.layout.column(r.value.column) >= 0;
    this.setInfo(r.value.info);
    const added = this.layout.column(r.value.column);
    if (!known && added >= 0) {
      const order = this.layout.ordered();
      const parent = order.indexOf(this.layout.column(column));
      if (parent >= 0) this.layout.place(added, parent + 1);
    }
    this.layout.setHidden(added, false);
    await this.apply(true);
    return { ok: true, value: r.value.column };
  }

  /** Removes a column `expand` added; the view is made again without it. */
  async unexpand(column: string): Promise<Result<true>> {
    const info = this.info;
    if (!info) return fail('no table is open');
    const r = await this.api.invoke('table:unexpand', { id: info.id, column });
    if (!r.ok) return r;
    if (this.info?.id === info.id) {
      this.setInfo(r.value);
      await this.apply(true);
    }
    return { ok: true, value: true };
  }

  /** Windows of the table (no view: file order) or of a view. */
  private fetcher(view: string | undefined): FetchWindow {
    const id = this.info!.id;
    return async (offset, limit) => {
      const r = await this.api.invoke('table:window', { id, ...(view ? { view } : {}), offset, limit });
      if (r.ok) return r.value;
      // The engine keeps a few views per table: one dropped is made again.
      if (view && r.error.code === 'NotFound' && view === this.viewId && this.info?.id === id) void this.apply(true);
      throw new Error(r.error.message);
    };
  }

  private setInfo(info: TableInfo): void {
    this.info = info;
    const first = this.layout.size === 0;
    this.layout.update(info.columns);
    // Velociraptor's columns (_ts, ClientId, _Source) come last in its rows: shown first.
    if (first) metadataColumns(info.columns).forEach((c, i) => this.layout.place(c, i));
    if (info.state === 'loading') this.status = 'loading';
    else if (info.state === 'failed' || info.state === 'cancelled') {
      this.status = info.state;
      this.error = info.error?.message ?? (info.state === 'cancelled' ? 'the load was cancelled' : 'the load failed');
    }
  }

  /** The load ended well: the whole table (and the view asked for meanwhile), its problems. */
  private afterReady(): void {
    this.status = 'ready';
    void this.apply(true);
    void this.loadProblems();
  }

  private onProgress(id: string, p: TableProgress): void {
    if (!this.info) {
      if (this.status === 'opening') this.early.push([id, p]);
      return;
    }
    if (id !== this.info.id) return;
    this.progress = p;
    const info = p.info;
    if (info) {
      const was = this.info;
      this.setInfo(info);
      if (info.state === 'loading' && was.rowCount !== info.rowCount) this.cache.reset(info.rowCount, this.fetcher(undefined));
      else if (info.state === 'ready' && was.state !== 'ready') this.afterReady();
      else if (info.state === 'ready' && info.problemCount !== this.problemTotal) void this.loadProblems();
      else if (info.state === 'failed' || info.state === 'cancelled') this.cache.reset(0);
    }
    this.notify();
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }
}
