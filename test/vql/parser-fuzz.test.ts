import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { stripSpans } from '../../main/vql/ast/walk.ts';
import { lex } from '../../main/vql/lexer/lexer.ts';
import { formatScript, parseExpression, parseLambda, parseScript } from '../../main/vql/parse.ts';
import { prng } from '../helpers/prng.ts';

/**
 * Mutation fuzzing: every mutated query must either parse (and then round-trip through the
 * formatter) or throw a LexError / ParseError with a valid span. Anything else (TypeError,
 * RangeError from a stack overflow, a hang) is a bug. Deterministic: fixed seed.
 */

const MUTANTS = 12_000;
const SEED = 0x5eed_f00d;


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

/**
 * Grammar-based generation: random VQL that is valid by construction, with random keyword
 * case, whitespace and comments between tokens. Every query must parse, and its canonical text
 * must re-parse to the same AST and be a fixed point of formatting.
 */
class Generator {
  constructor(private readonly rand: () => number) {}

  private chance(p: number): boolean {
    return this.rand() < p;
  }

  private kw(word: string): string {
    const r = this.rand();
    return r < 0.5 ? word : r < 0.8 ? word.toLowerCase() : word[0] + word.slice(1).toLowerCase();
  }

  private name(): string {
    return pick(this.rand, ['a', 'Foo', '_x', 'b2', 'value', '`a b`', '`select`', '`x\\x41`']);
  }

  private literal(): string {
    return pick(this.rand, [
      '0', '1', '-4', '42', '0x1F', '070', '08', '1.5', '.5', '-0.25', '1e3', '2e-3', '9223372036854775807',
      '99999999999999999999', "'s'", '"d"', "'it\\'s'", '"\\xff"', '"a\\xag"', "'''raw\n'''", 'TRUE', 'FALSE', 'NULL',
    ]).replace(/^(TRUE|FALSE|NULL)$/, (w) => this.kw(w));
  }

  private args(depth: number): string[] {
    const out: string[] = ['('];
    const n = Math.floor(this.rand() * 3);
    for (let i = 0; i < n; i++) {
      if (i) out.push(',');
      out.push(this.name(), '=', ...this.argValue(depth));
    }
    out.push(')');
    return out;
  }

  private argValue(depth: number): string[] {
    const r = this.rand();
    if (r < 0.1 && depth > 0) return ['{', ...this.select(depth - 1), '}'];
    if (r < 0.25) {
      const n = Math.floor(this.rand() * 3);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(...(i ? [','] : []), ...this.expr(depth - 1));
      if (n && this.chance(0.3)) items.push(',');
      return ['[', ...items, ']'];
    }
    return this.expr(depth - 1);
  }

  private primary(depth: number): string[] {
    const r = this.rand();
    if (depth <= 0 || r < 0.35) return [this.literal()];
    if (r < 0.75) {
      const parts = [(this.chance(0.15) ? '-' : '') + this.name()];
      while (this.chance(0.3)) parts.push('.', this.name());
      return this.chance(0.4) ? [...parts, ...this.args(depth - 1)] : parts;
    }
    const items = this.list(depth - 1);
    return ['(', ...items, ')'];
  }

  private list(depth: number): string[] {
    const out = this.expr(depth);
    while (this.chance(0.3)) out.push(',', ...this.expr(depth));
    if (this.chance(0.2)) out.push(',');
    return out;
  }

  private postfix(depth: number): string[] {
    const out = this.primary(depth);
    while (this.chance(0.2)) {
      if (this.chance(0.3)) {
        out.push('.', this.name());
      } else {
        const start = this.chance(0.6) ? this.primary(depth - 1) : [];
        const slice = this.chance(0.4);
        const end = slice && this.chance(0.6) ? this.primary(depth - 1) : [];
        out.push('[', ...start, ...(slice ? [':'] : []), ...end, ']');
      }
    }
    return out;
  }

  private chain(operand: () => string[], ops: string[], p: number): string[] {
    const out = operand();
    while (this.chance(p)) out.push(pick(this.rand, ops), ...operand());
    return out;
  }

