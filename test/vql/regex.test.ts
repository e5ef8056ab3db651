// VQL regexes are Go's regexp (RE2): its syntax and errors, leftmost-first matching, Go's
// empty-match rules, and linear-time matching. The native fast path (native-subset.ts) is
// checked against re2js, the RE2 port, on generated patterns and inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RE2JS } from 're2js';
import { Session, parseStatement, createRegistry } from '../../main/vql/index.ts';
import { compileRegex, RegexSyntaxError } from '../../main/vql/regex/engine.ts';
import { nativeTranslation } from '../../main/vql/regex/native-subset.ts';
import { allMatches, splitGo } from '../../main/vql/regex/iterate.ts';
import { REGEX_CACHE_ENTRIES, regexCacheStats } from '../../main/vql/protocols/regex.ts';
import { expandTemplate } from '../../main/host/files/regexes.ts';
import { query, value } from '../host/files/query-runner.ts';
import { prng } from '../helpers/prng.ts';

/** `input =~ pattern` through the engine (case-insensitive, as Velociraptor's). */
async function matches(input: string, pattern: string): Promise<unknown> {
  return value('S =~ P', { S: input, P: pattern });
}

// [pattern, input, expected `=~`]: RE2 syntax that JavaScript spells differently or lacks.
const syntax: Array<[string, string, boolean]> = [
  ['(?i)abc', 'xABC', true],
  ['(?s)a.b', 'a\nb', true],
  ['a.b', 'a\nb', false],
  ['a.b', 'a\rb', true], // Go's '.' only stops at \n (JS's also at \r, U+2028, U+2029)
  ['a.b', 'a\u2028b', true],
  ['(?m)^b$', 'a\nb\nc', true],
  ['^b$', 'a\nb\nc', false],
  ['(?s:a.)b', 'a\nb', true],
  ['(?U)^a+$', 'aaa', true],
  ['\\Aab\\z', 'ab', true],
  ['\\Aab\\z', 'ab\n', false],
  ['ab$', 'ab\n', false], // Go's $ without (?m) is \z
  ['\\Qa.b*\\E', 'xa.b*y', true],
  ['\\Qa.b*\\E', 'aab', false],
  ['^[[:alpha:]]+$', 'abcXYZ', true],
  ['^[[:alpha:]]+$', 'abc1', false],
  ['^[[:^digit:]]+$', 'abc', true],
  ['^[[:xdigit:]]+$', 'c0ffee', true],
  ['^\\pL+$', 'éßΩж', true],
  ['^\\p{Greek}+$', 'αβγ', true],
  ['^\\p{Greek}+$', 'abc', false],
  ['^\\PL+$', '123', true],
  ['\\bfoo\\b', 'a foo b', true],
  ['\\bfoo\\b', 'afoob', false],
  ['\\Bfoo', 'afoo', true],
  ['^\\x{1F600}$', '😀', true],
  ['^.$', '😀', true], // one code point
  ['^\\x41\\101$', 'AA', true], // \101: an octal escape, as in Go
  ['k', '\u212a', true], // (?i): the Kelvin sign folds to k, as in Go
  ['^\\s+$', '\u00a0', false], // \s is ASCII in RE2
  ['^\\w+$', 'é', false], // \w is ASCII in RE2
  ['^\\d$', '٣', false], // \d is ASCII in RE2
  ['^(?P<a>x)(?<b>y)$', 'xy', true],
  ['^a{2,3}$', 'aaaa', false],
  ['^a{,3}$', 'a{,3}', true], // not a repeat in Go: literal text
  ['x{', 'x{', true],
  ['', 'anything', true],
];

test('=~ follows Go regexp (RE2) syntax', async () => {
  for (const [pattern, input, expected] of syntax) {
    assert.equal(await matches(input, pattern), expected, `${JSON.stringify(input)} =~ ${JSON.stringify(pattern)}`);
  }
});

test('=~ is case-insensitive (Velociraptor prefixes (?i)); (?-i) turns it off', async () => {
  assert.equal(await matches('HELLO', 'ell'), true);
  assert.equal(await matches('HELLO', '(?-i)ell'), false);
  assert.equal(await matches('STRASSE', 'straße'), false, 'simple folding only, as Go');
  assert.equal(await matches('ſ', 's'), true, 'U+017F folds to s, as in Go');
});

test('byte strings are matched one character a byte (latin1); arrays match when any element does', async () => {
  assert.equal(await value('S =~ "^\\\\xff\\\\x00A$"', { S: new Uint8Array([0xff, 0x00, 0x41]) }), true);
  assert.equal(await value('S =~ "^...$"', { S: new Uint8Array([0xc3, 0xa9, 0x80]) }), true, 'invalid UTF-8 is 3 characters');
  assert.equal(await value('("x", "yz") =~ "Z$"'), true);
});

