/**
 * AST -> canonical VQL text, exactly as the reference renders it (SPEC 15). The same text
 * names unaliased columns and appears in the conformance golden keys. It is single-line except
 * inside strings, drops comments, upper-cases keywords and keeps operator spelling, string
 * quoting, boolean case and backticks as written. Re-parsing it gives the same AST (ignoring
 * spans) for any AST the parser produced; parentheses are Paren nodes, so none are added.
 */
import type {
  Arg,
  ArgValue,
  Column,
  Expr,
  Let,
  Name,
  Select,
  Source,
  Statement,
  Script,
  Subquery,
} from './nodes.ts';

/**
 * Renders an expression.
 * @example formatExpr(parseExpression('0 and not foo=2')) // '0  and NOT foo = 2'
 */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'Int':
      return String(e.value);
    case 'Float':
      return formatFloat(e.value);
    case 'String':
    case 'Bool':
      return e.raw;
    case 'Null':
      return 'NULL';
    case 'Symbol': {
      const name = (e.negated ? '-' : '') + formatPath(e.parts);
      return e.args ? name + formatArgs(e.args) : name;
    }
    case 'Paren':
      return '(' + formatItems(e.items, e.trailingComma) + ')';
    case 'List':
      return formatItems(e.items, e.trailingComma);
    case 'Binary':
      return formatExpr(e.left) + ' ' + e.op + ' ' + formatExpr(e.right);
    case 'Not':
      return 'NOT ' + formatExpr(e.operand);
    case 'Or':
      return formatChain(e.operands, e.ops, ' ');
    case 'And':
      // Quirk: the reference puts two spaces before an AND operator: `a  AND b`.
      return formatChain(e.operands, e.ops, '  ');
    case 'Member':
      return formatExpr(e.object) + '.' + e.member.raw;
    case 'Index':
      return formatExpr(e.object) + '[' + (e.index ? formatExpr(e.index) : '') + ']';
    case 'Slice': {
      const start = e.start ? formatExpr(e.start) : '';
      // Quirk: a symbol right after the colon gets a space: `X[1: Y]`.
      const end = e.end ? (e.end.kind === 'Symbol' ? ' ' : '') + formatExpr(e.end) : '';
      return formatExpr(e.object) + '[' + start + ':' + end + ']';
    }
  }
}

/** Renders a SELECT as a top-level statement (trailing spaces trimmed). */
export function formatSelect(s: Select): string {
  return trimEnd(renderSelect(s));
}

/**
 * Renders a statement on one line (line breaks survive only inside strings).
 * @example formatStatement(parseStatement('let F(X = 2, Y ) = X+Y')) // 'LET F(X=2, Y) = X + Y'
 */
export function formatStatement(st: Statement): string {
  return trimEnd(st.kind === 'Select' ? renderSelect(st) : renderLet(st));
}

/** Renders a script: one statement per line. */
export function formatScript(script: Script): string {
  return script.statements.map(formatStatement).join('\n');
}

/**
 * The column's name in output rows: the decoded alias, or for an unaliased column the
 * canonical text of its expression, with backticks stripped only when that text starts with
 * one (`` `Hello World` `` names `Hello World`; `` X.`Hello World` `` keeps them). `*` for a star.
 */
export function columnName(col: Column): string {
  if (col.kind === 'Star') return '*';
  if (col.alias) return col.alias.name;
  const text = col.expr.kind === 'Subquery' ? renderSubquery(col.expr) : formatExpr(col.expr);
  // Like Go's strings.Trim(text, "`"); `` `a` + 4 `` comes out mangled, as in the reference.
  return text.startsWith('`') ? text.replace(/^`+|`+$/g, '') : text;
}

/**
 * A float in Go's `strconv.FormatFloat(f, 'f', -1, 64)` form plus `.0` when there is no
 * point: shortest round-trip digits, never an exponent. `1e3` -> `1000.0`.
 */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (Object.is(value, -0)) return '-0.0';
  let text = String(value);
  if (text.includes('e')) text = expandExponent(text);
  return text.includes('.') ? text : text + '.0';
}

