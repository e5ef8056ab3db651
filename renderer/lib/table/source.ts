/**
 * What the results table shows: a growing set of rows read cell by cell. Query results, live
 * events and the SQL box's results each provide one, and the table's sort, filter, search and
 * export work on any. (Files and monitoring logs are opened by the engine on the host instead:
 * the page holds only their rows on screen, lib/workbench.) No DOM, no Svelte: tested in plain Node.
 */
import { RowColumns } from './row-columns.ts';

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

/** Rows of JSON objects (query results): columns appear in first-seen order (see RowColumns). */
export class RowSource implements TableSource {
  private readonly shape = new RowColumns();
  private readonly rows: Cell[][] = [];
  private readonly listeners = new Set<() => void>();
  /** TableSource.generation: bumped when every row is replaced (clear). */
  generation = 0;

  get columns(): readonly ColumnInfo[] {
    return this.shape.columns;
  }

  get rowCount(): number {
    return this.rows.length;
  }

  cell(row: number, col: number): Cell {
    return this.rows[row]?.[col] ?? null;
  }

  /** Appends a batch of row objects and notifies once. */
  append(objects: ReadonlyArray<Record<string, unknown>>): void {
    for (const o of objects) this.rows.push(this.shape.toRow(o));
    this.notify();
  }

  /** Drops everything (a new run). */
  clear(): void {
    this.rows.length = 0;
    this.shape.clear();
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
