/**
 * Statements: scripts, LET, SELECT, columns, the FROM source and call arguments.
 *
 *   script    = statement { statement } ;                      (* no separators *)
 *   statement = let | select ;
 *   let       = "LET" ident [ "(" [ param { "," param } ] ")" ] ( "=" | "<=" ) ( select | expr ) ;
 *   param     = ident [ "=" argvalue ] ;
 *   select    = { "EXPLAIN" } "SELECT" columns "FROM" source [ "WHERE" list ] [ "GROUP BY" list ]
 *               [ "ORDER BY" ident [ "DESC" ] ] [ "LIMIT" number ] ;
 *   columns   = [ "*" [ "," ] ] [ column { "," column } ] ;
 *   column    = ( "*" | "{" select "}" | expr ) [ "AS" ident ] ;
 *   source    = ident { "." ident } [ args ] ;
 *   args      = "(" [ arg { "," arg } ] ")" ;
 *   arg       = ident "=" argvalue ;
 *   argvalue  = "{" select "}" | "[" [ list ] "]" | expr ;
 */
import type {
  Arg,
  ArgValue,
  ArrayArg,
  Column,
  Expr,
  Let,
  Name,
  OrderBy,
  Param,
  Select,
  Source,
  Statement,
  Subquery,
} from '../ast/nodes.ts';
import type { Token } from '../lexer/token.ts';
import { canStartExpr, numberLiteral, parseExpr, parseItems, parseList } from './expression.ts';
import type { Parser } from './parser.ts';

/** Clause keywords, for the hint when one shows up out of order. */
const CLAUSE_ORDER_HINT = ' (clauses go in the order FROM, WHERE, GROUP BY, ORDER BY, LIMIT, each at most once)';

function isClauseKeyword(tok: Token): boolean {
  if (tok.kind !== 'keyword') return false;
  const k = tok.keyword;
  return k === 'FROM' || k === 'WHERE' || k === 'GROUP BY' || k === 'ORDER BY' || k === 'LIMIT' || k === 'DESC';
}

/** `script`: statements one after another, with no separators. */
export function parseScriptRule(p: Parser): Statement[] {
  const statements: Statement[] = [parseStatementRule(p)];
  while (!p.atEnd()) statements.push(parseStatementRule(p));
  return statements;
}

/** `statement`: LET or SELECT. */
export function parseStatementRule(p: Parser): Statement {
  const tok = p.peek();
  if (tok.kind === 'keyword') {
    if (tok.keyword === 'LET') return parseLet(p);
    if (tok.keyword === 'SELECT' || tok.keyword === 'EXPLAIN') return parseSelect(p);
  }
  const hint = isClauseKeyword(tok) ? CLAUSE_ORDER_HINT : undefined;
  return p.unexpected('expected SELECT or LET to start a statement', tok, hint);
}

/** `let`: `LET name [(params)] = body` or `<=` to materialize. */
function parseLet(p: Parser): Let {
  const letTok = p.advance();
  const name = p.expectName('a name after LET');
  const params = p.isOp('(') ? parseParams(p) : undefined;
  let materialize: boolean;
  if (p.eatOp('=')) materialize = false;
  else if (p.eatOp('<=')) materialize = true;
  else return p.unexpected(`expected '=' or '<=' after LET ${name.raw}${params ? '(...)' : ''}`);
  const body: Select | Expr =
    p.isKeyword('SELECT') || p.isKeyword('EXPLAIN') ? parseSelect(p) : parseExpr(p);
  return {
    kind: 'Let',
    name,
    ...(params && { params }),
    materialize,
    body,
    span: { start: letTok.start, end: p.previous().end },
  };
}

/** `( [param { , param }] )`: names with optional defaults. */
function parseParams(p: Parser): Param[] {
  p.advance(); // '('
  const params: Param[] = [];
  if (p.eatOp(')')) return params;
  for (;;) {
    const name = p.expectName(params.length ? "a parameter name after ','" : 'a parameter name');
    params.push(p.eatOp('=') ? { name, default: parseArgValue(p) } : { name });
    if (p.eatOp(',')) continue;
    p.expectOp(')', 'to close the parameter list');
    return params;
  }
}

