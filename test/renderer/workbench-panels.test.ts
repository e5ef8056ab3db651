// The workbench's panels over real engine answers (a real AppService): group counts as a
// collapsible tree whose nodes filter the grid to exactly their rows, value counts with their
// shares, and a SQL result as a source for the page's results table.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkbenchSession } from '../../renderer/lib/workbench/session.ts';
import { filterOf, groupTree, valueShares, visibleNodes } from '../../renderer/lib/workbench/groups.ts';
import { SqlResultSource } from '../../renderer/lib/workbench/sql-source.ts';
import { TableView } from '../../renderer/lib/table/view.ts';
import { serviceBridge, type ServiceBridge } from './queries-bridge.ts';

let sb: ServiceBridge;
let dir: string;
let s: WorkbenchSession;

before(async () => {
  sb = serviceBridge();
  dir = mkdtempSync(join(tmpdir(), 'vql-wb-panels-'));
  const lines = ['host,user,event,detail'];
  // host A: alice x3 (logon x2, logoff), bob x1; host B: alice x1, carol x2; one row without a user.
  for (const r of [['A', 'alice', 'logon'], ['A', 'alice', 'logon'], ['A', 'alice', 'logoff'], ['A', 'bob', 'logon'], ['B', 'alice', 'logon'], ['B', 'carol', 'logon'], ['B', 'carol', 'x'], ['B', '', 'x']]) {
    lines.push(`${r.join(',')},"{""k"":[1,2]}"`);
  }
  writeFileSync(join(dir, 'g.csv'), lines.join('\n') + '\n');
  s = new WorkbenchSession(sb.bridge);
  assert.equal(await s.open({ kind: 'file', path: join(dir, 'g.csv') }), true);
  while (s.status !== 'ready') await new Promise((r) => setTimeout(r, 20));
});
after(async () => {
  await s.dispose();
  sb.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('groups', () => {
  test('two columns: a tree by host then user, counts summed, largest first; a node filters to exactly its rows', async () => {
    const g = await s.groups(['host', 'user']);
    assert.ok(g.ok, JSON.stringify(g));
    const tree = groupTree(g.value);
    assert.deepEqual(tree.map((n) => [n.value, n.count]), [['A', 4], ['B', 4]]);
    assert.deepEqual(tree[1]!.children.map((n) => [n.value, n.count, n.depth]), [['carol', 2, 1], ['alice', 1, 1], [null, 1, 1]]);
    assert.deepEqual(visibleNodes(tree, new Set()).map((n) => n.value), ['A', 'B'], 'collapsed');
    assert.deepEqual(visibleNodes(tree, new Set([tree[0]!.key])).map((n) => n.value), ['A', 'alice', 'bob', 'B']);
    const carol = tree[1]!.children[0]!;
    for (const f of filterOf(carol, ['host', 'user'])) s.spec.addValue(f.column, f.value, f.exclude);
    await s.apply();
    assert.equal(s.total, 2);
    const noUser = tree[1]!.children[2]!;
    s.spec.clearFilters();
    for (const f of filterOf(noUser, ['host', 'user'])) s.spec.addValue(f.column, f.value, f.exclude);
    await s.apply();
    assert.equal(s.total, 1, 'the empty group filters to its row');
    s.spec.clearFilters();
    await s.apply();
  });
});

describe('value counts', () => {
  test('top values with their shares of the view', async () => {
    const v = await s.values('event');
    assert.ok(v.ok);
    assert.deepEqual(valueShares(v.value).map((x) => [x.value, x.count, x.percent]), [['logon', 5, '62.5%'], ['x', 2, '25%'], ['logoff', 1, '12.5%']]);
    assert.equal(valueShares({ ...v.value, rows: 100_000, values: [{ value: 'rare', count: 3 }] })[0]!.percent, '<0.1%');
  });
});

describe('the SQL box result in the results table', () => {
  test('columns and cells, nested values parsed; the results table sorts it', async () => {
    const r = await s.sql(`SELECT user, count(*) AS n, any_value(detail) AS d, {'a': 1, 'b': [2, 3]} AS st FROM data GROUP BY user ORDER BY user`);
    assert.ok(r.ok, JSON.stringify(r));
    const src = new SqlResultSource(r.value);
    assert.deepEqual(src.columns.map((c) => [c.name, c.type]), [['user', 'text'], ['n', 'number'], ['d', 'text'], ['st', 'json']]);
    assert.equal(src.rowCount, 4);
    assert.equal(src.cell(0, 2), '{"k":[1,2]}', 'text stays text');
    assert.deepEqual(src.cell(0, 3), { a: 1, b: [2, 3] });
    const view = new TableView(src);
    view.setSort({ col: 1, desc: true });
    view.sync(0);
    assert.deepEqual(Array.from(view.displayRows(), (row) => src.cell(row, 1)), [4, 2, 1, 1]);
  });
});