  expr(depth: number): string[] {
    const mult = () => {
      const out = this.postfix(depth);
      while (this.chance(0.15)) out.push(pick(this.rand, ['*', '/']), ...this.primary(depth - 1));
      return out;
    };
    const add = () => this.chain(mult, ['+', '-'], 0.2);
    const cond = (): string[] => {
      if (this.chance(0.1)) return [this.kw('NOT'), ...cond()];
      const out = add();
      if (this.chance(0.25)) out.push(pick(this.rand, ['=', '!=', '<>', '<', '<=', '>', '>=', '=~', this.kw('IN')]), ...add());
      return out;
    };
    const or = () => this.chain(cond, [this.kw('OR'), '||', '|', '|||'], 0.15);
    return this.chain(or, [this.kw('AND'), '&&'], 0.15);
  }

  select(depth: number): string[] {
    const out: string[] = [];
    while (this.chance(0.05)) out.push(this.kw('EXPLAIN'));
    out.push(this.kw('SELECT'));
    if (this.chance(0.3)) out.push('*', ...(this.chance(0.5) ? [','] : []));
    const n = Math.floor(this.rand() * 3);
    for (let i = 0; i < n; i++) {
      if (i) out.push(',');
      if (this.chance(0.1)) out.push('*');
      else out.push(...(this.chance(0.1) && depth > 0 ? ['{', ...this.select(depth - 1), '}'] : this.expr(depth)));
      if (this.chance(0.3)) out.push(this.kw('AS'), this.name());
    }
    out.push(this.kw('FROM'), this.name());
    if (this.chance(0.5)) out.push(...this.args(depth));
    if (this.chance(0.3)) out.push(this.kw('WHERE'), ...this.list(depth));
    if (this.chance(0.2)) out.push(this.kw('GROUP') + pick(this.rand, [' ', '\n ', '\t']) + this.kw('BY'), ...this.list(depth));
    if (this.chance(0.2)) out.push(this.kw('ORDER') + ' ' + this.kw('BY'), this.name(), ...(this.chance(0.5) ? [this.kw('DESC')] : []));
    if (this.chance(0.2)) out.push(this.kw('LIMIT'), pick(this.rand, ['0', '5', '0x10', '070', '-1']));
    return out;
  }

  statement(depth: number): string[] {
    if (this.chance(0.6)) return this.select(depth);
    const out = [this.kw('LET'), this.name()];
    if (this.chance(0.4)) {
      out.push('(');
      const n = Math.floor(this.rand() * 3);
      for (let i = 0; i < n; i++) {
        if (i) out.push(',');
        out.push(this.name(), ...(this.chance(0.4) ? ['=', ...this.argValue(depth)] : []));
      }
      out.push(')');
    }
    out.push(pick(this.rand, ['=', '<=']));
    out.push(...(this.chance(0.5) ? this.select(depth) : this.expr(depth)));
    return out;
  }

  /** Joins tokens with random whitespace and comments (at least one separator each). */
  layout(tokens: string[]): string {
    const seps = [' ', ' ', ' ', '\n', '\t ', ' /* c */ ', ' -- c\n', ' // c\n'];
    return tokens.map((t, i) => (i ? pick(this.rand, seps) : '') + t).join('');
  }
}

test('grammar fuzz: 3000 generated valid scripts parse and their canonical text is a fixed point', () => {
  const rand = prng(SEED ^ 0x9e3779b9);
  const gen = new Generator(rand);
  for (let i = 0; i < 3000; i++) {
    const tokens: string[] = [];
    const count = 1 + Math.floor(rand() * 3);
    for (let s = 0; s < count; s++) tokens.push(...gen.statement(3));
    const source = gen.layout(tokens);
    let script;
    try {
      script = parseScript(source);
    } catch (err) {
      assert.fail(`generated query does not parse: ${JSON.stringify(source)}: ${String(err)}`);
    }
    assert.equal(script.statements.length, count);
    const text = formatScript(script);
    const again = parseScript(text);
    assert.deepEqual(stripSpans(again.statements), stripSpans(script.statements), `round trip of ${JSON.stringify(source)}`);
    assert.equal(formatScript(again), text);
  }
});
