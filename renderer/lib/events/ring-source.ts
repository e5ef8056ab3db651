/**
 * The live event view's rows: a capped ring buffer (the last `capacity` rows) read by the
 * results table and the chart as a TableSource. Row 0 is the oldest row kept; the table shows
 * it newest first. Pausing the view freezes what the table and chart read while rows keep
 * arriving: they wait in a queue (itself capped at `capacity`, so a long pause keeps the
 * newest rows and counts the others as missed) and join the view on resume.
 */
import type { Cell, ColumnInfo, TableSource } from '../table/source.ts';
import { RowColumns } from '../table/row-columns.ts';

/** A TableSource over the last `capacity` rows received (see above). */
export class RingSource implements TableSource {
  private readonly shape = new RowColumns();
  private readonly ring: Cell[][];
  /** Slot of the oldest row. */
  private head = 0;
  private count = 0;
  private waiting: Array<Record<string, unknown>> = [];
  private readonly listeners = new Set<() => void>();
  /** Rows received live since the last clear (shown or not). */
  received = 0;
  /** Rows taken from today's log when the view opened (the backfill), not counted in `received`. */
  backfilled = 0;
  /** Rows that never reached the view: dropped while paused, or missed upstream (a slow view). */
  missed = 0;
  paused = false;
  /** TableSource.dropped: rows evicted from the front so far (row r is what was row r + dropped). */
  dropped = 0;
  /** TableSource.generation: bumped when every row is replaced (clear). */
  generation = 0;

  constructor(readonly capacity = 10_000) {
    if (!(capacity >= 1)) throw new RangeError('RingSource: capacity must be at least 1');
    this.ring = new Array(capacity);
  }

  get columns(): readonly ColumnInfo[] {
    return this.shape.columns;
  }

  get rowCount(): number {
    return this.count;
  }

  /** Rows received while paused, waiting for the view. */
  get pending(): number {
    return this.waiting.length;
  }

  cell(row: number, col: number): Cell {
    if (row < 0 || row >= this.count) return null;
    return this.ring[(this.head + row) % this.capacity]![col] ?? null;
  }

  /**
   * Adds a batch (`missed`: rows the sender skipped before it); one notification per batch.
   * `backfill`: rows from the log rather than live (counted in `backfilled`).
   */
  append(objects: ReadonlyArray<Record<string, unknown>>, missed = 0, backfill = false): void {
    if (backfill) this.backfilled += objects.length;
    else this.received += objects.length + missed;
    this.missed += missed;
    if (this.paused) {
      for (const o of objects) this.waiting.push(o);
      const over = this.waiting.length - this.capacity;
      if (over > 0) {
        this.waiting.splice(0, over);
        this.missed += over;
      }
      this.notify();
      return;
    }
    this.store(objects);
    this.notify();
  }

  /** Stops changing what the view reads; rows keep arriving into the waiting queue. */
  pause(): void {
    this.paused = true;
    this.notify();
  }

  /** Moves the waiting rows into the view and updates it. */
  resume(): void {
    this.paused = false;
    const w = this.waiting;
    this.waiting = [];
    this.store(w);
    this.notify();
  }

  /** Drops every row, column and count (another artifact is viewed). */
  clear(): void {
    this.shape.clear();
    this.head = 0;
    this.count = 0;
    this.waiting = [];
    this.received = 0;
    this.backfilled = 0;
    this.missed = 0;
    this.dropped = 0;
    this.generation++;
    this.notify();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private store(objects: ReadonlyArray<Record<string, unknown>>): void {
    // Only the last `capacity` rows of a big batch can survive: skip the rest up front.
    for (let i = Math.max(0, objects.length - this.capacity); i < objects.length; i++) {
      const row = this.shape.toRow(objects[i]!);
      if (this.count < this.capacity) {
        this.ring[(this.head + this.count) % this.capacity] = row;
        this.count++;
      } else {
        // Full: the new row takes the oldest row's slot.
        this.ring[this.head] = row;
        this.head = (this.head + 1) % this.capacity;
        this.dropped++;
      }
    }
  }

  /** Tells the readers to look again (something beside the rows changed: the feed's notes). */
  notify(): void {
    for (const fn of this.listeners) fn();
  }
}
