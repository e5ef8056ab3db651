/**
 * The table's per-column settings (order, hidden, filter text), keyed by column name rather
 * than position so that re-running a query keeps them. Names repeated in one source get
 * numbered keys, so each column still has its own settings.
 */
import type { ColumnInfo } from './source.ts';

/** Display order and visibility of a source's columns, remembered across reruns. */
export class ColumnLayout {
  private keys: string[] = [];
  private index = new Map<string, number>();
  private order: string[] = [];
  private readonly hidden = new Set<string>();

  /** Re-reads the source's columns; new names are appended to the display order. */
  update(columns: readonly ColumnInfo[]): void {
    const seen = new Map<string, number>();
    this.keys = columns.map((c) => {
      const k = seen.get(c.name) ?? 0;
      seen.set(c.name, k + 1);
      return k === 0 ? c.name : `${c.name}\u0000${k}`;
    });
    this.index = new Map(this.keys.map((k, i) => [k, i]));
    const known = new Set(this.order);
    for (const k of this.keys) if (!known.has(k)) this.order.push(k);
  }

  /** Number of source columns seen by the last update. */
  get size(): number {
    return this.keys.length;
  }

  /** The settings key of source column `col`. */
  key(col: number): string {
    return this.keys[col];
  }

  /** The source column index of a key, or -1 when the source has no such column now. */
  column(key: string): number {
    return this.index.get(key) ?? -1;
  }

  /** Source column indices in display order, hidden ones included. */
  ordered(): number[] {
    const out: number[] = [];
    for (const k of this.order) {
      const c = this.index.get(k);
      if (c !== undefined) out.push(c);
    }
    return out;
  }

  /** Source column indices in display order, hidden ones left out. */
  visible(): number[] {
    return this.ordered().filter((c) => !this.hidden.has(this.keys[c]));
  }

  /** Whether the user hid source column `col`. */
  isHidden(col: number): boolean {
    return this.hidden.has(this.keys[col]);
  }

  /** Hides or shows source column `col`. */
  setHidden(col: number, hidden: boolean): void {
    if (hidden) this.hidden.add(this.keys[col]);
    else this.hidden.delete(this.keys[col]);
  }

  /** Moves source column `col` to display position `to` (clamped); remembered names of absent columns keep their place at the end. */
  place(col: number, to: number): void {
    const cur = this.ordered();
    const from = cur.indexOf(col);
    if (from < 0) return;
    cur.splice(from, 1);
    cur.splice(Math.max(0, Math.min(to, cur.length)), 0, col);
    const present = new Set(cur.map((c) => this.keys[c]));
    this.order = [...cur.map((c) => this.keys[c]), ...this.order.filter((k) => !present.has(k))];
  }
}
