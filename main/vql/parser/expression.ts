/**
 * Expressions, by precedence climbing: one function per level.
 *
 * Precedence, tightest first (SPEC 3.2):
 *
 *   | level | construct                        | notes                                        |
 *   |-------|----------------------------------|----------------------------------------------|
 *   | 1     | primary; x[i], x[a:b], x.name    | postfix only on the left operand of * and /  |
 *   | 2     | * /                              | left-assoc; the right operand is a primary   |
 *   | 3     | + -                              | left-assoc                                   |
 *   | 4     | = != <> < <= > >= =~ IN          | chained: only the last is kept (a=b=c: a=c)  |
 *   | 5     | NOT                              | prefix; its operand is a whole comparison    |
 *   | 6     | OR || | |||                      | an Or chain, ops kept as written             |
 *   | 7     | AND &&                           | an And chain: AND binds LOOSER than OR       |
 *   | 8     | ,                                | tuple, only where `list` is allowed          |
 *
 * EBNF:
 *
 *   list           = expr { "," [ expr ] } ;              (* a trailing comma makes a tuple *)
 *   expr           = orexpr { ( "AND" | "&&" ) orexpr } ;
 *   orexpr         = cond { ( "OR" | pipes ) cond } ;
 *   cond           = "NOT" cond | additive { compop additive } ;
 *   additive       = multiplicative { ( "+" | "-" ) multiplicative } ;
 *   multiplicative = postfix { ( "*" | "/" ) primary } ;
 *   postfix        = primary { "[" [ primary ] [ ":" [ primary ] ] "]" | "." ident } ;
 *   primary        = symbol | "(" list ")" | string | rawstring | number
 *                  | "TRUE" | "FALSE" | "NULL" ;
 *   symbol         = ( ident | negident ) { "." ident } [ args ] ;       (* args: statement.ts *)
 *   lambda         = ident { "," ident } "=>" expr ;                     (* host API only *)
 *
 * There is no unary minus and no array literal in expressions: negation comes only from
 * negative number literals and negated symbols, arrays only from whole argument values.
 */
import type {
  CompareOp,
  Expr,
  FloatLiteral,
  IntLiteral,
  Lambda,
  Name,
  Span,
  SymbolRef,
} from '../ast/nodes.ts';
import type { Token } from '../lexer/token.ts';
import type { Parser } from './parser.ts';
import { parseArgs } from './statement.ts';

/** True when `tok` can begin an expression (the `expr` rule). */
export function canStartExpr(tok: Token): boolean {
  return canStartPrimary(tok) || (tok.kind === 'keyword' && tok.keyword === 'NOT');
}

/** True when `tok` can begin a primary. */
export function canStartPrimary(tok: Token): boolean {
  switch (tok.kind) {
    case 'ident':
    case 'negident':
    case 'number':
    case 'string':
    case 'rawstring':
      return true;
    case 'keyword':
      return tok.keyword === 'TRUE' || tok.keyword === 'FALSE' || tok.keyword === 'NULL';
    case 'op':
      return tok.text === '(';
    default:
      return false;
  }
}

function span(start: number, end: number): Span {
  return { start, end };
}

/** `list`: one expression, or a List when a comma follows (`WHERE a, b`). */
export function parseList(p: Parser): Expr {
  const first = p.peek();
  const { items, trailingComma } = parseItems(p);
  if (items.length === 1 && !trailingComma) return items[0]!;
  return { kind: 'List', items, trailingComma, span: span(first.start, p.previous().end) };
}

/**
 * The items of a comma list. A comma not followed by an expression ends the list as a
 * trailing comma: `(x,)` is a one-element tuple. Empty elements (`(1,,2)`) are rejected
 * (SPEC 3.3 allows this divergence).
 */
export function parseItems(p: Parser): { items: Expr[]; trailingComma: boolean } {
  const items: Expr[] = [parseExpr(p)];
  let trailingComma = false;
  while (p.eatOp(',')) {
    if (canStartExpr(p.peek())) {
      items.push(parseExpr(p));
    } else {
      if (p.isOp(',')) p.unexpected("expected an expression between the commas (empty list elements are not allowed)");
      trailingComma = true;
      break;
    }
  }
  return { items, trailingComma };
}

/** `expr`: an AND chain of OR chains (AND binds more loosely than OR: Quirk). */
export function parseExpr(p: Parser): Expr {
  const first = p.peek();
  p.enter(first);
  const left = parseOrExpr(p);
  let result = left;
  if (p.isKeyword('AND')) {
    const operands: Expr[] = [left];
    const ops: string[] = [];
    while (p.isKeyword('AND')) {
      ops.push(p.advance().text);
      operands.push(parseOrExpr(p));
    }
    result = { kind: 'And', operands, ops, span: span(left.span.start, p.previous().end) };
  }
  p.leave();
  return result;
}

