import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Column, Statement } from '../../main/vql/ast/nodes.ts';
import { formatFloat } from '../../main/vql/ast/format.ts';
import { stripSpans } from '../../main/vql/ast/walk.ts';
import {
  columnName,
  formatExpr,
  formatScript,
  formatSelect,
  formatStatement,
  parseExpression,
  parseScript,
  parseStatement,
} from '../../main/vql/parse.ts';

interface Case {
  id: string;
  list: 'vql' | 'multi';
  name: string;
  query: string;
  expected: unknown;
  golden_key?: string;
  golden_keys?: string[];
}

const CONFORMANCE = new URL('../../../shared/vql/conformance/cases.json', import.meta.url);
const VELOCIRAPTOR = new URL('../../../shared/velociraptor-testcases/cases.json', import.meta.url);

/** The cases of a shared vector file, or undefined when ../shared is not checked out. */
function loadCases(url: URL): Case[] | undefined {
  if (!existsSync(url)) return undefined;
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: Case[] }).cases;
}

function skipMessage(url: URL): string {
  return `../shared is absent: ${fileURLToPath(url)} not found`;
}

/** The statements of a case: one for `vql` cases, a script for `multi` ones. */
function statementsOf(c: Case): readonly Statement[] {
  return c.list === 'vql' ? [parseStatement(c.query)] : parseScript(c.query).statements;
}

/**
 * The canonical statement text of a golden key `NNN name: text` / `NNN/SSS name: text`. Case
 * names may themselves contain ': ' ("Aggregate functions: min max"), so the prefix is cut
 * using the case name rather than at the first ': '.
 */
function goldenText(key: string, name: string): string {
  const marker = ` ${name}: `;
  const at = key.indexOf(marker);
  assert.ok(at > 0, `golden key ${JSON.stringify(key)} does not contain the case name`);
  return key.slice(at + marker.length);
}

/** Expected rows per statement (vql: the single value; multi: one value per statement). */
function expectedPerStatement(c: Case): unknown[] {
  return c.list === 'vql' ? [c.expected] : (c.expected as unknown[]);
}

function rowKeys(rows: unknown): Set<string> | undefined {
  if (!Array.isArray(rows) || rows.length === 0) return undefined;
  const keys = new Set<string>();
  for (const row of rows) {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) return undefined;
    for (const k of Object.keys(row)) keys.add(k);
  }
  return keys;
}

function unaliased(st: Statement): Column[] {
  return st.kind === 'Select' ? st.columns.filter((c) => c.kind === 'Column' && !c.alias) : [];
}

describe('canonical text matches the reference golden keys (conformance/cases.json)', () => {
  const cases = loadCases(CONFORMANCE);
  if (!cases) {
    test('golden keys', (t) => t.skip(skipMessage(CONFORMANCE)));
    return;
  }
  for (const c of cases) {
    test(`${c.id} ${c.name}`, () => {
      const keys = c.list === 'vql' ? [c.golden_key!] : c.golden_keys!;
      const statements = statementsOf(c);
      assert.equal(statements.length, keys.length, 'statement count');
      statements.forEach((st, i) => assert.equal(formatStatement(st), goldenText(keys[i]!, c.name)));
    });
  }

  test('unaliased column names appear in the expected rows', () => {
    let checked = 0;
    for (const c of cases) {
      const expected = expectedPerStatement(c);
      statementsOf(c).forEach((st, i) => {
        const keys = rowKeys(expected[i]);
        if (!keys) return;
        for (const col of unaliased(st)) {
          assert.ok(keys.has(columnName(col)), `${c.id}/${i}: ${columnName(col)} not in ${[...keys].join(' | ')}`);
          checked++;
        }
      });
    }
    assert.ok(checked > 40, `checked ${checked} columns`);
  });
});

