// The fs and fs_sparse accessors over a Velociraptor file store the test writes (escaped names,
// a sparse upload, a datastore record), and remap() applying to the caller of the artifact that
// calls it: Velociraptor's Windows.KapeFiles.Remapping over a flow's uploads, then
// Windows.Sys.Programs, unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, toJSON, type Registry } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { Repository, installArtifactPlugins } from '../../../main/artifacts/index.ts';
import { unsanitizeComponent } from '../../../main/host/collect/fs-accessor.ts';
import { sanitizeComponent } from '../../../main/logs/flows.ts';
import { buildHive, REG, type BuildKey } from '../raw-reg/hive-builder.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const NO_CORPUS = existsSync(CORPUS) ? false : '../shared/velociraptor-artifacts is absent (Velociraptor\'s artifacts)';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
const NO_CLI = existsSync(join(ROOT, 'dist', 'cli.js')) ? false : 'dist/cli.js is not built (npm run build)';

const CLIENT = 'C.1234abcd5678ef90';
const FLOW = 'F.CQ1D2E3F4G5H6';
const BASE = `/clients/${CLIENT}/collections/${FLOW}/uploads`;

let store: string;
let registry: Registry;

/** Writes `data` at the store path `comps` (each component escaped as the server does). */
function put(comps: string[], data: string | Uint8Array): string {
  const file = join(store, ...comps.map(sanitizeComponent));
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, data);
  return file;
}

const nested = (path: string[], leaf: BuildKey): BuildKey => (path.length ? { name: path[0]!, subkeys: [nested(path.slice(1), leaf)] } : leaf);
const program = (key: string, name: string): BuildKey => ({ name: key, values: [{ name: 'DisplayName', type: 1, data: REG.sz(name) }, { name: 'Publisher', type: 1, data: REG.sz('Test') }] });
const uninstall = (keys: BuildKey[]): BuildKey => nested(['Microsoft', 'Windows', 'CurrentVersion'], { name: 'Uninstall', subkeys: keys });

before(() => {
  store = mkdtempSync(join(tmpdir(), 'vql-fs-'));
  const up = ['clients', CLIENT, 'collections', FLOW, 'uploads'];
  // A KAPE-style collection: files under uploads/auto/C:/..., the hives as the disk names them.
  put([...up, 'auto', 'C:', 'Windows', 'System32', 'config', 'SOFTWARE'], buildHive({ name: 'ROOT', subkeys: [uninstall([program('7-Zip', '7-Zip 23.01 (x64)')])] }).bytes);
  put([...up, 'auto', 'C:', 'Windows', 'System32', 'config', 'SYSTEM'], buildHive({ name: 'ROOT', subkeys: [{ name: 'Select', values: [{ name: 'Current', type: 4, data: REG.dword(1) }] }] }).bytes);
  put([...up, 'auto', 'C:', 'Users', 'bob', 'NTUSER.DAT'], buildHive({ name: 'ROOT', subkeys: [nested(['Software'], uninstall([program('Zoom', 'Zoom Workplace')]))] }).bytes);
  put([...up, 'auto', 'C:', 'Users', 'bob', 'Documents', 'notes.txt'], 'meeting at 10\n');
  // A sparse upload: 8 bytes stored, the file was 4096 + 8 bytes with a hole first.
  const j = put([...up, 'ntfs', '\\\\.\\C:', '$Extend', '$UsnJrnl:$J'], 'USNDATA!');
  writeFileSync(j + '.idx', JSON.stringify({ ranges: [{ original_offset: 0, length: 4096 }, { file_offset: 0, original_offset: 4096, file_length: 8, length: 8 }] }));
  // A datastore record (protojson) and an older one (.db).
  put(['clients', CLIENT, 'collections', `${FLOW}.json.db`], '{"clientId":"' + CLIENT + '","sessionId":"' + FLOW + '","state":"FINISHED"}');
  put(['clients', CLIENT, 'ping.db'], 'binary');
  // Something next to the store that must stay out of reach.
  writeFileSync(join(store, '..', `outside-${store.split('/').pop()}`), 'secret');
  registry = createHostRegistry({ filestore: store });
  installArtifactPlugins(registry, new Repository({ builtinDir: null, definitions: existsSync(CORPUS) ? [CORPUS] : [] }));
});

after(() => {
  rmSync(store, { recursive: true, force: true });
  rmSync(join(store, '..', `outside-${store.split('/').pop()}`), { force: true });
});

