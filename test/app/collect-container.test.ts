// The app's "Collect to zip" (issue 10 item 3): `artifacts:collect` with `container: true` runs
// the artifact as usual (rows stream to the page) and also writes Velociraptor's offline-
// collection container with the same code as `vql artifacts collect --output x.zip`; `vql:done`
// carries the zip's one-time download address (main/app/downloads.ts) with its size and counts.
// Each test collects a test artifact that uploads a file the test made, takes the download the
// web host would serve, and checks the zip's members (VELOCIRAPTOR-FORMATS.md section 1) with
// fflate, as the CLI's tests do. Runs on real query workers (and once inline).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { AppService, type ServiceOptions } from '../../main/app/service.ts';
import { sharedDownloads } from '../../main/app/downloads.ts';
import { WorkerPool } from '../../main/app/worker-pool.ts';
import { resolveWorkerEntry } from '../../main/app/worker-script.ts';
import { collectionFileName } from '../../main/app/collect-download.ts';
import { escapeComponent } from '../../main/host/collect/zip-escape.ts';
import type { CollectionDownload, Push } from '../../main/ipc/contract.ts';

let TMP = '';
let FILE = '';
const CONTENT = 'evidence bytes\n';

const ARTIFACT = `name: Test.App.Upload
parameters:
  - name: File
sources:
  - name: Files
    query: |
      SELECT basename(path=File) AS Name, upload(file=File) AS Upload,
             log(message='logged from the artifact') AS Logged
      FROM scope()
  - name: Count
    query: SELECT _value AS N FROM range(end=3)
`;

const SLOW = `name: Test.App.Slow
parameters:
  - name: File
sources:
  - query: |
      SELECT * FROM chain(
        a={ SELECT upload(file=File) AS Upload FROM scope() },
        b={ SELECT Unix FROM clock(period=1) })
`;

/** An artifact for another OS: its precondition never holds here. */
const ELSEWHERE = `name: Test.App.Elsewhere
precondition: SELECT OS FROM info() WHERE OS = 'no-such-os'
sources:
  - query: SELECT 'ran' AS Result FROM scope()
`;

before(() => {
  TMP = mkdtempSync(join(tmpdir(), 'vql-app-collect-'));
  mkdirSync(join(TMP, 'data'));
  FILE = join(TMP, 'data', 'note one.txt');
  writeFileSync(FILE, CONTENT);
});
after(() => rmSync(TMP, { recursive: true, force: true }));

type Done = { rows: number; cancelled: boolean; error?: { code: string; message: string }; collection?: CollectionDownload };

function service(extra: Partial<ServiceOptions> = {}) {
  const pushes: Array<{ channel: keyof Push; args: unknown[] }> = [];
  const dir = mkdtempSync(join(TMP, 'svc-'));
  mkdirSync(join(dir, 'artifacts'));
  writeFileSync(join(dir, 'artifacts', 'Test.App.Upload.yaml'), ARTIFACT);
  writeFileSync(join(dir, 'artifacts', 'Test.App.Slow.yaml'), SLOW);
  writeFileSync(join(dir, 'artifacts', 'Test.App.Elsewhere.yaml'), ELSEWHERE);
  const waiters = new Set<() => void>();
  const s = new AppService({
    userArtifacts: join(dir, 'artifacts'),
    push: (channel, ...args) => {
      pushes.push({ channel, args });
      for (const w of [...waiters]) w();
    },
    batchMs: 20,
    ...extra,
  });
  /** Resolves once `pred` holds, checked at each push (no polling interval). */
  const until = async <T>(pred: () => T | undefined): Promise<T> => {
    for (;;) {
      const v = pred();
      if (v !== undefined) return v;
      await new Promise<void>((r) => {
        const w = () => (waiters.delete(w), r());
        waiters.add(w);
      });
    }
  };
  const done = (id: string) => until(() => pushes.find((p) => p.channel === 'vql:done' && p.args[0] === id)?.args[1] as Done | undefined);
  const rows = (id: string) => pushes.filter((p) => p.channel === 'vql:rows' && p.args[0] === id).flatMap((p) => (p.args[1] as string[]).map((r) => JSON.parse(r) as Record<string, unknown>));
  const logs = (id: string) => pushes.filter((p) => p.channel === 'vql:log' && p.args[0] === id).map((p) => `${p.args[1]}: ${p.args[2]}`);
  return { s, done, until, rows, logs, dir };
}

