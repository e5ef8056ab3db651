/**
 * Column widths for the grid, chosen from a column's name and its first rows, then kept so a
 * column does not jump as rows arrive. Pure (no DOM): the grid only reads numbers.
 */
import { displayText } from './number-text.ts';
import type { ColumnType } from './source.ts';
import type { TableView } from './view.ts';

/**
 * A column's width in pixels from its name and a sample of its texts: wide enough for most of
 * the sample (the 90th percentile, so one long outlier does not widen the column), clamped.
 * Cells are 12.5px monospace (~7.6px a character); header names are bold proportional text
 * (~9px a character for names like `CPUPercent`, plus the sort arrow), so that a column of
 * short numbers still shows its whole name.
 */
export function columnWidth(name: string, type: ColumnType, samples: readonly string[]): number {
  const lengths = samples.map((s) => Math.min(s.length, 80)).sort((a, b) => a - b);
  const typical = lengths.length ? lengths[Math.floor((lengths.length - 1) * 0.9)] : 0;
  // A time fits in either zone of the time zone setting, so changing it does not cut the
  // offset off (`2024-05-01T04:00:00.000-04:00`, 29 characters; UTC's form is 24).
  const min = type === 'bool' ? 60 : type === 'timestamp' ? Math.ceil(29 * 7.6 + 16) : 70;
  const px = Math.max(typical * 7.6 + 16, name.length * 9 + 30, min);
  return Math.round(Math.min(px, type === 'json' || type === 'text' ? 420 : 260));
}

/** Remembered widths by column key (name), measured once a column has rows. */
export class ColumnWidths {
  private readonly known = new Map<string, number>();

  /** The width of source column `col` of `view`. */
  of(view: TableView, col: number): number {
    const key = view.layout.key(col);
    const w = this.known.get(key);
    if (w !== undefined) return w;
    const info = view.source.columns[col];
    const rows = view.displayRows().subarray(0, 100);
    const px = columnWidth(info.name, info.type, Array.from(rows, (r) => displayText(view.source.cell(r, col), info)));
    if (rows.length > 0) this.known.set(key, px);
    return px;
  }
}
