/**
 * The syntax of the per-column filter language, read once for every place that runs it: the
 * page's cell predicates (filter.ts) and the analytic engine's SQL (main/tables/filter-sql.ts).
 * The reader hands each piece to a backend, so both give the same meaning and the same syntax
 * errors (position and message). Syntax (terms separated by spaces must all match):
 *
 *   word        the cell's text contains `word` (case-insensitive)
 *   "two words" a quoted phrase (quotes also make `>` or `..` plain text)
 *   =v          equals; `=` alone matches empty cells
 *   >v >=v <v <=v  comparisons
 *   a..b        inclusive range, either end may be left open: 5..10, ..0
 *   a|b         either alternative
 *   !term       negation
 */

export type FilterOp = '>=' | '<=' | '>' | '<' | '=';

/** What a filter is compiled into: one method per construct of the language. */
export interface FilterBackend<T> {
  /** `op value`; `=` with an empty value means "is empty". */
  compare(op: FilterOp, value: string): T;
  /** `value` (bare or quoted): the cell's text contains it. */
  contains(value: string): T;
  /** Every test holds (terms of a filter, both ends of a range); never empty. */
  all(tests: T[]): T;
  /** Any test holds (`a|b`); never empty. */
  any(tests: T[]): T;
  not(test: T): T;
}

/** A compiled filter: `value` is null for an empty filter; `error` says where the syntax broke. */
export type FilterParse<T> = { ok: true; value: T | null } | { ok: false; error: string };

class FilterSyntax extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

const one = <T>(tests: T[], join: (t: T[]) => T): T => (tests.length === 1 ? tests[0]! : join(tests));

/** Reads one alternative at `p.i`: an optional operator, then a quoted or bare value. */
function alternative<T>(text: string, p: { i: number }, b: FilterBackend<T>): T {
  const opAt = p.i;
  const op = /^(>=|<=|>|<|=)/.exec(text.slice(p.i))?.[1] as FilterOp | undefined;
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
    if (p.i < text.length && !/[\s|]/.test(text[p.i]!)) throw new FilterSyntax(p.i, 'put a space after the closing quote');
  } else {
    value = /^[^\s|]*/.exec(text.slice(p.i))![0];
    p.i += value.length;
  }
  if (op) {
    if (value === '' && op !== '=' && !quoted) throw new FilterSyntax(opAt, `'${op}' needs a value after it, e.g. ${op}5`);
    return b.compare(op, value);
  }
  if (!quoted && value.includes('..')) {
    const [lo, hi] = [value.slice(0, value.indexOf('..')), value.slice(value.indexOf('..') + 2)];
    if (lo === '' && hi === '') throw new FilterSyntax(at, 'a range needs at least one end, e.g. 5..10 or ..10');
    const ends: T[] = [];
    if (lo !== '') ends.push(b.compare('>=', lo));
    if (hi !== '') ends.push(b.compare('<=', hi));
    return one(ends, (t) => b.all(t));
  }
  if (value === '' && !quoted) throw new FilterSyntax(at, 'a value is missing here');
  return b.contains(value);
}

function term<T>(text: string, p: { i: number }, b: FilterBackend<T>): T {
  const negate = text[p.i] === '!';
  if (negate) p.i++;
  const alts = [alternative(text, p, b)];
  while (text[p.i] === '|') {
    p.i++;
    alts.push(alternative(text, p, b));
  }
  const any = one(alts, (t) => b.any(t));
  return negate ? b.not(any) : any;
}

/**
 * Reads a column filter and builds it with `backend`.
 * @example readFilter('>5 <=10', backend) // { ok: true, value: backend.all([>5, <=10]) }
 */
export function readFilter<T>(text: string, backend: FilterBackend<T>): FilterParse<T> {
  const terms: T[] = [];
  const p = { i: 0 };
  try {
    for (;;) {
      while (p.i < text.length && /\s/.test(text[p.i]!)) p.i++;
      if (p.i >= text.length) break;
      terms.push(term(text, p, backend));
    }
  } catch (e) {
    if (!(e instanceof FilterSyntax)) throw e;
    return { ok: false, error: `filter at character ${e.at + 1}: ${e.message}` };
  }
  return { ok: true, value: terms.length === 0 ? null : one(terms, (t) => backend.all(t)) };
}

/** A number typed by the user, or null. */
export function filterNumber(v: string): number | null {
  if (v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
