// Numbers in the results grid (renderer/lib/table/number-text.ts): floats rounded for the eye,
// `*Percent` columns as percents, the full value kept for copy, filter and export, and the
// search finding a number by what the grid shows as well as by its full text.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { displayText, isPercentColumn, numberText, percentText } from '../../renderer/lib/table/number-text.ts';
import { cellText } from '../../renderer/lib/table/cell-text.ts';
import { RowSource } from '../../renderer/lib/table/source.ts';
import { TableView } from '../../renderer/lib/table/view.ts';
import { columnWidth } from '../../renderer/lib/table/widths.ts';
import { exportParts } from '../../renderer/lib/table/export.ts';
import { prng } from '../helpers/prng.ts';

describe('numberText', () => {
  test('arithmetic noise is rounded away; integers stay as they are', () => {
    assert.equal(1.1 + 0.08, 1.1800000000000002, 'the float the issue saw');
    const cases: Array<[number, string]> = [
      [1.1 + 0.08, '1.18'], [0.1 + 0.2, '0.3'], [12.345678, '12.3457'], [-1.5, '-1.5'], [0.5, '0.5'],
      [1714550400.123456, '1714550400.1235'], [123456.78901, '123456.789'], [99999.99999, '100000'],
      [2, '2'], [-3, '-3'], [1714550400, '1714550400'], [2 ** 53 + 2, '9007199254740994'], [1e21, '1e+21'],
      [Number.NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'], [-0, '0'], [-1e-9 / 3, '-3.333e-10'],
    ];
    for (const [n, want] of cases) assert.equal(numberText(n), want, String(n));
  });

  test('below 1: 4 significant digits, so small rates keep their meaning', () => {
    assert.equal(numberText(0.0118), '0.0118');
    assert.equal(numberText(0.00123456789), '0.001235');
    assert.equal(numberText(0.000001234567), '0.000001235');
    assert.equal(numberText(1.23456e-7), '1.235e-7');
    assert.equal(numberText(0.99999999), '1');
    assert.equal(numberText(-0.000049999), '-0.00005');
  });

  test('never more digits than a double holds (15 significant)', () => {
    assert.equal(numberText(12345678901234.567), '12345678901234.6');
    assert.equal(numberText(123456789012345.67), '123456789012346');
  });

  test('rounding keeps the value within half a unit of the last digit shown, over many values', () => {
    const rnd = prng(5);
    for (let i = 0; i < 20_000; i++) {
      const n = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 20 - 8);
      const text = numberText(n);
      const back = Number(text);
      assert.ok(Number.isFinite(back), `${n} → ${text} is a number`);
      const a = Math.abs(n);
      // The unit of the last place kept: 4 decimals at 1 and above (fewer past 15 digits), 4 significant digits below.
      const magnitude = Math.floor(Math.log10(a));
      const unit = a >= 1 ? 10 ** -Math.min(4, 14 - magnitude) : 10 ** (magnitude - 3);
      assert.ok(Math.abs(back - n) <= unit / 2 + Math.abs(n) * 1e-15, `${n} → ${text}`);
      assert.ok(!/\.\d*0$/.test(text) && !text.endsWith('.'), `${text}: no trailing zeros`);
    }
  });
});

describe('percent columns', () => {
  test('a name ending in Percent (any case) is a percent column; others are not', () => {
    for (const name of ['CPUPercent', 'MemoryPercent', 'disk_percent', 'Percent']) assert.equal(isPercentColumn(name), true, name);
    for (const name of ['CPU', 'PercentFree', 'Percentage', 'Pct', '']) assert.equal(isPercentColumn(name), false, name);
  });

  test('the fraction is shown times 100 with a % sign, rounded like any number', () => {
    assert.equal(percentText(0.0118), '1.18%');
    assert.equal(percentText(0.011800000000000001), '1.18%');
    assert.equal(percentText(2.5), '250%');
    assert.equal(percentText(0), '0%');
    assert.equal(percentText(0.000012346), '0.001235%');
    assert.equal(percentText(Number.NaN), 'NaN');
  });

  test('displayText: percents and rounded numbers; times, text and integers as cellText', () => {
    assert.equal(displayText(0.0118, { name: 'CPUPercent', type: 'number' }), '1.18%');
    assert.equal(displayText(1.1800000000000002, { name: 'CPU', type: 'number' }), '1.18');
    assert.equal(displayText(12, { name: 'RSS', type: 'number' }), '12');
    assert.equal(displayText('n/a', { name: 'CPUPercent', type: 'text' }), 'n/a', 'text in a percent column stays text');
    assert.equal(displayText(null, { name: 'CPUPercent', type: 'number' }), '');
    assert.equal(displayText(1714550400000, { name: 'Timestamp', type: 'timestamp' }), '2024-05-01T08:00:00.000Z');
    assert.equal(displayText(1714550400000.5, { name: 'Percent', type: 'timestamp' }), cellText(1714550400000.5, 'timestamp'), 'a time is never a percent');
  });
});

describe('the grid shows the rounded text; everything else keeps the value', () => {
  const rows = [
    { Timestamp: 1714550400.5, CPU: 1.1 + 0.08, CPUPercent: 0.0118, RSS: 18866176 },
    { Timestamp: 1714550401.5, CPU: 1.23, CPUPercent: 0.05, RSS: 18866177 },
  ];

  test('copy (cellText) and CSV export keep the full value', () => {
    const src = new RowSource();
    src.append(rows);
    const cpu = src.columns.findIndex((c) => c.name === 'CPU');
    assert.equal(cellText(src.cell(0, cpu), src.columns[cpu]!.type), '1.1800000000000002');
    const view = new TableView(src);
    view.sync(0);
    for (const format of ['csv', 'json'] as const) {
      const text = exportParts(view, format).join('');
      assert.match(text, /1\.1800000000000002/, format);
      assert.match(text, /0\.0118/, format);
      assert.doesNotMatch(text, /%/, format);
    }
  });

  test('search finds a number by its full text and by what the grid shows', () => {
    const src = new RowSource();
    src.append(rows);
    const find = (needle: string) => {
      const view = new TableView(src);
      view.setSearch(needle);
      view.sync(0);
      return Array.from(view.displayRows());
    };
    assert.deepEqual(find('1.18%'), [0], 'the percent as shown');
    assert.deepEqual(find('5%'), [1]);
    assert.deepEqual(find('0.0118'), [0], 'the stored fraction');
    assert.deepEqual(find('1.1800000000000002'), [0], 'the full float');
    assert.deepEqual(find('1.18'), [0], 'the rounded float (and the percent)');
    assert.deepEqual(find('%'), [0, 1], 'every percent cell shows a %');
    assert.deepEqual(find('18866177'), [1], 'digits in integers as before');
  });

  test('column widths are measured on the shown text', () => {
    const noisy = Array.from({ length: 10 }, () => numberText(0.1 + 0.2));
    assert.equal(columnWidth('CPU', 'number', noisy), columnWidth('CPU', 'number', Array(10).fill('0.3')));
    assert.ok(columnWidth('CPU', 'number', Array(10).fill(String(0.1 + 0.2))) > columnWidth('CPU', 'number', noisy));
    // Short numbers under a long name: the column is as wide as its name (bold, ~9px a character).
    assert.ok(columnWidth('CPUPercent', 'number', Array(10).fill('1.18%')) >= 10 * 9 + 30);
  });
});
