/**
 * One text form of a cell, shared by the table's filter, search, copy and export so that what a
 * user filters on is what lands in the file. The grid shows the same text except for numbers,
 * which it rounds for the eye (number-text.ts: `1.18`, `1.18%`), with this full text in the
 * cell's tooltip and the row details.
 */
import type { Cell, ColumnType } from './source.ts';

// The date part of the last timestamp formatted: a column of times is mostly ordered, so
// most cells share a day with the one before and skip Date (filter, search and export call
// this a million times).
let cachedDay = NaN;
let cachedPrefix = '';
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** A timestamp cell (epoch milliseconds) as ISO 8601 UTC, or the plain number if out of range. */
export function isoTime(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return String(ms);
  const t = Math.floor(ms);
  const day = Math.floor(t / 86_400_000);
  if (day !== cachedDay) {
    const iso = new Date(day * 86_400_000).toISOString();
    cachedPrefix = iso.slice(0, iso.indexOf('T') + 1);
    cachedDay = day;
  }
  const r = t - day * 86_400_000;
  return `${cachedPrefix}${pad(Math.floor(r / 3_600_000), 2)}:${pad(Math.floor(r / 60_000) % 60, 2)}:${pad(Math.floor(r / 1000) % 60, 2)}.${pad(r % 1000, 3)}Z`;
}

/** Compact JSON of a nested value; a value JSON cannot hold (a cycle, a BigInt) says so instead of throwing. */
export function jsonText(v: unknown, indent?: number): string {
  try {
    return JSON.stringify(v, null, indent) ?? '';
  } catch (e) {
    return `[not JSON: ${(e as Error).message}]`;
  }
}

/**
 * The text of a cell: '' for null, ISO time for numbers in a timestamp column, compact JSON for
 * objects and arrays, String() for the rest.
 * @example cellText(1714550400000, 'timestamp') // '2024-05-01T08:00:00.000Z'
 */
export function cellText(cell: Cell | undefined, type: ColumnType): string {
  if (cell === null || cell === undefined) return '';
  switch (typeof cell) {
    case 'string':
      return cell;
    case 'number':
      return type === 'timestamp' ? isoTime(cell) : String(cell);
    case 'object':
      return jsonText(cell);
    default:
      return String(cell);
  }
}

/** True for cells the table treats as empty: null, undefined, '' and NaN (sorted last, matched by `=`). */
export function isEmptyCell(cell: Cell | undefined): boolean {
  return cell === null || cell === undefined || cell === '' || (typeof cell === 'number' && Number.isNaN(cell));
}

/** "1,234 of 100,000 rows": the row count line under the table (en-US digit grouping). */
export function rowCountText(shown: number, total: number): string {
  const f = (n: number) => n.toLocaleString('en-US');
  return `${f(shown)} of ${f(total)} ${total === 1 ? 'row' : 'rows'}`;
}