/** `select`: `[EXPLAIN...] SELECT columns FROM source [WHERE] [GROUP BY] [ORDER BY] [LIMIT]`. */
export function parseSelect(p: Parser): Select {
  const first = p.peek();
  p.enter(first);
  let explain = 0;
  while (p.eatKeyword('EXPLAIN')) explain++;
  p.expectKeyword('SELECT', explain ? 'after EXPLAIN' : 'to start a query');
  const columns = parseColumns(p);
  const from = parseSource(p);
  const where = p.eatKeyword('WHERE') ? parseList(p) : undefined;
  const groupBy = p.eatKeyword('GROUP BY') ? parseList(p) : undefined;
  const orderBy = p.eatKeyword('ORDER BY') ? parseOrderBy(p) : undefined;
  const limit = p.eatKeyword('LIMIT') ? parseLimit(p) : undefined;
  p.leave();
  return {
    kind: 'Select',
    explain,
    columns,
    from,
    ...(where && { where }),
    ...(groupBy && { groupBy }),
    ...(orderBy && { orderBy }),
    ...(limit !== undefined && { limit }),
    span: { start: first.start, end: p.previous().end },
  };
}

function parseOrderBy(p: Parser): OrderBy {
  const column = p.expectName('a column name after ORDER BY (it takes one column name, not an expression)');
  return { column, desc: p.eatKeyword('DESC') !== undefined };
}

/** `LIMIT n`: an integer literal in any base. */
function parseLimit(p: Parser): number {
  const tok = p.peek();
  if (tok.kind !== 'number') p.unexpected('expected an integer after LIMIT', tok, '');
  p.advance();
  const literal = numberLiteral(p, tok);
  if (literal.kind !== 'Int') p.fail(`LIMIT takes an integer, found '${tok.text}'`, tok);
  // int64 limits beyond 2^53 mean "no limit" in practice; clamp so the AST stays a number.
  const n = Number(literal.value);
  return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
}

function canStartColumn(tok: Token): boolean {
  return (tok.kind === 'op' && (tok.text === '*' || tok.text === '{')) || canStartExpr(tok);
}

/**
 * `columns`, then the FROM keyword. Accepts `SELECT * x FROM` (a star with no comma before
 * the next column) and `SELECT FROM` (no columns), as the reference does (SPEC 3.3).
 */
function parseColumns(p: Parser): Column[] {
  const columns: Column[] = [];
  if (p.isOp('*')) {
    columns.push(parseColumn(p));
    p.eatOp(',');
  }
  if (canStartColumn(p.peek())) {
    columns.push(parseColumn(p));
    while (p.eatOp(',')) {
      if (!canStartColumn(p.peek())) p.unexpected("expected a column after ','");
      columns.push(parseColumn(p));
    }
  }
  if (!p.isKeyword('FROM')) {
    const tok = p.peek();
    // `SELECT -(a + b)`, `SELECT [1]`: let the expression rule explain what is wrong.
    if (columns.length === 0 && tok.kind === 'op' && (tok.text === '-' || tok.text === '[')) parseExpr(p);
    const last = columns[columns.length - 1];
    let hint: string | undefined;
    if (canStartColumn(tok)) hint = " (is a ',' missing between columns?)";
    else if (last?.kind === 'Column' && last.expr.kind === 'Subquery' && tok.kind === 'op') {
      hint = ' (a {SELECT ...} column must be the whole column; bind the query with LET to use it in an expression)';
    }
    p.unexpected('expected FROM after the column list', tok, hint);
  }
  return columns;
}

