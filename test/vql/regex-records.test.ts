// The record parsers' native searches (main/vql/regex/record-subset.ts): which patterns take
// them, that they find exactly re2js's matches and groups (Go semantics) on generated patterns
// and texts, and that the shapes that make a backtracking search quadratic stay linear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RE2JS } from 're2js';
import { compileRegex } from '../../main/vql/regex/engine.ts';
import { recordSearcher, recordSource } from '../../main/vql/regex/record-subset.ts';
import { prng } from '../helpers/prng.ts';

const kindOf = (pattern: string, ci = true) => recordSearcher(pattern, ci, compileRegex(pattern, ci))?.kind ?? null;

/** re2js's match from `from` as [index, group 0, group 1...], or null. */
function oracleMatch(oracle: RE2JS, s: string, from: number): unknown[] | null {
  const m = oracle.matcher(s);
  return m.find(from) ? [m.start(), ...Array.from({ length: oracle.groupCount() + 1 }, (_, g) => m.group(g) ?? undefined)] : null;
}

function assertSameMatches(pattern: string, ci: boolean, s: string): number {
  const fast = recordSearcher(pattern, ci, compileRegex(pattern, ci))!;
  const oracle = RE2JS.compile(pattern, ci ? RE2JS.CASE_INSENSITIVE : 0);
  const search = fast.searcher(s);
  let n = 0;
  for (let from = 0; from <= s.length; from += (s.codePointAt(from) ?? 0) > 0xffff ? 2 : 1) {
    const got = search(from);
    assert.deepEqual(got && [got.index, ...Array.from(got)], oracleMatch(oracle, s, from), `${JSON.stringify(pattern)} (i=${ci}, ${fast.kind}) on ${JSON.stringify(s)} from ${from}`);
    n++;
  }
  return n;
}

test("the artifacts' patterns take the native searches; others keep re2js", () => {
  // Linux.Mounts, Windows.Carving.CobaltStrike, Server.Utils.KillClient, Generic.Forensic.Carving.URLs.
  assert.equal(kindOf('(?m)^(?P<Device>[^ ]+) (?P<Mount>[^ ]+) (?P<FSType>[^ ]+) (?P<Opts>[^ ]+)'), 'line');
  assert.equal(kindOf('(?P<Strings>[ -~]+)'), 'runs-end');
  assert.equal(kindOf('(?P<ClientId>C\\.[0-9a-z-]+)'), 'runs-end');
  assert.equal(kindOf('(?P<URL>https?:\\/\\/[\\w\\.-]+[\\/\\w \\.-]*)'), 'runs-end');
  // Outside: lazy runs (Linux.Debian.Packages), alternation, a run followed by a run or by a
  // literal it can match, a run that must be followed by something, repeats of groups.
  for (const p of ['(?sm)^(?P<Record>Package:.+?)\\n\\n', '(?m)^a+|b', '(?m)^a+b+c', '(?m)^[a-z]+a', '[a-z]+@', '(?m)^[^ ]+ [^ ]+$', '(?m)^(ab)+', '\\bx+', '(?m)^[^ ]+(?P<x>\\S+)', 'a?[a-z]+']) {
    assert.equal(kindOf(p), null, p);
  }
  // The literal after a run must match none of the run's characters in any case variant.
  assert.equal(kindOf('(?m)^[a-z]+K', false), 'line');
  assert.equal(kindOf('(?m)^[a-z]+K', true), null);
  assert.equal(kindOf('(?m)^[\\x{212a}]+k', false), 'line');
  assert.equal(kindOf('(?m)^[\\x{212a}]+k', true), null); // the Kelvin sign folds to k
  assert.equal(kindOf('(?m)^[^k]+K', true), 'line'); // (?i)[^k] excludes K and the Kelvin sign
  assert.equal(recordSource('(?m)^(?P<a>[^ ]+) x', true), '(?:^|(?<=\\n))((?:[^\\u{20}])+)\\u{20}x');
});

// Atoms and separators of the generated patterns, and the texts' characters: newlines and
// carriage returns, case folds (k, K, the Kelvin sign, s, the long s), multi-byte characters.
const RUN_ATOMS = ['[^ ]', '[^:]', '.', '[^\\n ]', '\\d', '[a-z]', '\\w', '[^,]', '\\s', '[ -~]', '[^k]', '[^s:]', 'x', '[\\w.-]', '[^\\t]'];
/** [separator, the same inside a class]. */
const SEPARATORS: Array<[string, string]> = [[' ', ' '], [':', ':'], [',', ','], ['=', '='], ['k', 'k'], ['s', 's'], ['\\t', '\\t'], ['\\.', '.'], ['K', 'K'], ['\\n', '\\n']];
const PLAIN = ['a', 'k', ':', ' ', '\\.', '[0-9]', '\\d', '.', 'é', '😀', '[^a]', 'S'];
const CHARS = ['a', 'b', 'k', 'K', '\u212a', 's', 'S', '\u017f', ' ', ' ', ':', ',', '=', '.', '-', '0', '9', '_', '\n', '\n', '\r', '\t', 'é', '😀', 'x', 'X'];

