import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testRun, type TestRun } from './helpers.ts';
import { UploadStore } from '../../../main/host/collect/upload-store.ts';
import { registerAccessor } from '../../../main/host/files/accessors.ts';
import { OSPath } from '../../../main/host/files/ospath.ts';

let t: TestRun;
let src = '';

before(() => {
  t = testRun();
  src = join(t.dir, 'src');
  mkdirSync(join(src, 'sub dir'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'hello\n');
  writeFileSync(join(src, 'sub dir', 'é ü.txt'), 'unicode\n');
  utimesSync(join(src, 'a.txt'), new Date('2021-02-03T04:05:06Z'), new Date('2021-02-03T04:05:06Z'));
});
after(() => t.close());

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

test('upload(file=): stored under uploads/auto/<path>, the response as Velociraptor gives it', async () => {
  const { rows, logs } = await t.query(`SELECT upload(file=F) AS U FROM scope()`, { F: join(src, 'a.txt') });
  assert.deepEqual(logs, []);
  const comps = join(src, 'a.txt').split('/').filter(Boolean);
  assert.deepEqual(rows[0]!.U, {
    Path: join(src, 'a.txt'), Size: 6, UploadId: 0, StoredSize: 6,
    sha256: sha256('hello\n'), md5: md5('hello\n'),
    StoredName: '/uploads/auto/' + comps.join('/'),
    Components: ['uploads', 'auto', ...comps],
  });
  assert.equal(readFileSync(join(t.files.uploadDir!, 'uploads', 'auto', ...comps), 'utf8'), 'hello\n');
  const [rec] = UploadStore.readIndex(t.files.uploadDir!).filter((r) => r.path === join(src, 'a.txt'));
  assert.equal(rec!.mtime, Date.parse('2021-02-03T04:05:06Z') / 1000, 'the file\'s mtime is the entry time');
});

test('upload(name=, accessor=data): the name decides the stored path, escaped; Path is "data"', async () => {
  const { rows } = await t.query(`SELECT upload(file='some data', accessor='data', name='C:/Windows/x y.txt') AS U FROM scope()`);
  const u = rows[0]!.U as Record<string, unknown>;
  assert.equal(u.Path, 'data');
  assert.equal(u.Size, 9);
  assert.equal(u.StoredName, '/uploads/data/C%3A/Windows/x y.txt');
  assert.deepEqual(u.Components, ['uploads', 'data', 'C:', 'Windows', 'x y.txt']);
  assert.equal(readFileSync(join(t.files.uploadDir!, 'uploads', 'data', 'C%3A', 'Windows', 'x y.txt'), 'utf8'), 'some data');
});

test('upload: odd names (.., unicode, spaces, a Windows pathspec) never leave the upload folder', async () => {
  const { rows } = await t.query(`
    SELECT upload(file='x', accessor='data', name=pathspec(Path='C:\\\\Users\\\\..\\\\..\\\\evil.txt', path_type='windows')) AS A,
           upload(file='y', accessor='data', name='../../../etc/evil') AS B,
           upload(file=F, name='/é/ü dir/.hidden ') AS C
    FROM scope()`, { F: join(src, 'sub dir', 'é ü.txt') });
  const r = rows[0]!;
  assert.equal((r.A as Record<string, unknown>).StoredName, '/uploads/data/C%3A/Users/evil.txt');
  assert.equal((r.B as Record<string, unknown>).StoredName, '/uploads/data/etc/evil');
  assert.equal((r.C as Record<string, unknown>).StoredName, '/uploads/auto/é/ü dir/%2Ehidden%20');
  assert.deepEqual((r.C as Record<string, unknown>).Components, ['uploads', 'auto', 'é', 'ü dir', '.hidden ']);
  assert.equal(readFileSync(join(t.files.uploadDir!, 'uploads', 'auto', 'é', 'ü dir', '%2Ehidden%20'), 'utf8'), 'unicode\n');
  assert.ok(!existsSync(join(t.dir, 'etc')) && !existsSync(join(t.files.uploadDir!, '..', 'evil.txt')));
});

test('upload(name=) relative: stored as its components say, never resolved against the working directory', async () => {
  const { rows, logs } = await t.query(`SELECT upload(file=F, name='heap.bin') AS A, upload(file=F, name='profiles/../../cpu.bin') AS B FROM scope()`, { F: join(src, 'a.txt') });
  assert.deepEqual(logs, []);
  assert.equal((rows[0]!.A as Record<string, unknown>).StoredName, '/uploads/auto/heap.bin');
  assert.deepEqual((rows[0]!.A as Record<string, unknown>).Components, ['uploads', 'auto', 'heap.bin']);
  // `..` never climbs out of the upload folder (nor names the working directory's parents).
  assert.match(String((rows[0]!.B as Record<string, unknown>).StoredName), /^\/uploads\/auto\/(profiles\/)?cpu\.bin$/);
  assert.equal(readFileSync(join(t.files.uploadDir!, 'uploads', 'auto', 'heap.bin'), 'utf8'), 'hello\n');
});

test('upload: the same file twice is stored once (deduplication); a directory is a folder entry', async () => {
  const before = UploadStore.readIndex(t.files.uploadDir!).length;
  const { rows } = await t.query(`SELECT upload(file=F) AS U1, upload(file=F) AS U2, upload(file=D) AS Dir FROM scope()`, { F: join(src, 'a.txt'), D: join(src, 'sub dir') });
  assert.deepEqual(rows[0]!.U1, rows[0]!.U2);
  const dirUp = rows[0]!.Dir as Record<string, unknown>;
  assert.match(String(dirUp.StoredName), /\/sub dir\/$/);
  assert.equal(dirUp.sha256, undefined);
  // a.txt was uploaded by the first test of this run: not again; the folder is new.
  assert.equal(UploadStore.readIndex(t.files.uploadDir!).length, before + 1);
});

test('upload: a file that cannot be stat-ed is NULL with a log line; one that cannot be read gives {Error}', async () => {
  const { rows, logs } = await t.query(`SELECT upload(file=F) AS U FROM scope()`, { F: join(src, 'missing.txt') });
  assert.equal(rows[0]!.U, null);
  assert.ok(logs.some((l) => l.startsWith('error: upload: cannot stat') && l.includes('missing.txt')), logs.join('\n'));
  const { rows: r2, logs: l2 } = await t.query(`SELECT upload(file='nope', accessor='scope') AS U FROM scope()`);
  const u = r2[0]!.U as Record<string, unknown>;
  assert.deepEqual(Object.keys(u), ['Path', 'Size', 'UploadId', 'Error']);
  assert.match(String(u.Error), /no variable nope/);
  assert.ok(l2.some((l) => l.startsWith('error: upload:')));
  const { rows: r3, logs: l3 } = await t.query(`SELECT upload(file='x', accessor='nosuch') AS U FROM scope()`);
  assert.match(String((r3[0]!.U as Record<string, unknown>).Error), /unknown accessor/);
  assert.ok(l3.some((l) => l.includes('unknown accessor "nosuch"')));
});

test('upload: no uploader in this run is a warning and NULL', async () => {
  const none = testRun({ uploads: false });
  try {
    const { rows, logs } = await none.query(`SELECT upload(file='x', accessor='data') AS U FROM scope()`);
    assert.equal(rows[0]!.U, null);
    assert.deepEqual(logs, ['warn: upload: Uploader not configured.']);
  } finally {
    await none.close();
  }
});

test('upload: streams a large file and stops with the query; a stopped upload leaves no file', async () => {
  const big = Buffer.alloc(24 * 2 ** 20, 7);
  big.write('start', 0);
  writeFileSync(join(src, 'big.bin'), big);
  const { rows } = await t.query(`SELECT upload(file=F).sha256 AS H FROM scope()`, { F: join(src, 'big.bin') });
  assert.equal(rows[0]!.H, sha256(big));
  // Cancelled while it copies (an accessor of the test's own stops the query after its first
  // chunk): no file is stored under a real name, no half file is left, nothing is in the index.
  const stop = new AbortController();
  const cancelled = testRun();
  let reads = 0;
  registerAccessor(cancelled.registry, {
    name: 'stopping',
    doc: 'test',
    path: (f) => OSPath.parse(String(f), 'generic'),
    open: async () => ({
      size: null,
      read: async () => {
        if (++reads === 2) stop.abort();
        return new Uint8Array(1 << 20);
      },
      close: async () => {},
    }),
  });
  try {
    const { rows } = await cancelled.query(`SELECT upload(file='x', accessor='stopping') AS U FROM scope()`, {}, stop.signal);
    assert.ok(reads >= 2, 'the upload had started');
    assert.ok(rows.length === 0 || rows[0]!.U === null);
    const store = cancelled.files.uploadDir!;
    const files = readdirSync(store, { recursive: true }).map(String);
    assert.ok(!files.some((f) => f.includes('vql-partial') || /uploads\/stopping\/x$/.test(f)), files.join(', '));
    assert.equal(UploadStore.readIndex(store).length, 0);
  } finally {
    await cancelled.close();
  }
});

test('upload: uploads.json in the folder has Velociraptor\'s columns', () => {
  const lines = readFileSync(join(t.files.uploadDir!, 'uploads.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.length >= 3);
  for (const l of lines) assert.deepEqual(Object.keys(l), ['Timestamp', 'started', 'vfs_path', '_Components', 'file_size', 'uploaded_size', 'Type']);
  assert.match(String(lines[0]!.Timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(String(lines[0]!.started), / \+0000 UTC$/);
});
