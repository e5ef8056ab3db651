import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatError, LexError, ParseError } from '../../main/vql/errors.ts';
import { lex } from '../../main/vql/lexer/lexer.ts';
import type { Token } from '../../main/vql/lexer/token.ts';
import { parseExpression, parseStatement } from '../../main/vql/parse.ts';

/** `kind:text` for each token, the compact form the tables below use. */
function shape(source: string): string[] {
  return lex(source).map((t) => `${t.kind === 'keyword' ? `keyword(${t.keyword})` : t.kind}:${t.text}`);
}

function only(source: string): Token {
  const tokens = lex(source);
  assert.equal(tokens.length, 1, `${source} should be one token, got ${tokens.map((t) => t.text).join(' | ')}`);
  return tokens[0]!;
}

function lexError(source: string): LexError {
  try {
    lex(source);
  } catch (err) {
    assert.ok(err instanceof LexError, `expected a LexError for ${source}, got ${String(err)}`);
    assert.equal(err.code, 'LexError');
    assert.ok(err.span, 'LexError has a span');
    return err;
  }
  assert.fail(`expected ${JSON.stringify(source)} not to lex`);
}

describe('lexer quirks (SPEC 2.1)', () => {
  const table: [string, string[], string][] = [
    ['a--b', ['ident:a'], '`--` starts an SQL comment'],
    ['4//2', ['number:4'], '`//` starts a line comment'],
    ['a /* x */ b', ['ident:a', 'ident:b'], 'block comment'],
    ['a -- x\nb', ['ident:a', 'ident:b'], 'SQL comment ends at the newline'],
    ['1 -2', ['number:1', 'number:-2'], 'the minus sticks to a digit'],
    ['1 - 2', ['number:1', 'op:-', 'number:2'], 'spaced minus is an operator'],
    ['1+-2', ['number:1', 'op:+', 'number:-2'], 'no + in the number class'],
    ['a -b', ['ident:a', 'negident:-b'], 'the minus sticks to a letter'],
    ['-`x y`', ['negident:-`x y`'], 'negated backtick identifier'],
    ['-select', ['negident:-select'], 'a negated keyword is a negated identifier'],
    ['0X10', ['number:0', 'ident:X10'], 'only a lowercase x makes hex'],
    ['0x1F', ['number:0x1F'], 'hex digits any case'],
    ['0x', ['number:0', 'ident:x'], '0x needs a digit'],
    ['1.', ['number:1', 'op:.'], '`1.` is 1 followed by a dot'],
    ['.5 -.5', ['number:.5', 'number:-.5'], 'leading dot'],
    ['1e3 1e-3 1e+3', ['number:1e3', 'number:1e-3', 'number:1e+3'], 'exponents'],
    ['1E3', ['number:1', 'ident:E3'], 'only a lowercase e makes an exponent'],
    ['1.x', ['number:1', 'op:.', 'ident:x'], 'member of a number'],
    ['selected', ['ident:selected'], 'keywords are whole words'],
    ['select_x', ['ident:select_x'], 'underscore is a word character'],
    ['SeLeCt from FROM', ['keyword(SELECT):SeLeCt', 'keyword(FROM):from', 'keyword(FROM):FROM'], 'case-insensitive'],
    ['group  \n\t by', ['keyword(GROUP BY):group  \n\t by'], 'GROUP BY across whitespace'],
    ['ORDER BY', ['keyword(ORDER BY):ORDER BY'], 'ORDER BY'],
    ['GROUP BYX', ['ident:GROUP', 'ident:BYX'], 'BY must be a whole word'],
    ['groupby', ['ident:groupby'], 'GROUP BY needs whitespace'],
    ['ASC BY LIKE', ['ident:ASC', 'ident:BY', 'ident:LIKE'], 'not keywords'],
    ['true False NULL', ['keyword(TRUE):true', 'keyword(FALSE):False', 'keyword(NULL):NULL'], 'literals'],
    ['a|b||c|||d', ['ident:a', 'keyword(OR):|', 'ident:b', 'keyword(OR):||', 'ident:c', 'keyword(OR):|||', 'ident:d'], 'pipe runs'],
    ['a&&b', ['ident:a', 'keyword(AND):&&', 'ident:b'], '&&'],
    ['<> != <= >= => =~ < > =', ['op:<>', 'op:!=', 'op:<=', 'op:>=', 'op:=>', 'op:=~', 'op:<', 'op:>', 'op:='], 'two-char operators'],
    ['a=-1', ['ident:a', 'op:=', 'number:-1'], 'no =- operator'],
    ['x=>x', ['ident:x', 'op:=>', 'ident:x'], 'lambda arrow'],
    ['% : , . ( ) { } [ ] + * /', ['op:%', 'op::', 'op:,', 'op:.', 'op:(', 'op:)', 'op:{', 'op:}', 'op:[', 'op:]', 'op:+', 'op:*', 'op:/'], 'single-char operators'],
    ["'-' 2", ['string:\'-\'', 'number:2'], 'a string then a number'],
    ["'''a''' ''", ["rawstring:'''a'''", "string:''"], 'raw string before string'],
    ['`a b`.c', ['ident:`a b`', 'op:.', 'ident:c'], 'backtick identifier'],
  ];
  for (const [source, expected, why] of table) {
    test(`${JSON.stringify(source)}: ${why}`, () => assert.deepEqual(shape(source), expected));
  }

  test('`1 -2` and `a -b` are parse errors that explain the minus', () => {
    for (const q of ['SELECT 1 -2 FROM scope()', 'SELECT a -b FROM scope()']) {
      assert.throws(() => parseStatement(q), (err: ParseError) => {
        assert.equal(err.code, 'ParseError');
        assert.match(err.message, /expected FROM after the column list, found '-(2|b)' \(a '-' directly before/);
        return true;
      });
    }
    assert.equal(parseExpression('1 + -2').kind, 'Binary');
  });

  test('numbers: 070 is octal, 08 and 1e3 are floats, 0x10 is hex', () => {
    assert.deepEqual(parseExpression('070'), { kind: 'Int', value: 56, span: { start: 0, end: 3 } });
    assert.deepEqual(parseExpression('0x10'), { kind: 'Int', value: 16, span: { start: 0, end: 4 } });
    assert.deepEqual(parseExpression('08'), { kind: 'Float', value: 8, span: { start: 0, end: 2 } });
    assert.deepEqual(parseExpression('1e3'), { kind: 'Float', value: 1000, span: { start: 0, end: 3 } });
    assert.throws(() => parseExpression('0X10'), { code: 'ParseError' });
  });

  test('tokens carry their source offsets', () => {
    const source = 'SELECT `a b`, -x FROM  scope() -- c\nWHERE "s" ';
    for (const t of lex(source)) assert.equal(source.slice(t.start, t.end), t.text);
  });

  test('comments are returned on request', () => {
    const tokens = lex('a /* b */ c // d\n-- e', { comments: true });
    assert.deepEqual(tokens.map((t) => `${t.kind}:${t.text}`), ['ident:a', 'comment:/* b */', 'ident:c', 'comment:// d', 'comment:-- e']);
  });
});

describe('strings (SPEC 2.4)', () => {
  const table: [string, string | number[]][] = [
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ['"a\\xag"', 'a\\xag'],
    ['"\\x41\\x4a"', 'AJ'],
    ['"\\xc3\\xa9"', 'é'],
    ['"é"', 'é'],
    ['"\\n\\r\\t\\\\"', '\n\r\t\\'],
    ['"\\a\\0\\u"', 'a0u'],
    ['"ab\\x4"', 'ab'],
    ['"ab\\x"', 'ab'],
    ['"line1\nline2"', 'line1\nline2'],
    ['"\\xff"', [255]],
    ['"a\\xffb"', [97, 255, 98]],
    ["'''raw \\x41 'q' \"d\"\n'''", "raw \\x41 'q' \"d\"\n"],
    ["''''''", ''],
  ];
  for (const [source, value] of table) {
    test(`${source} -> ${JSON.stringify(value)}`, () => {
      const tok = only(source);
      if (Array.isArray(value)) {
        assert.ok(tok.value instanceof Uint8Array, 'invalid UTF-8 stays bytes');
        assert.deepEqual([...tok.value], value);
      } else {
        assert.equal(tok.value, value);
      }
    });
  }

  test('the string literal keeps its raw text for canonical output', () => {
    const e = parseExpression('"\\xff"');
    assert.equal(e.kind, 'String');
    assert.equal(e.kind === 'String' && e.raw, '"\\xff"');
    assert.deepEqual(e.kind === 'String' && [...(e.value as Uint8Array)], [255]);
  });
});

describe('backtick identifiers (SPEC 2.3)', () => {
  const table: [string, string][] = [
    ['`Hello World`', 'Hello World'],
    ['`a\\x41`', 'aA'],
    ['`a\\nb\\tc\\\\`', 'a\nb\tc\\'],
    ['`\\u00e9`', 'é'],
    ['`X.Y`', 'X.Y'],
    ['`bad\\q`', 'bad\\q'],
    ['`line\nbreak`', 'line\nbreak'],
  ];
  for (const [source, name] of table) {
    test(`${source} names ${JSON.stringify(name)}`, () => {
      const tok = only(source);
      assert.equal(tok.kind, 'ident');
      assert.equal(tok.value, name);
    });
  }

  test('a negated backtick identifier decodes without the minus', () => {
    const tok = only('-`a\\x41`');
    assert.equal(tok.kind, 'negident');
    assert.equal(tok.value, 'aA');
  });
});

describe('lexical errors', () => {
  const table: [string, RegExp, number][] = [
    ['SELECT 1 FROM scope();', /^unexpected character ';' \(VQL has no statement separator\)$/, 21],
    ["SELECT 'abc FROM x", /^unterminated string \(missing closing '\)$/, 7],
    ['SELECT "abc\\" FROM x', /^unterminated string/, 7],
    ["x = '''abc", /^unterminated raw string/, 4],
    ['a /* b', /^unterminated block comment/, 2],
    ['`abc', /^unterminated backtick identifier/, 0],
    ['x + ``', /^empty backtick identifier/, 4],
    ['a @ b', /^unexpected character '@'$/, 2],
    ['a ! b', /^unexpected character '!' \(use != for not-equal, or NOT to negate\)$/, 2],
    ['a & b', /^unexpected character '&' \(use && or AND\)$/, 2],
    ['a # b', /comments start with/, 2],
    ['café', /^unexpected character 'é' \(non-ASCII characters are allowed only inside strings/, 3],
    ['a $ b', /^unexpected character '\$'$/, 2],
  ];
  for (const [source, message, offset] of table) {
    test(`${JSON.stringify(source)}`, () => {
      const err = lexError(source);
      assert.match(err.message, message);
      assert.equal(err.span!.start, offset);
    });
  }

  test('formatError shows line, column and a caret', () => {
    const err = lexError('SELECT *\nFROM scope();');
    assert.equal(
      formatError(err),
      "unexpected character ';' (VQL has no statement separator) (line 2, col 13)\nFROM scope();\n            ^",
    );
  });

  test('an unterminated string points at its opening quote', () => {
    const err = lexError('SELECT 1,\n  "abc FROM x');
    assert.equal(formatError(err), 'unterminated string (missing closing ") (line 2, col 3)\n  "abc FROM x\n  ^');
  });
});