function generated(rnd: () => number): Array<{ pattern: string; ci: boolean }> {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const int = (n: number) => Math.floor(rnd() * n);
  const out: Array<{ pattern: string; ci: boolean }> = [];
  let groups = 0;
  const group = () => pick(['', '', '(?:', '(', '(?P<g', '(?<h']).replace(/<([gh])$/, (_, c: string) => `<${c}${++groups}>`);
  for (let k = 0; k < 2000; k++) {
    const flags = pick(['', '(?m)', '(?m)', '(?sm)', '(?im)', '(?i)', '(?s)']);
    let body = '';
    if (k % 2 === 0) {
      // Class L: runs each followed by a separator, maybe a last run.
      body = pick(['^', '^', '\\A', '']);
      const fields = 1 + int(4);
      for (let f = 0; f < fields; f++) {
        // A separator, and a run that mostly excludes it (else the pattern is refused).
        const [sep, inClass] = pick(SEPARATORS);
        const run = pick([`[^${inClass}]`, `[^${inClass}]`, `[^${inClass}\\n]`, `[^${inClass}a-c]`, '\\d', '[a-j]', '\\w', '.', pick(RUN_ATOMS)]) + pick(['+', '+', '*', '?']);
        const open = group();
        body += open ? `${open}${run})` : run;
        if (f < fields - 1 || rnd() < 0.3) body += sep;
      }
    } else {
      // Class T: plain atoms, maybe an optional before a plain atom, then runs that can be empty.
      body = pick(['', '', '^', '\\A']);
      for (let i = int(3); i > 0; i--) body += pick(PLAIN);
      if (rnd() < 0.3) body += pick(['s?', 'x?', '\\d?']) + pick(SEPARATORS)[0];
      const first = pick(RUN_ATOMS) + pick(['+', '*']);
      const open = group();
      body += open ? `${open}${first}${rnd() < 0.5 ? pick(RUN_ATOMS) + '*' : ''})` : first;
      for (let i = int(3); i > 0; i--) body += pick(RUN_ATOMS) + pick(['*', '?']);
    }
    out.push({ pattern: flags + body, ci: rnd() < 0.5 });
  }
  return out;
}

test('the native record searches find re2js\'s matches and groups on 2,000 generated patterns', () => {
  const rnd = prng(20261207);
  const int = (n: number) => Math.floor(rnd() * n);
  const kinds = { line: 0, 'runs-end': 0, none: 0 };
  let compared = 0;
  for (const { pattern, ci } of generated(rnd)) {
    RE2JS.compile(pattern, ci ? RE2JS.CASE_INSENSITIVE : 0); // valid RE2
    const kind = kindOf(pattern, ci);
    kinds[kind ?? 'none']++;
    if (!kind) continue;
    for (let j = 0; j < 4; j++) {
      const s = Array.from({ length: int(22) }, () => CHARS[int(CHARS.length)]).join('');
      compared += assertSameMatches(pattern, ci, s);
    }
  }
  assert.ok(kinds.line > 300 && kinds['runs-end'] > 800 && compared > 50_000, JSON.stringify({ ...kinds, compared }));
});

test('records that span lines (a run that takes a newline) are found as Go finds them', () => {
  const mounts = '(?m)^(?P<Device>[^ ]+) (?P<Mount>[^ ]+) (?P<FSType>[^ ]+) (?P<Opts>[^ ]+)';
  // A line with three fields: Go's FSType run goes on into the next line.
  const text = 'a b c d e\nshort line x\nnext one here ok\n\nlast b c d';
  assertSameMatches(mounts, true, text);
  const re = compileRegex(mounts, true);
  const m = recordSearcher(mounts, true, re)!.searcher(text)(10)!;
  assert.deepEqual([m.index, m[3], m[4]], [10, 'x\nnext', 'one']);
  // The last run stops at a newline: Go's goes on to the next space.
  assertSameMatches('(?m)^(?P<k>[^=]+)=(?P<v>[^=]+)', false, 'a=1\nb=2\n=\nc=3');
});

test('shapes that make a backtracking search quadratic run in linear time (200,000-line texts complete)', () => {
  const N = 200_000;
  // No space anywhere: a run of [^ ] from each line start would reach the end of the text.
  const mounts = '(?m)^(?P<Device>[^ ]+) (?P<Mount>[^ ]+)';
  const noSpace = 'x\n'.repeat(N);
  const re = compileRegex(mounts, true);
  const search = recordSearcher(mounts, true, re)!.searcher(noSpace);
  assert.equal(search(0), null);
  // One space at the very end: the only match spans every line.
  const oneSpace = noSpace + 'a b';
  const m = recordSearcher(mounts, true, re)!.searcher(oneSpace)(0)!;
  assert.deepEqual([m.index, m[0]!.length, m[2]], [0, oneSpace.length, 'b']);
  // Many lines, each one field short: every line start is unsure, each search hands re2js one
  // (Go's match takes three lines: 'a b\na b\na').
  const short = 'a b\n'.repeat(N / 10);
  const three = '(?m)^(?P<a>[^ ]+) (?P<b>[^ ]+) (?P<c>[^ ]+)';
  const s2 = recordSearcher(three, true, compileRegex(three, true))!.searcher(short);
  let count = 0;
  const general = compileRegex(three, true).searcher(short);
  for (let pos = 0, x = s2(pos); x; x = s2(pos)) {
    assert.deepEqual(Array.from(x), Array.from(general(pos)!));
    count++;
    pos = x.index + x[0]!.length;
  }
  assert.equal(count, Math.ceil(N / 10 / 3));
  // Class T: a prefix that fails after one character, over and over.
  const carve = recordSearcher('(?P<URL>https?:\\/\\/[\\w\\.-]+[\\/\\w \\.-]*)', true, compileRegex('(?P<URL>https?:\\/\\/[\\w\\.-]+[\\/\\w \\.-]*)', true))!.searcher('http:/'.repeat(N) + 'http://x.y/z');
  assert.equal(carve(0)![1], 'http://x.y/z');
});