async function run(vql: string, vars: Record<string, unknown> = {}): Promise<{ rows: Array<Record<string, unknown>>; logs: string[] }> {
  const logs: string[] = [];
  const rows = await collect(vql, { registry, vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}
const problems = (logs: string[]) => logs.filter((l) => l.startsWith('error') || l.startsWith('warn'));

test('stored names are escaped as the server escapes them and listed unescaped', () => {
  assert.equal(sanitizeComponent('C:'), 'C%3A');
  assert.equal(unsanitizeComponent('C%3A'), 'C:');
  assert.equal(unsanitizeComponent(sanitizeComponent('ping.db')), 'ping.db');
  assert.equal(unsanitizeComponent(sanitizeComponent('trailing_')), 'trailing_');
  assert.equal(unsanitizeComponent(sanitizeComponent('\\\\.\\C:')), '\\\\.\\C:');
  assert.ok(existsSync(join(store, 'clients', CLIENT, 'collections', FLOW, 'uploads', 'auto', 'C%3A', 'Users')));
});

test('glob over the store: logical paths (C:, \\\\.\\C:), sizes, and case-insensitive matching', async () => {
  const r = await run(`SELECT OSPath.Components[6:] AS C, Size, IsDir, OSPath.String AS S FROM glob(globs='**/*.{txt,dat}', root=Base, accessor='fs') ORDER BY S`, { Base: BASE });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [
    { C: ['C:', 'Users', 'bob', 'Documents', 'notes.txt'], Size: 14, IsDir: false, S: `${BASE}/auto/C:/Users/bob/Documents/notes.txt` },
    { C: ['C:', 'Users', 'bob', 'NTUSER.DAT'], Size: 8192, IsDir: false, S: `${BASE}/auto/C:/Users/bob/NTUSER.DAT` },
  ]);
  const top = await run(`SELECT Name FROM glob(globs='*', root=Base, accessor='fs') ORDER BY Name`, { Base: BASE });
  assert.deepEqual(top.rows.map((x) => x.Name), ['auto', 'ntfs']);
  // A component holding separators is quoted in the path's text, which reads back the same.
  const dev = await run(`SELECT OSPath.Components[6] AS Dev, OSPath.String AS S, stat(filename=OSPath.String, accessor='fs').IsDir AS Dir FROM glob(globs='ntfs/*', root=Base, accessor='fs')`, { Base: BASE });
  assert.deepEqual(dev.rows, [{ Dev: '\\\\.\\C:', S: `${BASE}/ntfs/"\\\\.\\C:"`, Dir: true }]);
});

test('read_file and stat find a path in any case (Config for config), with or without fs:', async () => {
  const r = await run(`SELECT read_file(filename=Base + '/auto/C:/users/BOB/documents/NOTES.TXT', accessor='fs') AS A,
      read_file(filename='fs:' + Base + '/auto/C:/Users/bob/Documents/notes.txt', accessor='fs') AS B,
      stat(filename=Base + '/auto/C:/Windows/System32/Config/SOFTWARE', accessor='fs').IsDir AS Dir
    FROM scope()`, { Base: BASE });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ A: 'meeting at 10\n', B: 'meeting at 10\n', Dir: false }]);
});

test('fs reads a sparse upload as stored; fs_sparse as the file it was, holes as zeros', async () => {
  const path = `${BASE}/ntfs/"\\\\.\\C:"/$Extend/$UsnJrnl:$J`;
  const r = await run(`SELECT stat(filename=P, accessor='fs').Size AS Stored, stat(filename=P, accessor='fs_sparse').Size AS Expanded,
      read_file(filename=P, accessor='fs') AS Raw, read_file(filename=P, accessor='fs_sparse', offset=4094, length=10) AS Tail
    FROM scope()`, { P: path });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ Stored: 8, Expanded: 4104, Raw: 'USNDATA!', Tail: '\u0000\u0000USNDATA!' }]);
  const listed = await run(`SELECT Name, Size FROM glob(globs='*', root=Dir, accessor='fs_sparse') ORDER BY Name`, { Dir: `${BASE}/ntfs/"\\\\.\\C:"/$Extend` });
  assert.deepEqual(listed.rows, [{ Name: '$UsnJrnl:$J', Size: 4104 }, { Name: '$UsnJrnl:$J.idx', Size: listed.rows[1]!.Size }]);
});

test('ds: paths read datastore records: .json.db, else the older .db', async () => {
  const r = await run(`SELECT parse_json(data=read_file(filename='ds:/clients/${CLIENT}/collections/${FLOW}', accessor='fs')).state AS State,
      read_file(filename='ds:/clients/${CLIENT}/ping', accessor='fs') AS Ping FROM scope()`);
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ State: 'FINISHED', Ping: 'binary' }]);
});

