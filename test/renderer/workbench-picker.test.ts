// The file picker's logic (renderer/lib/workbench/picker.ts): the extension filter and the
// type-ahead over a real host listing (files:list through a real AppService), folders of day
// files, breadcrumbs and parents on POSIX and Windows paths, keyboard moves, sizes and times,
// the export name (never the opened file's own), and the recent files in a store.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAX_RECENT, Recent, baseName, breadcrumbs, dayFiles, exportName, isLogFile, joinPath, moveSelection, parentPath, sizeText, timeText,
  visibleEntries, type KeyValueStore,
} from '../../renderer/lib/workbench/picker.ts';
import { serviceBridge } from './queries-bridge.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-wb-picker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('entries', () => {
  test('over a real listing: folders always, files by extension (any case, gzipped too), the type-ahead', async () => {
    for (const f of ['a.CSV', 'b.tsv', 'c.txt', 'd.json', 'e.jsonl', 'f.ndjson', 'g.csv.gz', 'h.parquet', 'i.exe', 'j.evtx', 'notes.md']) writeFileSync(join(dir, f), 'x');
    mkdirSync(join(dir, 'sub.exe'));
    const sb = serviceBridge();
    try {
      const r = await sb.bridge.invoke('files:list', { dir });
      assert.ok(r.ok, JSON.stringify(r));
      const names = (opts: Parameters<typeof visibleEntries>[1]) => visibleEntries(r.value.entries, opts).map((e) => e.name);
      assert.deepEqual(names({ logOnly: true }), ['sub.exe', 'a.CSV', 'b.tsv', 'c.txt', 'd.json', 'e.jsonl', 'f.ndjson', 'g.csv.gz', 'h.parquet']);
      assert.equal(names({ logOnly: false }).length, 12);
      assert.deepEqual(names({ logOnly: false, query: 'J' }), ['d.json', 'e.jsonl', 'f.ndjson', 'j.evtx']);
      assert.deepEqual(names({ logOnly: true, query: '  .csv ' }), ['a.CSV', 'g.csv.gz']);
    } finally {
      sb.close();
    }
    assert.equal(isLogFile('X.NDJSON'), true);
    assert.equal(isLogFile('x.csv.bak'), false);
  });

  test('a folder of day files is recognised by its names', () => {
    const f = (name: string, kind: 'file' | 'dir' = 'file') => ({ name, kind, size: 0, mtime: 0 });
    assert.equal(dayFiles([f('2024-05-01.csv'), f('2024-05-01.1.csv'), f('2024-05-02.csv'), f('2024-05-03.csv', 'dir'), f('2024-5-04.csv'), f('2024-05-01.0.csv'), f('x.csv')]), 3);
  });
});

describe('paths', () => {
  test('POSIX: breadcrumbs, parents, joins, base names', () => {
    assert.deepEqual(breadcrumbs('/var/log/app', '/'), [
      { label: '/', path: '/' }, { label: 'var', path: '/var' }, { label: 'log', path: '/var/log' }, { label: 'app', path: '/var/log/app' },
    ]);
    assert.deepEqual(breadcrumbs('/', '/'), [{ label: '/', path: '/' }]);
    assert.equal(parentPath('/var/log', '/'), '/var');
    assert.equal(parentPath('/var', '/'), '/');
    assert.equal(parentPath('/', '/'), null);
    assert.equal(parentPath('/var/log/', '/'), '/var');
    assert.equal(joinPath('/', 'x.csv', '/'), '/x.csv');
    assert.equal(joinPath('/var', 'x.csv', '/'), '/var/x.csv');
    assert.equal(baseName('/var/log/x.csv'), 'x.csv');
  });

  test('Windows: drives and UNC shares', () => {
    assert.deepEqual(breadcrumbs('C:\\Users\\me', '\\'), [{ label: 'C:', path: 'C:\\' }, { label: 'Users', path: 'C:\\Users' }, { label: 'me', path: 'C:\\Users\\me' }]);
    assert.deepEqual(breadcrumbs('\\\\srv\\share\\logs', '\\'), [{ label: '\\\\srv\\share', path: '\\\\srv\\share' }, { label: 'logs', path: '\\\\srv\\share\\logs' }]);
    assert.equal(parentPath('C:\\Users\\me', '\\'), 'C:\\Users');
    assert.equal(parentPath('C:\\Users', '\\'), 'C:\\');
    assert.equal(parentPath('C:\\', '\\'), null);
    assert.equal(joinPath('C:\\', 'x.csv', '\\'), 'C:\\x.csv');
    assert.equal(baseName('C:\\logs\\x.csv'), 'x.csv');
  });
});

