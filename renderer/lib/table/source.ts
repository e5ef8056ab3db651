/**
 * What the results table shows: a growing set of rows read cell by cell. Query results, live
 * events, monitoring logs and imported CSV files each provide one (the CSV importer a columnar
 * one, so a million rows fit), and the table's sort, filter, search and export work on any.
 * No DOM, no Svelte: tested in plain Node.
 */

/** A cell: numbers stay numbers (sort and charts), text stays text; objects are nested JSON. */
export type Cell = string | number | boolean | null | object;

export type ColumnType = 'number' | 'timestamp' | 'text' | 'bool' | 'json';

export interface ColumnInfo {
  name: string;
  /** Inferred type; `timestamp` cells are epoch milliseconds (numbers). */
  type: ColumnType;
}

export interface TableSource {
  readonly columns: readonly ColumnInfo[];
  readonly rowCount: number;
  cell(row: number, col: number): Cell;
  /** Called after rows or columns change; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void;
  /**
   * Optional: bumped whenever existing rows are replaced or removed (clear, reload), as opposed
   * to appended, so a view knows to recompute rather than extend. A source without it is
   * recomputed only when its rowCount shrinks.
   */
  readonly generation?: number;
  /**
   * Optional, for capped buffers: how many rows were dropped from the front so far (row r is now
   * what was row r + dropped). A view keeps its filtered and sorted rows and renumbers them.
   */
  readonly dropped?: number;
}

/** Rows of JSON objects (query results, events): columns appear in first-seen order. */
export class RowSource implements TableSource {
  readonly columns: ColumnInfo[] = [];
  private readonly index = new Map<string, number>();
  private readonly rows: Cell[][] = [];
  private readonly listeners = new Set<() => void>();
  /** See TableSource.generation: bumped by clear(). */
  generation = 0;

  get rowCount(): number {
    return this.rows.length;
  }

  cell(row: number, col: number): Cell {
    return this.rows[row]?.[col] ?? null;
  }

  /** Appends a batch of row objects and notifies once. */
  append(objects: ReadonlyArray<Record<string, unknown>>): void {
    for (const o of objects) {
      const r: Cell[] = new Array(this.columns.length).fill(null);
      for (const [k, v] of Object.entries(o)) {
        let c = this.index.get(k);
        if (c === undefined) {
          c = this.columns.length;
          this.index.set(k, c);
          this.columns.push({ name: k, type: typeOfValue(v) });
        }
        r[c] = (v ?? null) as Cell;
      }
      this.rows.push(r);
    }
    this.notify();
  }

  /** Drops everything (a new run). */
  clear(): void {
    this.rows.length = 0;
    this.columns.length = 0;
    this.index.clear();
    this.generation++;
    this.notify();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }
}

function typeOfValue(v: unknown): ColumnType {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (v !== null && typeof v === 'object') return 'json';
  return 'text';
}
