// End-to-end tests of collections with uploads (issue 10 item 3): `vql artifacts collect NAME...
// --output x.zip` writes Velociraptor's offline-collector container (VELOCIRAPTOR-FORMATS.md 1.2);
// without --output, uploads go to a folder the CLI names. Each test spawns the real command on
// files the test made, opens the zip with fflate and checks every member against the layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, strFromU8 } from 'fflate';
import { unsafeEntryName } from '../../main/artifacts/pack-zip.ts';
import { escapeComponent } from '../../main/host/collect/zip-escape.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

let TMP = '';
let DATA = '';
let DEFS = '';

/** The files the artifacts upload: odd names on purpose. */
const FILES: Record<string, string> = {
  'plain.txt': 'plain\n',
  'with space.txt': 'a space\n',
  'é ü 日本.txt': 'unicode\n',
  '.hidden': 'hidden\n',
  'trailing dot.': 'trailing\n',
  'pct%and:colon.txt': 'escaped characters\n',
};

before(() => {
  TMP = mkdtempSync(join(tmpdir(), 'vql-collect-zip-'));
  DATA = join(TMP, 'data dir');
  DEFS = join(TMP, 'defs');
  mkdirSync(join(DATA, 'sub'), { recursive: true });
  mkdirSync(DEFS);
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(DATA, 'sub', name), text);
  writeFileSync(join(DEFS, 'Test.Collect.Uploads.yaml'), `name: Test.Collect.Uploads
parameters:
  - name: Root
  - name: Flag
    type: bool
sources:
  - name: Files
    query: |
      SELECT Name, Size, upload(file=OSPath) AS Upload
      FROM glob(globs='**', root=Root) WHERE NOT IsDir ORDER BY Name
  - name: Named
    query: |
      SELECT upload(file='drive letter', accessor='data', name=pathspec(Path='C:\\\\Users\\\\..\\\\x:y.txt', path_type='windows')) AS Win,
             upload(file='climbing', accessor='data', name='../../../escape.txt') AS Up,
             log(message='logged from the artifact') AS Logged
      FROM scope()
`);
  writeFileSync(join(DEFS, 'Test.Collect.Empty.yaml'), `name: Test.Collect.Empty
sources:
  - query: SELECT * FROM scope() WHERE FALSE
`);
  writeFileSync(join(DEFS, 'Test.Collect.Slow.yaml'), `name: Test.Collect.Slow
parameters:
  - name: File
sources:
  - query: |
      SELECT * FROM chain(
        a={ SELECT upload(file=File) AS Upload FROM scope() },
        b={ SELECT Unix FROM clock(period=1) })
`);
});
after(() => rmSync(TMP, { recursive: true, force: true }));

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function vql(args: string[], cwd = TMP): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const lines = (b: Uint8Array) => strFromU8(b).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

/** The 8-byte container index of a JSONL member: offset | 1 << 40 per row. */
function checkIndex(data: Uint8Array, index: Uint8Array, what: string): void {
  const text = Buffer.from(data);
  const offsets: bigint[] = [];
  for (let at = 0; at < text.length; at = text.indexOf(10, at) + 1) {
    offsets.push(BigInt(at) | (1n << 40n));
    if (text.indexOf(10, at) < 0) break;
  }
  assert.equal(index.length, 8 * offsets.length, `${what}: one index entry per row`);
  const view = Buffer.from(index);
  offsets.forEach((o, i) => assert.equal(view.readBigUInt64LE(8 * i), o, `${what}: index entry ${i}`));
}

/** The member of the container holding the upload of `components` (escaped as Velociraptor does). */
const memberOf = (components: readonly string[]) => components.map(escapeComponent).filter((c) => c !== '').join('/');

