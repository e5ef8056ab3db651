import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JSON_MAX_DEPTH, decodeUtf8Lossy, fromJSON, toJSON } from '../../../main/vql/values/json.ts';
import { ABSENT, GET_MEMBER, Lazy, MEMBERS, VBytes, VDict, VFloat, VTime, type Value } from '../../../main/vql/values/types.ts';
import { bytes, tagged } from './helpers.ts';


describe('toJSON: scalars (SPEC 16.2)', () => {
  const cases: [string, Value, string][] = [
    ['null', null, 'null'],
    ['undefined', undefined, 'null'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['int', 42, '42'],
    ['negative int', -7, '-7'],
    ['int -0 (the int 0)', -0, '0'],
    ['bigint', 2n ** 63n - 1n, '9223372036854775807'],
    ['negative bigint', -(2n ** 63n), '-9223372036854775808'],
    ['unsigned bigint', 2n ** 64n - 1n, '18446744073709551615'],
    ['float', 1.5, '1.5'],
    ['VFloat', new VFloat(2), '2'],
    ['VFloat -0', new VFloat(-0), '-0'],
    ['1e21 uses an exponent', new VFloat(1e21), '1e+21'],
    ['1e20 does not', new VFloat(1e20), '100000000000000000000'],
    ['1e-7 uses an exponent', 1e-7, '1e-7'],
    ['0.000001 does not', 0.000001, '0.000001'],
    ['NaN', NaN, 'null'],
    ['+Infinity', Infinity, 'null'],
    ['VFloat -Infinity', new VFloat(-Infinity), 'null'],
    ['string', 'hello', '"hello"'],
    ['string escapes', 'a"b\\c\n\t\u0001', '"a\\"b\\\\c\\n\\t\\u0001"'],
    ['non-ASCII string', 'héllo 😀', '"héllo 😀"'],
    ['lone surrogate', '\ud800x', '"\\ud800x"'],
    ['bytes with invalid UTF-8', bytes(0x61, 0xff, 0x62), '"a\ufffdb"'],
    ['truncated sequence: one U+FFFD per byte, like Go', bytes(0xf0, 0x9f, 0x41), '"\ufffd\ufffdA"'],
    ['surrogate encoding', bytes(0xed, 0xa0, 0x80), '"\ufffd\ufffd\ufffd"'],
    ['time', new VTime(1700000000000000000n), '"2023-11-14T22:13:20Z"'],
    ['time with fraction', new VTime(1700000000123400000n), '"2023-11-14T22:13:20.1234Z"'],
    ['time with nanoseconds', new VTime(1700000000000000001n), '"2023-11-14T22:13:20.000000001Z"'],
    ['Date', new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 600)), '"2020-01-02T03:04:05.6Z"'],
    ['Uint8Array is base64 (Go []byte)', new Uint8Array([1, 2, 3, 250]), '"AQID+g=="'],
    ['lazy is forced', new Lazy(() => 7), '7'],
    ['function', () => 1, 'null'],
  ];
  for (const [name, v, expected] of cases) it(name, () => assert.equal(toJSON(v), expected));
});

describe('toJSON: containers', () => {
  it('keeps dict insertion order, including integer-like keys', () => {
    assert.equal(toJSON(new VDict([['2', 1], ['1', 2], ['b', [1, 'x', null]]])), '{"2":1,"1":2,"b":[1,"x",null]}');
  });
  it('skips an entry whose value is the dict itself', () => {
    const d = new VDict([['a', 1]]);
    d.set('self', d);
    d.set('z', 2);
    assert.equal(toJSON(d), '{"a":1,"z":2}');
    const only = new VDict();
    only.set('me', only);
    assert.equal(toJSON(only), '{}');
    assert.equal(toJSON(only, { indent: 1 }), '{}');
  });
  it('cuts cycles through arrays at the depth guard', () => {
    const a: Value[] = [1];
    a.push(a);
    const text = toJSON(a);
    assert.ok(text.endsWith('null' + ']'.repeat(JSON_MAX_DEPTH)));
    assert.equal(JSON.parse(text)[0], 1);
  });
  it('writes containers nested deeper than the guard as null', () => {
    let v: Value = new VDict([['k', 1]]);
    for (let i = 0; i < JSON_MAX_DEPTH; i++) v = [v];
    // The dict sits at depth JSON_MAX_DEPTH: cut. One level less and it is written.
    assert.equal(toJSON(v), '['.repeat(JSON_MAX_DEPTH) + 'null' + ']'.repeat(JSON_MAX_DEPTH));
    assert.equal(toJSON((v as Value[])[0]), '['.repeat(JSON_MAX_DEPTH - 1) + '{"k":1}' + ']'.repeat(JSON_MAX_DEPTH - 1));
  });
  it('writes JS Maps with sorted keys (Go map order)', () => {
    assert.equal(toJSON(new Map<unknown, Value>([['b', 1], ['a', 2], [3, 'x']])), '{"3":"x","a":2,"b":1}');
  });
  it('writes plain objects in their own key order', () => {
    assert.equal(toJSON({ b: 1, a: [true], skip: undefined }), '{"b":1,"a":[true]}');
  });
  it('writes host objects as a dict of their members', () => {
    const host = {
      [MEMBERS]: () => ['Name', 'Missing', 'Nested'],
      [GET_MEMBER]: (n: string) => (n === 'Name' ? 'x' : n === 'Nested' ? new VDict([['k', 1]]) : ABSENT),
    };
    assert.equal(toJSON(host), '{"Name":"x","Nested":{"k":1}}');
  });
  it('uses a toJSON method of other objects', () => {
    class Point {
      toJSON(): unknown {
        return [1, 2];
      }
    }
    assert.equal(toJSON(new Point()), '[1,2]');
  });
});

