/**
 * The table's search box: a literal, case-insensitive substring looked for in the text of every
 * visible cell of a row. No syntax, so anything can be pasted in and found.
 */
import { cellText } from './cell-text.ts';
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
  // ISO times have digit runs of at most 4 (the year).
  const timesMayMatch = /^[0-9\-:.tz]*$/.test(n) && !/[0-9]{5}/.test(n);
  const re = literalMatcher(n);
  // A needle without cased letters (digits, an IP) matches only itself: includes() is native.
  const plain = n.toUpperCase() === n;
  const digits = digitsNeedle(n);
  const cols = columns.map((c) => c.col);
  const types = columns.map((c) => c.type);
  // Cells other than text, kept out of the row loop so that the loop stays small enough to inline.
  const other = (v: Cell, type: ColumnType): boolean => {
    if (typeof v === 'number') {
      if (!(type === 'timestamp' ? timesMayMatch : numbersMayMatch)) return false;
      const has = digits && type !== 'timestamp' ? numberHasDigits(v, digits) : null;
      if (has !== null) return has;
    }
    return re.test(cellText(v, type));
  };
  return (row) => {
    for (let k = 0; k < cols.length; k++) {
      const v = source.cell(row, cols[k]);
      if (typeof v === 'string') {
        if (v.length >= n.length && (plain ? v.includes(n) : re.test(v))) return true;
      } else if (v !== null && v !== undefined && other(v, types[k])) return true;
    }
    return false;
  };
}
