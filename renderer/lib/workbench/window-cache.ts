/**
 * The rows of an engine view that the page holds: fixed windows of `size` rows fetched with
 * `table:window` as the grid scrolls, a few kept around the viewport and the rest dropped, so a
 * ten-million-row table costs the page a few hundred rows. A row not here yet is a placeholder
 * (`row()` returns undefined) until its window arrives; `onChange` then tells the grid to draw.
 *
 * A new view (`reset`) starts a new generation: windows of the old one that arrive late are
 * dropped, never shown under the new sort. No DOM, no Svelte: tested in Node against a real
 * AppService (test/renderer/workbench-session.test.ts).
 */
import type { TableCell, TableWindow } from '../../../main/ipc/contract.ts';

/** One row as the grid reads it. */
export interface CachedRow {
  /** The row's `_row` (file order, 1-based): what tags, details and "jump to row" use. */
  readonly row: number;
  readonly cells: readonly TableCell[];
  tagged: boolean;
}

/** Fetches `limit` rows at `offset` of the current view; throws (or rejects) with a message on failure. */
export type FetchWindow = (offset: number, limit: number) => Promise<TableWindow>;

export interface WindowCacheOptions {
  /** Rows per window (default 200). */
  size?: number;
  /** Windows kept at most (default 8); those around the viewport are never dropped. */
  keep?: number;
  /** Called when rows arrived (or failed): the grid redraws. */
  onChange?: () => void;
  /** A window that failed is not asked again for this long (ms, default 1000): a redraw after the failure must not loop. */
  retryMs?: number;
}

interface Slot {
  rows: CachedRow[] | null;
  pending: boolean;
  /** Last `want` that touched it (for eviction). */
  used: number;
}

export class WindowCache {
  readonly size: number;
  private readonly keep: number;
  private slots = new Map<number, Slot>();
  private generation = 0;
  private clock = 0;
  private fetcher: FetchWindow;
  private totalRows = 0;
  private readonly retryMs: number;
  /** Windows that failed, with when. */
  private failed = new Map<number, number>();
  /** The last window that failed, with why (cleared by the next success or reset). */
  error: string | null = null;
  onChange: () => void;

  constructor(fetcher: FetchWindow, opts: WindowCacheOptions = {}) {
    this.fetcher = fetcher;
    this.size = Math.max(1, opts.size ?? 200);
    this.keep = Math.max(2, opts.keep ?? 8);
    this.onChange = opts.onChange ?? (() => {});
    this.retryMs = opts.retryMs ?? 1000;
  }

  /** Bumped by every reset (a new view): the grid goes back to the top. */
  get generationId(): number {
    return this.generation;
  }

  /** Rows in the view. */
  get total(): number {
    return this.totalRows;
  }

  /** Windows held (loaded or on their way). */
  get windows(): number {
    return this.slots.size;
  }

  /** Windows on their way. */
  get pending(): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.pending) n++;
    return n;
  }

  /**
   * A new view (or the same view re-counted): everything held is dropped, late windows are
   * ignored; `first` (a window the view request brought, at offset 0) is kept at once.
   */
  reset(total: number, fetcher?: FetchWindow, first?: TableWindow): void {
    this.generation++;
    this.slots = new Map();
    this.failed = new Map();
    this.totalRows = Math.max(0, total);
    this.error = null;
    if (fetcher) this.fetcher = fetcher;
    if (first) this.take(first);
  }

  /** The row at position `i` of the view, or undefined when its window is not here (yet). */
  row(i: number): CachedRow | undefined {
    if (i < 0 || i >= this.totalRows) return undefined;
    const s = this.slots.get(Math.floor(i / this.size));
    return s?.rows?.[i % this.size];
  }

  /** Positions `first..last` are on screen: fetch their windows and one more on each side; drop far ones. */
  want(first: number, last: number): void {
    if (this.totalRows === 0) return;
    const lo = Math.max(0, Math.floor(Math.max(0, first) / this.size) - 1);
    const hi = Math.min(Math.ceil(this.totalRows / this.size) - 1, Math.floor(Math.max(first, last) / this.size) + 1);
    const now = ++this.clock;
    const t = Date.now();
    for (let k = lo; k <= hi; k++) {
      const s = this.slots.get(k);
      if (s) s.used = now;
      else if (!(t - (this.failed.get(k) ?? -Infinity) < this.retryMs)) this.fetch(k, now);
    }
    this.evict(lo, hi);
  }

  /** Marks a row tagged or not wherever it is held (after `table:tag`). */
  setTagged(row: number, tagged: boolean): void {
    for (const s of this.slots.values()) for (const r of s.rows ?? []) if (r.row === row) r.tagged = tagged;
  }

  /** Every row held, by position (for "copy", the details pane of a selected row...). */
  *held(): Generator<[number, CachedRow]> {
    for (const [k, s] of this.slots) {
      if (!s.rows) continue;
      for (let j = 0; j < s.rows.length; j++) yield [k * this.size + j, s.rows[j]!];
    }
  }

  private take(w: TableWindow): void {
    const k = Math.floor(w.offset / this.size);
    if (w.offset % this.size !== 0) return;
    const tagged = new Set(w.tagged);
    this.slots.set(k, { rows: w.rows.map((row, j) => ({ row, cells: w.cells[j]!, tagged: tagged.has(row) })), pending: false, used: this.clock });
  }

  private fetch(k: number, now: number): void {
    const gen = this.generation;
    const slot: Slot = { rows: null, pending: true, used: now };
    this.slots.set(k, slot);
    const offset = k * this.size;
    const limit = Math.min(this.size, this.totalRows - offset);
    this.fetcher(offset, limit).then(
      (w) => {
        if (gen !== this.generation || this.slots.get(k) !== slot) return;
        const tagged = new Set(w.tagged);
        slot.rows = w.rows.map((row, j) => ({ row, cells: w.cells[j]!, tagged: tagged.has(row) }));
        slot.pending = false;
        this.error = null;
        this.failed.delete(k);
        this.onChange();
      },
      (e: unknown) => {
        if (gen !== this.generation || this.slots.get(k) !== slot) return;
        // Dropped, so a `want` after retryMs asks again.
        this.slots.delete(k);
        this.failed.set(k, Date.now());
        this.error = e instanceof Error ? e.message : String(e);
        this.onChange();
      },
    );
  }

  /** Drops the least recently wanted windows outside `lo..hi` past `keep`. */
  private evict(lo: number, hi: number): void {
    if (this.slots.size <= this.keep) return;
    const far = [...this.slots].filter(([k]) => k < lo || k > hi).sort((a, b) => a[1].used - b[1].used);
    for (const [k] of far) {
      if (this.slots.size <= this.keep) break;
      this.slots.delete(k);
    }
  }
}