/** `orexpr`: `OR`, `||`, `|`, `|||`... kept as written because the text changes the result. */
function parseOrExpr(p: Parser): Expr {
  const left = parseCond(p);
  if (!p.isKeyword('OR')) return left;
  const operands: Expr[] = [left];
  const ops: string[] = [];
  while (p.isKeyword('OR')) {
    ops.push(p.advance().text);
    operands.push(parseCond(p));
  }
  return { kind: 'Or', operands, ops, span: span(left.span.start, p.previous().end) };
}

const COMPARE_OPS: ReadonlySet<string> = new Set(['=', '!=', '<>', '<', '<=', '>', '>=', '=~']);

/** The comparison operator at the cursor, if any (`IN` in any case becomes 'IN'). */
function compareOp(tok: Token): CompareOp | undefined {
  if (tok.kind === 'op' && COMPARE_OPS.has(tok.text)) return tok.text as CompareOp;
  if (tok.kind === 'keyword' && tok.keyword === 'IN') return 'IN';
  return undefined;
}

/**
 * `cond`: `NOT cond`, or an additive with optional comparison. A chain `a = b = c` keeps
 * only the last operator and operand, as the reference does: it means `a = c` (SPEC 3.3).
 */
function parseCond(p: Parser): Expr {
  const tok = p.peek();
  if (tok.kind === 'keyword' && tok.keyword === 'NOT') {
    p.advance();
    p.enter(tok);
    const operand = parseCond(p);
    p.leave();
    return { kind: 'Not', operand, span: span(tok.start, operand.span.end) };
  }
  const left = parseAdditive(p);
  let op: CompareOp | undefined;
  let right: Expr | undefined;
  for (let next = compareOp(p.peek()); next !== undefined; next = compareOp(p.peek())) {
    p.advance();
    op = next;
    right = parseAdditive(p);
  }
  if (op === undefined || right === undefined) return left;
  return { kind: 'Binary', op, left, right, span: span(left.span.start, right.span.end) };
}

/** `additive`: left-associative `+` and `-`. */
function parseAdditive(p: Parser): Expr {
  let left = parseMultiplicative(p);
  while (p.isOp('+') || p.isOp('-')) {
    const op = p.advance().text as '+' | '-';
    const right = parseMultiplicative(p);
    left = { kind: 'Binary', op, left, right, span: span(left.span.start, right.span.end) };
  }
  return left;
}

/** `multiplicative`: left-associative `*` and `/`; the right operand is a primary. */
function parseMultiplicative(p: Parser): Expr {
  let left = parsePostfix(p);
  while (p.isOp('*') || p.isOp('/')) {
    const opTok = p.advance();
    const right = parsePrimary(p);
    if (p.isOp('[') || p.isOp('.')) {
      p.fail(
        `the right operand of '${opTok.text}' must be a single value, so it cannot be followed by ` +
          `'${p.peek().text}': parenthesize it, like 2 * (x[0]), or put it first, like x[0] * 2`,
        p.peek(),
      );
    }
    left = { kind: 'Binary', op: opTok.text as '*' | '/', left, right, span: span(left.span.start, right.span.end) };
  }
  return left;
}

/** `postfix`: indexing, slicing and member access after a primary. */
function parsePostfix(p: Parser): Expr {
  let expr = parsePrimary(p);
  for (;;) {
    if (p.isOp('[')) {
      expr = parseIndex(p, expr);
    } else if (p.isOp('.')) {
      p.advance();
      const member = p.expectName("a member name after '.'");
      expr = { kind: 'Member', object: expr, member, span: span(expr.span.start, p.previous().end) };
    } else {
      return expr;
    }
  }
}

/** `[ [primary] ]` or `[ [primary] : [primary] ]` after `object`. */
function parseIndex(p: Parser, object: Expr): Expr {
  p.advance(); // '['
  const start = canStartPrimary(p.peek()) ? parsePrimary(p) : undefined;
  if (p.eatOp(':')) {
    const end = canStartPrimary(p.peek()) ? parsePrimary(p) : undefined;
    const close = expectIndexClose(p, 'slice');
    return {
      kind: 'Slice',
      object,
      ...(start && { start }),
      ...(end && { end }),
      span: span(object.span.start, close.end),
    };
  }
  const close = expectIndexClose(p, 'index');
  return { kind: 'Index', object, ...(start && { index: start }), span: span(object.span.start, close.end) };
}

function expectIndexClose(p: Parser, what: string): Token {
  const close = p.eatOp(']');
  if (close) return close;
  const tok = p.peek();
  const continuesExpression = (tok.kind === 'op' && tok.text !== ']') || (tok.kind === 'keyword' && tok.keyword !== 'AS');
  const hint = continuesExpression
    ? ' (index and slice bounds are single values: parenthesize anything else, like x[(i + 1)])'
    : '';
  return p.unexpected(`expected ']' to close the ${what}`, tok, hint);
}

