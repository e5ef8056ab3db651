// The results table's view logic: sort (type-aware, stable, empties last), the filter language,
// search, hidden/ordered columns, newest-first and incremental growth of a live source.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RowSource, type Cell, type ColumnInfo, type TableSource } from '../../renderer/lib/table/source.ts';
import { TableView, SORTED_REFRESH_MS } from '../../renderer/lib/table/view.ts';
import { parseFilter } from '../../renderer/lib/table/filter.ts';
import { sortTextPositions } from '../../renderer/lib/table/sort-text.ts';
import { cellText, rowCountText } from '../../renderer/lib/table/cell-text.ts';
import { numberText } from '../../renderer/lib/table/number-text.ts';
import { parseTimeSpan } from '../../renderer/lib/table/time-operand.ts';
import { prng } from '../helpers/prng.ts';
import { ColumnWidths, columnWidth } from '../../renderer/lib/table/widths.ts';

/** A column-typed source (RowSource infers types from the first value; this one is told). */
class FixedSource implements TableSource {
  generation = 0;
  dropped = 0;
  constructor(readonly columns: ColumnInfo[], public rows: Cell[][]) {}
  get rowCount() {
    return this.rows.length;
  }
  cell(r: number, c: number): Cell {
    return this.rows[r]?.[c] ?? null;
  }
  subscribe() {
    return () => {};
  }
}

function rowsOf(view: TableView, col = 0): Cell[] {
  return Array.from(view.displayRows(), (r) => view.source.cell(r, col));
}

function viewOf(values: Cell[], type: ColumnInfo['type'] = 'text'): TableView {
  const v = new TableView(new FixedSource([{ name: 'v', type }, { name: 'i', type: 'number' }], values.map((x, i) => [x, i])));
  v.sync(0);
  return v;
}

