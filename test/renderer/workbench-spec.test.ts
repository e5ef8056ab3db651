// The workbench's view state (renderer/lib/workbench/spec.ts) and what it asks of the engine:
// header clicks and shift-clicks make the sort keys, filters are checked as typed (a bad one
// is left out of the spec with its message), values kept/excluded, the search covers the
// visible columns, clearing filters keeps the sort; and each spec gives the rows the engine
// (through a real AppService) returns for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TableColumn, TableInfo, TableViewSpec } from '../../main/ipc/contract.ts';
import { ViewState, isPlainSpec, specKey } from '../../renderer/lib/workbench/spec.ts';
import { serviceBridge, type ServiceBridge } from './queries-bridge.ts';

const cols: TableColumn[] = [
  { name: 'user', type: 'text', sqlType: 'VARCHAR' },
  { name: 'n', type: 'number', sqlType: 'BIGINT' },
  { name: 'when', type: 'timestamp', sqlType: 'TIMESTAMP WITH TIME ZONE' },
];

describe('sort keys from header clicks', () => {
  test('a click sorts by one column: ascending, descending, none', () => {
    const v = new ViewState();
    v.toggleSort('n');
    assert.deepEqual(v.sort, [{ column: 'n' }]);
    v.toggleSort('n');
    assert.deepEqual(v.sort, [{ column: 'n', desc: true }]);
    v.toggleSort('n');
    assert.deepEqual(v.sort, []);
    v.toggleSort('n');
    v.toggleSort('user');
    assert.deepEqual(v.sort, [{ column: 'user' }], 'another column replaces the key');
  });

  test('shift-click adds a key, flips it, then removes it; a plain click then sorts by that column alone', () => {
    const v = new ViewState();
    v.toggleSort('user');
    v.toggleSort('n', true);
    assert.deepEqual(v.sort, [{ column: 'user' }, { column: 'n' }]);
    assert.deepEqual(v.sortOf('n'), { desc: false, place: 2 });
    v.toggleSort('n', true);
    assert.deepEqual(v.sort, [{ column: 'user' }, { column: 'n', desc: true }]);
    v.toggleSort('user', true);
    assert.deepEqual(v.sort, [{ column: 'user', desc: true }, { column: 'n', desc: true }]);
    v.toggleSort('user', true);
    assert.deepEqual(v.sort, [{ column: 'n', desc: true }]);
    v.toggleSort('user', true);
    v.toggleSort('n');
    assert.deepEqual(v.sort, [{ column: 'n' }]);
    assert.equal(v.sortOf('user'), null);
  });
});

describe('filters, values, search', () => {
  test('a bad filter has the message of the shared reader and stays out of the spec', () => {
    const v = new ViewState();
    assert.equal(v.setFilter(cols[1]!, '>'), "n: filter at character 1: '>' needs a value after it, e.g. >5");
    assert.equal(v.filterError('n'), "n: filter at character 1: '>' needs a value after it, e.g. >5");
    assert.equal(v.filterText('n'), '>');
    assert.equal(v.setFilter(cols[0]!, '"open'), 'user: filter at character 1: the quote is not closed: add a closing "');
    assert.deepEqual(v.badFilters.sort(), ['n', 'user']);
    assert.deepEqual(v.spec(cols, ['user', 'n']), {});
    assert.equal(v.setFilter(cols[1]!, '>5'), null);
    assert.deepEqual(v.spec(cols, ['user', 'n']), { filters: [{ column: 'n', text: '>5' }] });
    v.setFilter(cols[1]!, '  ');
    assert.equal(v.filterText('n'), '');
  });

  test('values kept or excluded (the same value replaces its earlier choice); search over the visible columns; unknown columns left out', () => {
    const v = new ViewState();
    v.addValue('user', 'bob', false);
    v.addValue('n', null, true);
    v.addValue('user', 'bob', true);
    v.addValue('gone', 'x', false);
    v.search = '  error ';
    v.taggedOnly = true;
    v.toggleSort('gone');
    const spec = v.spec(cols, ['user', 'when', 'gone']);
    assert.deepEqual(spec, {
      values: [{ column: 'n', value: null, exclude: true }, { column: 'user', value: 'bob', exclude: true }],
      search: { text: 'error', columns: ['user', 'when'] },
      taggedOnly: true,
    });
    assert.equal(v.activeFilters, 5);
    v.removeValue(0);
    assert.deepEqual(v.values.map((x) => x.column), ['user', 'gone']);
    v.toggleSort('n');
    v.clearFilters();
    assert.deepEqual(v.spec(cols, ['user']), { sort: [{ column: 'n' }] }, 'clearing filters keeps the sort');
    assert.equal(v.activeFilters, 0);
  });

  test('plain specs and keys', () => {
    assert.equal(isPlainSpec({}), true);
    assert.equal(isPlainSpec({ taggedOnly: true }), false);
    const a: TableViewSpec = { sort: [{ column: 'n' }], filters: [{ column: 'user', text: 'x' }] };
    assert.equal(specKey(a), specKey(JSON.parse(JSON.stringify(a))));
    assert.notEqual(specKey(a), specKey({ ...a, taggedOnly: true }));
  });
});

describe('specs against the engine', () => {
  let sb: ServiceBridge;
  let dir: string;
  let info: TableInfo;
  const rows = [
    ['bob', '10', '2024-05-01T00:00:00Z', 'Logon ok'],
    ['Alice', '2', '2024-05-01T00:00:01Z', 'logoff'],
    ['', '10', '2024-05-01T00:01:00Z', 'error: disk'],
    ['alice', '', '2024-05-02T00:00:00Z', 'Error: net'],
    ['Bob', '-5', '2024-05-02T00:00:01Z', 'other'],
  ];
  before(async () => {
    sb = serviceBridge();
    dir = mkdtempSync(join(tmpdir(), 'vql-wb-spec-'));
    const file = join(dir, 's.csv');
    writeFileSync(file, ['user,n,when,msg', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    const r = await sb.bridge.invoke('table:open', { kind: 'file', path: file });
    assert.ok(r.ok, JSON.stringify(r));
    for (;;) {
      const i = await sb.bridge.invoke('table:info', r.value.id);
      assert.ok(i.ok);
      if (i.value.state !== 'loading') {
        info = i.value;
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
  });
  after(() => {
    sb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function rowsOf(v: ViewState, visible = ['user', 'n', 'when', 'msg']): Promise<number[]> {
    const r = await sb.bridge.invoke('table:view', { id: info.id, spec: v.spec(info.columns, visible) });
    assert.ok(r.ok, JSON.stringify(r));
    return r.value.window.rows;
  }

  test('two sort keys (shift-click), a filter, a value excluded, a search over visible columns', async () => {
    const v = new ViewState();
    v.toggleSort('n', true);
    v.toggleSort('n', true);
    v.toggleSort('user', true);
    assert.deepEqual(await rowsOf(v), [1, 3, 2, 5, 4], 'n descending (empty last), then user (empty last)');
    v.setFilter(info.columns.find((c) => c.name === 'when')!, '2024-05-01');
    assert.deepEqual(await rowsOf(v), [1, 3, 2]);
    v.addValue('user', null, true); // an empty CSV field is null in a window, as the cell menu passes it
    assert.deepEqual(await rowsOf(v), [1, 2]);
    const w = new ViewState();
    w.search = 'error';
    assert.deepEqual(await rowsOf(w), [3, 4]);
    assert.deepEqual(await rowsOf(w, ['user', 'n']), [], 'a hidden column is not searched');
  });
});
