// Completion over the engine's real declarations (docs:completions): names with signature and
// description, plugins after FROM, `arg=` inside a call, and only inside VQL in artifact YAML.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EditorState } from '@codemirror/state';
import { CompletionContext, type CompletionSource } from '@codemirror/autocomplete';
import type { CompletionEntry } from '../../main/ipc/contract.ts';
import { completeVql, vqlRegionStart } from '../../renderer/lib/editor/completion.ts';
import { languageFor } from '../../renderer/lib/editor/languages.ts';
import { parsed } from './editor-parsed.ts';
import { serviceBridge, type ServiceBridge } from './queries-bridge.ts';

describe('VQL completion', () => {
  let sb: ServiceBridge;
  let entries: CompletionEntry[];
  before(async () => {
    sb = serviceBridge();
    const r = await sb.bridge.invoke('docs:completions');
    assert.ok(r.ok);
    entries = r.value;
  });
  after(() => sb.close());
  const labels = (before: string, explicit = false) => completeVql(before, entries, explicit)?.options.map((o) => o.label) ?? null;

  test('after FROM: plugins only, with signature and description in the info', () => {
    const r = completeVql('SELECT * FROM ra', entries, false)!;
    assert.equal(r.from, 'SELECT * FROM '.length);
    const range = r.options.find((o) => o.label === 'range')!;
    assert.equal(range.detail, 'plugin');
    assert.match(range.info!, /^range\(start\?: int, end: int, step\?: int\)\n\nEmit rows/);
    assert.ok(r.options.every((o) => o.detail === 'plugin'));
    assert.ok(r.validFor.test('rang'));
  });

  test('elsewhere: functions, plugins and keywords; nothing without a prefix unless asked', () => {
    const l = labels('SELECT for')!;
    assert.ok(l.includes('format') && l.includes('foreach') && l.includes('FROM'));
    assert.equal(labels('SELECT '), null);
    assert.ok(labels('SELECT ', true)!.includes('count'));
  });

  test('inside name( the arguments as arg= with type and doc; given ones are left out', () => {
    const r = completeVql('SELECT * FROM range(', entries, false)!;
    assert.deepEqual(r.options.map((o) => o.label), ['start=', 'end=', 'step=']);
    const end = r.options[1]!;
    assert.deepEqual([end.detail, end.info], ['int (required)', 'End value (exclusive)']);
    assert.deepEqual(labels('SELECT * FROM range(start=1, en'), ['end=', 'step=']);
    assert.equal(completeVql('SELECT * FROM range(start=1, en', entries, false)!.from, 'SELECT * FROM range(start=1, '.length);
  });

  test('the innermost open call counts: nested queries, closed calls, brackets, strings', () => {
    assert.deepEqual(labels('SELECT * FROM foreach(row={ SELECT * FROM range('), ['start=', 'end=', 'step=']);
    assert.ok(labels('SELECT * FROM foreach(row={ SELECT * FROM range(end=2) }, ')!.includes('query='));
    assert.ok(labels('SELECT format(format="%v(", ')!.includes('args='));
    assert.ok(!labels('SELECT format(format="%v(", ')!.includes('format='));
    // After `=` comes a value: names again, not arguments.
    assert.ok(labels('SELECT * FROM range(end=cou')!.includes('count'));
    // An unknown callee has no arguments to offer.
    assert.equal(labels('SELECT * FROM nosuch('), null);
  });

  test('in artifact YAML the source is active only inside VQL, scanning from the block start', async () => {
    const yaml = 'name: Custom.X\ndescription: foo(\nsources:\n  - query: |\n      SELECT * FROM range(\n';
    const state = parsed(EditorState.create({ doc: yaml, extensions: [languageFor('yaml', { autocomplete: 'marker' })] }));
    const inQuery = yaml.indexOf('range(') + 'range('.length;
    assert.deepEqual(state.languageDataAt('autocomplete', inQuery), ['marker']);
    assert.deepEqual(state.languageDataAt('autocomplete', yaml.indexOf('foo(') + 4), []);
    assert.equal(vqlRegionStart(state, inQuery), yaml.indexOf('      SELECT'));
    const { vqlCompletionSource } = await import('../../renderer/lib/editor/completion.ts');
    const source: CompletionSource = vqlCompletionSource(async () => entries);
    const r = await source(new CompletionContext(state, inQuery, false));
    assert.deepEqual(r?.options.map((o) => o.label), ['start=', 'end=', 'step=']);
    assert.equal(r?.from, inQuery);
  });
});