/** `1.5e+21` -> `1500000000000000000000`, `1e-7` -> `0.0000001`. */
function expandExponent(text: string): string {
  const negative = text.startsWith('-');
  const [mantissa = '', exponent = '0'] = (negative ? text.slice(1) : text).split('e');
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + Number(exponent);
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (negative ? '-' : '') + out;
}

function trimEnd(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  return text.slice(0, end);
}

/** Adds a clause keyword after one space, unless the text already ends with a space. */
function clause(text: string, keyword: string): string {
  return (text.endsWith(' ') ? text : text + ' ') + keyword;
}

/**
 * The untrimmed rendering: DESC and LIMIT n leave a trailing space, which shows inside braces
 * (`{ SELECT * FROM test() LIMIT 1  }`).
 */
function renderSelect(s: Select): string {
  let out = 'EXPLAIN '.repeat(s.explain) + 'SELECT ' + s.columns.map(renderColumn).join(', ');
  out = clause(out, 'FROM ') + renderSource(s.from);
  if (s.where) out = clause(out, 'WHERE ') + formatExpr(s.where);
  if (s.groupBy) out = clause(out, 'GROUP BY ') + formatExpr(s.groupBy);
  if (s.orderBy) out = clause(out, 'ORDER BY ') + s.orderBy.column.raw + (s.orderBy.desc ? ' DESC ' : '');
  if (s.limit !== undefined) out = clause(out, 'LIMIT ') + String(s.limit) + ' ';
  return out;
}

function renderLet(st: Let): string {
  let out = 'LET ' + st.name.raw;
  if (st.params) {
    out += '(' + st.params.map((p) => (p.default ? p.name.raw + '=' + formatArgValue(p.default) : p.name.raw)).join(', ') + ')';
  }
  out += st.materialize ? ' <= ' : ' = ';
  return out + (st.body.kind === 'Select' ? renderSelect(st.body) : formatExpr(st.body));
}

function renderColumn(col: Column): string {
  if (col.kind === 'Star') return '*';
  const text = col.expr.kind === 'Subquery' ? renderSubquery(col.expr) : formatExpr(col.expr);
  return col.alias ? text + ' AS ' + col.alias.raw : text;
}

function renderSubquery(q: Subquery): string {
  return '{ ' + renderSelect(q.select) + ' }';
}

function renderSource(src: Source): string {
  const name = formatPath(src.parts);
  return src.args ? name + formatArgs(src.args) : name;
}

function formatPath(parts: readonly Name[]): string {
  return parts.length === 1 ? parts[0]!.raw : parts.map((p) => p.raw).join('.');
}

function formatArgs(args: readonly Arg[]): string {
  return '(' + args.map((a) => a.name.raw + '=' + formatArgValue(a.value)).join(', ') + ')';
}

/** An argument value or parameter default: `{ SELECT ... }`, `[1, 2]`, `[]` or an expression. */
function formatArgValue(v: ArgValue): string {
  if (v.kind === 'Subquery') return renderSubquery(v);
  if (v.kind === 'ArrayArg') return '[' + formatItems(v.items, v.trailingComma) + ']';
  return formatExpr(v);
}

/** Items joined by `, `; a trailing comma renders as `, ` with nothing after it: `(1, )`. */
function formatItems(items: readonly Expr[], trailingComma: boolean): string {
  const text = items.map(formatExpr).join(', ');
  return trailingComma ? text + ', ' : text;
}

function formatChain(operands: readonly Expr[], ops: readonly string[], before: string): string {
  let out = formatExpr(operands[0]!);
  for (let i = 1; i < operands.length; i++) out += before + ops[i - 1] + ' ' + formatExpr(operands[i]!);
  return out;
}
