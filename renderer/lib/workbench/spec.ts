/**
 * What the user asked of the grid, turned into the engine's view spec (`table:view`): sort keys
 * (a click sorts by one column, shift-click adds a key), per-column filters in the page's filter
 * language (checked here as they are typed, with the same reader the engine uses, so a bad
 * filter turns red with its message before any request), values kept or excluded from a cell,
 * a search over the visible columns, and tagged rows only. Columns are remembered by name.
 * No DOM, no Svelte.
 */
import type { TableCell, TableColumn, TableSortKey, TableViewSpec } from '../../../main/ipc/contract.ts';
import { parseFilter } from '../table/filter.ts';

/** A value kept (or excluded) by "filter to this value" / "exclude this value". */
export interface ValueFilter {
  column: string;
  value: TableCell;
  exclude: boolean;
}

export class ViewState {
  sort: TableSortKey[] = [];
  private readonly filters = new Map<string, { text: string; error: string | null }>();
  values: ValueFilter[] = [];
  search = '';
  taggedOnly = false;

  /**
   * A header click. Plain: sort by this column alone (ascending, then descending, then no sort).
   * `additive` (shift-click): add it as the next key, or flip it, or (when descending) remove it.
   */
  toggleSort(column: string, additive = false): void {
    const at = this.sort.findIndex((k) => k.column === column);
    const key = at >= 0 ? this.sort[at]! : null;
    if (additive) {
      if (!key) this.sort = [...this.sort, { column }];
      else if (!key.desc) this.sort = this.sort.map((k, i) => (i === at ? { column, desc: true } : k));
      else this.sort = this.sort.filter((_, i) => i !== at);
      return;
    }
    if (!key || this.sort.length > 1) this.sort = [{ column }];
    else this.sort = key.desc ? [] : [{ column, desc: true }];
  }

  /** The sort of a column: its direction and (with several keys) its place, for the header. */
  sortOf(column: string): { desc: boolean; place: number } | null {
    const at = this.sort.findIndex((k) => k.column === column);
    return at < 0 ? null : { desc: this.sort[at]!.desc === true, place: at + 1 };
  }

  /** Sets a column's filter; returns the syntax error (the filter is then left out of the view), or null. */
  setFilter(column: TableColumn, text: string): string | null {
    if (text.trim() === '') {
      this.filters.delete(column.name);
      return null;
    }
    const r = parseFilter(text, column.type);
    const error = r.ok ? null : `${column.name}: ${r.error}`;
    this.filters.set(column.name, { text, error });
    return error;
  }

  filterText(column: string): string {
    return this.filters.get(column)?.text ?? '';
  }

  filterError(column: string): string | null {
    return this.filters.get(column)?.error ?? null;
  }

  /** Marks a column's filter as refused by the engine (its message then shows under the column). */
  refuseFilter(column: string, error: string): void {
    const f = this.filters.get(column);
    if (f) f.error = error;
  }

  /** Keeps (or excludes) rows whose cell in `column` is `value`; the same column and value replace an earlier choice. */
  addValue(column: string, value: TableCell, exclude: boolean): void {
    this.values = [...this.values.filter((v) => !(v.column === column && v.value === value)), { column, value, exclude }];
  }

  removeValue(index: number): void {
    this.values = this.values.filter((_, i) => i !== index);
  }

  /** Filters, values, search and tagged-only cleared (the sort stays). */
  clearFilters(): void {
    this.filters.clear();
    this.values = [];
    this.search = '';
    this.taggedOnly = false;
  }

  /** How many filters of any kind are on (for "Clear filters"). */
  get activeFilters(): number {
    let n = this.values.length + (this.search.trim() ? 1 : 0) + (this.taggedOnly ? 1 : 0);
    for (const f of this.filters.values()) if (!f.error) n++;
    return n;
  }

  /** Columns (by name) whose filter does not parse. */
  get badFilters(): string[] {
    return [...this.filters].filter(([, f]) => f.error).map(([c]) => c);
  }

  /**
   * The engine's spec over `columns` (the table's) with the search over `visible` (names):
   * settings for columns the table does not have are left out; filters that do not parse too.
   */
  spec(columns: readonly TableColumn[], visible: readonly string[]): TableViewSpec {
    const known = new Set(columns.map((c) => c.name));
    const spec: TableViewSpec = {};
    const sort = this.sort.filter((k) => known.has(k.column)).map((k) => (k.desc ? { column: k.column, desc: true } : { column: k.column }));
    if (sort.length) spec.sort = sort;
    const filters = [...this.filters].filter(([c, f]) => known.has(c) && !f.error && f.text.trim() !== '').map(([column, f]) => ({ column, text: f.text }));
    if (filters.length) spec.filters = filters;
    const values = this.values.filter((v) => known.has(v.column)).map((v) => (v.exclude ? { column: v.column, value: v.value, exclude: true } : { column: v.column, value: v.value }));
    if (values.length) spec.values = values;
    const text = this.search.trim();
    if (text) spec.search = { text, columns: visible.filter((c) => known.has(c)) };
    if (this.taggedOnly) spec.taggedOnly = true;
    return spec;
  }
}

/** True for a spec that shows every row in file order (no view is needed: windows read the table). */
export function isPlainSpec(spec: TableViewSpec): boolean {
  return !spec.sort && !spec.filters && !spec.values && !spec.search && !spec.taggedOnly;
}

/** A stable key of a spec, to tell whether a new view is needed. */
export function specKey(spec: TableViewSpec): string {
  return JSON.stringify([spec.sort ?? [], spec.filters ?? [], spec.values ?? [], spec.search ?? null, spec.taggedOnly === true]);
}