test('leftmost-first (Perl-like) matches and groups, as Go', () => {
  const m = compileRegex('(a|ab)(c|bcd)(d*)', false).searcher('abcd')(0)!;
  assert.deepEqual([m.index, ...Array.from(m)], [0, 'abcd', 'a', 'bcd', '']);
  const lazy = compileRegex('a+?', false).searcher('aaa')(0)!;
  assert.equal(lazy[0], 'a');
  const ungreedy = compileRegex('(?U)a+', false).searcher('aaa')(0)!;
  assert.equal(ungreedy[0], 'a');
});

test('capturing groups: parse_string_with_regex, regex_replace $1 / ${name}, split', async () => {
  assert.deepEqual(
    await value(`parse_string_with_regex(string='Name: Bob Age: 42', regex=['name: (?P<Name>\\\\w+)', 'age: (?<Age>[[:digit:]]+)'])`),
    { Name: 'Bob', Age: '42' },
  );
  assert.equal(await value(`regex_replace(source='2024-05-06', re='(?P<y>\\\\d{4})-(\\\\d\\\\d)-(\\\\d\\\\d)', replace='$3/$2/\${y}')`), '06/05/2024');
  assert.equal(await value(`regex_replace(source='a.b', re='\\\\Q.\\\\E', replace='$$')`), 'a$b');
  assert.equal(await value(`regex_replace(source='baaac', re='a*', replace='-')`), '-b-c-');
  assert.equal(await value(`regex_replace(source='x😀y', re='', replace='-')`), '-x-😀-y-');
  assert.deepEqual(await value(`split(string='a1b22c', sep='[0-9]+')`), ['a', 'b', 'c']);
  assert.deepEqual(await value(`split(string='aXbxc', sep='x')`), ['aXb', 'c'], 'split is case-sensitive');
  assert.deepEqual(await value(`split(string='a,b', sep='(,)')`), ['a', 'b'], 'no groups in the output');
});

test('split and FindAll follow Go on empty matches (JavaScript gives other pieces)', async () => {
  // Go: regexp.MustCompile(`x*`).Split("axb", -1) == ["a" "b"]; JS's matchAll would give ["a", "", "b"].
  assert.deepEqual(await value(`split(string='axb', sep='x*')`), ['a', 'b']);
  assert.deepEqual(await value(`split(string='abc', sep='')`), ['a', 'b', 'c']);
  assert.deepEqual(await value(`split(string='', sep='x')`), ['']);
  assert.deepEqual(await value(`split(string='a,', sep=',')`), ['a', '']);
  assert.deepEqual(splitGo(compileRegex('', false), ''), []);
  const re = compileRegex('a*', false);
  assert.deepEqual([...allMatches(re, 'baaacb')].map((m) => [m.index, m[0]]), [[0, ''], [1, 'aaa'], [5, ''], [6, '']]);
});

test('Go template expansion: $01 is a name, names are Unicode letters and digits', () => {
  const m = compileRegex('(?P<first>a)(b)', false).searcher('ab')(0)!;
  assert.equal(expandTemplate('[$1|${2}|$first|$01|${01}|$1x|$é|$]', m), '[a|b|a|||||$]');
});

test('invalid patterns log RE2\'s error naming the function and the pattern; the query goes on', async () => {
  const cases: Array<[string, string, string]> = [
    [`'aa' =~ '(a)\\\\1'`, '=~: invalid regex "(a)\\\\1": error parsing regexp: invalid escape sequence: `\\1`', 'no backreferences'],
    [`'ab' =~ 'a(?=b)'`, '=~: invalid regex "a(?=b)": error parsing regexp: invalid or unsupported Perl syntax: `(?=`', 'no backreferences or lookaround'],
    [`'ab' =~ '(?<!a)b'`, 'invalid named capture', 'no backreferences or lookaround'],
    [`regex_replace(source='a', re='a{1001}', replace='')`, 'regex_replace: invalid regex "a{1001}": error parsing regexp: invalid repeat count: `{1001}`', ''],
    [`split(string='a', sep='(a{100}){100}')`, 'split: invalid regex "(a{100}){100}": error parsing regexp: invalid repeat count: `{100}`', ''],
    [`parse_string_with_regex(string='a', regex='[a')`, 'parse_string_with_regex: invalid regex "[a": error parsing regexp: missing closing ]: `[a`', ''],
    [`regex_transform(source='a', map=dict(\`\\\\Z\`='x'))`, 'regex_transform: invalid regex "\\\\Z": error parsing regexp: invalid escape sequence: `\\Z`', ''],
    [`filter(list=['a'], regex='a**')`, 'filter: invalid regex "a**": error parsing regexp: invalid nested repetition operator: `**`', ''],
  ];
  for (const [expr, message, hint] of cases) {
    const { rows, logs } = await query(`SELECT ${expr} AS X FROM scope()`);
    assert.equal(rows.length, 1, expr);
    assert.ok(logs.some((l) => l.startsWith('error: ') && l.includes(message) && l.includes(hint)), `${expr}: ${JSON.stringify(logs)}`);
  }
  assert.throws(() => compileRegex('(?<=a)b', true), RegexSyntaxError);
});

