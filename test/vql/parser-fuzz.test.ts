import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { stripSpans } from '../../main/vql/ast/walk.ts';
import { lex } from '../../main/vql/lexer/lexer.ts';
import { formatScript, parseExpression, parseLambda, parseScript } from '../../main/vql/parse.ts';

/**
 * Mutation fuzzing: every mutated query must either parse (and then round-trip through the
 * formatter) or throw a LexError / ParseError with a valid span. Anything else (TypeError,
 * RangeError from a stack overflow, a hang) is a bug. Deterministic: fixed seed.
 */

const MUTANTS = 12_000;
const SEED = 0x5eed_f00d;

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BUILTIN_QUERIES = [
  'SELECT * FROM test()',
  'LET X = SELECT * FROM test() SELECT X[0], X[1].bar FROM scope()',
  "SELECT format(format='%x', args=\"\\x01\\xf0\") AS F, X[1:Y], -a.b(c=[1, 2,], d={SELECT 1 FROM x LIMIT 2}) FROM scope() WHERE NOT a = b OR c && d GROUP BY e ORDER BY f DESC LIMIT 0x10",
  "LET F(X=2, Y) <= (1, 2, ) + '''raw''' || TRUE and null",
  'EXPLAIN SELECT `a b`.c, (x,), f().g FROM `p q`(`k`=1) WHERE a IN (1, 2) and b =~ "x"',
];

function loadQueries(): string[] {
  const queries = [...BUILTIN_QUERIES];
  for (const rel of ['../../../shared/vql/conformance/cases.json', '../../../shared/velociraptor-testcases/cases.json']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    for (const c of (JSON.parse(readFileSync(url, 'utf8')) as { cases: { query: string }[] }).cases) queries.push(c.query);
  }
  return queries;
}

const PUNCTUATION = [
  ',', '(', ')', '[', ']', '{', '}', '.', ':', '=', '<=', '=>', '=~', '<>', '!=', '*', '/', '+', '-', '%',
  '|', '||', '&&', "'", '"', '`', '\\', ';', '@', '#', '$', '?', '^', '~', '!', '&', '--', '//', '/*', '*/', "'''",
];
const WORDS = [
  'SELECT', 'FROM', 'WHERE', 'LET', 'AS', 'AND', 'OR', 'NOT', 'IN', 'LIMIT', 'NULL', 'TRUE', 'false', 'DESC',
  'GROUP BY', 'ORDER BY', 'EXPLAIN', 'x', '-x', '`a b`', '0x1F', '070', '08', '1e3', '-2', '.5', '9223372036854775808',
  "'s'", '"\\xff"', "'''r'''",
];
const UNICODE = ['é', '😀', '\u0000', '\uFEFF', '\uD800', '\u2028', '\t', '\n', '\r\n', ' ', 'ß', '中'];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function tokenTexts(query: string): string[] {
  try {
    return lex(query).map((t) => t.text);
  } catch {
    return query.split(/\s+/).filter(Boolean);
  }
}

/** One to three mutations at token or character level, or a splice of two queries. */
function mutate(rand: () => number, queries: readonly string[], tokens: readonly string[][]): string {
  const index = Math.floor(rand() * queries.length);
  if (rand() < 0.12) {
    const a = queries[index]!;
    const b = pick(rand, queries);
    return a.slice(0, Math.floor(rand() * (a.length + 1))) + b.slice(Math.floor(rand() * (b.length + 1)));
  }
  const toks = [...tokens[index]!];
  const tokenMutations = 1 + Math.floor(rand() * 3);
  for (let m = 0; m < tokenMutations && toks.length > 0; m++) {
    const at = Math.floor(rand() * toks.length);
    switch (Math.floor(rand() * 6)) {
      case 0: toks.splice(at, 1); break;
      case 1: toks.splice(at, 0, pick(rand, PUNCTUATION)); break;
      case 2: toks.splice(at, 0, pick(rand, WORDS)); break;
      case 3: toks.splice(at, 0, toks[at]!); break;
      case 4: {
        const other = Math.floor(rand() * toks.length);
        [toks[at], toks[other]] = [toks[other]!, toks[at]!];
        break;
      }
      case 5: toks.splice(at, 0, ...toks.slice(Math.floor(rand() * toks.length)).slice(0, 4)); break;
    }
  }
  let text = toks.join(rand() < 0.8 ? ' ' : '');
  const charMutations = Math.floor(rand() * 3);
  for (let m = 0; m < charMutations; m++) {
    const at = Math.floor(rand() * (text.length + 1));
    switch (Math.floor(rand() * 3)) {
      case 0: text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 3)); break;
      case 1: text = text.slice(0, at) + pick(rand, UNICODE) + text.slice(at); break;
      case 2: text = text.slice(0, at) + pick(rand, PUNCTUATION) + text.slice(at); break;
    }
  }
  return text;
}

/** Runs `parse`; returns 'ok' or the error code, failing on anything but Lex/ParseError. */
function attempt(source: string, parse: (s: string) => unknown): 'ok' | 'LexError' | 'ParseError' {
  try {
    parse(source);
    return 'ok';
  } catch (err) {
    const e = err as { code?: unknown; span?: { start: number; end: number }; message?: unknown };
    if (e.code !== 'LexError' && e.code !== 'ParseError') {
      assert.fail(`unexpected ${String(err)} for ${JSON.stringify(source)}\n${(err as Error).stack}`);
    }
    assert.ok(typeof e.message === 'string' && e.message.length > 0, 'error has a message');
    assert.ok(e.span && e.span.start >= 0 && e.span.start <= e.span.end && e.span.end <= source.length, `bad span for ${JSON.stringify(source)}`);
    return e.code;
  }
}

test(`fuzz: ${MUTANTS} mutated queries parse or throw LexError/ParseError, and parsed ones round-trip`, { timeout: 120_000 }, () => {
  const rand = prng(SEED);
  const queries = loadQueries();
  const tokens = queries.map(tokenTexts);
  const outcomes = { ok: 0, LexError: 0, ParseError: 0 };
  for (let i = 0; i < MUTANTS; i++) {
    const source = mutate(rand, queries, tokens);
    const outcome = attempt(source, (s) => {
      const script = parseScript(s);
      const text = formatScript(script);
      let again;
      try {
        again = parseScript(text);
      } catch (err) {
        assert.fail(`formatted text does not re-parse: ${JSON.stringify(s)} -> ${JSON.stringify(text)}: ${String(err)}`);
      }
      assert.deepEqual(stripSpans(again.statements), stripSpans(script.statements), `round trip of ${JSON.stringify(s)}`);
    });
    outcomes[outcome]++;
    // The other entry points get fragments of the same text.
    const cut = source.slice(Math.floor(rand() * source.length));
    attempt(cut, parseExpression);
    attempt(cut.replace(/^\s*\w+/, 'x =>'), parseLambda);
  }
  // A useful fuzz run exercises all three outcomes.
  assert.ok(outcomes.ok > 100 && outcomes.LexError > 100 && outcomes.ParseError > 1000, JSON.stringify(outcomes));
});