describe('sort', () => {
  test('numbers numerically, text case-folded, empties last, both directions', () => {
    const v = viewOf([10, 'b', null, 9, 'A', '', -3, 'a', 100, Number.NaN, true]);
    v.setSort({ col: 0, desc: false });
    v.sync(1);
    assert.deepEqual(rowsOf(v), [-3, true, 9, 10, 100, 'A', 'a', 'b', null, '', Number.NaN]);
    v.setSort({ col: 0, desc: true });
    v.sync(2);
    assert.deepEqual(rowsOf(v), [100, 10, 9, true, -3, 'b', 'A', 'a', null, '', Number.NaN]);
  });

  test('stable: equal keys keep arrival order in both directions', () => {
    const v = viewOf(['x', 'y', 'x', 'X', 'y', 'x']);
    v.setSort({ col: 0, desc: false });
    v.sync(1);
    assert.deepEqual(rowsOf(v, 1), [0, 2, 3, 5, 1, 4]);
    v.setSort({ col: 0, desc: true });
    v.sync(2);
    assert.deepEqual(rowsOf(v, 1), [1, 4, 0, 2, 3, 5]);
  });

  test('toggleSort cycles ascending, descending, arrival order', () => {
    const v = viewOf([2, 1, 3], 'number');
    v.toggleSort(0);
    v.sync(1);
    assert.deepEqual(rowsOf(v), [1, 2, 3]);
    v.toggleSort(0);
    v.sync(2);
    assert.deepEqual(rowsOf(v), [3, 2, 1]);
    v.toggleSort(0);
    v.sync(3);
    assert.equal(v.sort, null);
    assert.deepEqual(rowsOf(v), [2, 1, 3]);
  });

  test('the radix text sort agrees with a reference comparator on random data, large and small', () => {
    const rnd = prng(7);
    const alphabet = ['a', 'B', 'b', 'é', 'Z', '-', ' ', '中', '\uffff', 'ab', 'abc', 'C:\\Windows\\'];
    const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
    for (const [n, letters, len] of [[300, 4, 20], [300, alphabet.length, 30], [20000, 3, 3], [20000, 12, 40], [5000, 2, 60]] as const) {
      const keys = Array.from({ length: n }, () => Array.from({ length: Math.floor(rnd() * len) }, () => alphabet[Math.floor(rnd() * letters)]).join(''));
      for (const desc of [false, true]) {
        const want = keys.map((_, i) => i).sort((a, b) => {
          const x = fold(keys[a]), y = fold(keys[b]);
          const c = x < y ? -1 : x > y ? 1 : 0;
          return (desc ? -c : c) || a - b;
        });
        assert.deepEqual(Array.from(sortTextPositions(keys, desc)), want, `n=${n} letters=${letters} desc=${desc}`);
      }
    }
  });

  test('text sort vs a reference comparator: unicode, case, shared prefixes, long keys, big runs', () => {
    const rnd = prng(21);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const check = (keys: string[], label: string) => {
      const folded = keys.map(fold);
      for (const desc of [false, true]) {
        const want = keys.map((_, i) => i).sort((a, b) => {
          const x = folded[a], y = folded[b];
          return (desc ? (x < y ? 1 : x > y ? -1 : 0) : x < y ? -1 : x > y ? 1 : 0) || a - b;
        });
        const got = Array.from(sortTextPositions(keys, desc));
        const at = got.findIndex((p, i) => p !== want[i]);
        assert.equal(at, -1, `${label} desc=${desc}: first difference at ${at}: ${JSON.stringify(keys[got[at]])} vs ${JSON.stringify(keys[want[at]])}`);
      }
    };
    // '[', '_' and '`' sit between 'Z' and 'a': folding must put them before letters of either case.
    const narrow = ['a', 'A', 'b', 'B', 'z', 'Z', '[', '_', '`', '{', '0', '9', ' ', '\0', 'é', 'É', '\u00fe', 'ab', 'AB'];
    const wide = [...narrow, '\u00ff', '中', '😀', '\ufffe', 'Ω'];
    const word = (alphabet: readonly string[], max: number) => Array.from({ length: Math.floor(rnd() * max) }, () => pick(alphabet)).join('');
    const shared = 'C:\\Windows\\System32\\drivers\\etc\\';
    const long = 'x'.repeat(40);
    check(Array.from({ length: 3000 }, () => word(narrow, 12)), 'short narrow');
    check(Array.from({ length: 3000 }, () => word(wide, 12)), 'short wide');
    check(Array.from({ length: 3000 }, () => shared + word(narrow, 8)), 'one shared prefix');
    check(Array.from({ length: 3000 }, () => (rnd() < 0.5 ? shared : shared.toUpperCase()) + word(narrow, 6)), 'prefix equal but for case');
    check(Array.from({ length: 4000 }, () => word(['a', 'B'], 3) + long + word(narrow, 4) + long + word(narrow, 4)), 'keys past several packed windows');
    check(Array.from({ length: 3000 }, () => word(narrow, 3) + long + pick(['é', 'ÿ', '中', 'e']) + word(narrow, 3)), 'wide characters only past the first window');
    check(Array.from({ length: 3000 }, () => word(['a', 'b', '\uffff', '\ufffe', '中'], 6)), 'U+FFFE and U+FFFF');
    check(Array.from({ length: 3000 }, () => word(['a', 'b'], 4) + (rnd() < 0.5 ? '' : '\uffff')), 'U+FFFF among ASCII text');
    check(Array.from({ length: 70000 }, () => word(narrow, 6) + word(['x', 'Y'], 20)), 'runs large enough for two-byte splits');
    check(Array.from({ length: 70000 }, () => `${pick(['error', 'Warning', 'info'])} #${Math.floor(rnd() * 1e5)} from 10.0.${Math.floor(rnd() * 256)}`), 'log lines');
    check(Array.from({ length: 20000 }, () => pick(['x', 'X', 'y', 'Y', 'é', '', 'abc', 'ABC'])), 'few distinct values, equal but for case');
  });

  test('a mixed column sorts numbers, then text, then empties; stable both ways', () => {
    const rnd = prng(5);
    const pool: Cell[] = [null, '', Number.NaN, true, false, 0, -0, 1.5, -3, 1e300, 'b', 'B', 'a', 'é', 'ÿ', '中', { k: 1 }, [1, 2], 'zz', 'ZZ', '10', 10];
    const vals = Array.from({ length: 2000 }, () => pool[Math.floor(rnd() * pool.length)]);
    const group = (x: Cell) => (typeof x === 'number' ? (Number.isNaN(x) ? 2 : 0) : typeof x === 'boolean' ? 0 : x === null || x === '' ? 2 : 1);
    const num = (x: Cell) => (typeof x === 'boolean' ? Number(x) : (x as number));
    const text = (x: Cell) => (typeof x === 'string' ? x : JSON.stringify(x)).replace(/[A-Z]/g, (c) => c.toLowerCase());
    for (const desc of [false, true]) {
      const want = vals.map((_, i) => i).sort((a, b) => {
        const x = vals[a], y = vals[b], gx = group(x), gy = group(y);
        if (gx !== gy) return gx - gy;
        let c = 0;
        if (gx === 0) c = num(x) - num(y);
        else if (gx === 1) c = text(x) < text(y) ? -1 : text(x) > text(y) ? 1 : 0;
        return (desc ? -c : c) || a - b;
      });
      const v = viewOf(vals);
      v.setSort({ col: 0, desc });
      v.sync(1);
      assert.deepEqual(rowsOf(v, 1), want, `desc=${desc}`);
    }
  });

  test('a million-scale numeric column sorts correctly (radix, 16-bit digits)', () => {
    const rnd = prng(3);
    const vals = Array.from({ length: 200_000 }, () => (rnd() - 0.5) * 1e6);
    const v = viewOf(vals, 'number');
    v.setSort({ col: 0, desc: false });
    v.sync(1);
    assert.deepEqual(rowsOf(v), [...vals].sort((a, b) => a - b));
  });
});

