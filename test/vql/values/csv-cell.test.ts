import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvQuote, parseCsvCell } from '../../../main/vql/values/csv-cell.ts';
import { GET_MEMBER, Lazy, MEMBERS, VBytes, VDict, VFloat, VTime, type Value } from '../../../main/vql/values/types.ts';
import { bytes, tagged } from './helpers.ts';


describe('csvCell (VELOCIRAPTOR.md 2.3)', () => {
  const cases: [string, Value, string][] = [
    ['plain string', 'hello world', 'hello world'],
    ['empty string', '', ''],
    ['string that looks like an int', '123', ' 123'],
    ['string that looks like a float', '-1.5e3', ' -1.5e3'],
    ['string with a leading dot number', '.5', ' .5'],
    ['string that looks like hex', '0x1F', ' 0x1F'],
    ['string starting with a space', ' padded', '  padded'],
    ['string starting with {', '{not json', ' {not json'],
    ['string starting with [', '[1, 2]', ' [1, 2]'],
    ['string true', 'true', ' true'],
    ['string starting with false', 'falsehood', ' falsehood'],
    ['string inf', 'inf', ' inf'],
    ['string Infinity', 'Infinity', ' Infinity'],
    ['string -Inf', '-Inf', ' -Inf'],
    ['string NaN', 'NaN', ' NaN'],
    ['string base64:', 'base64:AAAA', ' base64:AAAA'],
    ['number then text stays bare', '12abc', '12abc'],
    ['True (capitalized) stays bare', 'True', 'True'],
    ['a lone minus stays bare', '-', '-'],
    ['tab first stays bare', '\t1', '\t1'],
    ['int', 42, '42'],
    ['negative int', -7, '-7'],
    ['bigint', -(2n ** 63n), '-9223372036854775808'],
    ['integral number past 2^53', 2 ** 60, '1152921504606846976'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['null', null, ''],
    ['undefined', undefined, ''],
    ['float', 1.5, '1.5'],
    ['integral float', new VFloat(2), '2'],
    ['large float: no exponent', new VFloat(1e21), '1000000000000000000000'],
    ['small float: no exponent', 1e-7, '0.0000001'],
    ['NaN', NaN, 'NaN'],
    ['+Inf', Infinity, '+Inf'],
    ['-Inf', new VFloat(-Infinity), '-Inf'],
    ['time', new VTime(1700000000000000000n), '2023-11-14T22:13:20Z'],
    ['time with fraction', new VTime(1700000000120000000n), '2023-11-14T22:13:20.12Z'],
    ['byte string', bytes(0x61, 0xff), 'base64:Yf8='],
    ['Uint8Array', new Uint8Array([1, 2, 3]), 'base64:AQID'],
    ['dict: indented JSON', new VDict([['a', 1], ['b', [true]]]), '{\n "a": 1,\n "b": [\n  true\n ]\n}'],
    ['array: indented JSON', [1, 'x'], '[\n 1,\n "x"\n]'],
    ['empty array', [], '[]'],
    ['lazy', new Lazy(() => 'x'), 'x'],
  ];
  for (const [name, v, expected] of cases) it(name, () => assert.equal(csvCell(v), expected));

  it('host objects: indented JSON of their members', () => {
    const host = { [MEMBERS]: () => ['A'], [GET_MEMBER]: () => 1 };
    assert.equal(csvCell(host), '{\n "A": 1\n}');
  });
});

describe('csvQuote (Go encoding/csv rules)', () => {
  const cases: [string, string, string][] = [
    ['plain', ',', 'plain'],
    ['', ',', ''],
    ['a,b', ',', '"a,b"'],
    ['say "hi"', ',', '"say ""hi"""'],
    ['line\nbreak', ',', '"line\nbreak"'],
    ['carriage\rreturn', ',', '"carriage\rreturn"'],
    [' leading space', ',', '" leading space"'],
    ['\tleading tab', ',', '"\tleading tab"'],
    ['\u00a0nbsp', ',', '"\u00a0nbsp"'],
    ['\u3000ideographic space', ',', '"\u3000ideographic space"'],
    ['\ufeffbom', ',', '\ufeffbom'],
    ['trailing space ', ',', 'trailing space '],
    ['\\.', ',', '"\\."'],
    ['a;b', ';', '"a;b"'],
    ['a,b', ';', 'a,b'],
    ['a\tb', '\t', '"a\tb"'],
  ];
  for (const [field, delim, expected] of cases) {
    it(`${JSON.stringify(field)} with ${JSON.stringify(delim)}`, () => assert.equal(csvQuote(field, delim), expected));
  }
  it('quotes every cell that csvCell gave a protective space', () => {
    assert.equal(csvQuote(csvCell('123')), '" 123"');
  });
});

describe('parseCsvCell', () => {
  const cases: [string, unknown][] = [
    ['', null],
    [' 123', '123'],
    ['  padded', ' padded'],
    ['hello', 'hello'],
    ['42', { int: 42 }],
    ['-7', { int: -7 }],
    ['9223372036854775807', { bigint: '9223372036854775807' }],
    ['1.5', { float: '1.5' }],
    ['2.0', { vfloat: '2' }],
    ['1e-7', { float: '1e-7' }],
    ['007', '007'],
    ['true', true],
    ['false', false],
    ['NaN', { float: 'NaN' }],
    ['+Inf', { float: 'Infinity' }],
    ['-Inf', { float: '-Infinity' }],
    ['base64:Yf8=', { bytes: [0x61, 0xff] }],
    ['base64:aGk=', 'hi'],
    ['base64:', ''],
    ['base64:not valid!', 'base64:not valid!'],
    ['{\n "a": 1\n}', { dict: [['a', { int: 1 }]] }],
    ['[1, "x"]', [{ int: 1 }, 'x']],
    ['{broken', '{broken'],
    ['2023-11-14T22:13:20Z', '2023-11-14T22:13:20Z'],
  ];
  for (const [text, expected] of cases) it(JSON.stringify(text), () => assert.deepEqual(tagged(parseCsvCell(text)), expected));
});

describe('csvCell -> parseCsvCell round trip', () => {
  const values: Value[] = [
    'hello', '123', '-1.5', ' x', '{', '[', 'true', 'false', 'trueish', 'inf', 'NaN', '-Inf', 'base64:AAAA', 'a,b', 'say "hi"',
    'multi\nline', 'é日本😀', '0x10', '1e5', '.5', '-', '+1', 0, 42, -7, 2n ** 62n, -(2n ** 63n), 1.5, -0.25, 1e-7, 123456.789, 5e-324,
    NaN, Infinity, -Infinity, true, false, null, bytes(0xff, 0x00, 0x61),
    new VDict([['2', 1], ['1', [1, 'x', null, new VDict([['k', 'v']])]], ['s', '123']]),
    [1, 'two', [3], new VDict()], [],
  ];
  for (const v of values) {
    it(JSON.stringify(tagged(v)), () => assert.deepEqual(tagged(parseCsvCell(csvCell(v))), tagged(v)));
  }
  it('documented losses: the empty string, integral floats, times', () => {
    assert.equal(parseCsvCell(csvCell('')), null);
    assert.deepEqual(tagged(parseCsvCell(csvCell(new VFloat(2)))), { int: 2 });
    assert.equal(parseCsvCell(csvCell(new VTime(0n))), '1970-01-01T00:00:00Z');
  });
});
