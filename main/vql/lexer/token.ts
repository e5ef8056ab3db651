/**
 * Tokens produced by `lex()`. Offsets are UTF-16 code unit offsets into the source string;
 * line and column are computed only when an error is shown (errors.ts `positionAt`).
 */
import type { Keyword } from './keywords.ts';

/**
 * Token classes (SPEC 2.1). `comment` tokens appear only with `lex(src, { comments: true })`;
 * `eof` only in the parser's cursor, never in `lex()` output.
 */
export type TokenKind =
  | 'keyword'
  | 'number'
  | 'ident'
  | 'negident'
  | 'op'
  | 'string'
  | 'rawstring'
  | 'comment'
  | 'eof';

/** One lexed token: `source.slice(start, end) === text`. */
export interface Token {
  readonly kind: TokenKind;
  /** Exactly as written (keywords keep their case; `GROUP  BY` keeps its whitespace). */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** keyword tokens: the normalized keyword. Pipe runs are `OR`, `&&` is `AND`. */
  readonly keyword?: Keyword;
  /**
   * Decoded value. string: escapes applied (a Uint8Array when the bytes are not valid UTF-8);
   * rawstring: the text between the triple quotes; ident: the name (backticks removed and
   * escapes decoded); negident: the name without the `-`.
   */
  readonly value?: string | Uint8Array;
}
