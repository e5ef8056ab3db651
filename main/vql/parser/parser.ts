/**
 * The parser's token cursor and the public entry points. Grammar rules live in
 * `statement.ts` (script, LET, SELECT, columns, source, arguments) and `expression.ts`
 * (precedence climbing, with the precedence table and EBNF at the top). Every loop in the
 * rules consumes at least one token per iteration or stops, so parsing always terminates.
 */
import type { Expr, Lambda, Name, Script, Span, Statement } from '../ast/nodes.ts';
import { type LexError, ParseError } from '../errors.ts';
import type { Keyword } from '../lexer/keywords.ts';
import { lexPrefix } from '../lexer/lexer.ts';
import type { Token } from '../lexer/token.ts';
import { parseExpr, parseLambdaRule } from './expression.ts';
import { parseScriptRule, parseStatementRule } from './statement.ts';

/** Deeper nesting than this (parentheses, NOT, subqueries) is a ParseError, not a stack overflow. */
const MAX_DEPTH = 200;

/** A cursor over the tokens of one source text, with error helpers. */
export class Parser {
  readonly source: string;
  private readonly tokens: Token[];
  /** The lexical error that ends the token list, thrown when the parser reaches it. */
  private readonly lexError: LexError | undefined;
  private index = 0;
  private depth = 0;

  constructor(source: string) {
    this.source = source;
    const { tokens, error } = lexPrefix(source);
    this.tokens = tokens;
    this.lexError = error;
    const end = error ? error.span!.start : source.length;
    this.tokens.push({ kind: 'eof', text: '', start: end, end, keyword: undefined, value: undefined });
  }

  /**
   * The token `offset` places ahead (the eof token at and past the end). Looking at the
   * position of a lexical error throws it, so the first problem in the text is reported.
   */
  peek(offset = 0): Token {
    const i = Math.min(this.index + offset, this.tokens.length - 1);
    if (this.lexError && i === this.tokens.length - 1) throw this.lexError;
    return this.tokens[i]!;
  }

  /** The last consumed token (or the first token when nothing was consumed yet). */
  previous(): Token {
    return this.tokens[Math.max(0, this.index - 1)]!;
  }

  /** Consumes and returns the current token (never moves past eof). */
  advance(): Token {
    const tok = this.tokens[this.index]!;
    if (tok.kind !== 'eof') this.index++;
    return tok;
  }

  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }

  isOp(text: string, offset = 0): boolean {
    const tok = this.peek(offset);
    return tok.kind === 'op' && tok.text === text;
  }

  isKeyword(keyword: Keyword, offset = 0): boolean {
    const tok = this.peek(offset);
    return tok.kind === 'keyword' && tok.keyword === keyword;
  }

  /** Consumes the operator `text` if it is next. */
  eatOp(text: string): Token | undefined {
    return this.isOp(text) ? this.advance() : undefined;
  }

  /** Consumes the keyword if it is next. */
  eatKeyword(keyword: Keyword): Token | undefined {
    return this.isKeyword(keyword) ? this.advance() : undefined;
  }

  /** Consumes the operator `text` or fails with `expected 'text' <context>, found ...`. */
  expectOp(text: string, context: string): Token {
    return this.eatOp(text) ?? this.unexpected(`expected '${text}' ${context}`);
  }

  /** Consumes the keyword or fails with `expected KEYWORD <context>, found ...`. */
  expectKeyword(keyword: Keyword, context: string): Token {
    return this.eatKeyword(keyword) ?? this.unexpected(`expected ${keyword} ${context}`);
  }

  /**
   * Consumes an identifier (plain or backticked) as a Name. `what` describes it for the
   * error: `expected <what>, found ...`.
   */
  expectName(what: string): Name {
    const tok = this.peek();
    if (tok.kind !== 'ident') this.failName(what, tok);
    this.advance();
    return { name: tok.value as string, raw: tok.text };
  }

  /** Throws `expected <what>, found ...`, suggesting backticks when `tok` is a keyword. */
  failName(what: string, tok: Token): never {
    return this.unexpected(`expected ${what}`, tok, keywordAsNameHint(tok));
  }

  /**
   * Throws `<expected>, found <token><hint>` with the token's span. The hint defaults to the
   * explanation of a stuck minus sign; pass '' to suppress it or another hint to add context.
   */
  unexpected(expected: string, tok: Token = this.peek(), hint?: string): never {
    return this.fail(`${expected}, found ${describeToken(tok)}${minusHint(tok) || hint || ''}`, tok);
  }

  /** Throws a ParseError at a token or span. */
  fail(message: string, at: Span): never {
    throw new ParseError(message, { start: at.start, end: at.end }, this.source);
  }

  /**
   * Enters one nesting level (parenthesis, NOT, subquery); too deep is a ParseError rather
   * than a stack overflow. Pair with `leave()`; an error abandons the whole parse anyway.
   */
  enter(at: Span): void {
    if (++this.depth > MAX_DEPTH) this.fail(`query nested too deeply (more than ${MAX_DEPTH} levels)`, at);
  }

  leave(): void {
    this.depth--;
  }

  /** Fails unless all input was consumed. */
  expectEnd(what: string): void {
    if (!this.atEnd()) this.unexpected(`expected end of input after ${what}`);
  }
}

