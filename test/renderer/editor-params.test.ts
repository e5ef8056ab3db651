// The run form's model: a widget per parameter type, starting values from defaults, and the
// args sent (changed parameters only) accepted by the real artifact runner's conversion.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { convertParameter, cliArgValue } from '../../main/artifacts/index.ts';
import { argText, changedArgs, initialValue, toDatetimeLocal, widgetFor, type Parameter } from '../../renderer/lib/run/params.ts';

const P = (type: string, def = '', choices?: string[]): Parameter => ({ name: `P_${type || 'none'}`, type, default: def, description: '', ...(choices ? { choices } : {}) });

describe('run form parameters', () => {
  test('a widget per declared type', () => {
    const table: Array<[Parameter, string]> = [
      [P('bool'), 'checkbox'], [P('int'), 'int'], [P('int64'), 'int'], [P('float'), 'float'],
      [P('choices', 'a', ['a', 'b']), 'select'], [P('multichoice', '', ['a', 'b']), 'multiselect'],
      [P('timestamp'), 'datetime'], [P('csv'), 'textarea'], [P('json'), 'textarea'], [P('regex'), 'text'], [P('regex_array'), 'textarea'],
      [P('yara'), 'textarea'], [P('multiline'), 'textarea'], [P('hidden'), 'hidden'], [P(''), 'text'],
      [P('string'), 'text'], [P('Bool'), 'checkbox'], [P('odd_type'), 'text'],
    ];
    for (const [p, w] of table) assert.equal(widgetFor(p), w, p.type);
  });

  test('single-line values get a one-line input; a default that spans lines keeps a text area', () => {
    assert.equal(widgetFor(P('regex', '(?i)\\.exe$')), 'text');
    assert.equal(widgetFor(P('string', 'C:/Windows/**')), 'text');
    assert.equal(widgetFor(P('', 'plain')), 'text');
    assert.equal(widgetFor(P('string', 'line one\nline two')), 'textarea', 'an input would drop the line break');
    assert.equal(widgetFor(P('regex', 'a|\nb')), 'textarea');
  });

  test('starting values from defaults', () => {
    assert.equal(initialValue(P('bool', 'Y')), true);
    assert.equal(initialValue(P('bool', 'no')), false);
    assert.deepEqual(initialValue(P('multichoice', '["a"]', ['a', 'b'])), ['a']);
    assert.deepEqual(initialValue(P('multichoice', 'a, b', ['a', 'b'])), ['a', 'b']);
    assert.equal(initialValue(P('int', '10')), '10');
    assert.equal(initialValue(P('timestamp', 'not a time')), '');
    const local = toDatetimeLocal('2024-01-31T12:34:00Z');
    assert.match(local, /^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    assert.equal(new Date(local).toISOString(), '2024-01-31T12:34:00.000Z');
    assert.equal(toDatetimeLocal('0'), toDatetimeLocal('1970-01-01T00:00:00Z'));
  });

  test('only changed parameters are sent, as text the runner converts to the declared type', () => {
    const params = [P('int', '10'), P('bool', 'N'), P('timestamp', ''), P('multichoice', '[]', ['x', 'y']), P('string', 'keep')];
    const values = { P_int: '1', P_bool: true, P_timestamp: '2024-02-01T08:00', P_multichoice: ['y'], P_string: 'keep' };
    const args = changedArgs(params, values);
    assert.deepEqual(Object.keys(args), ['P_int', 'P_bool', 'P_timestamp', 'P_multichoice']);
    const byName = new Map(params.map((p) => [p.name, p]));
    const converted = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, convertParameter(byName.get(k)!, cliArgValue(byName.get(k)!, v))]));
    assert.equal(converted.P_int, 1);
    assert.equal(converted.P_bool, true);
    assert.deepEqual(converted.P_multichoice, ['y']);
    assert.equal(String((converted.P_timestamp as { toJSON(): string }).toJSON()).slice(0, 4), '2024');
    assert.equal(argText(P('bool'), false), 'N');
  });
});
