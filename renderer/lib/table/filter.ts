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

/** A compiled filter: true when the cell passes. */
export type CellTest = (cell: Cell) => boolean;

/** A parsed filter: `test` is null for an empty filter; `error` says where the syntax broke. */
export type FilterResult = { ok: true; test: CellTest | null } | { ok: false; error: string };

type Op = '>=' | '<=' | '>' | '<' | '=';

class FilterSyntax extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

/** A number typed by the user, or null. */
function asNumber(v: string): number | null {
  if (v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

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

function range(lo: string, hi: string, type: ColumnType): CellTest {
  const tests: CellTest[] = [];
  if (lo !== '') tests.push(compare('>=', lo, type));
  if (hi !== '') tests.push(compare('<=', hi, type));
  return tests.length === 1 ? tests[0] : (c) => tests[0](c) && tests[1](c);
}

/** A case-insensitive literal matcher: a regular expression, because `/x/i.test(s)` does not allocate a lower-cased copy of every cell. */
export function literalMatcher(v: string): RegExp {
  return new RegExp(v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
}

function contains(v: string, type: ColumnType): CellTest {
  const re = literalMatcher(v);
  return (c) => (typeof c === 'string' ? re.test(c) : !isEmptyCell(c) && re.test(cellText(c, type)));
}

/** Reads one alternative at `p.i`: an optional operator, then a quoted or bare value. */
function alternative(text: string, p: { i: number }, type: ColumnType): CellTest {
  const opAt = p.i;
  const op = /^(>=|<=|>|<|=)/.exec(text.slice(p.i))?.[1] as Op | undefined;
  if (op) p.i += op.length;
  const at = p.i;
  let value: string;
  let quoted = false;
  if (text[p.i] === '"') {
    const close = text.indexOf('"', p.i + 1);
    if (close < 0) throw new FilterSyntax(at, 'the quote is not closed: add a closing "');
    value = text.slice(p.i + 1, close);
    p.i = close + 1;
    quoted = true;
    if (p.i < text.length && !/[\s|]/.test(text[p.i])) throw new FilterSyntax(p.i, 'put a space after the closing quote');
  } else {
    const m = /^[^\s|]*/.exec(text.slice(p.i))![0];
    value = m;
    p.i += m.length;
  }
  if (op) {
    if (value === '' && op !== '=' && !quoted) throw new FilterSyntax(opAt, `'${op}' needs a value after it, e.g. ${op}5`);
    return compare(op, value, type);
  }
  if (!quoted && value.includes('..')) {
    const [lo, hi] = [value.slice(0, value.indexOf('..')), value.slice(value.indexOf('..') + 2)];
    if (lo === '' && hi === '') throw new FilterSyntax(at, "a range needs at least one end, e.g. 5..10 or ..10");
    return range(lo, hi, type);
  }
  if (value === '' && !quoted) throw new FilterSyntax(at, 'a value is missing here');
  return contains(value, type);
}

function term(text: string, p: { i: number }, type: ColumnType): CellTest {
  const negate = text[p.i] === '!';
  if (negate) p.i++;
  const alts = [alternative(text, p, type)];
  while (text[p.i] === '|') {
    p.i++;
    alts.push(alternative(text, p, type));
  }
  const any: CellTest = alts.length === 1 ? alts[0] : (c) => alts.some((t) => t(c));
  return negate ? (c) => !any(c) : any;
}

/**
 * Compiles a column filter (syntax in the module doc) for a column of the given type.
 * @example parseFilter('>5 <=10', 'number') // { ok: true, test } matching 6..10
 */
export function parseFilter(text: string, type: ColumnType): FilterResult {
  const terms: CellTest[] = [];
  const p = { i: 0 };
  try {
    for (;;) {
      while (p.i < text.length && /\s/.test(text[p.i])) p.i++;
      if (p.i >= text.length) break;
      terms.push(term(text, p, type));
    }
  } catch (e) {
    if (!(e instanceof FilterSyntax)) throw e;
    return { ok: false, error: `filter at character ${e.at + 1}: ${e.message}` };
  }
  if (terms.length === 0) return { ok: true, test: null };
  if (terms.length === 1) return { ok: true, test: terms[0] };
  return { ok: true, test: (c) => terms.every((t) => t(c)) };
}
