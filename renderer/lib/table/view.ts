/**
 * The results table's view over a TableSource: which source rows show, in which order, under
 * the user's sort, column filters, search, hidden columns and column order. Pure (no DOM, no
 * Svelte) so it is tested in Node and measured by scripts/bench-table.ts at a million rows.
 *
 * Growing sources are followed cheaply: with no sort, appended rows are filtered and added to
 * the end of the index list; with a sort, the list is recomputed at most every 250 ms. A source
 * that bumps `generation` (cleared, replaced) is recomputed from scratch.
 */
import { ColumnLayout } from './columns.ts';
import { parseFilter, type CellTest } from './filter.ts';
import { makeSearch, type RowTest } from './search.ts';
import { sortRows } from './sort.ts';
import type { ColumnType, TableSource } from './source.ts';

/** Minimum time between two full recomputes of a sorted view that is growing. */
export const SORTED_REFRESH_MS = 250;

/** The active sort: a source column index and direction. */
export interface SortState {
  col: number;
  desc: boolean;
}

/** What sync() did: `changed` when the rows shown changed; `retryInMs` when it should be called again. */
export interface SyncResult {
  changed: boolean;
  retryInMs: number | null;
}

interface FilterEntry {
  text: string;
  error: string | null;
}

/** See the module doc. Mutators mark the view dirty; the next sync() recomputes. */
export class TableView {
  readonly layout = new ColumnLayout();
  private readonly filters = new Map<string, FilterEntry>();
  private sortKey: { key: string; desc: boolean } | null = null;
  private searchText = '';
  private buf: Uint32Array = new Uint32Array(0);
  private n = 0;
  private reversed: Uint32Array | null = null;
  private processed = 0;
  private generation = 0;
  private droppedSeen = 0;
  private lastFull = -Infinity;
  private dirty = true;

  constructor(readonly source: TableSource, private newestFirst = false) {
    this.generation = source.generation ?? 0;
    this.droppedSeen = source.dropped ?? 0;
    this.layout.update(source.columns);
  }

  /** Rows shown. */
  get count(): number {
    return this.n;
  }

  /** Source rows the view has taken in (the "of N rows"). */
  get total(): number {
    return this.processed;
  }

  /** The search box's text. */
  get search(): string {
    return this.searchText;
  }

  /** The active sort, or null (also when the sorted column is absent from this run). */
  get sort(): SortState | null {
    const col = this.sortKey ? this.layout.column(this.sortKey.key) : -1;
    return col < 0 ? null : { col, desc: this.sortKey!.desc };
  }

  /** Newest-first shows arrival order reversed while no sort is active (live events). */
  setNewestFirst(on: boolean): void {
    this.newestFirst = on;
    this.reversed = null;
  }

  /** Column indices are those of the last sync(); an unknown column is ignored. */
  setSort(sort: SortState | null): void {
    if (sort && !this.known(sort.col)) return;
    this.sortKey = sort ? { key: this.layout.key(sort.col), desc: sort.desc } : null;
    this.dirty = true;
  }

  /** Header click: ascending, then descending, then back to arrival order. */
  toggleSort(col: number): void {
    const s = this.sort;
    this.setSort(s?.col !== col ? { col, desc: false } : s.desc ? null : { col, desc: true });
  }

  /** Sets a column's filter (see filter.ts); returns the syntax error, if any (the filter is then off). */
  setFilter(col: number, text: string): string | null {
    if (!this.known(col)) return null;
    const error = text.trim() === '' ? null : this.compile(col, text).error;
    if (text.trim() === '') this.filters.delete(this.layout.key(col));
    else this.filters.set(this.layout.key(col), { text, error });
    this.dirty = true;
    return error;
  }

  /** The filter text of a column as typed (also when it does not parse). */
  filterText(col: number): string {
    return (this.known(col) && this.filters.get(this.layout.key(col))?.text) || '';
  }

  /** Why a column's filter does not parse, or null. */
  filterError(col: number): string | null {
    return (this.known(col) && this.filters.get(this.layout.key(col))?.error) || null;
  }

  /** Sets the search text (search.ts). */
  setSearch(text: string): void {
    if (text === this.searchText) return;
    this.searchText = text;
    this.dirty = true;
  }

  /** Hides or shows a column; hidden columns are not searched, shown or exported. */
  setHidden(col: number, hidden: boolean): void {
    if (!this.known(col)) return;
    this.layout.setHidden(col, hidden);
    if (this.searchText.trim() !== '') this.dirty = true; // the search covers visible columns only
  }

  /** Moves a column by `delta` places in the display order. */
  moveColumn(col: number, delta: number): void {
    const at = this.layout.ordered().indexOf(col);
    if (at >= 0) this.layout.place(col, at + delta);
  }

