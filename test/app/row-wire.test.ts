// Rows across a thread boundary (main/app/row-wire.ts): every kind of value, sent through a real
// MessagePort (structured clone, as between a worker and the main thread), must give the same
// CSV cells (the collector's files), the same JSON (the CLI, the live view) and the same text
// table cells (the CLI's --format text) as the value it came from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { ABSENT, GET_MEMBER, Lazy, MEMBERS, VBytes, VDict, VFloat, VTime, csvCell, toJSON, type Value } from '../../main/vql/index.ts';
import { decodeRows, encodeRows, type WireRows } from '../../main/app/row-wire.ts';
import { renderTable } from '../../main/cli/output.ts';

/** Sends a value through a real MessageChannel and returns what arrived. */
async function cross<T>(v: T): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  const got = new Promise<T>((resolve) => port2.once('message', resolve));
  port1.postMessage(v);
  const out = await got;
  port1.close();
  port2.close();
  return out;
}

class Host {
  [MEMBERS]() {
    return ['Name', 'Size', 'Missing', 'Self', 'When'];
  }
  [GET_MEMBER](name: string): Value {
    if (name === 'Name') return 'host';
    if (name === 'Size') return new VFloat(3);
    if (name === 'Self') return this;
    if (name === 'When') return new VTime(1_700_000_000_123_456_789n);
    return ABSENT;
  }
}

/** A path-like value: its JSON is its text. */
class PathLike {
  constructor(private readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/** A value whose JSON is an object. */
class Custom {
  toJSON(): Value {
    return { kind: 'custom', list: [1, new VFloat(2)] };
  }
}

function deep(n: number): Value {
  let v: Value = 'bottom';
  for (let i = 0; i < n; i++) v = new VDict([['d', v]]);
  return v;
}

function values(): Record<string, Value> {
  const selfDict = new VDict([['a', 1]]);
  selfDict.set('me', selfDict);
  const selfArray: Value[] = [1];
  selfArray.push(selfArray);
  const plain: Record<string, unknown> = { b: 2, a: 'x', fn: () => 1, undef: undefined, 1: 'one', sym: Symbol('s') };
  plain.self = plain;
  return {
    int: 42, negZero: -0, big: 2n ** 70n, huge: 2 ** 60, float: 2.5, tiny: 1e-7, nan: NaN, inf: -Infinity,
    vfloat: new VFloat(2), vfloatNegZero: new VFloat(-0), vfloatNan: new VFloat(NaN),
    str: 'plain', numLike: '12', spaced: ' x', braces: '{not json', trueText: 'true', b64Text: 'base64:zz', empty: '',
    quotes: 'say "hi", then\nleave', surrogate: 'a\ud800b', emoji: '😀',
    yes: true, no: false, nul: null, undef: undefined,
    bytes: new VBytes(new Uint8Array([0xff, 0, 0x80])), u8: new Uint8Array([1, 2, 3]), buffer: Buffer.from('hi'),
    time: new VTime(1_700_000_000_000_000_001n), timeNeg: new VTime(-5n), date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), badDate: new Date(NaN),
    dict: new VDict([['z', 1], ['a', new VDict([['n', null], ['f', new VFloat(1)]])]]), emptyDict: new VDict(),
    array: [1, 'two', [3, []], new VDict([['k', 'v']])], emptyArray: [],
    selfDict, selfArray, plain, map: new Map<unknown, Value>([['b', 1], [2, 'two'], ['a', new VFloat(0)]]),
    host: new Host(), path: new PathLike('/usr/bin/ls'), pathNumber: new PathLike('123'), custom: new Custom(),
    lazy: new Lazy(() => new VDict([['lazy', true]])), lazyAsync: new Lazy(async () => 1), promise: Promise.resolve(5),
    fn: function namedFn() {
      return 1;
    },
    sym: Symbol('tag'), deep63: deep(63), deep64: deep(64), deep70: deep(70),
  };
}

test('every kind of value crosses a thread with the same CSV cell, JSON and table text', async () => {
  const vals = values();
  const row = new VDict(Object.entries(vals));
  // What the row gives when sent (an asynchronous thunk still pending is empty then, as it
  // would be if the row were written at that moment on its own thread).
  const expected = new Map(row.keys().map((k) => [k, [csvCell(row.get(k)), toJSON(row.get(k)), toJSON(row.get(k), { indent: 1 })]]));
  const rowJson = toJSON(row);
  const table = renderTable([row], 'caption');
  const wire = await cross<WireRows>(encodeRows([row]));
  const [back] = decodeRows(wire);
  assert.ok(back);
  assert.deepEqual(back.keys(), row.keys());
  for (const k of row.keys()) {
    const b = back.get(k);
    const [cell, json, indented] = expected.get(k)!;
    assert.equal(csvCell(b), cell, `CSV cell of ${k}`);
    assert.equal(toJSON(b), json, `JSON of ${k}`);
    assert.equal(toJSON(b, { indent: 1 }), indented, `indented JSON of ${k}`);
  }
  // Whole rows: the live view's JSON and the CLI's table (its cells go through stringerText).
  assert.equal(toJSON(back), rowJson);
  assert.equal(renderTable([back], 'caption'), table);
});

test('rows of different columns keep their own columns and order; a batch lists each column set once', async () => {
  const rows = [new VDict([['a', 1], ['b', 2]]), new VDict([['b', 3], ['a', 4]]), new VDict([['a', 5], ['b', 6]]), new VDict()];
  const wire = await cross<WireRows>(encodeRows(rows));
  assert.equal(wire.columns.length, 3);
  const back = decodeRows(wire);
  assert.deepEqual(back.map((r) => r.keys()), rows.map((r) => r.keys()));
  assert.deepEqual(back.map((r) => toJSON(r)), rows.map((r) => toJSON(r)));
});