test('nothing outside the store folder can be read: .. stays a name', async () => {
  const name = `outside-${store.split('/').pop()}`;
  const r = await run(`SELECT read_file(filename='../${name}', accessor='fs') AS A, read_file(filename='/clients/../../${name}', accessor='fs') AS B FROM scope()`);
  assert.deepEqual(r.rows, [{ A: '', B: '' }]);
  assert.ok(r.logs.some((l) => /no such file in the file store/.test(l)), r.logs.join('\n'));
});

test('a missing path is an error naming the store', async () => {
  const r = await run(`SELECT read_file(filename='/clients/C.nope/x', accessor='fs') AS A FROM scope()`);
  assert.deepEqual(r.rows, [{ A: '' }]);
  assert.ok(r.logs.some((l) => l.includes('/clients/C.nope/x: no such file in the file store ' + store)), r.logs.join('\n'));
});

test('remap() inside an artifact applies to its caller\'s later statements (Velociraptor\'s root scope)', async () => {
  const defs = mkdtempSync(join(tmpdir(), 'vql-fs-defs-'));
  try {
    writeFileSync(join(defs, 'Custom.Remap.Inside.yaml'), `name: Custom.Remap.Inside
parameters:
  - name: Drive
sources:
  - query: |
      SELECT remap(clear=TRUE, config=format(format='''remappings:
      - type: mount
        from: {accessor: fs, prefix: "%v"}
        "on": {accessor: auto, prefix: "", path_type: windows}
      ''', args=Drive)) AS R FROM scope()
`);
    const reg = createHostRegistry({ filestore: store });
    installArtifactPlugins(reg, new Repository({ builtinDir: null, definitions: [defs] }));
    const logs: string[] = [];
    const rows = await collect(`
      LET _ <= SELECT * FROM Artifact.Custom.Remap.Inside(Drive=Base + '/auto')
      SELECT read_file(filename='C:/Users/bob/Documents/notes.txt') AS Notes FROM scope()`, { registry: reg, vars: { Base: BASE }, log: (l, m) => logs.push(`${l}: ${m}`) });
    assert.deepEqual(problems(logs), []);
    assert.deepEqual(JSON.parse(toJSON(rows)), [{ Notes: 'meeting at 10\n' }]);
  } finally {
    rmSync(defs, { recursive: true, force: true });
  }
});

test('Windows.KapeFiles.Remapping over a flow\'s uploads, then Windows.Sys.Programs, unchanged', { skip: NO_CORPUS }, async () => {
  const r = await run(`
    LET _ <= SELECT * FROM Artifact.Windows.KapeFiles.Remapping(ClientId=ClientId, FlowId=FlowId)
    SELECT DisplayName, KeyPath FROM Artifact.Windows.Sys.Programs() ORDER BY DisplayName
    SELECT OS, Hostname FROM info()
    SELECT OSPath FROM glob(globs='C:/Users/*/Documents/*.txt')`, { ClientId: CLIENT, FlowId: FLOW });
  // The test's hives hold only DisplayName and Publisher: the artifact's other values are absent.
  assert.deepEqual(problems(r.logs).filter((l) => !/^warn: Symbol \w+ not found$/.test(l)), []);
  assert.deepEqual(r.rows, [
    { DisplayName: '7-Zip 23.01 (x64)', KeyPath: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip' },
    { DisplayName: 'Zoom Workplace', KeyPath: 'HKEY_USERS\\bob\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Zoom' },
    { OS: 'windows', Hostname: 'Virtual Host' },
    { OSPath: 'C:\\Users\\bob\\Documents\\notes.txt' },
  ]);
  assert.ok(r.logs.some((l) => /remap: Mounting fs path/.test(l)), r.logs.join('\n'));
});

test('vql --filestore DIR: the fs accessor reads that folder, on the --timeout worker too; a missing folder is a usage error', { skip: NO_CLI }, () => {
  const q = `SELECT read_file(filename='${BASE}/auto/C:/Users/bob/Documents/notes.txt', accessor='fs') AS N FROM scope()`;
  for (const extra of [[], ['--timeout', '60']]) {
    const r = spawnSync(process.execPath, [BIN, 'query', '--filestore', store, '--format', 'jsonl', ...extra, q], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000, env: { ...process.env, VQL_FILESTORE: '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { N: 'meeting at 10\n' });
  }
  const bad = spawnSync(process.execPath, [BIN, 'query', '--filestore', join(store, 'nope'), q], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--filestore .*nope: not a folder \(give a Velociraptor server's datastore folder, or a copy of one\)/);
});