/** Go 1.19 json.Indent(compact, "", " ") for each compact text (= json.MarshalIndent layout). */
const GO_INDENT: [string, string][] = [
  ["[]", "[]"],
  ["{}", "{}"],
  ["[1,2,3]", "[\n 1,\n 2,\n 3\n]"],
  ["{\"a\":1}", "{\n \"a\": 1\n}"],
  ["{\"a\":[],\"b\":{},\"c\":[1,{\"d\":[]}],\"e\":{\"f\":{\"g\":null}}}", "{\n \"a\": [],\n \"b\": {},\n \"c\": [\n  1,\n  {\n   \"d\": []\n  }\n ],\n \"e\": {\n  \"f\": {\n   \"g\": null\n  }\n }\n}"],
  ["[{\"Name\":\"x\",\"Pid\":1,\"Args\":[]},{\"Name\":\"y\",\"Pid\":2,\"Args\":[\"a\",\"b\"],\"Env\":{}}]", "[\n {\n  \"Name\": \"x\",\n  \"Pid\": 1,\n  \"Args\": []\n },\n {\n  \"Name\": \"y\",\n  \"Pid\": 2,\n  \"Args\": [\n   \"a\",\n   \"b\"\n  ],\n  \"Env\": {}\n }\n]"],
  ["{\"2\":1,\"1\":2,\"b\":[[],[[]],[{}]],\"s\":\"a\\\"b\\\\c\\n\"}", "{\n \"2\": 1,\n \"1\": 2,\n \"b\": [\n  [],\n  [\n   []\n  ],\n  [\n   {}\n  ]\n ],\n \"s\": \"a\\\"b\\\\c\\n\"\n}"],
  ["\"str\"", "\"str\""],
  ["null", "null"],
  ["[null,true,false,1.5,-0.25,1e-7,1e+21]", "[\n null,\n true,\n false,\n 1.5,\n -0.25,\n 1e-7,\n 1e+21\n]"],
];

describe('toJSON with indent matches Go json.MarshalIndent', () => {
  for (const [compact, expected] of GO_INDENT) {
    it(compact, () => {
      const v = fromJSON(compact);
      assert.equal(toJSON(v, { indent: 1 }), expected);
      assert.equal(toJSON(v, { indent: ' ' }), expected);
      assert.equal(toJSON(v), compact);
    });
  }
  it('supports wider and string indents', () => {
    const v = new VDict([['a', [1, new VDict()]]]);
    assert.equal(toJSON(v, { indent: 2 }), '{\n  "a": [\n    1,\n    {}\n  ]\n}');
    assert.equal(toJSON(v, { indent: '\t' }), '{\n\t"a": [\n\t\t1,\n\t\t{}\n\t]\n}');
  });
  it('treats indent 0 and "" as compact', () => {
    const v = new VDict([['a', [1]]]);
    assert.equal(toJSON(v, { indent: 0 }), '{"a":[1]}');
    assert.equal(toJSON(v, { indent: '' }), '{"a":[1]}');
  });
  it('indents host objects, maps and plain objects too', () => {
    const host = { [MEMBERS]: () => ['A'], [GET_MEMBER]: () => 1 };
    assert.equal(toJSON([host, new Map([['k', 1]]), { p: 2 }], { indent: 1 }), '[\n {\n  "A": 1\n },\n {\n  "k": 1\n },\n {\n  "p": 2\n }\n]');
  });
});

