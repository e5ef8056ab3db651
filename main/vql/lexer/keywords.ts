/**
 * VQL keywords (SPEC 2.1, classes 5-22). Keywords are case-insensitive and whole-word only;
 * `GROUP BY` and `ORDER BY` are single keywords with any whitespace between the two words.
 * The pipe run (`|`, `||`, `|||`...) lexes as the keyword OR and `&&` as the keyword AND.
 */

/** A keyword in its normalized (upper-case) spelling. */
export type Keyword =
  | 'EXPLAIN'
  | 'SELECT'
  | 'WHERE'
  | 'AND'
  | 'OR'
  | 'FROM'
  | 'NOT'
  | 'AS'
  | 'IN'
  | 'LIMIT'
  | 'NULL'
  | 'DESC'
  | 'GROUP BY'
  | 'ORDER BY'
  | 'TRUE'
  | 'FALSE'
  | 'LET';

/** Single-word keywords, by upper-case spelling. `GROUP` and `ORDER` need a following `BY`. */
const WORD_KEYWORDS: ReadonlyMap<string, Keyword> = new Map<string, Keyword>([
  ['EXPLAIN', 'EXPLAIN'],
  ['SELECT', 'SELECT'],
  ['WHERE', 'WHERE'],
  ['AND', 'AND'],
  ['OR', 'OR'],
  ['FROM', 'FROM'],
  ['NOT', 'NOT'],
  ['AS', 'AS'],
  ['IN', 'IN'],
  ['LIMIT', 'LIMIT'],
  ['NULL', 'NULL'],
  ['DESC', 'DESC'],
  ['TRUE', 'TRUE'],
  ['FALSE', 'FALSE'],
  ['LET', 'LET'],
]);

/** The keyword a whole word spells (any case), or undefined: `select` -> `SELECT`. */
export function wordKeyword(word: string): Keyword | undefined {
  // Keywords are 2 to 7 letters; skip the upper-casing for everything else.
  if (word.length < 2 || word.length > 7) return undefined;
  return WORD_KEYWORDS.get(word.toUpperCase());
}
