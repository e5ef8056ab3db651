import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr, Let, Select, Statement } from '../../main/vql/ast/nodes.ts';
import { children, stripSpans, walk } from '../../main/vql/ast/walk.ts';
import { formatError, type ParseError } from '../../main/vql/errors.ts';
import { formatExpr, formatStatement, parseExpression, parseLambda, parseScript, parseStatement } from '../../main/vql/parse.ts';

/** A compact, span-free rendering of an expression's structure for precedence tests. */
function tree(e: Expr): string {
  switch (e.kind) {
    case 'Int':
    case 'Float':
      return String(e.value);
    case 'String':
    case 'Bool':
      return e.raw;
    case 'Null':
      return 'NULL';
    case 'Symbol': {
      const name = (e.negated ? '-' : '') + e.parts.map((p) => p.raw).join('.');
      return e.args ? `${name}(${e.args.map((a) => `${a.name.raw}=${'kind' in a.value && a.value.kind === 'Subquery' ? '{}' : a.value.kind === 'ArrayArg' ? `Array[${a.value.items.map(tree).join(',')}${a.value.trailingComma ? ',' : ''}]` : tree(a.value)}`).join(',')})` : name;
    }
    case 'Paren':
      return `Paren(${e.items.map(tree).join(',')}${e.trailingComma ? ',' : ''})`;
    case 'List':
      return `List(${e.items.map(tree).join(',')}${e.trailingComma ? ',' : ''})`;
    case 'Binary':
      return `${e.op}(${tree(e.left)},${tree(e.right)})`;
    case 'Not':
      return `Not(${tree(e.operand)})`;
    case 'Or':
    case 'And':
      return `${e.kind}[${e.ops.join(' ')}](${e.operands.map(tree).join(',')})`;
    case 'Member':
      return `Member(${tree(e.object)}.${e.member.raw})`;
    case 'Index':
      return `Index(${tree(e.object)}[${e.index ? tree(e.index) : ''}])`;
    case 'Slice':
      return `Slice(${tree(e.object)}[${e.start ? tree(e.start) : ''}:${e.end ? tree(e.end) : ''}])`;
  }
}

function select(q: string): Select {
  const st = parseStatement(q);
  assert.equal(st.kind, 'Select');
  return st as Select;
}

function parseError(run: () => unknown): ParseError {
  try {
    run();
  } catch (err) {
    assert.equal((err as ParseError).code, 'ParseError', `expected a ParseError, got ${String(err)}`);
    assert.ok((err as ParseError).span, 'ParseError has a span');
    return err as ParseError;
  }
  assert.fail('expected a ParseError');
}