const lines = (b: Uint8Array) => strFromU8(b).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** Takes the download the web host would serve for `c` (once), returns the zip's members; the download folder is removed after. */
function fetchZip(c: CollectionDownload): Record<string, Uint8Array> {
  const m = /^\/exports\/([0-9a-f]{32})$/.exec(c.download);
  assert.ok(m, `a one-time export address: ${c.download}`);
  const file = sharedDownloads().take(m[1]!);
  assert.ok(file, 'the download is registered');
  assert.equal(file.name, c.name);
  assert.equal(file.contentType, 'application/zip');
  assert.equal(statSync(file.path).size, c.bytes, 'the end reports the zip\'s size');
  const zip = unzipSync(readFileSync(file.path));
  file.done();
  assert.equal(existsSync(dirname(file.path)), false, 'fetched once, then deleted');
  assert.equal(sharedDownloads().take(m[1]!), null, 'served once');
  return zip;
}

/** The 8-byte container index of a JSONL member: offset | 1 << 40 per row. */
function checkIndex(data: Uint8Array, index: Uint8Array | undefined, what: string): void {
  assert.ok(index, `${what} has its .index`);
  const text = Buffer.from(data);
  const offsets: bigint[] = [];
  for (let at = 0; at < text.length; at = text.indexOf(10, at) + 1) offsets.push(BigInt(at) | (1n << 40n));
  assert.equal(index.length, 8 * offsets.length, `${what}: one index entry per row`);
  offsets.forEach((o, i) => assert.equal(Buffer.from(index).readBigUInt64LE(8 * i), o, `${what}: index entry ${i}`));
}

/** Checks a container of one Test.App.Upload collection against VELOCIRAPTOR-FORMATS.md 1.2-1.10. */
function checkContainer(zip: Record<string, Uint8Array>, c: CollectionDownload): void {
  const member = 'uploads/' + ['auto', ...FILE.split(/[\\/]/).filter(Boolean)].map(escapeComponent).filter((x) => x !== '').join('/');
  assert.deepEqual(Object.keys(zip).sort(), [
    'client_info.json', 'collection_context.json', 'log.json', 'log.json.index', 'requests.json',
    'results/Test.App.Upload%2FCount.json', 'results/Test.App.Upload%2FCount.json.index',
    'results/Test.App.Upload%2FFiles.json', 'results/Test.App.Upload%2FFiles.json.index',
    member, 'uploads.json', 'uploads.json.index',
  ].sort());

  // Results: JSON lines per source, without _Source, each with its index.
  const files = lines(zip['results/Test.App.Upload%2FFiles.json']!);
  assert.equal(files.length, 1);
  assert.deepEqual(Object.keys(files[0]!), ['Name', 'Upload', 'Logged']);
  const up = files[0]!.Upload as Record<string, unknown>;
  assert.equal(up.StoredName, '/' + member);
  assert.equal(up.sha256, sha256(CONTENT));
  assert.equal(strFromU8(zip[member]!), CONTENT, 'the uploaded file is in the zip, not left in a folder');
  assert.deepEqual(lines(zip['results/Test.App.Upload%2FCount.json']!), [{ N: 0 }, { N: 1 }, { N: 2 }]);
  for (const n of ['results/Test.App.Upload%2FFiles.json', 'results/Test.App.Upload%2FCount.json', 'log.json', 'uploads.json']) checkIndex(zip[n]!, zip[n + '.index'], n);

  // The log: Velociraptor's columns, the artifact's own line, the start.
  const log = lines(zip['log.json']!);
  for (const l of log) assert.deepEqual(Object.keys(l), ['_ts', 'client_time', 'level', 'message']);
  assert.ok(log.some((l) => l.level === 'DEFAULT' && l.message === 'Starting collection of Test.App.Upload\n'));
  assert.ok(log.some((l) => l.level === 'INFO' && String(l.message).includes('logged from the artifact')));

  // uploads.json: the upload's row.
  const uploads = lines(zip['uploads.json']!);
  assert.equal(uploads.length, 1);
  assert.equal(uploads[0]!.vfs_path, FILE);
  assert.equal(uploads[0]!.uploaded_size, CONTENT.length);

  // collection_context.json, requests.json, client_info.json.
  const ctx = JSON.parse(strFromU8(zip['collection_context.json']!)) as Record<string, unknown>;
  assert.equal(ctx.session_id, c.sessionId);
  assert.match(c.sessionId, /^F\.[0-9A-V]{13}$/);
  assert.deepEqual(ctx.artifacts_with_results, ['Test.App.Upload/Files', 'Test.App.Upload/Count']);
  assert.equal(ctx.total_collected_rows, 4);
  assert.equal(ctx.total_uploaded_files, 1);
  assert.equal(ctx.state, 2);
  const spec = (ctx.request as { specs: Array<{ artifact: string; parameters: { env: Array<{ key: string; value: string }> } }> }).specs[0]!;
  assert.equal(spec.artifact, 'Test.App.Upload');
  assert.deepEqual(spec.parameters.env, [{ key: 'File', value: FILE }]);
  const requests = JSON.parse(strFromU8(zip['requests.json']!)) as { items: Array<{ VQLClientAction: { Query: Array<{ Name?: string; VQL: string }> } }> };
  const names = requests.items.flatMap((i) => i.VQLClientAction.Query).map((q) => q.Name).filter(Boolean);
  assert.deepEqual(names, ['Test.App.Upload/Files', 'Test.App.Upload/Count']);
  const info = JSON.parse(strFromU8(zip['client_info.json']!)) as Record<string, unknown>;
  assert.equal(info.Hostname, hostname());

  // The counts the end reported.
  assert.deepEqual({ rows: c.rows, uploads: c.uploads, uploadedBytes: c.uploadedBytes }, { rows: 4, uploads: 1, uploadedBytes: CONTENT.length });
  assert.match(c.name, /^Collection-[0-9A-Za-z_-]+\.zip$/);
}

