// files:list, the workbench's file picker on the host's side (main/app/files.ts): folders first
// then files by name (numbers as numbers), sizes and times, hidden names only when asked, links
// followed, the home folder by default and `~` expanded, clear errors for what is not a folder,
// and the same through the app service.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandHome, listFolder, MAX_LIST_ENTRIES } from '../../main/app/files.ts';
import { AppService } from '../../main/app/service.ts';
import type { FileListing, Result } from '../../main/ipc/contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'vql-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function value<T>(r: Result<T>): T {
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

describe('files:list', () => {
  const root = join(dir, 'logs');
  mkdirSync(join(root, 'day 10'), { recursive: true });
  mkdirSync(join(root, 'day 9'));
  mkdirSync(join(root, '.cache'));
  writeFileSync(join(root, 'b.csv'), 'a,b\n1,2\n');
  writeFileSync(join(root, 'A.jsonl'), '{"a":1}\n');
  writeFileSync(join(root, '.hidden.csv'), 'x\n');
  writeFileSync(join(root, 'file10.txt'), '');
  writeFileSync(join(root, 'file2.txt'), '');
  utimesSync(join(root, 'b.csv'), new Date('2024-05-01T00:00:00Z'), new Date('2024-05-01T00:00:00Z'));
  symlinkSync(join(root, 'day 9'), join(root, 'link-to-dir'));
  symlinkSync(join(root, 'nowhere'), join(root, 'broken'));

  test('folders first, then files, each by name with numbers as numbers; sizes and times', async () => {
    const l = value(await listFolder({ dir: root }));
    assert.equal(l.dir, root);
    assert.equal(l.parent, dir);
    assert.equal(l.sep, '/');
    assert.equal(l.truncated, false);
    assert.deepEqual(l.entries.map((e) => [e.name, e.kind]), [
      ['day 9', 'dir'], ['day 10', 'dir'], ['link-to-dir', 'dir'],
      ['A.jsonl', 'file'], ['b.csv', 'file'], ['broken', 'other'], ['file2.txt', 'file'], ['file10.txt', 'file'],
    ]);
    const b = l.entries.find((e) => e.name === 'b.csv')!;
    assert.equal(b.size, 8);
    assert.equal(b.mtime, Date.parse('2024-05-01T00:00:00Z'));
  });

  test('hidden names only when asked', async () => {
    const l = value(await listFolder({ dir: root, hidden: true }));
    assert.ok(l.entries.some((e) => e.name === '.cache' && e.kind === 'dir'));
    assert.ok(l.entries.some((e) => e.name === '.hidden.csv'));
  });

  test('the home folder by default; ~ expanded; a path with .. resolved', async () => {
    assert.equal(value(await listFolder(undefined)).dir, homedir());
    assert.equal(value(await listFolder({})).dir, homedir());
    assert.equal(value(await listFolder({ dir: '~' })).home, homedir());
    assert.equal(expandHome('~/x/y', '/home/u'), '/home/u/x/y');
    assert.equal(expandHome('/abs', '/home/u'), '/abs');
    assert.equal(value(await listFolder({ dir: join(root, 'day 9', '..') })).dir, root);
    assert.equal(value(await listFolder({ dir: '/' })).parent, null);
  });

  test('errors say which path and what is wrong', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ dir: join(root, 'b.csv') }, 'NotADirectory', /b\.csv is a file, not a folder/],
      [{ dir: join(root, 'missing') }, 'NotFound', /missing does not exist/],
      [{ dir: 'relative/path' }, 'BadRequest', /relative\/path is not an absolute path/],
      [{ dir: 42 }, 'BadRequest', /dir must be a path/],
      [{ dir: 'a\0b' }, 'BadRequest', /not a path/],
      [42, 'BadRequest', /takes \{ dir/],
      [[], 'BadRequest', /takes \{ dir/],
    ];
    for (const [req, code, message] of cases) {
      const r = await listFolder(req as never);
      assert.equal(r.ok, false, JSON.stringify(req));
      if (!r.ok) {
        assert.equal(r.error.code, code, r.error.message);
        assert.match(r.error.message, message);
      }
    }
  });

  test(`a huge folder is cut at ${MAX_LIST_ENTRIES} entries, folders kept first, and says so`, async () => {
    const big = join(dir, 'big');
    mkdirSync(join(big, 'zz-sub'), { recursive: true });
    for (let i = 0; i < MAX_LIST_ENTRIES + 10; i++) writeFileSync(join(big, `f${i}.csv`), '');
    const l = value(await listFolder({ dir: big }));
    assert.equal(l.truncated, true);
    assert.equal(l.entries.length, MAX_LIST_ENTRIES);
    assert.deepEqual(l.entries[0], { name: 'zz-sub', kind: 'dir', size: 0, mtime: l.entries[0]!.mtime });
  });

  test('through the app service', async () => {
    const s = new AppService({ userArtifacts: join(dir, 'user'), push: () => {}, isolation: 'inline' });
    try {
      const r = (await s.invoke('files:list', { dir: root })) as Result<FileListing>;
      assert.deepEqual(value(r).entries.filter((e) => e.kind === 'file').map((e) => e.name), ['A.jsonl', 'b.csv', 'file2.txt', 'file10.txt']);
      const bad = await s.invoke('files:list', null as never);
      assert.equal(bad.ok, true, 'null lists the home folder');
    } finally {
      s.cancelAll();
    }
  });
});
