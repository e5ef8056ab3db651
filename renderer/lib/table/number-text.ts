/**
 * Numbers as the results grid shows them. A float produced by arithmetic carries noise in its
 * last digits (`0.59 + 0.59` is `1.1800000000000002`) that reads as precision it does not have;
 * the grid rounds it for the eye, while the value itself is kept everywhere else: the cell's
 * tooltip, the row details, Copy, the column filters and the exports all use the full value
 * (cell-text.ts), so nothing is lost by looking.
 *
 * The rule:
 * - integers as they are (`1714550400`, `-3`);
 * - other numbers with at most 4 decimals, or 4 significant digits when below 1 (`1.18`,
 *   `12.3457`, `0.0118`, `0.0001235`), trailing zeros dropped, and never more than 15
 *   significant digits (a double's noise starts after that);
 * - below 1e-6, 4 significant digits in exponent form (`1.235e-7`);
 * - a number in a column whose name ends in `Percent` (`CPUPercent`, `disk_percent`) is a
 *   fraction, Velociraptor's convention (`rate(x=CPU, y=Timestamp) AS CPUPercent` is the
 *   fraction of one core its notebooks multiply by 100): shown times 100 with a `%` sign,
 *   `0.0118` as `1.18%`.
 */
import { cellText } from './cell-text.ts';
import { timeText } from '../settings/time-zone.ts';
import type { Cell, ColumnInfo } from './source.ts';

/** Decimals shown for numbers of 1 and above (and the significant digits below 1). */
export const DISPLAY_DIGITS = 4;

/** Whether a column's numbers are fractions shown as percents (see the module comment). */
export function isPercentColumn(name: string): boolean {
  return /percent$/i.test(name);
}

/**
 * A number rounded for display (the rule in the module comment).
 * @example numberText(1.1800000000000002) // '1.18'
 */
export function numberText(n: number): string {
  if (!Number.isFinite(n) || Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  // Exponent form below 1e-6 (String() switches there too); 4 significant digits.
  if (a < 1e-6) return String(Number(n.toPrecision(DISPLAY_DIGITS)));
  const magnitude = Math.floor(Math.log10(a));
  const decimals = a >= 1 ? Math.max(0, Math.min(DISPLAY_DIGITS, 14 - magnitude)) : DISPLAY_DIGITS - 1 - magnitude;
  // toFixed rounds; Number() then String() drop the trailing zeros (and a bare `.`).
  const text = String(Number(n.toFixed(decimals)));
  return text === '-0' ? '0' : text;
}

/**
 * A fraction as a percent, rounded for display.
 * @example percentText(0.0118) // '1.18%'
 */
export function percentText(fraction: number): string {
  if (!Number.isFinite(fraction)) return String(fraction);
  return `${numberText(fraction * 100)}%`;
}

/**
 * The text the grid shows for a cell: numbers rounded (percent columns as percents, times as
 * ISO in the zone of the time zone setting: lib/settings/time-zone.ts), the rest as cellText.
 * Use cellText wherever the value matters (copy, filter, export).
 * @example displayText(0.0118, { name: 'CPUPercent', type: 'number' }) // '1.18%'
 */
export function displayText(cell: Cell | undefined, column: ColumnInfo): string {
  // Times in the zone of the time zone setting (UTC by default); cellText keeps UTC.
  if (typeof cell === 'number' && column.type === 'timestamp') return timeText(cell);
  if (typeof cell !== 'number') return cellText(cell, column.type);
  return isPercentColumn(column.name) ? percentText(cell) : numberText(cell);
}