test('Collect to zip on a query worker: the rows stream as usual, and the end carries the container with the rows, log and upload', async () => {
  const { s, done, rows, logs } = service();
  const r = await s.invoke('artifacts:collect', { artifact: 'Test.App.Upload', args: { File: FILE }, container: true });
  assert.ok(r.ok, JSON.stringify(r));
  const end = await done(r.value);
  assert.equal(end.error, undefined, JSON.stringify(end.error));
  assert.equal(end.rows, 4);
  assert.equal(rows(r.value).length, 4, 'the page still gets the rows');
  assert.ok(end.collection, 'the end names the zip');
  assert.ok(logs(r.value).some((l) => /^info: collection F\.[0-9A-V]{13}: 4 rows, 1 upload \(15 bytes\) in Collection-.*\.zip$/.test(l)), logs(r.value).join('\n'));
  checkContainer(fetchZip(end.collection), end.collection);
});

test('Collect to zip inline (no worker pool): the same container; the service\'s own engine keeps no uploader', async () => {
  const { s, done, rows } = service({ isolation: 'inline' });
  const r = await s.invoke('artifacts:collect', { artifact: 'Test.App.Upload', args: { File: FILE }, container: true });
  assert.ok(r.ok);
  const end = await done(r.value);
  assert.ok(end.collection, JSON.stringify(end));
  checkContainer(fetchZip(end.collection), end.collection);
  const q = await s.invoke('vql:run', { query: `SELECT upload(file='x', accessor='data', name='n.txt') AS U FROM scope()` });
  assert.ok(q.ok);
  await done(q.value);
  assert.deepEqual(rows(q.value), [{ U: null }]);
});