describe('filter language', () => {
  const run = (values: Cell[], filter: string, type: ColumnInfo['type'] = 'text') => {
    const v = viewOf(values, type);
    assert.equal(v.setFilter(0, filter), null, `filter ${filter} should parse`);
    v.sync(1);
    return rowsOf(v);
  };

  test('contains, case-insensitive; quoted phrases; negation', () => {
    const vals = ['Error: disk', 'warning', 'no ERRORs', null, 'a b c'];
    assert.deepEqual(run(vals, 'error'), ['Error: disk', 'no ERRORs']);
    assert.deepEqual(run(vals, '!error'), ['warning', null, 'a b c']);
    assert.deepEqual(run(vals, '"a b"'), ['a b c']);
    assert.deepEqual(run(vals, 'error disk'), ['Error: disk']);
    assert.deepEqual(run(['a.b', 'axb'], 'a.b'), ['a.b'], 'a literal, not a regular expression');
  });

  test('numeric comparisons, equality, ranges and alternatives', () => {
    const nums = [1, 5, 10, 11, -2, null, '7'];
    assert.deepEqual(run(nums, '>5', 'number'), [10, 11, '7']);
    assert.deepEqual(run(nums, '>=5 <=10', 'number'), [5, 10, '7']);
    assert.deepEqual(run(nums, '=10', 'number'), [10]);
    assert.deepEqual(run(nums, '!=10', 'number'), [1, 5, 11, -2, null, '7']);
    assert.deepEqual(run(nums, '5..10', 'number'), [5, 10, '7']);
    assert.deepEqual(run(nums, '..1', 'number'), [1, -2]);
    assert.deepEqual(run(nums, '10..', 'number'), [10, 11]);
    assert.deepEqual(run(nums, '!5..10', 'number'), [1, 11, -2, null]);
    assert.deepEqual(run(nums, '=1|=11', 'number'), [1, 11]);
    assert.deepEqual(run(nums, '=', 'number'), [null]);
    assert.deepEqual(run(nums, '!=', 'number'), [1, 5, 10, 11, -2, '7']);
    assert.deepEqual(run(['10', '9', 'abc'], '>9'), ['10'], 'numeric text compares as a number');
  });

  test('text equality and text order', () => {
    assert.deepEqual(run(['Root', 'root2', 'ROOT'], '=root'), ['Root', 'ROOT']);
    assert.deepEqual(run(['apple', 'Banana', 'cherry'], '>b'), ['Banana', 'cherry']);
    assert.deepEqual(run(['apple', 'Banana', 'cherry'], 'b..c'), ['Banana']);
  });

  test('timestamps: dates name their whole span, times are UTC', () => {
    const t = (s: string) => Date.parse(s);
    const ts = [t('2024-04-30T23:59:59.999Z'), t('2024-05-01T00:00:00Z'), t('2024-05-01T12:30:00Z'), t('2024-05-02T00:00:00Z'), t('2024-05-03T08:00:00Z')];
    const iso = (xs: Cell[]) => xs.map((x) => cellText(x, 'timestamp'));
    assert.deepEqual(iso(run(ts, '=2024-05-01', 'timestamp')), ['2024-05-01T00:00:00.000Z', '2024-05-01T12:30:00.000Z']);
    assert.deepEqual(iso(run(ts, '>2024-05-01', 'timestamp')), ['2024-05-02T00:00:00.000Z', '2024-05-03T08:00:00.000Z']);
    assert.deepEqual(iso(run(ts, '<=2024-05-01', 'timestamp')).length, 3);
    assert.deepEqual(iso(run(ts, '2024-05-01..2024-05-02', 'timestamp')).length, 3);
    assert.deepEqual(iso(run(ts, '>=2024-05-01T12:30', 'timestamp')).length, 3);
    assert.deepEqual(iso(run(ts, '2024-05-01T12', 'timestamp')), ['2024-05-01T12:30:00.000Z'], 'contains on the ISO text');
    assert.deepEqual(parseTimeSpan('2024-05-01T10:00+02:00'), { start: Date.parse('2024-05-01T08:00:00Z'), end: Date.parse('2024-05-01T08:01:00Z') });
    assert.equal(parseTimeSpan('2024-13-01'), null);
    assert.equal(parseTimeSpan('hello'), null);
  });

  test('syntax errors say where and what to do; the filter is then off', () => {
    for (const [text, where, what] of [['>', 1, 'needs a value'], ['a "b', 3, 'not closed'], ['..', 1, 'at least one end'], ['a|', 3, 'missing'], ['"a"b', 4, 'space after']] as const) {
      const r = parseFilter(text, 'text');
      assert.equal(r.ok, false, text);
      if (!r.ok) {
        assert.match(r.error, new RegExp(`character ${where}:`), `${text}: ${r.error}`);
        assert.match(r.error, new RegExp(what), `${text}: ${r.error}`);
      }
    }
    const v = viewOf(['a', 'b']);
    assert.match(v.setFilter(0, '>') ?? '', /needs a value/);
    v.sync(1);
    assert.equal(v.count, 2);
    assert.match(v.filterError(0) ?? '', /needs a value/);
    assert.equal(v.filterText(0), '>');
  });
});

