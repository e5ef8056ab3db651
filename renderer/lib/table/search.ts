/**
 * The table's search box: a literal, case-insensitive substring looked for in the text of every
 * visible cell of a row. No syntax, so anything can be pasted in and found.
 */
import { cellText } from './cell-text.ts';
import { literalMatcher } from './filter.ts';
import type { ColumnType, TableSource } from './source.ts';

/** A compiled search: true when some searched column of the row contains the needle. */
export type RowTest = (row: number) => boolean;

/**
 * Whether the decimal text of integer v contains the digit string `digits` (value `n`, length
 * `len`), by arithmetic: a million String(v) calls cost more than the rest of a search.
 */
function integerContains(v: number, digits: number, len: number): boolean {
  let q = Math.abs(v);
  if (q === 0) return digits === 0 && len === 1;
  const window = 10 ** len, least = 10 ** (len - 1);
  // Each q is v with its last k digits dropped; its last len digits are one window of the text.
  for (; q >= least; q = Math.floor(q / 10)) if (q % window === digits) return true;
  return false;
}

/**
 * Compiles a search over `columns`, or null when the needle is blank. Number cells are only
 * turned into text when the needle could occur in a number's (or an ISO time's) text at all:
 * searching "error" never stringifies a million numbers.
 * @example makeSearch(source, [{ col: 0, type: 'text' }], 'ERR')?.(5)
 */
export function makeSearch(source: TableSource, columns: ReadonlyArray<{ col: number; type: ColumnType }>, needle: string): RowTest | null {
  const n = needle.trim().toLowerCase();
  if (n === '' || columns.length === 0) return null;
  const numbersMayMatch = /^[0-9.e+\-infty]*$/.test(n);
  // ISO times have digit runs of at most 4 (the year).
  const timesMayMatch = /^[0-9\-:.tz]*$/.test(n) && !/[0-9]{5}/.test(n);
  const re = literalMatcher(n);
  const digitsOnly = /^[0-9]{1,15}$/.test(n) ? Number(n) : -1;
  const cols = columns.map((c) => c.col);
  const types = columns.map((c) => c.type);
  return (row) => {
    for (let k = 0; k < cols.length; k++) {
      const v = source.cell(row, cols[k]);
      if (v === null || v === undefined) continue;
      if (typeof v === 'string') {
        if (v.length >= n.length && re.test(v)) return true;
        continue;
      }
      if (typeof v === 'number') {
        if (!(types[k] === 'timestamp' ? timesMayMatch : numbersMayMatch)) continue;
        if (digitsOnly >= 0 && types[k] !== 'timestamp' && Number.isInteger(v) && Math.abs(v) < 1e15) {
          if (integerContains(v, digitsOnly, n.length)) return true;
          continue;
        }
      }
      if (re.test(cellText(v, types[k]))) return true;
    }
    return false;
  };
}