describe('precedence (SPEC 3.2)', () => {
  const table: [string, string][] = [
    ['FALSE AND 5 OR 4', 'And[AND](FALSE,Or[OR](5,4))'],
    ['a OR b AND c', 'And[AND](Or[OR](a,b),c)'],
    ['a || b && c | d', 'And[&&](Or[||](a,b),Or[|](c,d))'],
    ['a or b OR c ||| d', 'Or[or OR |||](a,b,c,d)'],
    ['NOT a = b', 'Not(=(a,b))'],
    ['NOT a = b AND c', 'And[AND](Not(=(a,b)),c)'],
    ['NOT NOT a', 'Not(Not(a))'],
    ['NOT a OR b', 'Or[OR](Not(a),b)'],
    ['1 + 2 * 3 - 4 / 5', '-(+(1,*(2,3)),/(4,5))'],
    ['a + b = c - d', '=(+(a,b),-(c,d))'],
    ['1 = 1 = 2', '=(1,2)'],
    ['a < b > c IN d', 'IN(a,d)'],
    ['x in (1, 2)', 'IN(x,Paren(1,2))'],
    ['a =~ "x" AND b != c', 'And[AND](=~(a,"x"),!=(b,c))'],
    ['a <> b', '<>(a,b)'],
    ['1 + -2', '+(1,-2)'],
    ['x[0] * 2', '*(Index(x[0]),2)'],
    ['2 * (x[0])', '*(2,Paren(Index(x[0])))'],
    ['-x.y', '-x.y'],
    ['-f(a=1)', '-f(a=1)'],
    ['(x)', 'Paren(x)'],
    ['(x,)', 'Paren(x,)'],
    ['(1, 2, )', 'Paren(1,2,)'],
    ['a.b(x=1)', 'a.b(x=1)'],
    ['a.b.c', 'a.b.c'],
    ['f(a=1).x', 'Member(f(a=1).x)'],
    ['f(a=1).x.y', 'Member(Member(f(a=1).x).y)'],
    ['(m[3]).Foo', 'Member(Paren(Index(m[3])).Foo)'],
    ['X[1].bar', 'Member(Index(X[1]).bar)'],
    ['X[1:5]', 'Slice(X[1:5])'],
    ['X[-5:]', 'Slice(X[-5:])'],
    ['X[:5]', 'Slice(X[:5])'],
    ['X[:]', 'Slice(X[:])'],
    ['X[]', 'Index(X[])'],
    ['Foo[-X:]', 'Slice(Foo[-X:])'],
    ['X[Index(X=2)]', 'Index(X[Index(X=2)])'],
    ['X[(i + 1)]', 'Index(X[Paren(+(i,1))])'],
    ['x[0][1:2]', 'Slice(Index(x[0])[1:2])'],
    ['1.x', 'Member(1.x)'],
    ['"s".x', 'Member("s".x)'],
    ['`a b`.`c`', '`a b`.`c`'],
    ['f()', 'f()'],
    ['f(a=[x])', 'f(a=Array[x])'],
    ['f(a=[x,])', 'f(a=Array[x,])'],
    ['f(a=[])', 'f(a=Array[])'],
    ['f(a={SELECT * FROM x})', 'f(a={})'],
    ['TRUE && NULL', 'And[&&](TRUE,NULL)'],
  ];
  for (const [source, expected] of table) {
    test(`${source}  =>  ${expected}`, () => assert.equal(tree(parseExpression(source)), expected));
  }

  test('[x] keeps its brackets: one item, no trailing comma; [x,] has one', () => {
    const call = parseExpression('f(a=[x], b=[x,], c=[])');
    assert.equal(call.kind, 'Symbol');
    const [a, b, c] = call.kind === 'Symbol' ? call.args! : [];
    assert.deepEqual(stripSpans(a!.value), { kind: 'ArrayArg', items: [{ kind: 'Symbol', parts: [{ name: 'x', raw: 'x' }], negated: false }], trailingComma: false });
    assert.deepEqual(stripSpans(b!.value), { kind: 'ArrayArg', items: [{ kind: 'Symbol', parts: [{ name: 'x', raw: 'x' }], negated: false }], trailingComma: true });
    assert.deepEqual(stripSpans(c!.value), { kind: 'ArrayArg', items: [], trailingComma: false });
  });

  test('2 * x[0] does not parse (the right operand of * is a primary)', () => {
    const err = parseError(() => parseExpression('2 * x[0]'));
    assert.match(err.message, /right operand of '\*' must be a single value/);
  });
});

describe('numbers (SPEC 2.2)', () => {
  const table: [string, string, number | bigint][] = [
    ['0', 'Int', 0],
    ['-0', 'Int', 0],
    ['-4', 'Int', -4],
    ['0x10', 'Int', 16],
    ['-0x10', 'Int', -16],
    ['070', 'Int', 56],
    ['-070', 'Int', -56],
    ['00', 'Int', 0],
    ['08', 'Float', 8],
    ['-09', 'Float', -9],
    ['1.5', 'Float', 1.5],
    ['.5', 'Float', 0.5],
    ['1e3', 'Float', 1000],
    ['9007199254740991', 'Int', 9007199254740991],
    ['9007199254740993', 'Int', 9007199254740993n],
    ['9223372036854775807', 'Int', 9223372036854775807n],
    ['-9223372036854775808', 'Int', -9223372036854775808n],
    ['0x7fffffffffffffff', 'Int', 9223372036854775807n],
    ['0777777777777777777777', 'Int', 9223372036854775807n],
    ['9223372036854775808', 'Float', 9223372036854775808],
    ['99999999999999999999', 'Float', 1e20],
  ];
  for (const [source, kind, value] of table) {
    test(`${source} is ${kind} ${value}`, () => {
      const e = parseExpression(source);
      assert.equal(e.kind, kind);
      assert.equal((e as { value: unknown }).value, value);
    });
  }

  test('hex beyond int64 and floats beyond float64 are errors', () => {
    assert.match(parseError(() => parseExpression('0x10000000000000000')).message, /does not fit in a 64-bit integer/);
    assert.match(parseError(() => parseExpression('1e999')).message, /out of range/);
  });
});