/** `'text'` for a token (shortened, newlines shown as \n), or `end of input`. */
export function describeToken(tok: Token): string {
  if (tok.kind === 'eof') return 'end of input';
  let text = tok.text.replace(/\r?\n/g, '\\n');
  if (text.length > 40) text = text.slice(0, 37) + '...';
  return `'${text}'`;
}

/**
 * Explains the minus quirk (SPEC 2.1): `1 -2` is the numbers 1 and -2, `a -b` is a name and a
 * negated name, so the second token is unexpected.
 */
function minusHint(tok: Token): string {
  if (tok.kind === 'negident' || (tok.kind === 'number' && tok.text.startsWith('-'))) {
    return " (a '-' directly before a digit or a name makes it negative: write 'a - b' with spaces to subtract)";
  }
  return '';
}

/** The backtick hint when a keyword stands where a name was expected. */
function keywordAsNameHint(tok: Token): string {
  if (tok.kind === 'keyword' && /^[A-Za-z]+$/.test(tok.text)) {
    return ` ('${tok.text}' is a keyword: write \`${tok.text}\` in backticks to use it as a name)`;
  }
  return '';
}

/**
 * Parses a script: one or more statements with no separators.
 * @example parseScript('LET X = 1 SELECT X FROM scope()').statements.length // 2
 */
export function parseScript(source: string): Script {
  const p = new Parser(source);
  return { kind: 'Script', statements: parseScriptRule(p), source };
}

/** Parses exactly one statement (SELECT or LET); anything after it is a ParseError. */
export function parseStatement(source: string): Statement {
  const p = new Parser(source);
  const statement = parseStatementRule(p);
  if (!p.atEnd()) {
    p.unexpected('expected end of input after the statement (parseStatement takes exactly one statement)');
  }
  return statement;
}

/** Parses one expression (the `expr` rule: an AND/OR chain, no top-level commas). */
export function parseExpression(source: string): Expr {
  const p = new Parser(source);
  if (p.atEnd()) p.unexpected('expected an expression');
  const expr = parseExpr(p);
  p.expectEnd('the expression');
  return expr;
}

/**
 * Parses a lambda `x, y => expr` (host API only, SPEC 3.4).
 * @example parseLambda('x => x.Value >= 3').params // [{ name: 'x', raw: 'x' }]
 */
export function parseLambda(source: string): Lambda {
  const p = new Parser(source);
  const lambda = parseLambdaRule(p);
  p.expectEnd('the lambda');
  return lambda;
}
