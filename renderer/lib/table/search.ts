/**
 * The table's search box: a literal, case-insensitive substring looked for in the text of every
 * visible cell of a row. No syntax, so anything can be pasted in and found. A number matches by
 * its full text and by the rounded text the grid shows (number-text.ts), so both `0.0118` and
 * `1.18%` find a CPUPercent of 0.0118.
 */
import { cellText } from './cell-text.ts';
import { isPercentColumn, numberText, percentText } from './number-text.ts';
import { literalMatcher } from './filter.ts';
import { digitsNeedle, numberHasDigits } from './search-digits.ts';
import type { Cell, ColumnType, TableSource } from './source.ts';

/** A compiled search: true when some searched column of the row contains the needle. */
export type RowTest = (row: number) => boolean;

/**
 * Compiles a search over `columns`, or null when the needle is blank. Number cells are only
 * turned into text when the needle could occur in a number's (or an ISO time's) text at all,
 * and digits are looked for in numbers by arithmetic (search-digits.ts): searching "error" or
 * "12345" never stringifies a million numbers.
 * @example makeSearch(source, [{ col: 0, type: 'text' }], 'ERR')?.(5)
 */
export function makeSearch(source: TableSource, columns: ReadonlyArray<{ col: number; type: ColumnType }>, needle: string): RowTest | null {
  const n = needle.trim().toLowerCase();
  if (n === '' || columns.length === 0) return null;
  const numbersMayMatch = /^[0-9.e+\-infty]*$/.test(n);
  // The rounded display can hold a `%` and digits the full text does not (1.17999 shows 1.18).
  const shownMayMatch = /^[0-9.e+\-infty]*%?$/.test(n);
  // ISO times have digit runs of at most 4 (the year).
  const timesMayMatch = /^[0-9\-:.tz]*$/.test(n) && !/[0-9]{5}/.test(n);
  const re = literalMatcher(n);
  // A needle without cased letters (digits, an IP) matches only itself: includes() is native.
  const plain = n.toUpperCase() === n;
  const digits = digitsNeedle(n);
  const cols = columns.map((c) => c.col);
  const types = columns.map((c) => c.type);
  const percents = columns.map((c) => isPercentColumn(source.columns[c.col]?.name ?? ''));
  // What the grid shows for a number, when it can differ from its full text: rounded floats
  // (not integers, which show as they are) and percents.
  const shown = (v: number, percent: boolean): boolean =>
    shownMayMatch && (percent ? re.test(percentText(v)) : !Number.isInteger(v) && re.test(numberText(v)));
  // Cells other than text, kept out of the row loop so that the loop stays small enough to inline.
  const other = (v: Cell, type: ColumnType, percent: boolean): boolean => {
    if (typeof v === 'number' && type === 'timestamp') return timesMayMatch && re.test(cellText(v, type));
    if (typeof v === 'number') {
      if (!numbersMayMatch) return shown(v, percent);
      // A needle of digits alone is looked for in the full text only (by arithmetic where it
      // can: no string per cell), and in percents as shown; any other needle in both texts.
      if (digits) return (numberHasDigits(v, digits) ?? re.test(cellText(v, type))) || (percent && shown(v, percent));
      return re.test(cellText(v, type)) || shown(v, percent);
    }
    return re.test(cellText(v, type));
  };
  return (row) => {
    for (let k = 0; k < cols.length; k++) {
      const v = source.cell(row, cols[k]);
      if (typeof v === 'string') {
        if (v.length >= n.length && (plain ? v.includes(n) : re.test(v))) return true;
      } else if (v !== null && v !== undefined && other(v, types[k], percents[k])) return true;
    }
    return false;
  };
}