test('after a collection, the same worker\'s next job has no upload folder (uploads do not leak into a removed container folder)', async () => {
  const entry = resolveWorkerEntry();
  assert.ok(entry, 'the query worker script is found');
  const dir = mkdtempSync(join(TMP, 'pool-'));
  mkdirSync(join(dir, 'artifacts'));
  writeFileSync(join(dir, 'artifacts', 'Test.App.Upload.yaml'), ARTIFACT);
  // No spare: every job runs on the one worker.
  const pool = new WorkerPool(entry, { userArtifacts: join(dir, 'artifacts'), spares: 0 });
  try {
    const { s, done, rows, logs } = service({ pool, userArtifacts: join(dir, 'artifacts') });
    const a = await s.invoke('artifacts:collect', { artifact: 'Test.App.Upload', args: { File: FILE }, container: true });
    assert.ok(a.ok);
    const endA = await done(a.value);
    assert.ok(endA.collection);
    fetchZip(endA.collection);
    const b = await s.invoke('vql:run', { query: `SELECT upload(file='x', accessor='data', name='n.txt') AS U FROM scope()` });
    assert.ok(b.ok);
    await done(b.value);
    assert.equal(pool.stats.started, 1, 'both jobs ran on the same worker');
    assert.deepEqual(rows(b.value), [{ U: null }]);
    assert.ok(logs(b.value).some((l) => l.includes('Uploader not configured')), logs(b.value).join('\n'));
  } finally {
    await pool.close();
  }
});

test('Collect to zip, stopped: the zip keeps what was collected and says it is partial', async () => {
  const { s, done, until, rows } = service();
  const r = await s.invoke('artifacts:collect', { artifact: 'Test.App.Slow', args: { File: FILE }, container: true });
  assert.ok(r.ok);
  // Stop once the upload's row has arrived.
  await until(() => (rows(r.value).length >= 1 ? true : undefined));
  s.cancel(r.value);
  const end = await done(r.value);
  assert.equal(end.cancelled, true);
  assert.ok(end.collection, JSON.stringify(end));
  const zip = fetchZip(end.collection);
  const first = lines(zip['results/Test.App.Slow.json']!)[0]!;
  assert.equal(strFromU8(zip[String((first.Upload as Record<string, unknown>).StoredName).slice(1)]!), CONTENT);
  const ctx = JSON.parse(strFromU8(zip['collection_context.json']!)) as Record<string, unknown>;
  assert.equal(ctx.state, 3);
  assert.equal(ctx.status, 'the collection is partial: it was cancelled');
});

test('Collect to zip refused or failing: a clear error, no download left behind', async () => {
  const { s, done } = service();
  const bad = await s.invoke('artifacts:collect', { artifact: 'Test.App.Upload', container: 'yes' as unknown as boolean });
  assert.deepEqual(bad, { ok: false, error: { code: 'BadRequest', message: 'artifacts:collect: container is true or false' } });
  const before = sharedDownloads().size;
  const r = await s.invoke('artifacts:collect', { artifact: 'Test.App.Upload', args: { Nope: '1' }, container: true });
  assert.ok(r.ok);
  const end = await done(r.value);
  assert.match(end.error?.message ?? '', /Parameter Nope not known for artifact Test\.App\.Upload/);
  assert.equal(end.collection, undefined);
  assert.equal(sharedDownloads().size, before, 'no download registered');
});

test('the zip is named as Velociraptor\'s offline collector names its zips', () => {
  assert.equal(collectionFileName('host.example:1', new Date('2026-12-07T04:05:06.789Z')), 'Collection-host_example_1-2026-12-07T04_05_06Z.zip');
});

