// The grid's scrolling over any number of rows (renderer/lib/workbench/viewport.ts): one to one
// for small views, a scaled scrollbar past MAX_SCROLL_PX that still reaches the first and the
// last row, rows drawn where they belong, and scrolling to a row (nearest, start, center).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SCROLL_PX, Viewport } from '../../renderer/lib/workbench/viewport.ts';

describe('viewport', () => {
  test('a small view scrolls one to one; rows are drawn at their own offsets', () => {
    const v = new Viewport(1000, 25, 500);
    assert.equal(v.spacer, 25_000);
    assert.equal(v.ratio, 1);
    assert.deepEqual(v.range(0, 0), { first: 0, last: 19, top: 0 });
    assert.deepEqual(v.range(260, 2), { first: 8, last: 32, top: 200 }, 'rows 10..30 show in part or whole, two more each side');
    assert.deepEqual(v.visibleRows(260), [10, 29]);
    assert.deepEqual(v.range(1e9, 0), { first: 980, last: 999, top: 24_500 }, 'clamped at the end');
    assert.deepEqual(new Viewport(0, 25, 500).range(0), { first: 0, last: -1, top: 0 });
    assert.deepEqual(new Viewport(3, 25, 500).range(0, 4), { first: 0, last: 2, top: 0 });
  });

  test('fifty million rows: the spacer stays under the limit, the scrollbar\'s ends are the first and last rows', () => {
    const v = new Viewport(50_000_000, 25, 700);
    assert.equal(v.spacer, MAX_SCROLL_PX);
    assert.ok(v.ratio > 150);
    const top = v.range(0, 0);
    assert.equal(top.first, 0);
    assert.equal(top.top, 0);
    const end = v.range(v.spacer - 700, 0);
    assert.equal(end.last, 49_999_999);
    // The last row's bottom is the spacer's bottom: nothing drawn past the end.
    assert.equal(end.top + (end.last - end.first + 1) * 25, v.spacer);
    const mid = v.range((v.spacer - 700) / 2, 0);
    assert.ok(Math.abs(mid.first - 25_000_000) < 100, String(mid.first));
    // Drawn rows sit inside the viewport: the first visible row starts at or above its top.
    const st = 1_234_567;
    const r = v.range(st, 0);
    assert.ok(r.top <= st && r.top > st - 25, `${r.top} vs ${st}`);
  });

  test('scrolling to a row: nearest does not move a visible row; start and center; huge views too', () => {
    const v = new Viewport(1000, 25, 500);
    assert.equal(v.scrollTopFor(5, 0), 0, 'visible: no move');
    assert.equal(v.scrollTopFor(30, 0), 31 * 25 - 500, 'below: to the bottom edge');
    assert.equal(v.scrollTopFor(2, 300), 50, 'above: to the top edge');
    assert.equal(v.scrollTopFor(100, 0, 'start'), 2500);
    assert.equal(v.scrollTopFor(100, 0, 'center'), 2500 - 237.5);
    assert.equal(v.scrollTopFor(999, 0, 'start'), 24_500, 'clamped');
    const big = new Viewport(20_000_000, 25, 700);
    const row = 12_345_678;
    const st = big.scrollTopFor(row, 0, 'center');
    const [first, last] = big.visibleRows(st);
    assert.ok(first <= row && row <= last, `${row} in ${first}..${last}`);
  });
});
