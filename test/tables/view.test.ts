// Views over a loaded table (main/tables/view.ts, table.ts): the page's sort rules (numbers by
// value, text case-folded, empty cells last both ways, ties in file order; several keys),
// search over chosen columns, values kept or excluded, tags and tagged-only views, windows of a
// materialized sorted view, jump to a row, and the aggregates (groups, top values, timeline).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bench } from './helpers.ts';
import type { OpenTable } from '../../main/tables/table.ts';

const b = bench();
let t: OpenTable;
before(async () => {
  const rows = [
    ['_ts', 'user', 'n', 'msg'],
    ['1714521600', 'bob', '10', 'Logon ok'],
    ['1714521601', 'Alice', '2', 'logoff'],
    ['1714521602', '', '10', 'error: disk'],
    ['1714521660', 'alice', '', 'Error: net'],
    ['1714521661', 'Bob', '-5', 'other'],
    ['1714525200', 'carol', '2', ''],
  ];
  t = await b.open(b.file('v.csv', rows.map((r) => r.join(',')).join('\n') + '\n'));
});
after(() => b.dispose());

const col = async (view: string | undefined, name: string) => (await t.window({ view, offset: 0, limit: 100, columns: [name] })).cells.map((c) => c[0]);

describe('sort', () => {
  test('text case-folded, empties last in both directions, ties in file order', async () => {
    const up = await t.makeView({ sort: [{ column: 'user' }] });
    assert.deepEqual(up.window.rows, [2, 4, 1, 5, 6, 3]);
    const down = await t.makeView({ sort: [{ column: 'user', desc: true }] });
    assert.deepEqual(down.window.rows, [6, 1, 5, 2, 4, 3]);
  });

  test('numbers by value, several keys', async () => {
    const v = await t.makeView({ sort: [{ column: 'n', desc: true }, { column: 'user' }] });
    assert.deepEqual(await col(v.view, 'n'), [10, 10, 2, 2, -5, null]);
    assert.deepEqual(v.window.rows, [1, 3, 2, 6, 5, 4]);
  });

  test('a materialized view scrolls by position and agrees with its first window', async () => {
    const v = await t.makeView({ sort: [{ column: 'msg' }] }, 2);
    assert.equal(v.total, 6);
    await t.locate(v.view, 1); // waits for the view's table
    const all = await t.window({ view: v.view, offset: 0, limit: 100 });
    assert.deepEqual(all.rows.slice(0, 2), v.window.rows);
    const mid = await t.window({ view: v.view, offset: 2, limit: 2 });
    assert.deepEqual(mid.rows, all.rows.slice(2, 4));
    assert.equal(await t.locate(v.view, all.rows[4]!), 4);
  });
});