test('an invalid pattern is reported once per session, not once per row', async () => {
  const { rows, logs } = await query(`SELECT * FROM range(end=1000) WHERE format(format='%d', args=_value) =~ '('`);
  assert.equal(rows.length, 0);
  assert.equal(logs.filter((l) => l.includes('invalid regex')).length, 1);
});

// Shapes that make a backtracking engine exponential or polynomial. Each input is 100,000
// characters: a backtracking RegExp never finishes (`^(a+)+$` needs about 2^100000 steps);
// RE2 matching is linear, so each of these runs here in well under a second.
const N = 100_000;
const pathological: Array<[string, string, boolean]> = [
  ['^(a+)+$', 'a'.repeat(N) + '!', false],
  ['(a|a)*b', 'a'.repeat(N), false],
  ['(a|aa)*c', 'a'.repeat(N), false],
  ['(x+x+)+y', 'x'.repeat(N), false],
  ['(\\s*)*$', ' '.repeat(N) + 'x', true],
  ['.*.*.*=.*', 'a'.repeat(N), false],
  ['^(\\w+\\s?)*$', 'word '.repeat(N / 5) + '!', false],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a'.repeat(N) + '!', false],
  ['(.*a){20}', 'a'.repeat(N), true],
  ['^(a?){100}a{100}$', 'a'.repeat(100), true],
];

test('pathological patterns match in linear time (100,000-character inputs complete)', async () => {
  for (const [pattern, input, expected] of pathological) {
    assert.equal(await matches(input, pattern), expected, pattern);
    const re = compileRegex(pattern, true);
    assert.equal(re.engine, 're2', `${pattern} runs on the linear engine`);
    // With groups (the NFA), as regex_replace and parse_string_with_regex use it.
    assert.equal(re.searcher(input)(0) !== null, expected, `${pattern} (search with groups)`);
  }
  assert.equal(await value(`len(list=regex_replace(source=S, re='(a|a)*b', replace='x'))`, { S: 'a'.repeat(N) }), N);
  assert.deepEqual(await value(`split(string=S, sep='(x+x+)+y')`, { S: 'x'.repeat(N) }), ['x'.repeat(N)]);
});

test('scaling: eight times the input gives eight times the matches, each found once', () => {
  // A count, not a time: Go's FindAll visits each position once, so on n copies of 'ab' the
  // pattern `(a|a)*b` (exponential under backtracking when it fails) matches n times.
  const re = compileRegex('(a|a)*b', false);
  const count = (n: number) => [...allMatches(re, 'ab'.repeat(n))].length;
  assert.equal(count(1000), 1000);
  assert.equal(count(8000), 8000);
});

test('the native fast path takes only the linear class; everything else runs on re2js', () => {
  const native = ['\\.exe$', 'system32', '^C:\\\\Windows\\\\.*\\.sys$', '^12.*3$', '(cmd|powershell|pwsh)\\.exe', 'foo|bar', '^(?P<drive>[a-z]):', '\\Qa.b\\E', '(?i)^x+$', ''];
  const re2 = ['^(a+)+$', 'a.*b', '.*x', '^a.*b.*c$', '(a|b)(c|d)', '^(ab)+$', '\\bfoo', '\\w+', '(?m)^a', '^a*?b', '^x{2}', '[[:alpha:]]', '\\pL', '(?i:a)b', 'a|b|(c|d)', '(?U)^a*'];
  for (const p of native) assert.equal(compileRegex(p, true).engine, 'native', p);
  for (const p of re2) assert.equal(compileRegex(p, true).engine, 're2', p);
  assert.equal(nativeTranslation('a.b', false)!.source, 'a[^\\n]b');
  assert.equal(nativeTranslation('(?s)a.b', false)!.source, 'a[^]b');
});

