// Export of the table's current view: RFC 4180 CSV round-trips through papaparse, JSON keeps the
// view's column order, formula neutralization on/off, chunking, and the view's settings applied.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Papa from 'papaparse';
import { RowSource, type Cell, type ColumnInfo, type TableSource } from '../../renderer/lib/table/source.ts';
import { TableView } from '../../renderer/lib/table/view.ts';
import { csvField, exportChunks, exportFileName, exportParts, neutralizeFormula } from '../../renderer/lib/table/export.ts';

class FixedSource implements TableSource {
  constructor(readonly columns: ColumnInfo[], readonly rows: Cell[][]) {}
  get rowCount() {
    return this.rows.length;
  }
  cell(r: number, c: number): Cell {
    return this.rows[r][c];
  }
  subscribe() {
    return () => {};
  }
}

const tricky = ['plain', 'comma, inside', 'quote " inside', 'line\nbreak', 'crlf\r\nbreak', '', 'ünïcødé 中文', ' spaced ', '"quoted"'];
const formulas = ['=1+2', '+SUM(A1)', '-cmd', '@IMPORT', '\tTAB', '\rCR', '=HYPERLINK("http://x")'];

function view(rows: Array<Record<string, unknown>>): TableView {
  const src = new RowSource();
  src.append(rows);
  const v = new TableView(src);
  v.sync(0);
  return v;
}

const csv = (v: TableView, neutralize = true) => exportParts(v, 'csv', { neutralize }).join('');
/** Parsed rows; the CRLF ending the last record is not a row of its own. */
function parse(text: string): string[][] {
  const r = Papa.parse<string[]>(text, { newline: '\r\n', delimiter: ',' });
  assert.deepEqual(r.errors, []);
  assert.ok(text.endsWith('\r\n'));
  assert.deepEqual(r.data.at(-1), ['']);
  return r.data.slice(0, -1);
}

describe('CSV', () => {
  test('round-trips every tricky text cell through papaparse (neutralization off)', () => {
    const v = view([...tricky, ...formulas].map((s, i) => ({ i, s })));
    const rows = parse(csv(v, false));
    assert.deepEqual(rows[0], ['i', 's']);
    assert.deepEqual(rows.slice(1).map((r) => r[1]), [...tricky, ...formulas]);
    assert.equal(rows.length, 1 + tricky.length + formulas.length);
  });

  test('neutralization prefixes formula-looking text cells with a quote, and leaves numbers alone', () => {
    const v = view([...formulas.map((s) => ({ s, n: -5 })), { s: 'safe', n: -0.5 }]);
    const rows = parse(csv(v));
    assert.deepEqual(rows.slice(1).map((r) => r[0]), [...formulas.map((f) => `'${f}`), 'safe']);
    assert.deepEqual(rows.slice(1).map((r) => r[1]), [...formulas.map(() => '-5'), '-0.5']);
    assert.equal(neutralizeFormula('-5'), "'-5", 'text "-5" is text: neutralized');
    assert.equal(neutralizeFormula('a=b'), 'a=b');
  });

  test('quotes exactly the fields that need it; CRLF rows; nulls empty; objects as JSON; timestamps ISO', () => {
    assert.equal(csvField('a'), 'a');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    const src = new FixedSource([{ name: 'obj', type: 'json' }, { name: 'when', type: 'timestamp' }, { name: 'ok', type: 'bool' }], [
      [{ a: [1, 'x'] }, Date.parse('2024-05-01T08:00:00Z'), true],
      [null, null, false],
    ]);
    const v = new TableView(src);
    v.sync(0);
    assert.equal(csv(v), 'obj,when,ok\r\n"{""a"":[1,""x""]}",2024-05-01T08:00:00.000Z,true\r\n,,false\r\n');
  });

  test('the view is exported: filter, sort, column order and hidden columns, no row cap', () => {
    const v = view(Array.from({ length: 5000 }, (_, i) => ({ id: i, parity: i % 2 ? 'odd' : 'even', x: 'drop me' })));
    v.setFilter(1, '=odd');
    v.setSort({ col: 0, desc: true });
    v.setHidden(2, true);
    v.moveColumn(1, -1);
    v.sync(1);
    const rows = parse(csv(v));
    assert.deepEqual(rows[0], ['parity', 'id']);
    assert.equal(rows.length - 1, 2500);
    assert.deepEqual(rows[1], ['odd', '4999']);
    assert.deepEqual(rows[2500], ['odd', '1']);
  });

  test('large exports come in chunks of about the requested size', () => {
    const v = view(Array.from({ length: 20000 }, (_, i) => ({ i, text: `row ${i} `.repeat(5) })));
    const parts = [...exportChunks(v, 'csv', { chunkChars: 50_000 })];
    assert.ok(parts.length > 10, `${parts.length} parts`);
    assert.ok(parts.slice(0, -1).every((p) => p.length >= 50_000 && p.length < 51_000));
    assert.equal(parse(parts.join('')).length, 20001);
  });
});

describe('JSON', () => {
  test('an array of objects with keys in view order; types kept; neutralized by default', () => {
    const src = new FixedSource([{ name: '2', type: 'number' }, { name: 'b', type: 'text' }, { name: 'nested', type: 'json' }, { name: 't', type: 'timestamp' }, { name: 'b', type: 'text' }], [
      [-5, '=cmd()', { deep: ['=x'] }, 0, 'dup'],
      [Number.NaN, null, [1, 2], null, ''],
    ]);
    const v = new TableView(src);
    v.sync(0);
    v.moveColumn(1, -1);
    const text = exportParts(v, 'json').join('');
    const parsed = JSON.parse(text) as Array<Record<string, unknown>>;
    assert.deepEqual(parsed, [
      { b: "'=cmd()", 2: -5, nested: { deep: ['=x'] }, t: '1970-01-01T00:00:00.000Z', b_2: 'dup' },
      { b: null, 2: null, nested: [1, 2], t: null, b_2: '' },
    ]);
    assert.ok(text.indexOf('"b"') < text.indexOf('"2"'), 'key order follows the view even for integer-like names');
    const raw = JSON.parse(exportParts(v, 'json', { neutralize: false }).join('')) as Array<Record<string, unknown>>;
    assert.equal(raw[0].b, '=cmd()');
  });

  test('an empty view is an empty array', () => {
    const v = view([{ a: 1 }]);
    v.setFilter(0, '>5');
    v.sync(1);
    assert.deepEqual(JSON.parse(exportParts(v, 'json').join('')), []);
    assert.equal(csv(v), 'a\r\n');
  });
});

test('file names come from exportName, made safe', () => {
  assert.equal(exportFileName('Generic.Client.Stats', 'csv'), 'Generic.Client.Stats-view.csv');
  assert.equal(exportFileName('a/b:c*?', 'json'), 'a_b_c_-view.json');
  assert.equal(exportFileName(undefined, 'csv'), 'results-view.csv');
  assert.equal(exportFileName('  ', 'csv'), 'results-view.csv');
  // Never the name of the file that was opened: evidence.csv (or its base name) gets -view.
  assert.equal(exportFileName('evidence', 'csv'), 'evidence-view.csv');
  assert.equal(exportFileName('evidence.csv', 'csv'), 'evidence-view.csv');
  assert.equal(exportFileName('Security.evtx.csv.gz', 'json'), 'Security.evtx-view.json');
  assert.equal(exportFileName('Generic.Client.Stats-view', 'csv'), 'Generic.Client.Stats-view.csv');
});
