/**
 * The per-column filter language, compiled once into a cell predicate so a million rows are
 * filtered by plain function calls. Syntax (terms separated by spaces must all match):
 *
 *   word        the cell's text contains `word` (case-insensitive)
 *   "two words" a quoted phrase (quotes also make `>` or `..` plain text)
 *   =v          equals: numerically when both are numbers, else the whole text (case-insensitive);
 *               `=` alone matches empty cells
 *   >v >=v <v <=v  numbers numerically; on a timestamp column dates (2024-05-01, 2024-05-01T10:30,
 *               a date names its whole day/minute/...); otherwise text order
 *   a..b        inclusive range, either end may be left open: 5..10, ..0, 2024-05-01..2024-05-03
 *   a|b         either alternative: error|warn, =4624|=4625
 *   !term       negation: !error, !=0, !5..10; `!=` alone matches non-empty cells
 */
import { cellText, isEmptyCell } from './cell-text.ts';
import type { Cell, ColumnType } from './source.ts';
import { parseTimeSpan } from './time-operand.ts';
import { filterNumber as asNumber, readFilter, type FilterBackend, type FilterOp as Op } from './filter-syntax.ts';

/** A compiled filter: true when the cell passes. */
export type CellTest = (cell: Cell) => boolean;

/** A parsed filter: `test` is null for an empty filter; `error` says where the syntax broke. */
export type FilterResult = { ok: true; test: CellTest | null } | { ok: false; error: string };

/** The cell as a number, or null: numbers, booleans as 0/1, and numeric text. */
export function cellNumber(cell: Cell): number | null {
  if (typeof cell === 'number') return Number.isNaN(cell) ? null : cell;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (typeof cell === 'string') return asNumber(cell);
  return null;
}

function cellTime(cell: Cell): number | null {
  if (typeof cell === 'number') return Number.isNaN(cell) ? null : cell;
  if (typeof cell === 'string') {
    const t = Date.parse(cell);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

function compare(op: Op, v: string, type: ColumnType): CellTest {
  const span = type === 'timestamp' ? parseTimeSpan(v) : null;
  if (span) {
    const { start, end } = span;
    const t = (f: (x: number) => boolean): CellTest => (c) => {
      const x = cellTime(c);
      return x !== null && f(x);
    };
    if (op === '>') return t((x) => x >= end);
    if (op === '>=') return t((x) => x >= start);
    if (op === '<') return t((x) => x < start);
    if (op === '<=') return t((x) => x < end);
    return t((x) => x >= start && x < end);
  }
  const n = asNumber(v);
  const lv = v.toLowerCase();
  if (op === '=') {
    if (v === '') return isEmptyCell;
    return (c) => {
      const x = n === null ? null : cellNumber(c);
      if (x !== null) return x === n;
      if (isEmptyCell(c)) return false;
      const t = cellText(c, type);
      return t.length === lv.length && t.toLowerCase() === lv;
    };
  }
  if (n !== null) {
    const f = op === '>' ? (x: number) => x > n : op === '>=' ? (x: number) => x >= n : op === '<' ? (x: number) => x < n : (x: number) => x <= n;
    return (c) => {
      const x = cellNumber(c);
      return x !== null && f(x);
    };
  }
  const f = op === '>' ? (x: string) => x > lv : op === '>=' ? (x: string) => x >= lv : op === '<' ? (x: string) => x < lv : (x: string) => x <= lv;
  return (c) => !isEmptyCell(c) && f(cellText(c, type).toLowerCase());
}

/** A case-insensitive literal matcher: a regular expression, because `/x/i.test(s)` does not allocate a lower-cased copy of every cell. */
export function literalMatcher(v: string): RegExp {
  return new RegExp(v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
}

function contains(v: string, type: ColumnType): CellTest {
  const re = literalMatcher(v);
  return (c) => (typeof c === 'string' ? re.test(c) : !isEmptyCell(c) && re.test(cellText(c, type)));
}

/** The page's backend of the filter language: cell predicates. */
function cellBackend(type: ColumnType): FilterBackend<CellTest> {
  return {
    compare: (op, value) => compare(op, value, type),
    contains: (value) => contains(value, type),
    all: (tests) => (c) => tests.every((t) => t(c)),
    any: (tests) => (c) => tests.some((t) => t(c)),
    not: (test) => (c) => !test(c),
  };
}

/**
 * Compiles a column filter (syntax in the module doc) for a column of the given type.
 * @example parseFilter('>5 <=10', 'number') // { ok: true, test } matching 6..10
 */
export function parseFilter(text: string, type: ColumnType): FilterResult {
  const r = readFilter(text, cellBackend(type));
  return r.ok ? { ok: true, test: r.value } : r;
}
