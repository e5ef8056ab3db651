// Velociraptor's results in the workbench page (renderer/lib/workbench/nested.ts, session.ts
// expand): nested values pretty-printed line by line with each key's path (what the details
// pane's "Add as column" adds), `_Source` read as artifact/source or client, the metadata columns
// (`_ts`, `ClientId`, `_Source`) shown first, and "Expand field" through a Bridge over a real
// AppService: the new column right after its parent, the sort and filter kept, removal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLines, metadataColumns, pathText, sourceParts } from '../../renderer/lib/workbench/nested.ts';
import { WorkbenchSession } from '../../renderer/lib/workbench/session.ts';
import { serviceBridge, type ServiceBridge } from './queries-bridge.ts';

describe('nested values in the details pane', () => {
  test('lines are JSON.stringify(v, null, 2), each key and element with its path', () => {
    const v = { Name: 'cmd.exe', 'a b': [1, { K: [] }], Extra: { Deep: [{ K: 1 }] }, E: {} };
    const lines = jsonLines(JSON.stringify(v))!;
    assert.deepEqual(lines.map((l) => l.text), JSON.stringify(v, null, 2).split('\n'));
    const paths = lines.filter((l) => l.path).map((l) => pathText(l.path!));
    assert.deepEqual(paths, ['Name', '["a b"]', '["a b"][0]', '["a b"][1]', '["a b"][1].K', 'Extra', 'Extra.Deep', 'Extra.Deep[0]', 'Extra.Deep[0].K', 'E']);
    assert.equal(jsonLines('[1,2'), null, 'not JSON');
    assert.equal(jsonLines('"text"'), null, 'not nested');
    assert.equal(jsonLines(JSON.stringify(Array.from({ length: 50 }, (_, i) => i)), 10), null, 'too long for per-key actions');
  });

  test('_Source: artifact and source, an artifact alone, a client', () => {
    assert.deepEqual(sourceParts('Windows.EventLogs.Evtx/Logs'), { artifact: 'Windows.EventLogs.Evtx', source: 'Logs' });
    assert.deepEqual(sourceParts('Generic.Client.Stats'), { artifact: 'Generic.Client.Stats' });
    assert.deepEqual(sourceParts('C.0123456789abcdef'), { client: 'C.0123456789abcdef' });
    assert.equal(sourceParts(''), null);
    assert.equal(sourceParts(12), null);
  });

  test('metadata columns in their order, those present only, in Velociraptor\'s tables', () => {
    const cols = ['x', '_Source', 'ClientId', 'y'].map((name) => ({ name, type: 'text' as const, sqlType: 'VARCHAR' }));
    assert.deepEqual(metadataColumns(cols), [2, 1]);
    const ours = ['Timestamp', 'CPU', '_ts'].map((name) => ({ name, type: 'text' as const, sqlType: 'VARCHAR' }));
    assert.deepEqual(metadataColumns(ours), [], 'the app\'s own logs (no ClientId, no _Source) keep their order');
    assert.deepEqual(metadataColumns([...ours, { name: '_Source', type: 'text', sqlType: 'VARCHAR' }]), [2, 3]);
  });
});

describe('expand a field through the session', () => {
  let sb: ServiceBridge;
  let dir: string;
  let file: string;
  before(() => {
    sb = serviceBridge();
    dir = mkdtempSync(join(tmpdir(), 'vql-wb-nested-'));
    const rows = Array.from({ length: 300 }, (_, i) => ({ EventID: i % 3, Fields: { Name: `p${i % 7}.exe`, Pid: i }, ClientId: 'C.0123456789abcdef', _ts: 1714521600 + i, _Source: 'Generic.Client.Stats/Stats' }));
    file = join(dir, '2024-05-01.json');
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
  after(() => {
    sb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const until = (s: WorkbenchSession, pred: () => boolean, what: string) => new Promise<void>((resolve, reject) => {
    if (pred()) return resolve();
    const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), 60_000);
    const off = s.subscribe(() => pred() && (clearTimeout(timer), off(), resolve()));
  });

  test('metadata first; the field right after its parent; the view kept; removed again', async () => {
    const s = new WorkbenchSession(sb.bridge, { windowSize: 100 });
    try {
      assert.equal(await s.open({ kind: 'file', path: file }), true, s.error ?? '');
      await until(s, () => s.status === 'ready', 'the load');
      const shown = () => s.visible().map((c) => s.columns[c]!.name);
      assert.deepEqual(shown(), ['_ts', 'ClientId', '_Source', 'EventID', 'Fields']);
      const keys = await s.fieldKeys('Fields');
      assert.ok(keys.ok);
      assert.deepEqual(keys.value.keys.map((k) => [k.key, k.rows]), [['Name', 300], ['Pid', 300]]);
      s.spec.sort = [{ column: 'EventID', desc: true }];
      await s.apply();
      const r = await s.expand('Fields', ['Name']);
      assert.deepEqual(r, { ok: true, value: 'Fields.Name' });
      assert.deepEqual(shown(), ['_ts', 'ClientId', '_Source', 'EventID', 'Fields', 'Fields.Name']);
      assert.ok(s.viewId, 'the sort is a view made again');
      s.spec.setFilter(s.columns.find((c) => c.name === 'Fields.Name')!, '=p3.exe');
      await s.apply();
      assert.equal(s.total, Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 7 === 3).length);
      s.cache.want(0, 0);
      await until(s, () => !!s.cache.row(0), 'the first row');
      const at = s.columns.findIndex((c) => c.name === 'Fields.Name');
      assert.equal(s.cache.row(0)!.cells[at], 'p3.exe');
      assert.equal(s.cache.row(0)!.cells[s.columns.findIndex((c) => c.name === 'EventID')], 2, 'sorted by EventID descending');
      const gone = await s.unexpand('Fields.Name');
      assert.ok(gone.ok);
      assert.ok(!s.columns.some((c) => c.name === 'Fields.Name'));
      assert.equal(s.total, 300, 'the filter on the removed column is gone with it');
    } finally {
      await s.dispose();
    }
  });
});