  /** Source row indices in display order (a view: valid until the next sync). */
  displayRows(): Uint32Array {
    const rows = this.buf.subarray(0, this.n);
    if (!this.newestFirst || this.sort) return rows;
    if (!this.reversed) this.reversed = rows.slice().reverse();
    return this.reversed;
  }

  /** The source row shown at display position i. */
  rowAt(i: number): number {
    return this.displayRows()[i];
  }

  /** Brings the view up to date with the source and the settings; see SyncResult. */
  sync(now: number): SyncResult {
    const src = this.source;
    if ((src.generation ?? 0) !== this.generation) {
      this.generation = src.generation ?? 0;
      this.droppedSeen = src.dropped ?? 0;
      this.dirty = true;
    }
    const before = this.layout.size;
    this.layout.update(src.columns);
    let changed = this.layout.size !== before;
    // A filter or sort remembered by name whose column just appeared (a rerun's first rows
    // lacked it) must now apply to the rows taken in without it.
    if (changed && this.refersToColumnsFrom(before)) this.dirty = true;
    const drop = (src.dropped ?? 0) - this.droppedSeen;
    this.droppedSeen = src.dropped ?? 0;
    if (drop > 0) {
      this.shiftOut(drop);
      changed = true;
    }
    if (src.rowCount < this.processed) this.dirty = true;
    if (this.dirty) {
      this.recompute(now);
      return { changed: true, retryInMs: null };
    }
    if (src.rowCount === this.processed) return { changed, retryInMs: null };
    if (!this.sort) {
      this.append(this.processed, src.rowCount);
      return { changed: true, retryInMs: null };
    }
    const wait = this.lastFull + SORTED_REFRESH_MS - now;
    if (wait > 0) return { changed, retryInMs: wait };
    this.recompute(now);
    return { changed: true, retryInMs: null };
  }

  /** Recomputes everything now: filter all rows in one pass, then sort. */
  recompute(now: number): void {
    const total = this.source.rowCount;
    this.buf = new Uint32Array(Math.max(total, 64));
    this.n = 0;
    this.processed = 0;
    this.append(0, total);
    const s = this.sort;
    if (s) this.buf = sortRows(this.source, this.buf.subarray(0, this.n), s.col, s.desc);
    this.lastFull = now;
    this.dirty = false;
  }

  private append(from: number, to: number): void {
    if (this.n + (to - from) > this.buf.length) {
      const grown = new Uint32Array(Math.max(this.buf.length * 2, this.n + (to - from)));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    const pass = this.rowTest();
    let n = this.n;
    const out = this.buf;
    if (!pass) for (let r = from; r < to; r++) out[n++] = r;
    else for (let r = from; r < to; r++) if (pass(r)) out[n++] = r;
    this.n = n;
    this.processed = to;
    this.reversed = null;
  }

  /** Rows dropped from the front of the source: forget them and renumber the rest. */
  private shiftOut(k: number): void {
    let n = 0;
    for (let i = 0; i < this.n; i++) {
      const r = this.buf[i];
      if (r >= k) this.buf[n++] = r - k;
    }
    this.n = n;
    this.processed = Math.max(0, this.processed - k);
    this.reversed = null;
  }

  private refersToColumnsFrom(first: number): boolean {
    const keys = [...this.filters.keys(), ...(this.sortKey ? [this.sortKey.key] : [])];
    return keys.some((k) => this.layout.column(k) >= first);
  }

  private known(col: number): boolean {
    return Number.isInteger(col) && col >= 0 && col < this.layout.size;
  }

  private compile(col: number, text: string): { test: CellTest | null; error: string | null } {
    const type: ColumnType = this.source.columns[col]?.type ?? 'text';
    const r = parseFilter(text, type);
    return r.ok ? { test: r.test, error: null } : { test: null, error: r.error };
  }

  /** One predicate for a row from the filters and the search, or null when every row passes. */
  private rowTest(): RowTest | null {
    const cols: number[] = [];
    const tests: CellTest[] = [];
    for (const [key, f] of this.filters) {
      const col = this.layout.column(key);
      const t = col < 0 ? null : this.compile(col, f.text).test;
      if (t) {
        cols.push(col);
        tests.push(t);
      }
    }
    const visible = this.layout.visible().map((col) => ({ col, type: this.source.columns[col].type }));
    const search = makeSearch(this.source, visible, this.searchText);
    if (tests.length === 0) return search;
    const src = this.source;
    return (r) => {
      for (let k = 0; k < tests.length; k++) if (!tests[k](src.cell(r, cols[k]))) return false;
      return search ? search(r) : true;
    };
  }
}
