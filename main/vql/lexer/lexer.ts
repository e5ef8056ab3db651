/**
 * The VQL lexer: a hand-written scanner (one charCode switch per token) that reproduces the
 * reference's regex lexer, which takes the FIRST token class that matches at each position,
 * not the longest (SPEC 2.1). Order of classes: whitespace, block comment, `--` comment,
 * `//` comment, keywords (incl. pipe runs and `&&`), number, identifier, negated identifier,
 * operator, raw string, string. Consequences: `a--b` and `4//2` start comments, `1 -2` is two
 * numbers and `a -b` is an identifier followed by a negated identifier.
 */
import { LexError } from '../errors.ts';
import { wordKeyword, type Keyword } from './keywords.ts';
import type { Token, TokenKind } from './token.ts';
import { decodeGoEscapes, decodeStringEscapes, isHexDigit } from './escapes.ts';

/** The escape decoders (escapes.ts), re-exported: string and backtick identifier content. */
export { decodeGoEscapes, decodeStringEscapes } from './escapes.ts';

/** Options of `lex()`. */
export interface LexOptions {
  /** Also return comments as `comment` tokens (for editors); the parser never asks for them. */
  readonly comments?: boolean;
}

const TAB = 9, LF = 10, FF = 12, CR = 13, SPACE = 32;
const BANG = 33, DQUOTE = 34, AMP = 38, SQUOTE = 39, STAR = 42, MINUS = 45, DOT = 46;
const SLASH = 47, LT = 60, EQ = 61, GT = 62, BACKSLASH = 92, BACKTICK = 96, PIPE = 124;
const TILDE = 126, DIGIT_0 = 48, LOWER_X = 120, LOWER_E = 101, PLUS = 43;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `[A-Za-z_]`: may start an identifier. */
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** `[A-Za-z0-9_]`: an ASCII word character (the `\b` of the reference's keyword regexes). */
function isWordChar(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || c === FF;
}

/**
 * Splits VQL source into tokens. Whitespace and comments are dropped (unless
 * `options.comments`). Throws a LexError with a span for text no token class matches.
 *
 * @example lex('SELECT 1 -2') // SELECT, 1, -2 (two numbers: SPEC 2.1)
 */
export function lex(source: string, options: LexOptions = {}): Token[] {
  return new Scanner(source, options.comments === true).run();
}

/**
 * Lexes as far as possible: the tokens before the first lexical error, and that error. The
 * parser uses it to report whichever problem comes first in the text.
 */
export function lexPrefix(source: string): { tokens: Token[]; error?: LexError } {
  const scanner = new Scanner(source, false);
  try {
    return { tokens: scanner.run() };
  } catch (err) {
    if (!(err instanceof LexError)) throw err;
    return { tokens: scanner.tokensSoFar(), error: err };
  }
}

class Scanner {
  private readonly tokens: Token[] = [];
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly keepComments: boolean,
  ) {}

  tokensSoFar(): Token[] {
    return this.tokens;
  }

  run(): Token[] {
    const src = this.src;
    const n = src.length;
    while (this.pos < n) {
      const i = this.pos;
      const c = src.charCodeAt(i);
      switch (c) {
        case SPACE: case TAB: case LF: case CR: case FF:
          this.pos++;
          break;
        case SLASH: {
          const next = src.charCodeAt(i + 1);
          if (next === STAR) this.blockComment(i);
          else if (next === SLASH) this.lineComment(i);
          else this.push('op', i, i + 1);
          break;
        }
        case MINUS: {
          const next = src.charCodeAt(i + 1);
          if (next === MINUS) this.lineComment(i);
          else if (!this.number(i) && !this.negatedIdent(i)) this.push('op', i, i + 1);
          break;
        }
        case DOT:
          if (!this.number(i)) this.push('op', i, i + 1);
          break;
        case PIPE: {
          let j = i + 1;
          while (src.charCodeAt(j) === PIPE) j++;
          this.push('keyword', i, j, 'OR');
          break;
        }
        case AMP:
          if (src.charCodeAt(i + 1) !== AMP) this.fail("unexpected character '&' (use && or AND)", i);
          this.push('keyword', i, i + 2, 'AND');
          break;
        case BACKTICK:
          this.backtickIdent(i, i, 'ident');
          break;
        case SQUOTE:
          if (src.startsWith("'''", i)) this.rawString(i);
          else this.string(i, SQUOTE);
          break;
        case DQUOTE:
          this.string(i, DQUOTE);
          break;
        case LT: {
          const next = src.charCodeAt(i + 1);
          this.push('op', i, next === GT || next === EQ ? i + 2 : i + 1);
          break;
        }
        case GT:
          this.push('op', i, src.charCodeAt(i + 1) === EQ ? i + 2 : i + 1);
          break;
        case EQ: {
          const next = src.charCodeAt(i + 1);
          this.push('op', i, next === GT || next === TILDE ? i + 2 : i + 1);
          break;
        }
        case BANG:
          if (src.charCodeAt(i + 1) !== EQ) {
            this.fail("unexpected character '!' (use != for not-equal, or NOT to negate)", i);
          }
          this.push('op', i, i + 2);
          break;
        case PLUS: case 58 /* : */: case STAR: case 37 /* % */: case 44 /* , */:
        case 40 /* ( */: case 41 /* ) */: case 123 /* { */: case 125 /* } */:
        case 91 /* [ */: case 93 /* ] */:
          this.push('op', i, i + 1);
          break;
        default:
          if (isDigit(c)) {
            this.number(i);
          } else if (isIdentStart(c)) {
            this.word(i);
          } else {
            this.fail(unexpectedCharMessage(src, i), i);
          }
      }
    }
    return this.tokens;
  }

  private push(kind: TokenKind, start: number, end: number, keyword?: Keyword, value?: string | Uint8Array): void {
    this.tokens.push({ kind, text: this.src.slice(start, end), start, end, keyword, value });
    this.pos = end;
  }

  private fail(message: string, start: number, end = start + 1): never {
    throw new LexError(message, { start, end: Math.min(end, this.src.length) }, this.src);
  }

  /** `/* ... *\/`, to the first `*\/`; comments do not nest. */
  private blockComment(i: number): void {
    const close = this.src.indexOf('*/', i + 2);
    // The reference would lex an unclosed `/*` as the operators `/` and `*`, which can never
    // parse (nothing may follow `/` but a value), so report the real mistake instead.
    if (close < 0) this.fail('unterminated block comment (missing */)', i, i + 2);
    this.comment(i, close + 2);
  }

  /** `--` or `//` up to, not including, the next newline. */
  private lineComment(i: number): void {
    const nl = this.src.indexOf('\n', i + 2);
    this.comment(i, nl < 0 ? this.src.length : nl);
  }

  private comment(start: number, end: number): void {
    if (this.keepComments) this.push('comment', start, end);
    else this.pos = end;
  }

  /**
   * Class 23: `-?(0x[0-9a-fA-F]+ | [0-9]*[.]?[0-9]+(e[+-]?[0-9]+)?)`. Only a lowercase `x`
   * makes hex and only a lowercase `e` an exponent. Returns false when nothing matches.
   */
  private number(i: number): boolean {
    const src = this.src;
    let j = i;
    if (src.charCodeAt(j) === MINUS) j++;
    if (src.charCodeAt(j) === DIGIT_0 && src.charCodeAt(j + 1) === LOWER_X && isHexDigit(src.charCodeAt(j + 2))) {
      j += 3;
      while (isHexDigit(src.charCodeAt(j))) j++;
      this.push('number', i, j);
      return true;
    }
    const digitsStart = j;
    while (isDigit(src.charCodeAt(j))) j++;
    if (src.charCodeAt(j) === DOT && isDigit(src.charCodeAt(j + 1))) {
      j += 2;
      while (isDigit(src.charCodeAt(j))) j++;
    } else if (j === digitsStart) {
      return false;
    }
    if (src.charCodeAt(j) === LOWER_E) {
      let k = j + 1;
      const sign = src.charCodeAt(k);
      if (sign === PLUS || sign === MINUS) k++;
      if (isDigit(src.charCodeAt(k))) {
        while (isDigit(src.charCodeAt(k))) k++;
        j = k;
      }
    }
    this.push('number', i, j);
    return true;
  }

  /** A word: a keyword when it spells one exactly (any case), else an identifier. */
  private word(i: number): void {
    const src = this.src;
    let j = i + 1;
    while (isWordChar(src.charCodeAt(j))) j++;
    const text = src.slice(i, j);
    const upper = j - i === 5 ? text.toUpperCase() : '';
    if (upper === 'GROUP' || upper === 'ORDER') {
      const end = this.byAfter(j);
      if (end > 0) {
        this.push('keyword', i, end, upper === 'GROUP' ? 'GROUP BY' : 'ORDER BY');
        return;
      }
    }
    const keyword = wordKeyword(text);
    if (keyword) this.push('keyword', i, j, keyword);
    else this.push('ident', i, j, undefined, text);
  }

  /** The end of `\s+BY\b` starting at j, or -1: `GROUP BY` may span lines. */
  private byAfter(j: number): number {
    const src = this.src;
    let k = j;
    while (isSpace(src.charCodeAt(k))) k++;
    if (k === j) return -1;
    const b = src.charCodeAt(k) | 0x20;
    const y = src.charCodeAt(k + 1) | 0x20;
    if (b !== 98 || y !== 121 || isWordChar(src.charCodeAt(k + 2))) return -1;
    return k + 2;
  }

  /** Class 25: `-` directly followed by an identifier (plain or backticked). */
  private negatedIdent(i: number): boolean {
    const src = this.src;
    const c = src.charCodeAt(i + 1);
    if (isIdentStart(c)) {
      let j = i + 2;
      while (isWordChar(src.charCodeAt(j))) j++;
      this.push('negident', i, j, undefined, src.slice(i + 1, j));
      return true;
    }
    if (c === BACKTICK) {
      const close = src.indexOf('`', i + 2);
      if (close <= i + 2) return false; // unterminated or empty: `-` is an operator
      this.backtickIdent(i, i + 1, 'negident');
      return true;
    }
    return false;
  }

  /** `` `any text` ``: non-empty, no backtick inside; Go-style escapes are decoded. */
  private backtickIdent(start: number, tick: number, kind: 'ident' | 'negident'): void {
    const close = this.src.indexOf('`', tick + 1);
    if (close < 0) this.fail('unterminated backtick identifier (missing closing `)', tick);
    if (close === tick + 1) this.fail('empty backtick identifier: a name needs at least one character', tick, tick + 2);
    this.push(kind, start, close + 1, undefined, decodeGoEscapes(this.src.slice(tick + 1, close)));
  }

  /** `'''...'''`, verbatim, to the first closing `'''`. */
  private rawString(i: number): void {
    const close = this.src.indexOf("'''", i + 3);
    // Without a closing `'''` the reference lexes `''` + `'...`, which never parses either.
    if (close < 0) this.fail("unterminated raw string (missing closing ''')", i, i + 3);
    this.push('rawstring', i, close + 3, undefined, this.src.slice(i + 3, close));
  }

  /** `'...'` or `"..."`: a backslash escapes the next character; may span lines. */
  private string(i: number, quote: number): void {
    const src = this.src;
    const n = src.length;
    let j = i + 1;
    let hasEscape = false;
    for (;;) {
      if (j >= n) this.fail('unterminated string (missing closing ' + String.fromCharCode(quote) + ')', i);
      const c = src.charCodeAt(j);
      if (c === quote) break;
      if (c === BACKSLASH) {
        hasEscape = true;
        j += 2;
      } else {
        j++;
      }
    }
    const content = src.slice(i + 1, j);
    this.push('string', i, j + 1, undefined, hasEscape ? decodeStringEscapes(content) : content);
  }
}

function unexpectedCharMessage(src: string, i: number): string {
  const cp = src.codePointAt(i) ?? 0;
  const ch = String.fromCodePoint(cp);
  if (cp === 59) return "unexpected character ';' (VQL has no statement separator)";
  if (cp === 35) return "unexpected character '#' (comments start with //, -- or /*)";
  if (cp === TILDE) return "unexpected character '~' (use =~ for a regex match)";
  if (cp < 32 || cp === 127) return `unexpected control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp > 127) {
    return `unexpected character '${ch}' (non-ASCII characters are allowed only inside strings and backtick identifiers)`;
  }
  return `unexpected character '${ch}'`;
}