describe('column names match Velociraptor row keys (velociraptor-testcases/cases.json)', () => {
  const cases = loadCases(VELOCIRAPTOR);
  if (!cases) {
    test('column names', (t) => t.skip(skipMessage(VELOCIRAPTOR)));
    return;
  }
  for (const c of cases) {
    test(`${c.id}`, () => {
      const expected = expectedPerStatement(c);
      const statements = parseScript(c.query).statements;
      assert.equal(statements.length, expected.length, 'statement count');
      statements.forEach((st, i) => {
        const keys = rowKeys(expected[i]);
        if (!keys) return;
        for (const col of unaliased(st)) {
          assert.ok(keys.has(columnName(col)), `statement ${i}: ${JSON.stringify(columnName(col))} not in ${[...keys].join(' | ')}`);
        }
      });
    });
  }
});

describe('round trip: parse(format(parse(q))) equals parse(q), ignoring spans', () => {
  for (const url of [CONFORMANCE, VELOCIRAPTOR]) {
    const cases = loadCases(url);
    if (!cases) {
      test(fileURLToPath(url), (t) => t.skip(skipMessage(url)));
      continue;
    }
    test(`${cases.length} cases of ${url.pathname.split('/').slice(-2).join('/')}`, () => {
      for (const c of cases) {
        const script = parseScript(c.query);
        for (const st of script.statements) {
          const text = formatStatement(st);
          assert.deepEqual(stripSpans(parseStatement(text)), stripSpans(st), `${c.id}: ${text}`);
        }
        const again = parseScript(formatScript(script));
        assert.deepEqual(stripSpans(again.statements), stripSpans(script.statements), c.id);
      }
    });
  }
});

