/**
 * Rows of JSON objects (query results, live events) as cell arrays: columns appear in
 * first-seen order, a column's type is set by its first non-null value, and an epoch time in a
 * time-named column (Generic.Client.Stats' `Timestamp`) becomes a `timestamp` column whose
 * cells are epoch milliseconds, as TableSource requires.
 */
import type { Cell, ColumnInfo, ColumnType } from './source.ts';
import { epochScale } from './time.ts';

export class RowColumns {
  readonly columns: ColumnInfo[] = [];
  private readonly index = new Map<string, number>();
  /** Columns whose type is still unknown (only nulls seen so far). */
  private readonly untyped = new Set<number>();
  /** Per column: ms per unit of a timestamp column's numbers, 0 for other columns. */
  private readonly scales: number[] = [];

  /** The object as a row aligned to `columns` (adding the columns it brings). */
  toRow(o: Record<string, unknown>): Cell[] {
    const r: Cell[] = new Array(this.columns.length).fill(null);
    for (const k in o) {
      const v = (o[k] ?? null) as Cell;
      let c = this.index.get(k);
      if (c === undefined) {
        c = this.columns.length;
        this.index.set(k, c);
        this.columns.push({ name: k, type: 'text' });
        this.scales.push(0);
        this.untyped.add(c);
      }
      if (v !== null && this.untyped.has(c)) {
        const scale = epochScale(k, v);
        this.scales[c] = scale;
        this.columns[c] = { name: k, type: scale ? 'timestamp' : typeOf(v) };
        this.untyped.delete(c);
      }
      const scale = this.scales[c]!;
      r[c] = scale && typeof v === 'number' ? v * scale : v;
    }
    return r;
  }

  clear(): void {
    this.columns.length = 0;
    this.index.clear();
    this.untyped.clear();
    this.scales.length = 0;
  }
}

/** A cell's column type (nested values are JSON). */
function typeOf(v: unknown): ColumnType {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return 'json';
  return 'text';
}