describe('the list from the keyboard, and text', () => {
  test('arrows, pages, Home and End, clamped; other keys do nothing', () => {
    assert.equal(moveSelection(-1, 'ArrowDown', 5), 0);
    assert.equal(moveSelection(4, 'ArrowDown', 5), 4);
    assert.equal(moveSelection(0, 'ArrowUp', 5), 0);
    assert.equal(moveSelection(2, 'PageDown', 50), 12);
    assert.equal(moveSelection(2, 'PageUp', 50), 0);
    assert.equal(moveSelection(2, 'End', 50), 49);
    assert.equal(moveSelection(20, 'Home', 50), 0);
    assert.equal(moveSelection(2, 'a', 50), null);
    assert.equal(moveSelection(-1, 'ArrowDown', 0), null);
  });

  test('sizes and times', () => {
    assert.equal(sizeText(312), '312 B');
    assert.equal(sizeText(1536), '1.5 KB');
    assert.equal(sizeText(151 * 2 ** 20), '151 MB');
    assert.equal(sizeText(5 * 2 ** 40), '5.0 TB');
    assert.equal(timeText(Date.UTC(2024, 4, 1, 8, 5)), '2024-05-01 08:05');
    assert.equal(timeText(0), '');
  });

  test('the export name is never the opened file\'s own', () => {
    assert.equal(exportName('events.csv', 'csv'), 'events-view.csv');
    assert.equal(exportName('Security.evtx.csv.gz', 'parquet'), 'Security.evtx-view.parquet');
    assert.equal(exportName('data.jsonl', 'jsonl'), 'data-view.jsonl');
    assert.equal(exportName('Generic.Client.Stats 2024-01-02..2024-01-10', 'json'), 'Generic.Client.Stats-view.json');
    assert.equal(exportName('../.hidden name!.csv', 'csv'), 'hidden_name_-view.csv');
    assert.equal(exportName('', 'csv'), 'table-view.csv');
  });
});

describe('recent files', () => {
  const store = (): KeyValueStore & { data: Map<string, string> } => {
    const data = new Map<string, string>();
    return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
  };

  test('newest first, once each, at most MAX_RECENT; the last folder remembered', () => {
    const s = store();
    const r = new Recent(s);
    assert.deepEqual(r.list(), []);
    assert.equal(r.lastDir, undefined);
    r.remember({ kind: 'file', path: '/logs/a.csv' }, '/', 1);
    r.remember({ kind: 'folder', path: '/logs/days' }, '/', 2);
    r.remember({ kind: 'file', path: '/logs/a.csv' }, '/', 3);
    assert.deepEqual(r.list(), [{ kind: 'file', path: '/logs/a.csv', at: 3 }, { kind: 'folder', path: '/logs/days', at: 2 }]);
    assert.equal(r.lastDir, '/logs');
    for (let i = 0; i < 20; i++) r.remember({ kind: 'file', path: `/x/${i}.csv` }, '/', 10 + i);
    assert.equal(r.list().length, MAX_RECENT);
    assert.equal(r.list()[0]!.path, '/x/19.csv');
    r.forget('/x/19.csv');
    assert.equal(r.list()[0]!.path, '/x/18.csv');
    r.remember({ kind: 'logs', client: 'C.1', artifact: 'A', from: '2024-01-01', to: '2024-01-01' }, '/');
    assert.equal(r.list()[0]!.path, '/x/18.csv', 'a monitoring log range is not a recent file');
  });

  test('a broken or foreign value reads as nothing; a store that throws is ignored', () => {
    const s = store();
    s.data.set('vql-workbench.workbench.recent', '{not json');
    assert.deepEqual(new Recent(s).list(), []);
    s.data.set('vql-workbench.workbench.recent', JSON.stringify([{ kind: 'file', path: 7, at: 1 }, null, { kind: 'file', path: '/ok.csv', at: 2 }]));
    assert.deepEqual(new Recent(s).list(), [{ kind: 'file', path: '/ok.csv', at: 2 }]);
    const full: KeyValueStore = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); } };
    new Recent(full).remember({ kind: 'file', path: '/a.csv' }, '/');
    assert.deepEqual(new Recent(null).list(), []);
  });
});
