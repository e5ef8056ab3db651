/**
 * The per-column filter language of the page's table (renderer/lib/table/filter.ts: `word`,
 * `"phrase"`, `=v`, `>v >=v <v <=v`, `a..b`, `a|b`, `!term`, dates naming whole periods on
 * timestamp columns) compiled to a SQL condition over a loaded table, with the same meaning on
 * the same cells: the same parser (positions and messages of syntax errors are the same), and
 * each test written in SQL over the cell's number, text and time as columns.ts defines them.
 * test/tables/filter-sql.test.ts runs the page's filter test cases through both.
 *
 * Every condition is NULL-free (coalesced to false), so `!term` is plain NOT.
 */
import { parseTimeSpan } from '../../renderer/lib/table/time-operand.ts';
import { emptySql, numSql, textSql, timeSql, type ColumnModel } from './columns.ts';
import { containsPattern, lit, num } from './sql-text.ts';

/** A compiled filter: `sql` is null for an empty filter; `error` says where the syntax broke. */
export type FilterSqlResult = { ok: true; sql: string | null } | { ok: false; error: string };

type Op = '>=' | '<=' | '>' | '<' | '=';

class FilterSyntax extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

/** A number typed by the user, or null (as asNumber in filter.ts). */
function asNumber(v: string): number | null {
  if (v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

const orFalse = (cond: string) => `coalesce(${cond}, false)`;

function compare(op: Op, v: string, c: ColumnModel): string {
  const span = c.type === 'timestamp' ? parseTimeSpan(v) : null;
  if (span) {
    const t = timeSql(c)!;
    const { start, end } = span;
    if (op === '>') return orFalse(`${t} >= ${num(end)}`);
    if (op === '>=') return orFalse(`${t} >= ${num(start)}`);
    if (op === '<') return orFalse(`${t} < ${num(start)}`);
    if (op === '<=') return orFalse(`${t} < ${num(end)}`);
    return orFalse(`(${t} >= ${num(start)} AND ${t} < ${num(end)})`);
  }
  const n = asNumber(v);
  const lv = v.toLowerCase();
  const text = `lower(${textSql(c)})`;
  if (op === '=') {
    if (v === '') return emptySql(c);
    const textEquals = `(NOT ${emptySql(c)} AND ${text} = ${lit(lv)})`;
    if (n === null) return orFalse(textEquals);
    const x = numSql(c);
    return orFalse(`(CASE WHEN ${x} IS NOT NULL THEN ${x} = ${num(n)} ELSE ${textEquals} END)`);
  }
  if (n !== null) return orFalse(`${numSql(c)} ${op} ${num(n)}`);
  return orFalse(`(NOT ${emptySql(c)} AND ${text} ${op} ${lit(lv)})`);
}

function range(lo: string, hi: string, c: ColumnModel): string {
  const tests: string[] = [];
  if (lo !== '') tests.push(compare('>=', lo, c));
  if (hi !== '') tests.push(compare('<=', hi, c));
  return tests.length === 1 ? tests[0]! : `(${tests[0]} AND ${tests[1]})`;
}

/** Case-insensitive "contains" on the cell's text (an empty cell contains nothing). */
export function containsSql(v: string, c: ColumnModel): string {
  const like = `${textSql(c)} ILIKE ${containsPattern(v)} ESCAPE '\\'`;
  // Text cells are matched as they are ('' contains the empty phrase); other cells only when not empty (NaN).
  return orFalse(c.type === 'text' ? like : `(NOT ${emptySql(c)} AND ${like})`);
}

/** Reads one alternative at `p.i`: an optional operator, then a quoted or bare value. */
function alternative(text: string, p: { i: number }, c: ColumnModel): string {
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
    if (p.i < text.length && !/[\s|]/.test(text[p.i]!)) throw new FilterSyntax(p.i, 'put a space after the closing quote');
  } else {
    const m = /^[^\s|]*/.exec(text.slice(p.i))![0];
    value = m;
    p.i += m.length;
  }
  if (op) {
    if (value === '' && op !== '=' && !quoted) throw new FilterSyntax(opAt, `'${op}' needs a value after it, e.g. ${op}5`);
    return compare(op, value, c);
  }
  if (!quoted && value.includes('..')) {
    const [lo, hi] = [value.slice(0, value.indexOf('..')), value.slice(value.indexOf('..') + 2)];
    if (lo === '' && hi === '') throw new FilterSyntax(at, 'a range needs at least one end, e.g. 5..10 or ..10');
    return range(lo, hi, c);
  }
  if (value === '' && !quoted) throw new FilterSyntax(at, 'a value is missing here');
  // An empty quoted phrase: every non-empty text contains it (as the page's RegExp('') does).
  return containsSql(value, c);
}

function term(text: string, p: { i: number }, c: ColumnModel): string {
  const negate = text[p.i] === '!';
  if (negate) p.i++;
  const alts = [alternative(text, p, c)];
  while (text[p.i] === '|') {
    p.i++;
    alts.push(alternative(text, p, c));
  }
  const any = alts.length === 1 ? alts[0]! : `(${alts.join(' OR ')})`;
  return negate ? `(NOT ${any})` : any;
}

/**
 * Compiles a column filter to a SQL condition on column `c` (syntax in renderer/lib/table/filter.ts).
 * @example filterSql('>5 <=10', { name: 'n', type: 'number', sqlType: 'BIGINT' }) // { ok: true, sql: '(... AND ...)' }
 */
export function filterSql(text: string, c: ColumnModel): FilterSqlResult {
  const terms: string[] = [];
  const p = { i: 0 };
  try {
    for (;;) {
      while (p.i < text.length && /\s/.test(text[p.i]!)) p.i++;
      if (p.i >= text.length) break;
      terms.push(term(text, p, c));
    }
  } catch (e) {
    if (!(e instanceof FilterSyntax)) throw e;
    return { ok: false, error: `filter at character ${e.at + 1}: ${e.message}` };
  }
  if (terms.length === 0) return { ok: true, sql: null };
  return { ok: true, sql: terms.length === 1 ? terms[0]! : `(${terms.join(' AND ')})` };
}
