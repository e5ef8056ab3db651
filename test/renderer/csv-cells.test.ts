// Cell-level readers of the CSV importer: Velociraptor's conventions, numbers, booleans, ISO times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boolStyle, boolText, isCanonicalNumber, parseBool, parseNumber, unprotect } from '../../renderer/lib/csv/cells.ts';
import { isCanonicalIso, isoText, parseIso, shapeFormat } from '../../renderer/lib/csv/iso.ts';

test('unprotect: the leading space of protected strings and 2018 JSON string cells', () => {
  for (const [raw, want] of [
    [' 123', '123'], [' -1.5e3', '-1.5e3'], [' true', 'true'], [' {x}', '{x}'], [' [1]', '[1]'], ['  two', ' two'],
    [' base64:xx', 'base64:xx'], [' Inf', 'Inf'], [' nan', 'nan'],
    [' plain', ' plain'], ['plain', 'plain'], ['"2018-11-06T00:40:11Z"', '2018-11-06T00:40:11Z'], ['"a\\"b"', 'a"b'],
    ['"not json', '"not json'], ['"x" y"', '"x" y"'], ['""', ''],
  ] as const) assert.equal(unprotect(raw), want, raw);
});

test('parseNumber: decimals, signs, exponents, non-finite words; NaN for the rest', () => {
  const ok: Array<[string, number]> = [['0', 0], ['-12', -12], ['+3.5', 3.5], ['.5', 0.5], ['5.', 5], ['1e-3', 0.001], ['2E+2', 200],
    ['Inf', Infinity], ['+Inf', Infinity], ['-Inf', -Infinity], ['Infinity', Infinity], ['12345678901234567890', 12345678901234567890]];
  for (const [t, v] of ok) assert.equal(parseNumber(t), v, t);
  for (const t of ['', '-', '+', '.', 'e5', '1e', '1e+', '0x1f', '1,000', ' 1', '1 ', '1.2.3', 'abc', '12a', 'NaN', '1_000'])
    assert.ok(Number.isNaN(parseNumber(t)), t);
});

test('isCanonicalNumber agrees with String(v) === text on random decimals', () => {
  let seed = 1;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const cases = ['0', '-0', '0.0', '007', '1.50', '.5', '5.', '0.000001', '0.0000001', '1e5', '+1', '1e21', '123456789012345', '1234567890123456789'];
  for (let k = 0; k < 20000; k++) {
    let t = '';
    const digits = 1 + Math.floor(rnd() * 18);
    for (let d = 0; d < digits; d++) t += Math.floor(rnd() * 10);
    const p = Math.floor(rnd() * (digits + 2));
    if (p < digits && rnd() < 0.7) t = t.slice(0, p) + '.' + t.slice(p);
    cases.push(rnd() < 0.3 ? '-' + t : t);
  }
  for (const t of cases) {
    const v = parseNumber(t);
    if (!Number.isNaN(v)) assert.equal(isCanonicalNumber(t, v), String(v) === t, t);
  }
});

test('booleans in any case, rebuilt in the column style', () => {
  assert.deepEqual(['true', 'False', 'TRUE', 'yes', '1', ''].map(parseBool), [1, 0, 1, -1, -1, -1]);
  assert.deepEqual(['true', 'True', 'FALSE'].map(boolStyle), ['lower', 'title', 'upper']);
  assert.equal(boolText(false, 'title'), 'False');
  assert.equal(boolText(true, 'upper'), 'TRUE');
});

test('parseIso: dates, RFC 3339 (Go and JS fractions), spaces, offsets, zoneless as UTC; NaN for non-dates', () => {
  assert.equal(parseIso('2024-01-02T03:04:05Z'), Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(parseIso('2024-01-02T03:04:05.120Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 120));
  assert.equal(parseIso('2024-01-02T03:04:05.123456789Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 123));
  assert.equal(parseIso('2024-01-02 03:04:05'), Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(parseIso('2024-01-02T03:04:05+02:00'), Date.UTC(2024, 0, 2, 1, 4, 5));
  assert.equal(parseIso('2024-01-02T03:04-0130'), Date.UTC(2024, 0, 2, 4, 34));
  assert.equal(parseIso('2024-02-29'), Date.UTC(2024, 1, 29));
  assert.equal(parseIso('0001-01-01T00:00:00Z'), -62135596800000); // Go's zero time, not 1901
  for (const t of ['2023-02-29', '2024-13-01', '2024-01-32', '2024-01-02T24:00:00Z', '2024-01-02T03:04:60Z', '2024-01-02T03', '2024-01-02X03:04:05',
    '2024-01-02T03:04:05Zjunk', '2024-01-02T03:04:05.Z', '20240102', 'yesterday']) assert.ok(Number.isNaN(parseIso(t)), t);
});

test('ISO texts are rebuilt exactly in their column format, and the rest is known not to be', () => {
  const rebuilt: Array<[string, string]> = [
    ['2024-01-02T03:04:05Z', 'TZtrim'], ['2024-01-02T03:04:05.12Z', 'TZtrim'], ['2024-01-02T03:04:05.123Z', 'TZtrim'],
    ['2024-01-02T03:04:05.120Z', 'TZms'], ['2024-01-02T03:04:05.000Z', 'TZms'], ['2024-01-02 03:04:05', ' trim'], ['2024-01-02', 'date'],
  ];
  for (const [t, format] of rebuilt) {
    const ms = parseIso(t);
    assert.ok(isCanonicalIso(format as never), `${t} in ${format}`);
    assert.equal(isoText(ms, format as never), t);
  }
  parseIso('2024-01-02T03:04:05.120Z');
  assert.equal(shapeFormat(), 'TZms');
  for (const [t, format] of [['2024-01-02T03:04:05.120Z', 'TZtrim'], ['2024-01-02T03:04:05Z', 'TZms'], ['2024-01-02T03:04:05+02:00', 'TZtrim'],
    ['2024-01-02T03:04:05.123456Z', 'TZtrim'], ['2024-01-02T03:04Z', 'TZtrim'], ['2024-01-02 03:04:05', 'TZtrim']]) {
    parseIso(t!);
    assert.ok(!isCanonicalIso(format as never), `${t} in ${format}`);
  }
});