test('the desktop app saves the finished zip where the user chose (collection:save): a new file, Exists before a replace, then the waiting copy is gone', async () => {
  const { s, done } = service();
  const r = await s.invoke('artifacts:collect', { artifact: 'Test.App.Upload', args: { File: FILE }, container: true });
  assert.ok(r.ok);
  const end = await done(r.value);
  const c = end.collection;
  assert.ok(c, JSON.stringify(end));
  const m = /^\/exports\/([0-9a-f]{32})$/.exec(c.download)!;
  const waiting = sharedDownloads().peek(m[1]!);
  assert.ok(waiting, 'the zip waits for its save');

  const out = mkdtempSync(join(TMP, 'saved-'));
  const target = join(out, c.name);
  // Bad places are refused with what to do; nothing is written and the zip keeps waiting.
  assert.deepEqual(await s.invoke('collection:save', { download: c.download, path: 'relative.zip' }), { ok: false, error: { code: 'BadRequest', message: 'saving needs the absolute path of the file to write' } });
  const missing = await s.invoke('collection:save', { download: c.download, path: join(out, 'no-such-folder', 'x.zip') });
  assert.equal(!missing.ok && missing.error.code, 'BadRequest');
  assert.match(!missing.ok ? missing.error.message : '', /the folder .*no-such-folder does not exist/);
  const folder = await s.invoke('collection:save', { download: c.download, path: out });
  assert.match(!folder.ok ? folder.error.message : '', /is a folder: give a file name/);
  writeFileSync(target, 'an older file');
  const exists = await s.invoke('collection:save', { download: c.download, path: target });
  assert.equal(!exists.ok && exists.error.code, 'Exists');
  assert.equal(readFileSync(target, 'utf8'), 'an older file', 'not replaced without the user\'s yes');
  assert.ok(existsSync(waiting.path), 'still waiting after the refusals');

  const saved = await s.invoke('collection:save', { download: c.download, path: target, overwrite: true });
  assert.deepEqual(saved, { ok: true, value: { path: target, bytes: c.bytes } });
  checkContainer(unzipSync(readFileSync(target)), c);
  assert.equal(existsSync(dirname(waiting.path)), false, 'the waiting copy is removed once saved');
  const again = await s.invoke('collection:save', { download: c.download, path: join(out, 'second.zip') });
  assert.equal(!again.ok && again.error.code, 'NotFound');
  assert.equal(existsSync(join(out, 'second.zip')), false);
  assert.deepEqual(await s.invoke('collection:save', { download: '/exports/../../etc/passwd', path: join(out, 'p.zip') }), { ok: false, error: { code: 'BadRequest', message: 'collection:save needs the download address of a finished collection' } });
});

test('a finished collection waits for its save past the downloads\' ten minutes (a table export does not)', async () => {
  const { Downloads } = await import('../../main/app/downloads.ts');
  const d = new Downloads(1);
  const root = mkdtempSync(join(TMP, 'dl-'));
  const keep = join(d.newFolder(root), 'c.zip');
  const drop = join(d.newFolder(root), 'e.csv');
  writeFileSync(keep, 'zip');
  writeFileSync(drop, 'csv');
  const kept = d.add(root, { path: keep, name: 'c.zip', contentType: 'application/zip' }, true);
  const dropped = d.add(root, { path: drop, name: 'e.csv', contentType: 'text/csv' });
  // The 1 ms timer of the export fires; wait for the event loop to run it (and a few turns more).
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(d.peek(dropped), null, 'the export expired');
  assert.equal(existsSync(drop), false);
  assert.ok(d.peek(kept), 'the collection still waits');
  assert.equal(readFileSync(keep, 'utf8'), 'zip');
});

test('artifacts:collect evaluates preconditions; ignorePreconditions runs the artifact anyway, with or without a container, on a worker and inline', async () => {
  for (const isolation of [undefined, 'inline'] as const) {
    const { s, done, rows, logs } = service(isolation ? { isolation } : {});
    const skipped = await s.invoke('artifacts:collect', { artifact: 'Test.App.Elsewhere' });
    assert.ok(skipped.ok);
    assert.equal((await done(skipped.value)).rows, 0);
    assert.ok(logs(skipped.value).some((l) => /Skipping query due to preconditions/.test(l)), logs(skipped.value).join('\n'));
    for (const container of [false, true]) {
      const r = await s.invoke('artifacts:collect', { artifact: 'Test.App.Elsewhere', ignorePreconditions: true, ...(container ? { container } : {}) });
      assert.ok(r.ok, JSON.stringify(r));
      const end = await done(r.value);
      assert.equal(end.rows, 1, `${isolation ?? 'worker'} container=${container}: ${logs(r.value).join('; ')}`);
      assert.deepEqual(rows(r.value).map((x) => (x as { Result: string }).Result), ['ran']);
      if (container) assert.ok(end.collection);
    }
    const bad = await s.invoke('artifacts:collect', { artifact: 'Test.App.Elsewhere', ignorePreconditions: 'yes' as unknown as boolean });
    assert.equal(bad.ok, false);
  }
});