describe('statements', () => {
  test('SELECT with every clause', () => {
    const s = select('EXPLAIN EXPLAIN select a AS b, * FROM p.q(x=1) WHERE a, b GROUP BY c ORDER BY `d e` DESC LIMIT 0x10');
    assert.equal(s.explain, 2);
    assert.deepEqual(s.columns.map((c) => c.kind), ['Column', 'Star']);
    assert.deepEqual(stripSpans(s.from), { parts: [{ name: 'p', raw: 'p' }, { name: 'q', raw: 'q' }], args: [{ name: { name: 'x', raw: 'x' }, value: { kind: 'Int', value: 1 } }] });
    assert.equal(tree(s.where!), 'List(a,b)');
    assert.equal(tree(s.groupBy!), 'c');
    assert.deepEqual(s.orderBy, { column: { name: 'd e', raw: '`d e`' }, desc: true });
    assert.equal(s.limit, 16);
  });

  test('SELECT * x FROM and SELECT FROM are accepted (SPEC 3.3)', () => {
    assert.deepEqual(select('SELECT * x FROM scope()').columns.map((c) => c.kind), ['Star', 'Column']);
    assert.deepEqual(select('SELECT *, FROM scope()').columns.map((c) => c.kind), ['Star']);
    assert.deepEqual(select('SELECT 1, *, 2 FROM X').columns.map((c) => c.kind), ['Column', 'Star', 'Column']);
    assert.deepEqual(select('SELECT FROM scope()').columns, []);
  });

  test('a {SELECT} column and WHERE with a trailing comma', () => {
    const s = select('SELECT {SELECT * FROM x LIMIT 1} AS Q FROM y WHERE a,');
    const col = s.columns[0]!;
    assert.ok(col.kind === 'Column' && col.expr.kind === 'Subquery' && col.expr.select.limit === 1);
    assert.equal(tree(s.where!), 'List(a,)');
  });

  test('LET forms', () => {
    const cases: [string, Partial<Let> & { bodyKind: string }][] = [
      ['LET X = 1', { materialize: false, bodyKind: 'Int' }],
      ['LET X <= SELECT * FROM y', { materialize: true, bodyKind: 'Select' }],
      ['LET X = EXPLAIN SELECT * FROM y', { materialize: false, bodyKind: 'Select' }],
      ['LET f() = 1', { materialize: false, bodyKind: 'Int' }],
    ];
    for (const [q, want] of cases) {
      const st = parseStatement(q) as Let;
      assert.equal(st.kind, 'Let');
      assert.equal(st.materialize, want.materialize, q);
      assert.equal(st.body.kind, want.bodyKind, q);
    }
    const f = parseStatement('LET F(X = 2, Y, Z=[1,2], Q={SELECT * FROM x}) = X+Y') as Let;
    assert.deepEqual(f.params!.map((p) => [p.name.raw, p.default?.kind]), [['X', 'Int'], ['Y', undefined], ['Z', 'ArrayArg'], ['Q', 'Subquery']]);
    assert.equal((parseStatement('LET f() = 1') as Let).params!.length, 0);
    assert.equal((parseStatement('LET f = 1') as Let).params, undefined);
  });

  test('LIMIT takes an integer literal', () => {
    assert.equal(select('SELECT * FROM x LIMIT 070').limit, 56);
    assert.equal(select('SELECT * FROM x LIMIT 0').limit, 0);
    assert.match(parseError(() => parseStatement('SELECT * FROM x LIMIT 1.5')).message, /^LIMIT takes an integer, found '1\.5'$/);
    assert.match(parseError(() => parseStatement('SELECT * FROM x LIMIT y')).message, /^expected an integer after LIMIT, found 'y'$/);
  });

  test('scripts have no separators; parseStatement takes exactly one', () => {
    const script = parseScript('LET X = SELECT * FROM test() SELECT X[0] FROM scope() SELECT * FROM X');
    assert.deepEqual(script.statements.map((s) => s.kind), ['Let', 'Select', 'Select']);
    assert.equal(script.source, 'LET X = SELECT * FROM test() SELECT X[0] FROM scope() SELECT * FROM X');
    const err = parseError(() => parseStatement('SELECT * FROM a SELECT * FROM b'));
    assert.match(err.message, /^expected end of input after the statement .*found 'SELECT'$/);
  });

  test('lambdas', () => {
    const l = parseLambda("x, `y z` => x.Y =~ 'Hel|Worl'");
    assert.deepEqual(l.params, [{ name: 'x', raw: 'x' }, { name: 'y z', raw: '`y z`' }]);
    assert.equal(tree(l.body), `=~(x.Y,'Hel|Worl')`);
    assert.equal(tree(parseLambda('x=>log(message="%v", dedup= -1) && (x + 5)').body), 'And[&&](log(message="%v",dedup=-1),Paren(+(x,5)))');
    assert.match(parseError(() => parseLambda('x y => 1')).message, /^expected '=>' after the lambda parameters, found 'y'$/);
  });

  test('spans cover the source text of each node', () => {
    const source = 'SELECT f(a=1).x AS y, X[1: Y] FROM scope() WHERE NOT a = b';
    const s = select(source);
    assert.deepEqual(s.span, { start: 0, end: source.length });
    const texts: string[] = [];
    walk(s, (node) => {
      if ('span' in node) texts.push(source.slice(node.span.start, node.span.end));
    });
    assert.deepEqual(texts, [
      source,
      'f(a=1).x AS y',
      'f(a=1).x',
      'f(a=1)',
      '1',
      'X[1: Y]',
      'X[1: Y]',
      'X',
      '1',
      'Y',
      'NOT a = b',
      'a = b',
      'a',
      'b',
    ]);
  });

  test('walk can skip subtrees and children lists direct children', () => {
    const s = select('SELECT f(a={SELECT g(b=1) FROM x}) FROM y(c=2)');
    const calls: string[] = [];
    walk(s, (node) => {
      if (node.kind === 'Symbol' && node.args) calls.push(node.parts[0]!.name);
      return node.kind !== 'Subquery';
    });
    assert.deepEqual(calls, ['f']);
    assert.deepEqual(children(s).map((n) => n.kind), ['Column', 'Int']);
  });
});