/** `column`: `*`, `{ select }` or an expression, with an optional alias. */
function parseColumn(p: Parser): Column {
  const tok = p.peek();
  if (tok.kind === 'op' && tok.text === '*') {
    p.advance();
    // The reference grammar allows `* AS x`; the alias has no effect and is dropped.
    if (p.eatKeyword('AS')) p.expectName('a column name after AS');
    return { kind: 'Star', span: { start: tok.start, end: p.previous().end } };
  }
  const expr = tok.kind === 'op' && tok.text === '{' ? parseSubquery(p) : parseExpr(p);
  const alias = p.eatKeyword('AS') ? p.expectName('a column name after AS') : undefined;
  return {
    kind: 'Column',
    expr,
    ...(alias && { alias }),
    span: { start: tok.start, end: p.previous().end },
  };
}

/** `{ select }` as a whole column or argument value. */
function parseSubquery(p: Parser): Subquery {
  const open = p.advance(); // '{'
  const select = parseSelect(p);
  const tok = p.peek();
  if (!(tok.kind === 'op' && tok.text === '}')) {
    p.unexpected("expected '}' to close the subquery", tok, isClauseKeyword(tok) ? CLAUSE_ORDER_HINT : undefined);
  }
  const close = p.advance();
  return { kind: 'Subquery', select, span: { start: open.start, end: close.end } };
}

/** `source`: a dotted plugin or query name, called when `(` follows. */
function parseSource(p: Parser): Source {
  p.expectKeyword('FROM', 'after the column list');
  const first = p.peek();
  const parts: Name[] = [p.expectName('a plugin or query name after FROM')];
  while (p.eatOp('.')) parts.push(p.expectName("a name after '.'"));
  const args = p.isOp('(') ? parseArgs(p) : undefined;
  return { parts, ...(args && { args }), span: { start: first.start, end: p.previous().end } };
}

/** `args`: `( [name=value {, name=value}] )`; positional arguments are an error. */
export function parseArgs(p: Parser): Arg[] {
  p.advance(); // '('
  const args: Arg[] = [];
  if (p.eatOp(')')) return args;
  for (;;) {
    args.push(parseArg(p, args.length > 0));
    if (p.eatOp(',')) continue;
    if (p.eatOp(')')) return args;
    const value = args[args.length - 1]!.value;
    const hint =
      (value.kind === 'Subquery' || value.kind === 'ArrayArg') && p.peek().kind !== 'eof'
        ? ` (a ${value.kind === 'Subquery' ? '{SELECT ...} subquery' : '[...] array'} must be the whole argument value)`
        : undefined;
    p.unexpected("expected ',' or ')' after the argument", p.peek(), hint);
  }
}

/** `arg`: `name=value`. */
function parseArg(p: Parser, afterComma: boolean): Arg {
  const tok = p.peek();
  if (tok.kind === 'ident' && p.isOp('=', 1)) {
    p.advance();
    p.advance(); // '='
    const value = parseArgValue(p);
    return { name: { name: tok.value as string, raw: tok.text }, value, span: { start: tok.start, end: value.span.end } };
  }
  if (canStartExpr(tok) || (tok.kind === 'op' && (tok.text === '[' || tok.text === '{'))) {
    p.fail('positional argument: calls take named arguments only, like f(name=value)', tok);
  }
  return p.failName(afterComma ? "an argument name after ','" : 'an argument name', tok);
}

/** `argvalue`: `{ select }`, `[ list ]` or an expression. */
function parseArgValue(p: Parser): ArgValue {
  const tok = p.peek();
  if (tok.kind === 'op' && tok.text === '{') return parseSubquery(p);
  if (tok.kind === 'op' && tok.text === '[') return parseArray(p);
  return parseExpr(p);
}

/**
 * `[ [list] ]` as a whole argument value. The brackets are kept even for `[x]` (canonical
 * text shows them); evaluation treats a single item without trailing comma as the item.
 */
function parseArray(p: Parser): ArrayArg {
  const open = p.advance(); // '['
  if (p.isOp(']')) {
    const close = p.advance();
    return { kind: 'ArrayArg', items: [], trailingComma: false, span: { start: open.start, end: close.end } };
  }
  const { items, trailingComma } = parseItems(p);
  const close = p.expectOp(']', 'to close the array');
  return { kind: 'ArrayArg', items, trailingComma, span: { start: open.start, end: close.end } };
}