/** Checks a container made by collecting Test.Collect.Uploads and Test.Collect.Empty. */
function checkContainer(zipPath: string): void {
  const zip = unzipSync(readFileSync(zipPath));
  const names = Object.keys(zip);
  for (const n of names) {
    assert.equal(unsafeEntryName(n), undefined, `member ${n} is safe to extract anywhere`);
    assert.ok(!n.startsWith('/'), n);
  }
  const dataComps = DATA.split(/[\\/]/).filter(Boolean);
  const uploadMembers = [
    ...Object.keys(FILES).map((f) => 'uploads/' + memberOf(['auto', ...dataComps, 'sub', f])),
    'uploads/data/C%3A/Users/x%3Ay.txt',
    'uploads/data/escape.txt',
  ];
  const expected = [
    'results/Test.Collect.Uploads%2FFiles.json', 'results/Test.Collect.Uploads%2FFiles.json.index',
    'results/Test.Collect.Uploads%2FNamed.json', 'results/Test.Collect.Uploads%2FNamed.json.index',
    'results/Test.Collect.Empty.json', 'results/Test.Collect.Empty.json.index',
    'log.json', 'log.json.index',
    ...uploadMembers,
    'uploads.json', 'uploads.json.index',
    'collection_context.json', 'requests.json', 'client_info.json',
  ];
  assert.deepEqual([...names].sort(), [...expected].sort());
  // Odd names, escaped as Velociraptor escapes them.
  assert.ok(uploadMembers.includes('uploads/' + memberOf(['auto', ...dataComps, 'sub', '.hidden'])));
  assert.ok(names.some((n) => n.endsWith('/sub/%2Ehidden')));
  assert.ok(names.some((n) => n.endsWith('/sub/trailing dot%2E')));
  assert.ok(names.some((n) => n.endsWith('/sub/pct%25and%3Acolon.txt')));
  assert.ok(names.some((n) => n.includes('/data dir/sub/é ü 日本.txt')));

  // Results: JSON lines without _Source, with their index.
  const files = lines(zip['results/Test.Collect.Uploads%2FFiles.json']!);
  assert.deepEqual(files.map((r) => r.Name), Object.keys(FILES).sort());
  for (const r of files) {
    assert.deepEqual(Object.keys(r), ['Name', 'Size', 'Upload']);
    const up = r.Upload as Record<string, unknown>;
    const member = String(up.StoredName).slice(1);
    assert.ok(zip[member], `${member} is in the zip`);
    assert.equal(strFromU8(zip[member]!), FILES[String(r.Name)]);
    assert.equal(up.sha256, sha256(FILES[String(r.Name)]!));
    assert.deepEqual((up.Components as string[]).slice(0, 2), ['uploads', 'auto']);
  }
  const named = lines(zip['results/Test.Collect.Uploads%2FNamed.json']!);
  assert.equal((named[0]!.Win as Record<string, unknown>).StoredName, '/uploads/data/C%3A/Users/x%3Ay.txt');
  assert.equal(strFromU8(zip['uploads/data/C%3A/Users/x%3Ay.txt']!), 'drive letter');
  assert.equal(strFromU8(zip['uploads/data/escape.txt']!), 'climbing');
  assert.equal(zip['results/Test.Collect.Empty.json']!.length, 0, 'an artifact with no rows still has its (empty) result set');
  for (const n of names.filter((x) => x.endsWith('.json') && (x.startsWith('results/') || x === 'log.json' || x === 'uploads.json'))) {
    checkIndex(zip[n]!, zip[n + '.index']!, n);
  }

  // The log.
  const log = lines(zip['log.json']!);
  for (const l of log) {
    assert.deepEqual(Object.keys(l), ['_ts', 'client_time', 'level', 'message']);
    assert.equal(l._ts, l.client_time);
    assert.match(String(l.message), /\n$/);
  }
  assert.ok(log.some((l) => l.level === 'DEFAULT' && l.message === 'Starting collection of Test.Collect.Uploads\n'));
  assert.ok(log.some((l) => l.level === 'INFO' && String(l.message).includes('logged from the artifact')));

  // uploads.json: one row per stored file, pointing at its member.
  const uploads = lines(zip['uploads.json']!);
  assert.equal(uploads.length, uploadMembers.length);
  for (const u of uploads) {
    assert.deepEqual(Object.keys(u), ['Timestamp', 'started', 'vfs_path', '_Components', 'file_size', 'uploaded_size', 'Type']);
    const comps = u._Components as string[];
    assert.equal(comps[0], 'uploads');
    assert.ok(zip[memberOf(comps)], `uploads.json row ${comps.join('/')} has its member`);
    assert.equal(u.uploaded_size, zip[memberOf(comps)]!.length);
  }

  // collection_context.json: what the importer needs.
  const ctx = JSON.parse(strFromU8(zip['collection_context.json']!)) as Record<string, unknown>;
  assert.match(String(ctx.session_id), /^F\.[0-9A-V]{13}$/);
  assert.deepEqual(ctx.artifacts_with_results, ['Test.Collect.Uploads/Files', 'Test.Collect.Uploads/Named']);
  assert.equal(ctx.total_collected_rows, Object.keys(FILES).length + 1);
  assert.equal(ctx.total_uploaded_files, uploadMembers.length);
  assert.equal(ctx.state, 2);
  const req = ctx.request as { artifacts: string[]; specs: Array<{ artifact: string; parameters: { env: Array<{ key: string; value: string }> } }> };
  assert.deepEqual(req.artifacts, ['Test.Collect.Uploads', 'Test.Collect.Empty']);
  assert.deepEqual(req.specs[0]!.parameters.env.find((e) => e.key === 'Root')?.value, DATA);
  assert.equal(typeof ctx.create_time, 'number');
  assert.equal((ctx.query_stats as unknown[]).length, 2);
  assert.match(strFromU8(zip['collection_context.json']!), /^\{\n "session_id"/, 'indented with one space, as Velociraptor writes it');

  // requests.json: the compiled requests, the sources' SELECTs named.
  const requests = JSON.parse(strFromU8(zip['requests.json']!)) as { items: Array<{ session_id: string; VQLClientAction: { Query: Array<{ Name?: string; VQL: string }> } }> };
  assert.equal(requests.items[0]!.session_id, ctx.session_id);
  const queries = requests.items.flatMap((i) => i.VQLClientAction.Query);
  assert.ok(queries.some((q) => q.Name === 'Test.Collect.Uploads/Files' && /^SELECT/.test(q.VQL)));

  // client_info.json: this machine.
  const info = JSON.parse(strFromU8(zip['client_info.json']!)) as Record<string, unknown>;
  assert.equal(info.Hostname, hostname());
  assert.equal(info.Name, 'vql');
}

test('collect --output x.zip: the offline collector\'s layout, every member checked', () => {
  const out = join(TMP, 'inline.zip');
  const r = vql(['artifacts', 'collect', 'Test.Collect.Uploads', 'Test.Collect.Empty', '--definitions', DEFS, '--args', `Root=${DATA}`, '--output', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'rows go into the zip');
  assert.match(r.stderr, /INFO: collection F\.[0-9A-V]{13}: 7 rows, 8 uploads \(\d+ bytes\) in .*inline\.zip/);
  checkContainer(out);
});

test('collect --output x.zip --timeout: the same container from the worker thread', () => {
  const out = join(TMP, 'worker.zip');
  const r = vql(['artifacts', 'collect', 'Test.Collect.Uploads', 'Test.Collect.Empty', '--definitions', DEFS, '--args', `Root=${DATA}`, '--output', out, '--timeout', '120']);
  assert.equal(r.status, 0, r.stderr);
  checkContainer(out);
});

test('collect --output x.zip: a run cut by --timeout keeps what it collected, and says it is partial', () => {
  const out = join(TMP, 'partial.zip');
  const file = join(DATA, 'sub', 'plain.txt');
  const r = vql(['artifacts', 'collect', 'Test.Collect.Slow', '--definitions', DEFS, '--args', `File=${file}`, '--output', out, '--timeout', '3']);
  assert.equal(r.status, 124, r.stderr);
  const zip = unzipSync(readFileSync(out));
  const member = 'uploads/' + memberOf(['auto', ...file.split(/[\\/]/).filter(Boolean)]);
  assert.equal(strFromU8(zip[member]!), 'plain\n', 'the upload made before the deadline is in the zip');
  const rows = lines(zip['results/Test.Collect.Slow.json']!);
  assert.ok(rows.length >= 1);
  const ctx = JSON.parse(strFromU8(zip['collection_context.json']!)) as Record<string, unknown>;
  assert.equal(ctx.state, 3);
  assert.match(String(ctx.status), /--timeout of 3s/);
});

test('collect without --output: uploads go to a folder the CLI names and prints', () => {
  const cwd = mkdtempSync(join(TMP, 'cwd-'));
  const r = vql(['artifacts', 'collect', 'Test.Collect.Uploads', '--definitions', DEFS, '--args', `Root=${DATA}`, '--format', 'jsonl'], cwd);
  assert.equal(r.status, 0, r.stderr);
  const m = /INFO: uploads: 8 files \(\d+ bytes\) in (.+)\n/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const folder = m[1]!;
  assert.ok(folder.startsWith(cwd), 'in the working directory');
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const row of rows.filter((x) => x._Source === 'Test.Collect.Uploads/Files')) {
    const up = row.Upload as Record<string, unknown>;
    assert.equal(readFileSync(join(folder, ...String(up.StoredName).slice(1).split('/')), 'utf8'), FILES[String(row.Name)]);
  }
  assert.equal(readFileSync(join(folder, 'uploads', 'data', 'C%3A', 'Users', 'x%3Ay.txt'), 'utf8'), 'drive letter');
});

test('vql query with upload(): the folder is named and printed; no upload, no folder', () => {
  const cwd = mkdtempSync(join(TMP, 'q-'));
  const r = vql(['query', `SELECT upload(file='hi', accessor='data', name='note.txt').StoredName AS S FROM scope()`, '--format', 'jsonl'], cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '{"S":"/uploads/data/note.txt"}');
  const m = /INFO: uploads: 1 file \(2 bytes\) in (.+)\n/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(readFileSync(join(m[1]!, 'uploads', 'data', 'note.txt'), 'utf8'), 'hi');
  const none = mkdtempSync(join(TMP, 'q-'));
  const r2 = vql(['query', `SELECT tempfile(data='x') AS T FROM scope()`, '--format', 'jsonl'], none);
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(readdirSync(none), [], 'no upload folder without uploads');
  const tmp = JSON.parse(r2.stdout) as { T: string };
  assert.equal(existsSync(tmp.T), false, 'the temp file is gone with the run');
});

test('collect --output x.zip: a path that cannot be written fails at once', () => {
  const r = vql(['artifacts', 'collect', 'Test.Collect.Empty', '--definitions', DEFS, '--output', join(TMP, 'no', 'such', 'dir', 'x.zip')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /vql: error: cannot write .*x\.zip: ENOENT/);
});

test('collect --output x.zip: every artifact of the collection sees the collection\'s flow id as _SessionId (as on a client)', () => {
  writeFileSync(join(DEFS, 'Test.Collect.Session.yaml'), `name: Test.Collect.Session
sources:
  - query: SELECT _SessionId AS Session FROM scope()
`);
  const zipPath = join(TMP, 'session.zip');
  const r = vql(['artifacts', 'collect', 'Test.Collect.Session', 'Test.Collect.Empty', '--definitions', DEFS, '--output', zipPath]);
  assert.equal(r.status, 0, r.stderr);
  const zip = unzipSync(readFileSync(zipPath));
  const context = JSON.parse(strFromU8(zip['collection_context.json']!)) as { session_id: string };
  assert.match(context.session_id, /^F\.[A-Z0-9]+$/);
  assert.deepEqual(lines(zip['results/Test.Collect.Session.json']!).map((row) => row.Session), [context.session_id]);
});

test('collect evaluates preconditions (this machine is the endpoint); --ignore-preconditions runs the artifact anyway, also on a worker (--timeout)', () => {
  writeFileSync(join(DEFS, 'Test.Collect.Elsewhere.yaml'), `name: Test.Collect.Elsewhere
precondition: SELECT OS FROM info() WHERE OS = 'no-such-os'
sources:
  - query: SELECT 'ran' AS Result FROM scope()
`);
  const skipped = vql(['artifacts', 'collect', 'Test.Collect.Elsewhere', '--definitions', DEFS, '--format', 'jsonl']);
  assert.equal(skipped.status, 0, skipped.stderr);
  assert.equal(skipped.stdout.trim(), '');
  assert.match(skipped.stderr, /Skipping query due to preconditions: Test\.Collect\.Elsewhere/);
  for (const extra of [[], ['--timeout', '60']]) {
    const ran = vql(['artifacts', 'collect', 'Test.Collect.Elsewhere', '--definitions', DEFS, '--format', 'jsonl', '--ignore-preconditions', ...extra]);
    assert.equal(ran.status, 0, ran.stderr);
    assert.deepEqual(ran.stdout.trim().split('\n').map((l) => JSON.parse(l).Result), ['ran'], `${extra.join(' ')}: ${ran.stderr}`);
    assert.doesNotMatch(ran.stderr, /Skipping query/);
  }
});