describe('fromJSON', () => {
  const cases: [string, string, unknown][] = [
    ['integer-like keys keep source order', '{"2":1,"1":2}', { dict: [['2', { int: 1 }], ['1', { int: 2 }]] }],
    ['int', '2', { int: 2 }],
    ['negative int', '-17', { int: -17 }],
    ['-0 is the int 0', '-0', { int: 0 }],
    ['2.0 is a float', '2.0', { vfloat: '2' }],
    ['1e3 is a float', '1e3', { vfloat: '1000' }],
    ['1.5', '1.5', { float: '1.5' }],
    ['-2.5E-3', '-2.5E-3', { float: '-0.0025' }],
    ['largest safe int', '9007199254740991', { int: 9007199254740991 }],
    ['past the safe range: bigint', '9007199254740993', { bigint: '9007199254740993' }],
    ['int64 max', '9223372036854775807', { bigint: '9223372036854775807' }],
    ['int64 min', '-9223372036854775808', { bigint: '-9223372036854775808' }],
    ['beyond int64: float', '9223372036854775808', { vfloat: '9223372036854776000' }],
    ['1e400 is +Inf', '1e400', { float: 'Infinity' }],
    ['strings', '"a\\"b\\\\\\/\\n\\u00e9\\ud83d\\ude00"', 'a"b\\/\né😀'],
    ['lone surrogate escape becomes U+FFFD', '"x\\ud800y"', 'x\ufffdy'],
    ['raw non-ASCII', '"日本"', '日本'],
    ['literals', '[true,false,null]', [true, false, null]],
    ['whitespace', ' \n\t{ "a" : [ 1 , 2 ] }\r\n', { dict: [['a', [{ int: 1 }, { int: 2 }]]] }],
    ['empty containers', '[{},[]]', [{ dict: [] }, []]],
    ['a repeated key keeps the last value, moved to the end', '{"a":1,"b":2,"a":3}', { dict: [['b', { int: 2 }], ['a', { int: 3 }]] }],
    [
      'nested',
      '{"rows":[{"Pid":1,"CPU":0.5,"Name":"x"}],"n":null}',
      { dict: [['rows', [{ dict: [['Pid', { int: 1 }], ['CPU', { float: '0.5' }], ['Name', 'x']] }]], ['n', null]] },
    ],
  ];
  for (const [name, text, expected] of cases) it(name, () => assert.deepEqual(tagged(fromJSON(text)), expected));

  const bad = ['', '{', '[1,]', '{"a":1,}', '01', '1.', '.5', '-', '1e', '+1', 'tru', 'nul', '"abc', '"a\nb"', '"\\x"', '{a:1}', '[1 2]', '1 2', 'NaN', '{"a" 1}'];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => fromJSON(text), SyntaxError));
  }
});

describe('toJSON / fromJSON round trip', () => {
  const values: Value[] = [
    new VDict([['2', 1], ['1', 2], ['x', [1, 2.5, 'é', null, true]]]),
    [2n ** 62n, -(2n ** 63n), 0, -1],
    new VDict([['nested', new VDict([['deeper', new VDict([['k', []]])]])], ['e', new VDict()]]),
    'plain',
    [new VFloat(1e21), 1e-7, 0.1],
  ];
  for (const v of values) {
    it(toJSON(v), () => {
      assert.deepEqual(tagged(fromJSON(toJSON(v))), tagged(v));
      assert.deepEqual(tagged(fromJSON(toJSON(v, { indent: 1 }))), tagged(v));
    });
  }
});

describe('toJSON / fromJSON: what JSON does not keep', () => {
  it('an integral float reads back as an int (SPEC 1: JSON does not show the difference)', () => {
    assert.deepEqual(tagged(fromJSON(toJSON([new VFloat(3), new VFloat(1e21)]))), [{ int: 3 }, { vfloat: '1e+21' }]);
  });
  it('times and byte strings read back as strings', () => {
    assert.deepEqual(fromJSON(toJSON([new VTime(0n), bytes(0x61, 0xff)])), ['1970-01-01T00:00:00Z', 'a\ufffd']);
  });
});

describe('decodeUtf8Lossy', () => {
  it('decodes valid UTF-8 and replaces each invalid byte', () => {
    assert.equal(decodeUtf8Lossy(new TextEncoder().encode('héllo 😀')), 'héllo 😀');
    assert.equal(decodeUtf8Lossy(new Uint8Array([0xc0, 0xaf, 0x41, 0xf4, 0x90, 0x80, 0x80])), '\ufffd\ufffdA\ufffd\ufffd\ufffd\ufffd');
    assert.equal(decodeUtf8Lossy(new Uint8Array([0xe2, 0x82])), '\ufffd\ufffd');
    assert.equal(decodeUtf8Lossy(new Uint8Array([0xe2, 0x82, 0xac])), '€');
  });
  it('handles long inputs in chunks', () => {
    const b = new Uint8Array(10000).fill(0x61);
    b[5000] = 0xff;
    const s = decodeUtf8Lossy(b);
    assert.equal(s.length, 10000);
    assert.equal(s[5000], '\ufffd');
  });
});