describe('filters, search, values, tags', () => {
  test('filters in the page language, search over chosen columns only', async () => {
    assert.deepEqual((await t.makeView({ filters: [{ column: 'msg', text: 'error' }] })).window.rows, [3, 4]);
    assert.deepEqual((await t.makeView({ filters: [{ column: 'n', text: '>=2 !10' }] })).window.rows, [2, 6]);
    assert.deepEqual((await t.makeView({ filters: [{ column: '_ts', text: '2024-05-01T00:01' }] })).window.rows, [4, 5]);
    assert.deepEqual((await t.makeView({ search: { text: 'BOB', columns: ['user', 'msg'] } })).window.rows, [1, 5]);
    assert.deepEqual((await t.makeView({ search: { text: 'bob', columns: ['msg'] } })).window.rows, []);
    assert.deepEqual((await t.makeView({ search: { text: '2024-05-01T01', columns: ['_ts'] } })).window.rows, [6]);
    await assert.rejects(t.makeView({ filters: [{ column: 'n', text: '>' }] }), /n: filter at character 1: '>' needs a value/);
    await assert.rejects(t.makeView({ filters: [{ column: 'nope', text: 'x' }] }), /no column "nope"/);
  });

  test('keep or exclude a value as the window shows it (times as ms, null)', async () => {
    assert.deepEqual((await t.makeView({ values: [{ column: 'n', value: 10 }] })).window.rows, [1, 3]);
    assert.deepEqual((await t.makeView({ values: [{ column: 'n', value: 10, exclude: true }] })).window.rows, [2, 4, 5, 6]);
    assert.deepEqual((await t.makeView({ values: [{ column: 'n', value: null }] })).window.rows, [4]);
    assert.deepEqual((await t.makeView({ values: [{ column: '_ts', value: 1714521601000 }] })).window.rows, [2]);
    assert.deepEqual((await t.makeView({ values: [{ column: 'user', value: 'bob' }] })).window.rows, [1]);
  });

  test('tags: tagged rows come back with windows; a tagged-only view', async () => {
    assert.equal(await t.tag([2, 5, 5, 999], true), 2, 'a row that does not exist is not tagged');
    const w = await t.window({ offset: 0, limit: 10 });
    assert.deepEqual(w.tagged.sort(), [2, 5]);
    assert.deepEqual((await t.makeView({ taggedOnly: true, sort: [{ column: 'n' }] })).window.rows, [5, 2]);
    assert.equal(await t.tag([2], false), 1);
    assert.deepEqual((await t.makeView({ taggedOnly: true })).window.rows, [5]);
  });

  test('only the last views are kept; an old view id says so', async () => {
    const first = await t.makeView({ sort: [{ column: 'n' }] });
    for (let i = 0; i < 4; i++) await t.makeView({ sort: [{ column: 'user' }] });
    await assert.rejects(t.window({ view: first.view, offset: 0, limit: 1 }), /is gone/);
  });

  test('jump to a row by number in file order', async () => {
    assert.equal(await t.locate(undefined, 4), 3);
    assert.equal(await t.locate(undefined, 99), -1);
    const v = await t.makeView({ filters: [{ column: 'msg', text: 'error' }] });
    assert.equal(await t.locate(v.view, 1), -1, 'not in the view');
    assert.equal(await t.locate(v.view, 4), 1);
  });
});

describe('aggregates', () => {
  test('group by one or more columns with counts, over a view', async () => {
    const g = await t.groups(undefined, ['n'], 10);
    assert.deepEqual(g.groups.slice(0, 2), [{ values: [2], count: 2 }, { values: [10], count: 2 }], 'largest first, ties by value');
    assert.equal(g.total, 4);
    const two = await t.groups(undefined, ['n', 'user'], 10);
    assert.equal(two.total, 6);
    const v = await t.makeView({ filters: [{ column: 'msg', text: 'o' }] });
    const gv = await t.groups(v.view, ['n']);
    assert.equal(gv.groups.reduce((s, x) => s + x.count, 0), v.total);
  });

  test('value counts: top values, distinct, nulls', async () => {
    const v = await t.values(undefined, 'n', 2);
    assert.deepEqual(v.values, [{ value: 2, count: 2 }, { value: 10, count: 2 }]);
    assert.equal(v.nulls, 1);
    assert.equal(v.rows, 6);
    assert.equal(v.distinct, 3);
  });

  test('a time histogram with a readable bucket width', async () => {
    const h = await t.timeline(undefined, undefined, 10);
    assert.equal(h.column, '_ts');
    assert.equal(h.bucketMs, 600_000);
    assert.equal(h.start, 1714521600000);
    assert.equal(h.counts.reduce((s, x) => s + x, 0), 6);
    assert.deepEqual([h.counts[0], h.counts.at(-1)], [5, 1]);
    await assert.rejects(t.timeline(undefined, 'user'), /not a timestamp column/);
  });
});

describe('value counts and empty cells', () => {
  test('the empty value is counted apart, not among the distinct values (CSV: empty fields; JSON: null and "")', async () => {
    // `user` has five values (case counts) and one empty cell.
    const v = await t.values(undefined, 'user', 100);
    assert.equal(v.distinct, 5);
    assert.deepEqual([v.nulls, v.empty, v.rows], [1, 1, 6]);
    assert.ok(v.values.some((x) => x.value === null && x.count === 1), 'the empty value is still listed, to be clicked into a filter');
    const j = await b.open(b.file('empties.jsonl', ['a', 'b', '', 'c', 'd', '', null, 'a'].map((s) => JSON.stringify({ s })).join('\n') + '\n'));
    const jv = await j.values(undefined, 's', 100);
    assert.deepEqual([jv.distinct, jv.nulls, jv.empty, jv.rows], [4, 1, 3, 8]);
    // A top list cut short still counts only the non-empty values it shows.
    const short = await j.values(undefined, 's', 2);
    assert.equal(short.distinct, 4);
  });
});
