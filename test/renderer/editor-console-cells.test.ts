// Console cells survive a reload through storage; damaged or full storage never breaks the console.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CELLS_KEY, DEFAULT_QUERY, loadCells, newCell, saveCells, type KeyValueStore } from '../../renderer/lib/console/cells.ts';

function memory(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('console cells', () => {
  test('a fresh console has one default cell', () => {
    const cells = loadCells(memory());
    assert.equal(cells.length, 1);
    assert.equal(cells[0]!.query, DEFAULT_QUERY);
  });

  test('saved cells load back in order, with their ids', () => {
    const store = memory();
    const cells = [newCell('SELECT 1 FROM scope()'), newCell('SELECT * FROM range(end=2)\n-- two')];
    assert.notEqual(cells[0]!.id, cells[1]!.id);
    assert.equal(saveCells(store, cells), true);
    assert.deepEqual(loadCells(store), cells);
  });

  test('damaged storage starts fresh instead of failing', (t) => {
    t.mock.method(console, 'warn', () => {});
    const store = memory();
    store.data.set(CELLS_KEY, '{not json');
    assert.equal(loadCells(store)[0]!.query, DEFAULT_QUERY);
    store.data.set(CELLS_KEY, JSON.stringify([{ id: 1 }, { id: 'ok', query: 'SELECT 2 FROM scope()' }]));
    assert.deepEqual(loadCells(store), [{ id: 'ok', query: 'SELECT 2 FROM scope()' }]);
  });

  test('a storage that refuses writes is reported, not thrown', (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const full: KeyValueStore = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); } };
    assert.equal(saveCells(full, [newCell('x')]), false);
    assert.match(String(warn.mock.calls[0]?.arguments[0]), /could not be saved.*QuotaExceeded/);
  });
});