// The differential check of the fast path: random patterns of the native class (literals that
// fold in odd ways, classes, anchors, one alternation or one anchored quantifier) and inputs
// from the same alphabet, matched by both engines from every code-point offset.
const CHARS = ['a', 'b', 'A', 'k', 'K', '\u212a', 's', 'S', '\u017f', 'ß', '\u1e9e', '\n', '\r', '.', '-', '0', '7', 'é', 'É', '😀', ' ', '_', 'σ', 'Σ', 'ς', '\u2028', 'µ', 'μ', 'Μ', 'å', '\u212b', 'Å', 'İ', 'ı', 'i', 'I', '\u0000', '$', '\\', 'ǅ', 'Ǆ', 'ǆ', '\t', '\v', '\f', '\u00a0'];
const ATOMS = ['a', 'b', 'k', 's', 'ß', 'é', '😀', '.', '\\.', '\\d', '\\D', '[a-c]', '[^a]', '[^\\n]', '[k-s]', '[\\d_]', '[A-Z]', '[^0-9a-z]', '\\x{212a}', '\\x41', 'µ', 'σ', 'i', 'I', 'İ', 'ı', '\\n', '\\$', '\\Qa.b\\E', '\\x00', 'ǅ', '[ǅ]', '[Ǆ-ǆ]', '\\-', '[\\-a]', '\\w', '\\s', '[\\w.]', '[^\\s]', '[^\\w]', '[\\s-]', '[-k]', '[a-]', '[^-s]'];

test('the native fast path agrees with re2js (Go semantics) on 4,000 generated patterns', () => {
  const rnd = prng(20240611);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const int = (n: number) => Math.floor(rnd() * n);
  const seq = (n: number) => Array.from({ length: n }, () => pick(ATOMS)).join('');
  const gen = (): string => {
    const flags = pick(['', '', '(?i)', '(?s)', '(?is)']);
    switch (int(4)) {
      case 0: return flags + pick(['', '^', '\\A']) + seq(1 + int(4)) + pick(['', '$', '\\z']);
      case 1: return flags + Array.from({ length: 2 + int(3) }, () => seq(int(3))).join('|');
      case 2: return flags + pick(['', '^']) + seq(int(2)) + pick(['(', '(?:', '(?P<n>', '(?<n>']) + Array.from({ length: 1 + int(3) }, () => seq(1 + int(2))).join('|') + ')' + seq(int(2)) + pick(['', '$']);
      default: return flags + pick(['^', '\\A']) + seq(int(3)) + pick(ATOMS.filter((a) => !a.startsWith('\\Q'))) + pick(['*', '+', '?']) + seq(int(3)) + pick(['', '$', '\\z']);
    }
  };
  let native = 0;
  let compared = 0;
  for (let i = 0; i < 4000; i++) {
    const pattern = gen();
    const ci = rnd() < 0.5;
    const ours = compileRegex(pattern, ci);
    const oracle = RE2JS.compile(pattern, ci ? RE2JS.CASE_INSENSITIVE : 0); // also: the pattern is valid RE2
    if (ours.engine !== 'native') continue;
    native++;
    for (let j = 0; j < 6; j++) {
      const s = Array.from({ length: int(8) }, () => pick(CHARS)).join('');
      assert.equal(ours.test(s), oracle.test(s), `${JSON.stringify(pattern)} (i=${ci}) test ${JSON.stringify(s)}`);
      const search = ours.searcher(s);
      for (let from = 0; from <= s.length; from += (s.codePointAt(from) ?? 0) > 0xffff ? 2 : 1) {
        const m = oracle.matcher(s);
        const want = m.find(from) ? [m.start(), ...Array.from({ length: oracle.groupCount() + 1 }, (_, g) => m.group(g) ?? undefined)] : null;
        const got = search(from);
        assert.deepEqual(got && [got.index, ...Array.from(got)], want, `${JSON.stringify(pattern)} (i=${ci}) on ${JSON.stringify(s)} from ${from}`);
        compared++;
      }
    }
  }
  assert.ok(native > 3000 && compared > 50_000, `${native} native patterns, ${compared} searches compared`);
});

test('the compiled-pattern cache is per session and bounded', async () => {
  const session = new Session({ registry: createRegistry() });
  const n = REGEX_CACHE_ENTRIES + 500;
  const stmt = parseStatement(`SELECT * FROM range(end=${n}) WHERE 'x' =~ format(format='^x|%d', args=_value)`);
  let rows = 0;
  for await (const batch of session.execute(stmt)) rows += batch.length;
  assert.equal(rows, n);
  const stats = regexCacheStats(session.scope);
  assert.equal(stats.entries, REGEX_CACHE_ENTRIES);
  assert.ok(stats.chars > 0);
  assert.equal(regexCacheStats(new Session({ registry: createRegistry() }).scope).entries, 0);
});