describe('search, columns, counts', () => {
  test('search covers visible columns only, numbers and ISO times too', () => {
    const src = new FixedSource([{ name: 'msg', type: 'text' }, { name: 'n', type: 'number' }, { name: 't', type: 'timestamp' }], [
      ['Logon ok', 12345, Date.parse('2024-05-01T00:00:00Z')],
      ['logoff', 7, Date.parse('2023-01-01T00:00:00Z')],
      ['other', 8, null],
    ]);
    const v = new TableView(src);
    v.setSearch('LOGON');
    v.sync(0);
    assert.deepEqual(Array.from(v.displayRows()), [0]);
    v.setSearch('2345');
    v.sync(1);
    assert.deepEqual(Array.from(v.displayRows()), [0]);
    v.setSearch('2023-01');
    v.sync(2);
    assert.deepEqual(Array.from(v.displayRows()), [1]);
    v.setHidden(2, true);
    v.sync(3);
    assert.equal(v.count, 0, 'hidden columns are not searched');
    assert.deepEqual(v.layout.visible(), [0, 1]);
  });

  test('searching digits in integer cells agrees with their decimal text', () => {
    const rnd = prng(11);
    const vals = [0, 5, 10, 105, -105, 1005, 99999, 100000, ...Array.from({ length: 300 }, () => Math.floor((rnd() - 0.3) * 10 ** Math.floor(rnd() * 12)))];
    const src = new FixedSource([{ name: 'n', type: 'number' }], vals.map((v) => [v]));
    for (const needle of ['0', '5', '05', '00', '10', '105', '99', '1234', '0005', '-10', '1.5']) {
      const v = new TableView(src);
      v.setSearch(needle);
      v.sync(0);
      assert.deepEqual(rowsOf(v), vals.filter((x) => String(x).includes(needle)), needle);
    }
  });

  test('searching digits in fractional and huge numbers agrees with their decimal text', () => {
    const rnd = prng(13);
    const gens = [
      () => Math.round(rnd() * 100000) / 100, () => rnd() * 1000, () => (rnd() - 0.5) * 1e12, () => rnd(), () => rnd() * 1e-5,
      () => Number((rnd() * 1e5).toFixed(Math.floor(rnd() * 8))), () => 10 ** -Math.floor(rnd() * 8) * (1 - 2 ** -52),
      () => Math.floor(rnd() * 1e15) / 10 ** Math.floor(rnd() * 15), () => 1e15 + rnd() * 1e3, () => 1e21 * rnd(),
    ];
    const vals: Cell[] = [0.05, 100.5, 1.0005, 0.1 + 0.2, -12.345, 1e-7, 123456789.123, Infinity, -Infinity, Number.NaN, ...Array.from({ length: 6000 }, (_, i) => gens[i % gens.length]())];
    const src = new FixedSource([{ name: 'n', type: 'number' }], vals.map((v) => [v]));
    for (const needle of ['0', '5', '05', '00', '12', '345', '0001', '999', '30000000000000004', 'e-7', 'infinity', '.5']) {
      const v = new TableView(src);
      v.setSearch(needle);
      v.sync(0);
      // A needle that is not 1-15 digits alone is also looked for in the rounded text the grid shows.
      const shown = (x: number) => !/^[0-9]{1,15}$/.test(needle) && !Number.isInteger(x) && numberText(x).toLowerCase().includes(needle);
      assert.deepEqual(rowsOf(v), vals.filter((x) => !Number.isNaN(x) && (String(x).toLowerCase().includes(needle) || shown(x as number))), needle);
    }
  });

  test('a needle without letters is found in text as is; one with letters in any case', () => {
    const src = new FixedSource([{ name: 'msg', type: 'text' }], [['from 10.0.1.7'], ['FROM 10.0.1.8'], ['10-0-1'], ['ünïcode 10.0']]);
    for (const [needle, want] of [['10.0.1', [0, 1]], ['0.1.', [0, 1]], ['From 10', [0, 1]], ['ÜNÏ', [3]], ['-0-', [2]]] as const) {
      const v = new TableView(src);
      v.setSearch(needle);
      v.sync(0);
      assert.deepEqual(Array.from(v.displayRows()), want, needle);
    }
  });

  test('column order moves, hidden columns, and settings survive a rerun with the same names', () => {
    const src = new RowSource();
    src.append([{ a: 1, b: 'x', c: true }]);
    const v = new TableView(src);
    v.sync(0);
    v.moveColumn(2, -2);
    assert.deepEqual(v.layout.visible(), [2, 0, 1]);
    v.moveColumn(2, -5);
    assert.deepEqual(v.layout.ordered(), [2, 0, 1], 'clamped');
    v.setHidden(0, true);
    v.setFilter(1, 'y');
    v.setSort({ col: 0, desc: true });
    src.clear();
    src.append([{ a: 1, b: 'x', c: true }, { a: 2, b: 'y', c: false }, { a: 3, b: 'yy', c: false }]);
    v.sync(1);
    assert.deepEqual(v.layout.visible(), [2, 1]);
    assert.deepEqual(rowsOf(v, 0), [3, 2]);
    assert.equal(v.filterText(1), 'y');
  });

  test('column widths follow the typical text, ignore outliers, and stay once chosen', () => {
    assert.equal(columnWidth('N', 'number', ['1', '2']), 70);
    const floats = Array.from({ length: 20 }, () => '0.039349827464');
    assert.ok(columnWidth('CPU', 'number', floats) >= 14 * 7.6);
    assert.equal(columnWidth('Msg', 'text', [...Array(20).fill('short'), 'x'.repeat(500)]), columnWidth('Msg', 'text', Array(21).fill('short')));
    assert.ok(columnWidth('Msg', 'text', Array(5).fill('y'.repeat(500))) <= 420);
    const src = new RowSource();
    const v = new TableView(src);
    const widths = new ColumnWidths();
    src.append([{ a: 'x' }]);
    v.sync(0);
    const first = widths.of(v, 0);
    src.append(Array(50).fill({ a: 'a much longer value than before' }));
    v.sync(1);
    assert.equal(widths.of(v, 0), first);
  });

  test('a remembered filter whose column appears later in a rerun applies to all rows', () => {
    const src = new RowSource();
    const v = new TableView(src);
    src.append([{ a: 1, b: 'keep' }, { a: 2, b: 'drop' }]);
    v.sync(0);
    v.setFilter(1, 'keep');
    v.sync(1);
    src.clear();
    src.append([{ a: 3 }]); // the first batch of the rerun has no column b yet
    v.sync(2);
    assert.deepEqual(rowsOf(v), [3]);
    src.append([{ a: 4, b: 'keep' }, { a: 5, b: 'drop' }]);
    v.sync(3);
    assert.deepEqual(rowsOf(v), [4], 'row 3 has no b, so it no longer passes the filter on b');
  });

  test('the row count line', () => {
    assert.equal(rowCountText(1234, 100000), '1,234 of 100,000 rows');
    assert.equal(rowCountText(1, 1), '1 of 1 row');
  });
});

