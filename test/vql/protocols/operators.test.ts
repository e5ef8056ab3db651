// Table-driven operator tests: rows of [query expression, expected JSON], from SPEC section 9
// and its quirk checklist (section 18). Evaluated through the public API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, toJSON } from '../../../main/vql/index.ts';

const table: Array<[string, string]> = [
  // AND / OR values and precedence (9.2, 9.3, 3.2)
  ['FALSE AND 5 OR 4', 'false'],
  ['(FALSE AND 5) OR 4', 'true'],
  ['1 OR 0', '1'],
  ["NULL || ''", '""'],
  ['NULL || FALSE', 'false'],
  ['0 OR NULL', 'null'],
  ["TRUE && 'XX'", '"XX"'],
  ["'A' && FALSE", 'false'],
  ['0 OR 5', 'true'],
  ['0 || 5', '5'],
  // truthiness (9.1)
  ['NOT -1', 'true'],
  ['NOT 0.5', 'false'],
  ["NOT ''", 'true'],
  // equality (9.5)
  ["1 = 'foo'", 'false'],
  ['TRUE = 1', 'true'],
  ['TRUE = 1.5', 'true'],
  ['1 = 1.0', 'true'],
  ['1 <> 2', 'false'],
  ['1 != 2', 'true'],
  ['dict(X=1, Y=2) = dict(Y=2, X=1)', 'true'],
  ['(1, 2) = (1, 2)', 'true'],
  ['NULL = NULL', 'true'],
  // ordering (9.6, 9.7)
  ["'abc' < 5", 'true'],
  ["'abc' > 5", 'true'],
  ['2 > TRUE', 'false'],
  ['TRUE > 0', 'false'],
  ['FALSE > 1', 'true'],
  ['1 >= TRUE', 'true'],
  ["'a' < 'b'", 'true'],
  ['NULL < 1', 'false'],
  ['1.5 < 2', 'true'],
  // arithmetic (9.8)
  ['1 + TRUE', 'null'],
  ['1.5 + TRUE', '2.5'],
  ['TRUE - 1', '0'],
  ['4 / 2', '2'],
  ['4 / 3', '1.3333333333333333'],
  ['1 / 0', 'null'],
  ['(1, 2) + 3', '[1,2,3]'],
  ['1 + (3, 4)', '[1,3,4]'],
  ['(1, 2) + NULL', '[1,2,null]'],
  ['NULL + (1, 2)', 'null'],
  ["'ab' * 3", '"ababab"'],
  ["3 * 'ab'", 'null'],
  ["'a' + 1", 'null'],
  ['1 + -2', '-1'],
  ['9223372036854775807 + 1', '-9223372036854775808'],
  ['4611686018427387904 * 2', '-9223372036854775808'],
  ['9007199254740993 - 1', '9007199254740992'],
  // IN and regex (9.10, 9.11)
  ["'ell' IN 'hello'", 'true'],
  ['2 IN (1, 2, 3)', 'true'],
  ["'a' IN dict(a=1)", 'true'],
  ["'HELLO' =~ 'ell'", 'true'],
  ["NULL =~ '.'", 'true'],
  ["NULL =~ 'x'", 'false'],
  ["('a', 'xyz') =~ 'Y'", 'true'],
  ["'abc' =~ '^(?i)ABC$'", 'true'],
  // member access, indexing, slicing (9.9)
  ["'Hello'[1]", '101'],
  ['"\\xff"[0]', '255'],
  ["'Hello'[2:300]", '"llo"'],
  ["'Hello World'[-5:]", '"World"'],
  ['(1, 2, 3)[-1]', '3'],
  ['(1, 2, 3)[5]', 'null'],
  ['(dict(a=1), dict(b=2), dict(a=3)).a', '[1,3]'],
  ['dict(a=dict(b=5)).a.b', '5'],
  // negated symbols (7.6)
  ['-len(list=(1, 2))', '-2'],
];

for (const [expr, expected] of table) {
  test(`${expr} → ${expected}`, async () => {
    const rows = await collect(`SELECT ${expr} AS X FROM scope()`);
    assert.equal(rows.length, 1);
    assert.equal(toJSON(rows[0]!.get('X')), expected);
  });
}

// format(): the fast path for plain verbs must agree with the full Go printer.
const formats: Array<[string, string]> = [
  ["format(format='value %v', args=5)", '"value 5"'],
  ["format(format='%v-%s', args=['a', 'b'])", '"a-b"'],
  ["format(format='%d%%', args=50)", '"50%"'],
  ["format(format='%s', args=5)", '"%!s(int64=5)"'],
  ["format(format='%d', args='x')", '"%!d(string=x)"'],
  ["format(format='%v %v', args=1)", '"1 %!v(MISSING)"'],
  ["format(format='%v', args=[1, 2])", '"1%!(EXTRA int64=2)"'],
  ["format(format='%v', args=9223372036854775807)", '"9223372036854775807"'],
  ["format(format='%05d', args=42)", '"00042"'],
];
for (const [expr, expected] of formats) {
  test(`${expr} → ${expected}`, async () => {
    const rows = await collect(`SELECT ${expr} AS X FROM scope()`);
    assert.equal(toJSON(rows[0]!.get('X')), expected);
  });
}
