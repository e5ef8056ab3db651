/**
 * Cells of the engine's windows as the workbench shows and copies them: times (epoch ms in
 * `timestamp` columns) as ISO 8601 in the zone of the time zone setting, numbers rounded for
 * the eye in the grid as in the page's other tables (lib/table/number-text.ts: `1.18`, a
 * `*Percent` column as a percent) with the full value in the tooltip, the details, copies,
 * value counts, filters and exports (integers past 2^53 arrive as their digits in text and stay
 * exact), nested values (JSON text) compact in the grid and pretty-printed in the details pane.
 * No DOM.
 */
import type { TableCell, TableColumn } from '../../../main/ipc/contract.ts';
import { cellText, isoTime, jsonText } from '../table/cell-text.ts';
import { timeText } from '../settings/time-zone.ts';
import { displayText } from '../table/number-text.ts';

/** A cell's text in the grid: numbers rounded for the eye (percent columns as percents). */
export function cellDisplay(cell: TableCell | undefined, column: TableColumn): string {
  if (cell === null || cell === undefined) return '';
  return displayText(cell, column);
}

/** A cell's whole text: numbers as they are, times in the zone of the time zone setting (UTC by default). */
export function cellFullText(cell: TableCell | undefined, column: TableColumn): string {
  if (cell === null || cell === undefined) return '';
  if (column.type === 'timestamp' && typeof cell === 'number') return timeText(cell);
  return cellText(cell, column.type);
}

/** A nested value's text pretty-printed (JSON text that does not parse is shown as it is). */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Right-aligned in the grid: number columns. */
export function isNumeric(column: TableColumn): boolean {
  return column.type === 'number';
}

/** A cell as a value of a copied row: times as ISO text, nested values parsed, the rest as they are. */
export function cellValue(cell: TableCell, column: TableColumn): unknown {
  if (cell === null) return null;
  if (column.type === 'timestamp' && typeof cell === 'number') return isoTime(cell);
  if (column.type === 'json' && typeof cell === 'string') {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  return cell;
}

/** A row as pretty JSON for "Copy row": `_row` first, then the given columns in order. */
export function rowJsonText(row: number, cells: readonly TableCell[], columns: readonly TableColumn[], order: readonly number[]): string {
  const out: Record<string, unknown> = { _row: row };
  for (const c of order) out[columns[c]!.name] = cellValue(cells[c] ?? null, columns[c]!);
  return jsonText(out, 2);
}