/** `primary`: a symbol or call, `( list )`, a string, a number, TRUE, FALSE or NULL. */
export function parsePrimary(p: Parser): Expr {
  const tok = p.peek();
  switch (tok.kind) {
    case 'ident':
    case 'negident':
      return parseSymbol(p);
    case 'number':
      p.advance();
      return numberLiteral(p, tok);
    case 'string':
    case 'rawstring':
      p.advance();
      return { kind: 'String', value: tok.value!, raw: tok.text, span: span(tok.start, tok.end) };
    case 'keyword':
      if (tok.keyword === 'TRUE' || tok.keyword === 'FALSE') {
        p.advance();
        return { kind: 'Bool', value: tok.keyword === 'TRUE', raw: tok.text, span: span(tok.start, tok.end) };
      }
      if (tok.keyword === 'NULL') {
        p.advance();
        return { kind: 'Null', span: span(tok.start, tok.end) };
      }
      break;
    case 'op':
      if (tok.text === '(') return parseParen(p);
      break;
  }
  return failExpectedValue(p, tok);
}

function failExpectedValue(p: Parser, tok: Token): never {
  const prev = p.previous();
  const expected = prev === tok ? 'expected an expression' : `expected an expression after '${prev.text}'`;
  let hint: string | undefined;
  if (tok.kind === 'op') {
    if (tok.text === '[') {
      hint = ' (an array [...] is allowed only as a whole argument value, like f(x=[1, 2]); use a tuple (1, 2) in expressions)';
    } else if (tok.text === '{') {
      hint = ' (a {SELECT ...} subquery is allowed only as a whole argument value or a whole column; bind it with LET to use it in an expression)';
    } else if (tok.text === '-') {
      hint = " (there is no unary minus: write a negative number like -2, a negated name like -x, or 0 - (...))";
    }
  } else if (tok.kind === 'keyword' && tok.keyword === 'SELECT') {
    hint = ' (a query inside an expression must be a whole argument in braces, like f(query={ SELECT ... }), or bound with LET)';
  }
  return p.unexpected(expected, tok, hint);
}

/** `( list )`: kept as a Paren node so canonical text shows the parentheses. */
function parseParen(p: Parser): Expr {
  const open = p.advance();
  if (p.isOp(')')) p.unexpected("expected an expression after '(' (an empty tuple () is not allowed)");
  const { items, trailingComma } = parseItems(p);
  const close = p.expectOp(')', "to close '('");
  return { kind: 'Paren', items, trailingComma, span: span(open.start, close.end) };
}

/** `symbol`: a (negated) dotted name, called when `(` follows: `a.b(x=1)` is one call. */
function parseSymbol(p: Parser): SymbolRef {
  const first = p.advance();
  const negated = first.kind === 'negident';
  const rawFirst = negated ? first.text.slice(1) : first.text;
  const parts: Name[] = [{ name: first.value as string, raw: rawFirst }];
  while (p.eatOp('.')) parts.push(p.expectName("a name after '.'"));
  if (p.isOp('(')) {
    const args = parseArgs(p);
    return { kind: 'Symbol', parts, negated, args, span: span(first.start, p.previous().end) };
  }
  return { kind: 'Symbol', parts, negated, span: span(first.start, p.previous().end) };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Interprets a number token (SPEC 2.2): an integer with automatic base (`0x` hex, leading `0`
 * octal, else decimal) when it fits in int64, otherwise a float (`08` is 8.0, `1e3` is 1000.0).
 * Safe integers are numbers, larger int64 values bigints.
 */
export function numberLiteral(p: Parser, tok: Token): IntLiteral | FloatLiteral {
  const text = tok.text;
  const at = span(tok.start, tok.end);
  const negative = text.charCodeAt(0) === 45;
  const body = negative ? text.slice(1) : text;
  if (body.startsWith('0x')) {
    const value = negative ? -BigInt(body) : BigInt(body);
    if (value < INT64_MIN || value > INT64_MAX) {
      p.fail(`hexadecimal number ${text} does not fit in a 64-bit integer`, tok);
    }
    return intLiteral(value, at);
  }
  if (/^[0-9]+$/.test(body)) {
    const octal = body.length > 1 && body.charCodeAt(0) === 48;
    if (!octal || /^[0-7]+$/.test(body)) {
      if (body.length < 16) {
        const magnitude = parseInt(body, octal ? 8 : 10);
        return { kind: 'Int', value: negative ? -magnitude || 0 : magnitude, span: at };
      }
      const magnitude = BigInt(octal ? '0o' + body : body);
      const value = negative ? -magnitude : magnitude;
      if (value >= INT64_MIN && value <= INT64_MAX) return intLiteral(value, at);
    }
  }
  const value = Number(text);
  if (!Number.isFinite(value)) p.fail(`number ${text} is out of range`, tok);
  return { kind: 'Float', value, span: at };
}

function intLiteral(value: bigint, at: Span): IntLiteral {
  const safe = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
  return { kind: 'Int', value: safe ? Number(value) : value, span: at };
}

/** `lambda`: `x, y => expr` (SPEC 3.4). */
export function parseLambdaRule(p: Parser): Lambda {
  const first = p.peek();
  const params: Name[] = [p.expectName('a lambda parameter name')];
  while (p.eatOp(',')) params.push(p.expectName("a lambda parameter name after ','"));
  p.expectOp('=>', 'after the lambda parameters');
  const body = parseExpr(p);
  return { kind: 'Lambda', params, body, span: span(first.start, body.span.end) };
}
