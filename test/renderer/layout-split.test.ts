// The splitters' logic (renderer/lib/layout/split.ts): sizes kept between the pane's minimum and
// what leaves the other pane its minimum, drags and keys in both directions and for either sized
// pane, Enter only where a pane may collapse, and the state remembered in a store (a broken or
// foreign value, a refusing store: the default). Also where long names may wrap (lib/layout/text.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SHIFT_STEP, STEP, clampSize, keyResult, maxSize, moved, readSplit, storageKey, writeSplit, type KeyValueStore, type SplitLimits } from '../../renderer/lib/layout/split.ts';
import { nameParts } from '../../renderer/lib/layout/text.ts';

const limits: SplitLimits = { min: 200, max: 500, minRest: 300, total: 1000, handle: 6 };

describe('sizes', () => {
  test('kept between the minimum, the maximum and what the other pane needs', () => {
    assert.equal(clampSize(100, limits), 200);
    assert.equal(clampSize(350.4, limits), 350);
    assert.equal(clampSize(900, limits), 500);
    // A small window: the other pane's minimum wins over the maximum.
    assert.equal(maxSize({ ...limits, total: 700 }), 394);
    assert.equal(clampSize(480, { ...limits, total: 700 }), 394);
    // Too small for both: the sized pane keeps its minimum.
    assert.equal(clampSize(480, { ...limits, total: 400 }), 200);
    // Not laid out yet (a hidden tab): only min and max apply.
    assert.equal(clampSize(450, { ...limits, total: 0 }), 450);
    assert.equal(clampSize(Number.NaN, limits), 200);
  });

  test('a drag right or down grows the first pane and shrinks the second', () => {
    assert.equal(moved(300, 80, 'first', limits), 380);
    assert.equal(moved(300, 80, 'second', limits), 220);
    assert.equal(moved(300, -500, 'first', limits), 200);
    assert.equal(moved(300, -500, 'second', limits), 500);
  });
});

describe('keys', () => {
  const at = (key: string, o: Partial<Parameters<typeof keyResult>[2]> = {}, shift = false) =>
    keyResult(key, shift, { direction: 'row', sized: 'first', size: 300, collapsible: false, limits, ...o });

  test('arrows along the split move the separator; Shift moves further', () => {
    assert.deepEqual(at('ArrowRight'), { size: 300 + STEP });
    assert.deepEqual(at('ArrowLeft', {}, true), { size: 300 - SHIFT_STEP });
    assert.deepEqual(at('ArrowRight', { sized: 'second' }), { size: 300 - STEP });
    assert.equal(at('ArrowDown'), null, 'a side-by-side split ignores Up and Down');
    assert.deepEqual(at('ArrowDown', { direction: 'column' }), { size: 300 + STEP });
    assert.deepEqual(at('ArrowUp', { direction: 'column', sized: 'second' }), { size: 300 + STEP });
    assert.equal(at('ArrowLeft', { direction: 'column' }), null);
  });

  test('Home and End go to the ends of the travel; Enter collapses only a collapsible pane', () => {
    assert.deepEqual(at('Home'), { size: 200 });
    assert.deepEqual(at('End'), { size: 500 });
    assert.deepEqual(at('Home', { sized: 'second' }), { size: 500 });
    assert.deepEqual(at('End', { sized: 'second' }), { size: 200 });
    assert.equal(at('Enter'), null);
    assert.deepEqual(at('Enter', { collapsible: true }), { toggle: true });
    assert.equal(at('a'), null);
  });
});

describe('remembered', () => {
  const memory = (): KeyValueStore & { data: Map<string, string> } => {
    const data = new Map<string, string>();
    return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
  };

  test('size and collapsed state round-trip; the default removes the entry', () => {
    const store = memory();
    assert.deepEqual(readSplit(store, 'logs.pickers'), { size: null, collapsed: false });
    writeSplit(store, 'logs.pickers', { size: 312, collapsed: true });
    assert.equal(store.data.get(storageKey('logs.pickers')), '{"size":312,"collapsed":true}');
    assert.deepEqual(readSplit(store, 'logs.pickers'), { size: 312, collapsed: true });
    writeSplit(store, 'logs.pickers', { size: null, collapsed: false });
    assert.equal(store.data.size, 0);
  });

  test('a broken or foreign value reads as the default; a refusing store or none is ignored', () => {
    const store = memory();
    for (const bad of ['{', '"x"', '{"size":-4}', '{"size":"300"}', '{"size":1e999}', 'null']) {
      store.data.set(storageKey('a'), bad);
      assert.deepEqual(readSplit(store, 'a'), { size: null, collapsed: false }, bad);
    }
    store.data.set(storageKey('a'), '{"size":250,"collapsed":"yes"}');
    assert.deepEqual(readSplit(store, 'a'), { size: 250, collapsed: false });
    const refusing: KeyValueStore = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('quota'); }, removeItem: () => { throw new Error('denied'); } };
    assert.deepEqual(readSplit(refusing, 'a'), { size: null, collapsed: false });
    assert.doesNotThrow(() => writeSplit(refusing, 'a', { size: 1, collapsed: false }));
    assert.deepEqual(readSplit(null, 'a'), { size: null, collapsed: false });
    assert.doesNotThrow(() => writeSplit(null, 'a', { size: 1, collapsed: false }));
  });
});

describe('long names', () => {
  test('break after dots and slashes only; the parts give the name back', () => {
    assert.deepEqual(nameParts('Windows.Events.ProcessCreation'), ['Windows.', 'Events.', 'ProcessCreation']);
    assert.deepEqual(nameParts('Generic.Client.Stats/2024-03-01'), ['Generic.', 'Client.', 'Stats/', '2024-03-01']);
    assert.deepEqual(nameParts('C:\\Logs\\a..b'), ['C:\\', 'Logs\\', 'a..', 'b']);
    assert.deepEqual(nameParts('Plain'), ['Plain']);
    assert.deepEqual(nameParts(''), []);
    for (const n of ['a.b.c', '.hidden', 'trailing.', 'x//y']) assert.equal(nameParts(n).join(''), n);
  });
});