describe('parse errors name what was expected and what was found', () => {
  const table: [string, RegExp][] = [
    ['SELECT * WHERE x', /^expected FROM after the column list, found 'WHERE'$/],
    ['SELECT 1 2 FROM x', /^expected FROM after the column list, found '2' \(is a ',' missing between columns\?\)$/],
    ['SELECT 1, FROM x', /^expected a column after ',', found 'FROM'$/],
    ['SELECT 1', /^expected FROM after the column list, found end of input$/],
    ['SELECT * FROM', /^expected a plugin or query name after FROM, found end of input$/],
    ['SELECT * FROM x LIMIT 1 WHERE a', /^expected SELECT or LET to start a statement, found 'WHERE' \(clauses go in the order/],
    ['SELECT * FROM f(1)', /^positional argument: calls take named arguments only, like f\(name=value\)$/],
    ['SELECT * FROM f(a=1, b)', /^positional argument/],
    ['SELECT f("x") FROM y', /^positional argument/],
    ['SELECT * FROM f(a=1,)', /^expected an argument name after ',', found '\)'$/],
    ['SELECT * FROM f(a=1 b=2)', /^expected ',' or '\)' after the argument, found 'b'$/],
    ['SELECT * FROM f(a={SELECT * FROM x} + 1)', /must be the whole argument value/],
    ['SELECT * FROM f(select=1)', /^expected an argument name, found 'select' \('select' is a keyword: write `select` in backticks/],
    ['SELECT foo.select FROM x', /^expected a name after '\.', found 'select' \('select' is a keyword/],
    ['SELECT -(a + b) FROM x', /^expected an expression after 'SELECT', found '-' \(there is no unary minus/],
    ['SELECT x IN [1, 2] FROM y', /^expected an expression after 'IN', found '\[' \(an array \[\.\.\.\] is allowed only as a whole argument value/],
    ['SELECT 1 + {SELECT 1 FROM x} FROM y', /^expected an expression after '\+', found '\{' \(a \{SELECT \.\.\.\} subquery is allowed only/],
    ['SELECT {SELECT 1 FROM x} + 1 FROM y', /^expected FROM after the column list, found '\+' \(a \{SELECT \.\.\.\} column must be the whole column/],
    ['SELECT x[i + 1] FROM y', /^expected '\]' to close the index, found '\+' \(index and slice bounds are single values/],
    ['SELECT (1,,2) FROM y', /^expected an expression between the commas/],
    ['SELECT () FROM y', /^expected an expression after '\(' \(an empty tuple/],
    ['SELECT (1 FROM y', /^expected '\)' to close '\(', found 'FROM'$/],
    ['SELECT * FROM f(a={SELECT * FROM x LIMIT 1 WHERE y})', /^expected '\}' to close the subquery, found 'WHERE' \(clauses go in the order/],
    ['LET = 1', /^expected a name after LET, found '='$/],
    ['LET X 1', /^expected '=' or '<=' after LET X, found '1'$/],
    ['LET X(a,) = 1', /^expected a parameter name after ',', found '\)'$/],
    ['LET X = ', /^expected an expression after '=', found end of input$/],
    ['WHERE x', /^expected SELECT or LET to start a statement, found 'WHERE'/],
    ['', /^expected SELECT or LET to start a statement, found end of input$/],
    ['EXPLAIN LET', /^expected SELECT after EXPLAIN, found 'LET'$/],
    ['SELECT * FROM x ORDER BY a + b', /^expected SELECT or LET to start a statement, found '\+'$/],
    ['SELECT * FROM x ORDER BY 1', /^expected a column name after ORDER BY/],
    ['SELECT * FROM x GROUP BY', /^expected an expression after 'GROUP BY', found end of input$/],
  ];
  for (const [source, message] of table) {
    test(JSON.stringify(source), () => assert.match(parseError(() => parseScript(source)).message, message));
  }

  test('formatError points at the offending token', () => {
    const err = parseError(() => parseStatement('SELECT *\n  WHERE x = 1'));
    assert.equal(formatError(err), "expected FROM after the column list, found 'WHERE' (line 2, col 3)\n  WHERE x = 1\n  ^^^^^");
    const pos = parseError(() => parseStatement('SELECT *\nFROM info(1, a=2)'));
    assert.equal(
      formatError(pos),
      'positional argument: calls take named arguments only, like f(name=value) (line 2, col 11)\nFROM info(1, a=2)\n          ^',
    );
  });

  test('the first problem in the text is reported, lexical or not', () => {
    assert.throws(() => parseStatement("SELECT foo bar FROM x WHERE name = 'abc"), { code: 'ParseError', message: /found 'bar'/ });
    assert.throws(() => parseStatement("SELECT foo FROM x WHERE name = 'abc"), { code: 'LexError', message: /^unterminated string/ });
    assert.throws(() => parseScript('SELECT 1 FROM x; SELECT 2 FROM y'), { code: 'LexError', message: /no statement separator/ });
    assert.throws(() => parseLambda('x => x @ 1'), { code: 'LexError' });
  });

  test('deep nesting is a ParseError, not a stack overflow', () => {
    const deep = '('.repeat(5000) + '1' + ')'.repeat(5000);
    assert.match(parseError(() => parseExpression(deep)).message, /nested too deeply/);
    assert.match(parseError(() => parseExpression('NOT '.repeat(5000) + 'x')).message, /nested too deeply/);
    assert.equal(formatExpr(parseExpression('('.repeat(50) + '1' + ')'.repeat(50))), '('.repeat(50) + '1' + ')'.repeat(50));
  });
});

describe('performance', () => {
  test('parsing a 1 KB query takes well under a millisecond', () => {
    const columns = Array.from({ length: 18 }, (_, i) => `format(format="%v-%v", args=[x${i}, y.z[${i}]]) AS C${i}`);
    const query = `SELECT ${columns.join(', ')} FROM foreach(row={ SELECT * FROM range(start=0, end=10) }, query={ SELECT _value FROM scope() }) WHERE a = 1 AND b =~ 'x' OR NOT c LIMIT 10`;
    assert.ok(query.length >= 1000, `query is ${query.length} bytes`);
    let statement: Statement | undefined;
    for (let i = 0; i < 200; i++) statement = parseStatement(query); // warm up
    const runs = 500;
    const start = performance.now();
    for (let i = 0; i < runs; i++) statement = parseStatement(query);
    const perParse = (performance.now() - start) / runs;
    assert.ok(perParse < 0.5, `parse took ${perParse.toFixed(3)} ms`);
    assert.equal(parseStatement(formatStatement(statement!)).kind, 'Select');
  });
});