describe('canonical rendering rules (SPEC 15)', () => {
  const expressions: [string, string][] = [
    ['0x10', '16'],
    ['070', '56'],
    ['-4', '-4'],
    ['9223372036854775807', '9223372036854775807'],
    ['1e3', '1000.0'],
    ['08', '8.0'],
    ['2.0', '2.0'],
    ['12.232', '12.232'],
    ['1118628985.0', '1118628985.0'],
    ['1e-7', '0.0000001'],
    ['1.5e21', '1500000000000000000000.0'],
    ['-0.0', '-0.0'],
    ['99999999999999999999', '100000000000000000000.0'],
    ["'foo\\'s quote'", "'foo\\'s quote'"],
    ['"\\x01\\xf0"', '"\\x01\\xf0"'],
    ["'''raw\nline'''", "'''raw\nline'''"],
    ['false', 'false'],
    ['True', 'True'],
    ['null', 'NULL'],
    ['a and b AND c && d', 'a  and b  AND c  && d'],
    ['0 and not foo=2', '0  and NOT foo = 2'],
    ['TRUE && 1 || 2', 'TRUE  && 1 || 2'],
    ['a or b|c|||d', 'a or b | c ||| d'],
    ['x in (1,2)', 'x IN (1, 2)'],
    ['x In y', 'x IN y'],
    ['a<>b', 'a <> b'],
    ['a=~"x"', 'a =~ "x"'],
    ['1 = 1 = 2', '1 = 2'],
    ['(1,)', '(1, )'],
    ['(dict(Foo=12),)', '(dict(Foo=12), )'],
    ['((FALSE && 1) || 2)', '((FALSE  && 1) || 2)'],
    ['X[1:Y]', 'X[1: Y]'],
    ['X[:Y]', 'X[: Y]'],
    ['X[1:-Y]', 'X[1: -Y]'],
    ['X[1:5]', 'X[1:5]'],
    ['X[-5:]', 'X[-5:]'],
    ['X[:]', 'X[:]'],
    ['X[]', 'X[]'],
    ['X [ 0 ] . bar', 'X[0].bar'],
    ['X.`Hello World`', 'X.`Hello World`'],
    ['-`x y`', '-`x y`'],
    ['Foo(`X.Y` = 3)', 'Foo(`X.Y`=3)'],
    ['f( )', 'f()'],
    ['f(a=[1,2], b=[], c=[x], d=[x,])', 'f(a=[1, 2], b=[], c=[x], d=[x, ])'],
    ['f(q={select * from x order by y desc limit 1})', 'f(q={ SELECT * FROM x ORDER BY y DESC LIMIT 1  })'],
    ['f(q={select * from x order by y desc})', 'f(q={ SELECT * FROM x ORDER BY y DESC  })'],
    ['1+2*3', '1 + 2 * 3'],
    ['1 + -2', '1 + -2'],
    ['a - -b', 'a - -b'],
  ];
  for (const [source, canonical] of expressions) {
    test(`${source}  ->  ${canonical}`, () => {
      const e = parseExpression(source);
      assert.equal(formatExpr(e), canonical);
      assert.deepEqual(stripSpans(parseExpression(formatExpr(e))), stripSpans(e));
    });
  }

  const statements: [string, string][] = [
    ['select * from test() where a, b group by c, order by d desc limit 2', 'SELECT * FROM test() WHERE a, b GROUP BY c, ORDER BY d DESC LIMIT 2'],
    ['select * x from y', 'SELECT *, x FROM y'],
    ['select from y', 'SELECT FROM y'],
    ['select *, from y', 'SELECT * FROM y'],
    ['explain select 1 from y', 'EXPLAIN SELECT 1 FROM y'],
    ['let F(X = 2, Y ) = X+Y', 'LET F(X=2, Y) = X + Y'],
    ['let f() <= 1', 'LET f() <= 1'],
    ['let q(a=[1],b={select * from x limit 0x1}) = select * from y', 'LET q(a=[1], b={ SELECT * FROM x LIMIT 1  }) = SELECT * FROM y'],
    ['select bar, {select * from dict(column=bar)} as Query from test()', 'SELECT bar, { SELECT * FROM dict(column=bar) } AS Query FROM test()'],
    ['select a AS `b c` from `my plugin`.x(`odd key`=1)', 'SELECT a AS `b c` FROM `my plugin`.x(`odd key`=1)'],
  ];
  for (const [source, canonical] of statements) {
    test(`${source}  ->  ${canonical}`, () => {
      const st = parseStatement(source);
      assert.equal(formatStatement(st), canonical);
      if (st.kind === 'Select') assert.equal(formatSelect(st), canonical);
      assert.deepEqual(stripSpans(parseStatement(canonical)), stripSpans(st));
    });
  }

  test('comments and layout are dropped; a script has one statement per line', () => {
    const script = parseScript('-- first\nLET X = 1 /* two */\n\n  select X\n FROM scope() // end');
    assert.equal(formatScript(script), 'LET X = 1\nSELECT X FROM scope()');
  });

  test('formatFloat uses Go shortest digits without exponent', () => {
    assert.equal(formatFloat(0.1 + 0.2), '0.30000000000000004');
    assert.equal(formatFloat(1e21), '1000000000000000000000.0');
    assert.equal(formatFloat(-1.25e-10), '-0.000000000125');
    assert.equal(formatFloat(5e-324), '0.' + '0'.repeat(323) + '5');
  });
});

describe('columnName (SPEC 15)', () => {
  const table: [string, string][] = [
    ['SELECT `Hello World` FROM x', 'Hello World'],
    ['SELECT X.`Hello World` FROM x', 'X.`Hello World`'],
    ["SELECT 'foo\\'s quote' FROM x", "'foo\\'s quote'"],
    ['SELECT x AS `Foo Bar` FROM x', 'Foo Bar'],
    ['SELECT x AS y FROM x', 'y'],
    ['SELECT X[1:Y] FROM x', 'X[1: Y]'],
    ['SELECT array(a=[1,2], b=[3,4]) FROM x', 'array(a=[1, 2], b=[3, 4])'],
    ['SELECT ("Exchange",) FROM x', '("Exchange", )'],
    ['SELECT {SELECT * FROM test() LIMIT 1} FROM x', '{ SELECT * FROM test() LIMIT 1  }'],
    ['SELECT -`x` FROM y', '-`x`'],
    ['SELECT * FROM x', '*'],
  ];
  for (const [source, name] of table) {
    test(`${source}  ->  ${JSON.stringify(name)}`, () => {
      const st = parseStatement(source);
      assert.ok(st.kind === 'Select');
      assert.equal(columnName(st.columns[0]!), name);
    });
  }
});
