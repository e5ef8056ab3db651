// Hostile regexes for test/security/regex.test.ts: catastrophic-backtracking shapes, huge
// repeat counts and alternations, invalid syntax, Perl-only syntax, NUL bytes, invalid UTF-8
// byte strings and megabyte inputs and patterns. Each case is one query whose only column X
// must come back (rows), or whose pattern must be refused with a logged error naming the
// function and the pattern. Shared by the test and the worker that runs the queries.
// Matching time is linear in the input and in the pattern's size (O(n·m), as RE2's), so the
// megabyte patterns meet short or anchored inputs.

export interface HostileCase {
  readonly name: string;
  /** An expression (the X column of `SELECT <expr> AS X FROM scope()`), or a whole query. */
  readonly expr?: string;
  readonly query?: string;
  /** Variables for the query (built when the case runs: some are megabytes). */
  readonly vars?: () => Record<string, unknown>;
  /** The expected X (JSON) when the query must give rows; for a whole `query`, all its rows. */
  readonly rows?: unknown;
  /** The expected error: the function named, the pattern, and RE2's words. */
  readonly error?: { readonly fn: string; readonly pattern: string; readonly message: string };
}

const A = (n: number) => 'a'.repeat(n);
const N = 100_000;
const MB = 1_000_000;
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}x`).join('|');

/** A case for a pattern that must be refused; the pattern goes in as a variable, verbatim. */
function refused(name: string, fn: string, pattern: string, message: string): HostileCase {
  const calls: Record<string, string> = {
    '=~': `'abc' =~ P`,
    regex_replace: `regex_replace(source='abc', re=P, replace='x')`,
    split: `split(string='abc', sep=P)`,
    parse_string_with_regex: `parse_string_with_regex(string='abc', regex=P)`,
    regex_transform: `regex_transform(source='abc', map=set(item=dict(), field=P, value='x'))`,
    filter: `filter(list=['abc'], regex=P)`,
  };
  return { name, expr: calls[fn]!, vars: () => ({ P: pattern }), error: { fn, pattern, message } };
}

export const hostileCases: readonly HostileCase[] = [
  // Catastrophic backtracking shapes: linear under RE2.
  { name: "the report's case: 30 a's and ! =~ ^(a+)+$", expr: `'${A(30)}!' =~ '^(a+)+$'`, rows: false },
  { name: '^(a+)+$ on 100,000 characters', expr: 'S =~ P', vars: () => ({ S: A(N) + '!', P: '^(a+)+$' }), rows: false },
  { name: '(a|a)*b', expr: 'S =~ P', vars: () => ({ S: A(N), P: '(a|a)*b' }), rows: false },
  { name: '(a|aa)*c', expr: 'S =~ P', vars: () => ({ S: A(N), P: '(a|aa)*c' }), rows: false },
  { name: '(x+x+)+y', expr: 'S =~ P', vars: () => ({ S: 'x'.repeat(N), P: '(x+x+)+y' }), rows: false },
  { name: '(\\s*)*$ before a non-space', expr: 'S =~ P', vars: () => ({ S: ' '.repeat(N) + 'x', P: '^(\\s*)*$' }), rows: false },
  { name: '.*.*.*=.* on 100 KB', expr: 'S =~ P', vars: () => ({ S: A(N), P: '.*.*.*=.*' }), rows: false },
  { name: '^(\\w+\\s?)*$', expr: 'S =~ P', vars: () => ({ S: 'word '.repeat(N / 5) + '!', P: '^(\\w+\\s?)*$' }), rows: false },
  { name: '^(([a-z])+.)+[A-Z]([a-z])+$', expr: 'S =~ P', vars: () => ({ S: A(N) + '!', P: '^(([a-z])+.)+[A-Z]([a-z])+$' }), rows: false },
  { name: '(a*)*b', expr: 'S =~ P', vars: () => ({ S: A(N), P: '(a*)*b' }), rows: false },
  { name: '(.*a){20} (polynomial)', expr: 'S =~ P', vars: () => ({ S: A(N) + 'b', P: '(.*a){20}$' }), rows: false },
  { name: '^(a?){1000}a{1000}$ (Thompson)', expr: 'S =~ P', vars: () => ({ S: A(1000), P: '^(a?){1000}a{1000}$' }), rows: true },
  { name: 'regex_replace with (a|a)*b on 100 KB', expr: 'len(list=regex_replace(source=S, re=P, replace="x"))', vars: () => ({ S: A(N), P: '(a|a)*b' }), rows: N },
  { name: 'regex_replace with an empty-matching (a*)* on 100 KB', expr: 'len(list=regex_replace(source=S, re=P, replace=""))', vars: () => ({ S: A(N) + 'b', P: '(a*)*' }), rows: 1 },
  { name: 'parse_string_with_regex with (?P<X>(a+)+)!', expr: 'parse_string_with_regex(string=S, regex=P)', vars: () => ({ S: A(N), P: '(?P<X>(a+)+)!' }), rows: { X: '' } },
  { name: 'split by (x+x+)+y', expr: 'len(list=split(string=S, sep=P))', vars: () => ({ S: 'x'.repeat(N), P: '(x+x+)+y' }), rows: 1 },
  { name: 'regex_transform with ^(a+)+$', expr: 'regex_transform(source=S, map=set(item=dict(), field=P, value="x"))', vars: () => ({ S: A(40) + '!', P: '^(a+)+$' }), rows: A(40) + '!' },
  { name: 'filter(regex=) with ^(a|aa)+$', expr: 'filter(list=[S], regex=P)', vars: () => ({ S: A(N) + '!', P: '^(a|aa)+$' }), rows: [] },
  { name: 'column_filter(include=) with ^(a+)+$', query: `SELECT * FROM column_filter(query={ SELECT 1 AS ${A(60)}b FROM scope() }, include='^(a+)+$')`, rows: [{}] },
  { name: 'OSPath =~ ^(/a+)+$', expr: 'pathspec(parse=S, path_type="linux") =~ P', vars: () => ({ S: '/a'.repeat(N / 2) + '!', P: '^(/a+)+$' }), rows: false },
  // Huge repeat counts: RE2 allows at most 1000, nested repeats included.
  { name: 'a{1000} (the largest count)', expr: 'S =~ P', vars: () => ({ S: A(1000), P: '^a{1000}$' }), rows: true },
  refused('a{1001}', '=~', 'a{1001}', 'invalid repeat count: `{1001}`'),
  refused('a{1000}{1000}', '=~', 'a{1000}{1000}', 'invalid nested repetition operator: `{1000}{1000}`'),
  refused('(a{1000}){1000}', 'regex_replace', '(a{1000}){1000}', 'invalid repeat count: `{1000}`'),
  refused('(?:a{500}){3}', 'split', '(?:a{500}){3}', 'invalid repeat count: `{3}`'),
  refused('((((a{10}){10}){10}){10})', 'parse_string_with_regex', '((((a{10}){10}){10}){10})', 'invalid repeat count: `{10}`'),
  refused('a{2,1}', '=~', 'a{2,1}', 'invalid repeat count: `{2,1}`'),
  refused('x{1001,}', 'filter', 'x{1001,}', 'invalid repeat count: `{1001,}`'),
  // Huge alternations and nesting.
  { name: 'a 20,000-branch alternation', expr: 'S =~ P', vars: () => ({ S: 'zz w19999x', P: words(20_000) }), rows: true },
  { name: 'a 20,000-branch alternation in a group, with captures', expr: 'regex_replace(source=S, re=P, replace="<$1>")', vars: () => ({ S: 'a w5x b', P: `(${words(20_000)})` }), rows: 'a <w5x> b' },
  { name: 'groups nested 500 deep', expr: 'S =~ P', vars: () => ({ S: 'a', P: '('.repeat(500) + 'a' + ')'.repeat(500) }), rows: true },
  refused('groups nested 5000 deep', '=~', '('.repeat(5000) + 'a' + ')'.repeat(5000), 'expression nests too deeply'),
  { name: 'a{1000} three times in sequence (a large program)', expr: 'S =~ P', vars: () => ({ S: A(3000), P: '(?:a{1000})'.repeat(3) + 'b' }), rows: false },
  // Invalid syntax.
  refused('unclosed group', '=~', '(', 'missing closing ): `'),
  refused('unclosed class', 'regex_replace', '[a', 'missing closing ]: `[a`'),
  refused('nested repetition operator', 'split', 'a**', 'invalid nested repetition operator: `**`'),
  refused('repetition of nothing', '=~', '*a', 'missing argument to repetition operator: `*`'),
  refused('\\Z (not RE2)', 'regex_transform', '\\Z', 'invalid escape sequence: `\\Z`'),
  refused('reversed class range', '=~', '[z-a]', 'invalid character class range: `z-a`'),
  refused('duplicate group name', 'parse_string_with_regex', '(?P<n>a)(?P<n>b)', 'duplicate capture group name: `n`'),
  refused('unknown Unicode class', '=~', '\\p{Klingon}', 'invalid character class range: `\\p{Klingon}`'),
  refused('unknown flag', '=~', '(?z)a', 'invalid or unsupported Perl syntax: `(?z`'),
  refused('unclosed \\x{', '=~', '\\x{41', 'invalid escape sequence'),
  // Perl-only syntax: backreferences and lookaround.
  refused('backreference \\1', '=~', '(a)\\1', 'invalid escape sequence: `\\1`'),
  refused('named backreference \\k<n>', 'regex_replace', '(?<n>a)\\k<n>', 'invalid escape sequence: `\\k`'),
  refused('Python backreference (?P=n)', '=~', '(?P<n>a)(?P=n)', 'invalid or unsupported Perl syntax: `(?P`'),
  refused('lookahead (?=', '=~', 'a(?=b)', 'invalid or unsupported Perl syntax: `(?=`'),
  refused('negative lookahead (?!', 'split', 'a(?!b)', 'invalid or unsupported Perl syntax: `(?!`'),
  refused('lookbehind (?<=', 'parse_string_with_regex', '(?<=a)b', 'invalid named capture'),
  refused('negative lookbehind (?<!', 'filter', '(?<!a)b', 'invalid named capture'),
  // NUL bytes and byte strings that are not UTF-8.
  { name: 'a NUL in the input, \\x00 in the pattern', expr: 'S =~ P', vars: () => ({ S: 'a\u0000b', P: '^a\\x00b$' }), rows: true },
  { name: 'a literal NUL in the pattern', expr: 'S =~ P', vars: () => ({ S: 'xa\u0000b', P: 'a\u0000b$' }), rows: true },
  { name: 'invalid UTF-8 bytes as the input (one character a byte)', expr: 'S =~ P', vars: () => ({ S: new Uint8Array([0xff, 0xfe, 0xc3, 0x41]), P: '^\\xff\\xfe.A$' }), rows: true },
  { name: 'invalid UTF-8 bytes as the pattern', expr: 'S =~ P', vars: () => ({ S: 'abc', P: new Uint8Array([0x61, 0xff]) }), rows: false },
  { name: 'regex_replace over bytes that are not UTF-8', expr: 'regex_replace(source=S, re=P, replace="-")', vars: () => ({ S: new Uint8Array([0x61, 0xff, 0x62]), P: '[^ab]' }), rows: 'a-b' },
  // Megabyte inputs and patterns.
  { name: '^(0+)+$ on a 1 MB string ending in 1', expr: `format(format='%0${MB}d', args=1) =~ '^(0+)+$'`, rows: false },
  { name: 'regex_replace of every character of 1 MB', expr: `len(list=regex_replace(source=format(format='%0${MB}d', args=0), re='0', replace='ab'))`, rows: 2 * MB },
  { name: 'split 1 MB into 1000 pieces', expr: `len(list=split(string=format(format='%0${MB}d', args=0), sep='0{1000}'))`, rows: 1001 },
  { name: 'a 1 MB literal pattern on a 1 MB input (anchored)', expr: 'S =~ P', vars: () => ({ S: A(MB), P: `^${A(MB)}$` }), rows: true },
  { name: 'a 1 MB literal pattern on a short input', expr: 'S =~ P', vars: () => ({ S: 'b' + A(2000), P: A(MB) }), rows: false },
  { name: 'a 1 MB pattern outside the fast path', expr: 'S =~ P', vars: () => ({ S: 'abc', P: '(?:' + 'a|'.repeat(MB / 2) + 'b)+c' }), rows: true },
  { name: 'parse_string_with_regex over 1 MB with \\pL classes', expr: 'len(list=get(item=parse_string_with_regex(string=S, regex=P), member="W"))', vars: () => ({ S: 'é'.repeat(MB) + '!', P: '(?P<W>\\pL+)!$' }), rows: 2 * MB },
];