describe('growing sources', () => {
  test('unsorted: appended batches are filtered and added without recomputing', () => {
    const src = new RowSource();
    const v = new TableView(src);
    src.append([{ n: 1 }, { n: 5 }]);
    v.sync(0);
    v.setFilter(0, '>2');
    v.sync(0);
    assert.deepEqual(rowsOf(v), [5]);
    src.append([{ n: 3 }, { n: 0 }, { n: 9 }]);
    assert.deepEqual(v.sync(1), { changed: true, retryInMs: null });
    assert.deepEqual(rowsOf(v), [5, 3, 9]);
    assert.equal(v.total, 5);
  });

  test('newest first reverses arrival order until a sort is chosen', () => {
    const src = new RowSource();
    const v = new TableView(src, true);
    src.append([{ n: 1 }, { n: 3 }]);
    v.sync(0);
    src.append([{ n: 2 }]);
    v.sync(1);
    assert.deepEqual(rowsOf(v), [2, 3, 1]);
    v.setSort({ col: 0, desc: false });
    v.sync(2);
    assert.deepEqual(rowsOf(v), [1, 2, 3]);
  });

  test('sorted: growth is recomputed at most every 250 ms', () => {
    const src = new RowSource();
    const v = new TableView(src);
    src.append([{ n: 2 }, { n: 1 }]);
    v.sync(0);
    v.setSort({ col: 0, desc: false });
    v.sync(1000);
    src.append([{ n: 0 }]);
    const r = v.sync(1100);
    assert.equal(r.changed, false);
    assert.equal(r.retryInMs, SORTED_REFRESH_MS - 100);
    assert.deepEqual(rowsOf(v), [1, 2]);
    assert.equal(v.sync(1000 + SORTED_REFRESH_MS).changed, true);
    assert.deepEqual(rowsOf(v), [0, 1, 2]);
  });

  test('a cleared source (generation bump) is recomputed; a capped source renumbers dropped rows', () => {
    const src = new FixedSource([{ name: 'n', type: 'number' }], [[1], [2], [3], [4]]);
    const v = new TableView(src);
    v.setFilter(0, '>=2');
    v.sync(0);
    assert.deepEqual(rowsOf(v), [2, 3, 4]);
    src.rows = [[3], [4], [5]]; // two dropped from the front, one appended
    src.dropped = 2;
    v.sync(1);
    assert.deepEqual(rowsOf(v), [3, 4, 5]);
    assert.deepEqual(Array.from(v.displayRows()), [0, 1, 2]);
    src.rows = [[9]];
    src.generation++;
    v.sync(2);
    assert.deepEqual(rowsOf(v), [9]);
  });
});
