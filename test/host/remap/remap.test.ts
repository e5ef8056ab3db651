// Remapping (docs/remapping.md): queries and artifacts run against a triage folder the test
// writes (real files, real registry hives) through Velociraptor's remapping config, applied as
// the CLI's --remap applies it (remapMocks) and from VQL with remap().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, toJSON, type Mocks, type Registry } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { Repository, installArtifactPlugins } from '../../../main/artifacts/index.ts';
import { parseRemapConfig, remapMocks } from '../../../main/host/remap/index.ts';
import { makeTriage, type Triage } from './triage.ts';

let t: Triage;
let registry: Registry;

before(() => {
  t = makeTriage();
  const defs = join(t.dir, 'defs');
  mkdirSync(defs);
  writeFileSync(join(defs, 'Custom.Remap.Probe.yaml'), `name: Custom.Remap.Probe
sources:
  - precondition: SELECT OS FROM info() WHERE OS = 'windows'
    query: |
      SELECT info().Hostname AS Host, OSPath, Size
      FROM glob(globs='C:/Users/*/Documents/*.txt')
`);
  registry = createHostRegistry();
  installArtifactPlugins(registry, new Repository({ builtinDir: null, definitions: [defs] }));
});

after(() => rmSync(t.dir, { recursive: true, force: true }));

interface Result {
  rows: Array<Record<string, unknown>>;
  logs: string[];
}

/** Runs `vql` under the triage config as --remap applies it (a session that starts remapped). */
async function remapped(vql: string, vars: Record<string, unknown> = {}): Promise<Result> {
  const logs: string[] = [];
  const mocks: Mocks = remapMocks(registry, parseRemapConfig(t.config, t.configFile), (m) => logs.push(`info: ${m}`));
  const rows = await collect(vql, { registry, vars, mocks, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

/** Runs `vql` with no remapping (it may call remap() itself). */
async function plain(vql: string, vars: Record<string, unknown> = {}): Promise<Result> {
  const logs: string[] = [];
  const rows = await collect(vql, { registry, vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

const problems = (logs: string[]) => logs.filter((l) => l.startsWith('error') || l.startsWith('warn'));

test('applying the config logs each mount as Velociraptor does', async () => {
  const r = await remapped(`SELECT 1 AS X FROM scope()`);
  assert.deepEqual(r.logs.filter((l) => l.includes('Mounting')), [
    `info: remap: Mounting file_nocase path ${t.drive} on file path C: (Mount the triage folder on the C: drive)`,
    `info: remap: Mounting file_nocase path ${t.drive} on auto path C:`,
    `info: remap: Mounting raw_reg path {"DelegateAccessor":"file","DelegatePath":"${t.software}"} on registry path HKEY_LOCAL_MACHINE\\Software (Map Software Hive)`,
    `info: remap: Mounting raw_reg path {"DelegateAccessor":"file","DelegatePath":"${t.ntuser}"} on registry path HKEY_USERS\\bob (Map User hive for bob)`,
  ]);
});

test('a glob over C:/Users/*/NTUSER.DAT finds the hive in the triage folder, with C: paths', async () => {
  const r = await remapped(`SELECT OSPath, Name, Size, IsDir FROM glob(globs='C:/Users/*/NTUSER.DAT')`);
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ OSPath: 'C:\\Users\\bob\\NTUSER.DAT', Name: 'NTUSER.DAT', Size: statSync(t.ntuser).size, IsDir: false }]);
  // The same through `file` and `auto` (both mounted), and as OSPath members.
  const m = await remapped(`SELECT OSPath.Components AS C, OSPath.Type AS T FROM glob(globs='C:\\\\Users\\\\*\\\\NTUSER.DAT', accessor='file')`);
  assert.deepEqual(m.rows, [{ C: ['C:', 'Users', 'bob', 'NTUSER.DAT'], T: 'windows' }]);
});

test('stat() and read_file() reach files whatever the case the artifact asks with', async () => {
  const r = await remapped(`
    SELECT OSPath, Size, IsDir FROM stat(filename='C:\\\\Windows\\\\System32\\\\Config\\\\SOFTWARE')
    SELECT read_file(filename='c:/users/BOB/documents/NOTES.TXT') AS Text FROM scope()`);
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [
    { OSPath: 'C:\\Windows\\System32\\Config\\SOFTWARE', Size: statSync(t.software).size, IsDir: false },
    { Text: 'meeting at 10\n' },
  ]);
});

test('listing inside a mount gives the real names under C:', async () => {
  const r = await remapped(`SELECT OSPath FROM glob(globs='C:/*')
    SELECT OSPath FROM glob(globs='C:/windows/system32/*')`);
  assert.deepEqual(r.rows.map((x) => x.OSPath), ['C:\\Users', 'C:\\Windows', 'C:\\Windows\\System32\\config']);
});

test('read_reg_key over the mounted SOFTWARE hive, accessor="registry"', async () => {
  const r = await remapped(`SELECT Key.OSPath AS Key, * FROM read_reg_key(globs='HKEY_LOCAL_MACHINE\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\*', accessor='registry')`);
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows.map((x) => x.Key), [
    'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
    'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
  ]);
  assert.equal(r.rows[0]!.Updater, 'C:\\Tools\\updater.exe');
  // HKLM is HKEY_LOCAL_MACHINE, and SOFTWARE matches the mount point Software.
  const v = await remapped(`SELECT Data.value AS V, OSPath FROM stat(filename='HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\ProgramFilesDir', accessor='registry')`);
  assert.deepEqual(v.rows, [{ V: 'C:\\Program Files', OSPath: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\ProgramFilesDir' }]);
});

test('parents of mount points are directories listing them', async () => {
  const r = await remapped(`
    SELECT OSPath, IsDir FROM glob(globs='*', accessor='registry')
    SELECT OSPath FROM glob(globs='HKEY_LOCAL_MACHINE/*', accessor='registry')
    SELECT OSPath FROM glob(globs='HKEY_USERS/*/Software/Microsoft/Windows/CurrentVersion/Uninstall/*', accessor='registry')`);
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [
    { OSPath: 'HKEY_LOCAL_MACHINE', IsDir: true },
    { OSPath: 'HKEY_USERS', IsDir: true },
    { OSPath: 'HKEY_LOCAL_MACHINE\\Software' },
    { OSPath: 'HKEY_USERS\\bob\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Zoom' },
  ]);
});

test('info() is the impersonated host; environ() and expand() see its env', async () => {
  const r = await remapped(`
    SELECT OS, Hostname, Fqdn, Platform FROM info()
    SELECT info().OS AS OS, info().Hostname AS H FROM scope()
    SELECT expand(path='%SystemRoot%\\\\System32') AS E, expand(path='%windir%') AS W, expand(path='%HOME%') AS Missing FROM scope()
    SELECT * FROM environ()`);
  assert.deepEqual(r.rows, [
    { OS: 'windows', Hostname: 'Virtual Host', Fqdn: 'Virtual Host', Platform: '' },
    { OS: 'windows', H: 'Virtual Host' },
    { E: 'C:\\Windows\\System32', W: 'C:\\Windows', Missing: '%HOME%' },
    { Name: 'SystemRoot', Value: 'C:\\Windows' },
    { Name: 'WinDir', Value: 'C:\\Windows' },
  ]);
});

test('disabled plugins give no rows and disabled functions NULL, each said once', async () => {
  const r = await remapped(`
    SELECT * FROM pslist()
    SELECT * FROM pslist()
    SELECT lookupSID(sid='S-1-5-18') AS Name FROM scope()`);
  assert.deepEqual(r.rows, [{ Name: null }]);
  assert.deepEqual(problems(r.logs), [
    'warn: pslist is disabled by the remapping (dead-disk analysis)',
    'warn: lookupSID is disabled by the remapping (dead-disk analysis)',
  ]);
});

test('permissions without EXECVE disable execve()', async () => {
  const r = await remapped(`SELECT * FROM execve(argv=['true'])`);
  assert.deepEqual(r.rows, []);
  assert.deepEqual(problems(r.logs), ['warn: execve is disabled: the remapping\'s permissions do not include EXECVE']);
});

test('this machine\'s files are out of reach: only the mounts exist', async () => {
  const r = await remapped(`
    SELECT read_file(filename='/etc/passwd', accessor='file') AS F FROM scope()
    SELECT * FROM glob(globs='/etc/*')
    SELECT read_file(filename='/etc/hostname', accessor='raw_file') AS R FROM scope()`);
  assert.deepEqual(r.rows, [{ F: '' }, { R: null }]);
  const errors = problems(r.logs);
  assert.equal(errors.length, 2, r.logs.join('\n'));
  // Not found (a warning, as for any missing file): no mount covers it.
  assert.match(errors[0]!, /^warn: .*file accessor \(remapped\): etc\\passwd is not in any mount \(mount points: C:\)/);
  assert.match(errors[1]!, /accessor "raw_file" is not available under the remapping \(dead-disk analysis\): the remapped accessors are auto, data, file, raw_reg, registry, scope; add a mount or shadow for raw_file/);
});

test('shadows keep an accessor: data, scope and raw_reg (the hive read directly)', async () => {
  const r = await remapped(`
    SELECT read_file(filename='hello', accessor='data') AS D, read_file(filename='V', accessor='scope') AS S FROM scope()
    SELECT OSPath.Path AS P FROM glob(globs='*', root=pathspec(DelegatePath=Hive, DelegateAccessor='auto'), accessor='raw_reg')`, { V: 'from scope', Hive: 'C:\\Users\\bob\\NTUSER.DAT' });
  assert.deepEqual(problems(r.logs), []);
  // The shadowed raw_reg reads its hive through the remapped auto accessor: C: is the triage folder.
  assert.deepEqual(r.rows, [{ D: 'hello', S: 'from scope' }, { P: '/Software' }]);
});

test('remap() from VQL applies to the rest of the query and the artifacts it calls', async () => {
  const r = await plain(`
    LET before = SELECT OS FROM info()
    LET R <= remap(config=Config, clear=TRUE)
    SELECT * FROM Artifact.Custom.Remap.Probe(preconditions=TRUE)
    SELECT OS, Hostname FROM info()
    SELECT len(list=R.remappings) AS N, R.remappings[5].on.prefix AS Mounted FROM scope()`, { Config: t.config });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [
    { Host: 'Virtual Host', OSPath: 'C:\\Users\\bob\\Documents\\notes.txt', Size: 14, _Source: 'Custom.Remap.Probe' },
    { OS: 'windows', Hostname: 'Virtual Host' },
    { N: 9, Mounted: 'C:' },
  ]);
  assert.ok(r.logs.some((l) => l.startsWith('info: remap: Mounting file_nocase path')));
});

test('remap() keeps the current accessors unless clear=TRUE; copy= keeps some', async () => {
  const cfg = `remappings:
- type: mount
  from: {accessor: file, prefix: '${t.drive}'}
  "on": {accessor: file, prefix: 'C:', path_type: windows}
`;
  // Without clear, zip and data are still there; file is the mount tree now.
  const kept = await plain(`
    LET _ <= remap(config=Cfg)
    SELECT read_file(filename='x', accessor='data') AS D, stat(filename='C:/Windows/win.ini', accessor='file').Size AS S FROM scope()`, { Cfg: cfg });
  assert.deepEqual(kept.rows, [{ D: 'x', S: 25 }]);
  assert.deepEqual(problems(kept.logs), []);
  const cleared = await plain(`
    LET _ <= remap(config=Cfg, clear=TRUE, copy=['data'])
    SELECT read_file(filename='x', accessor='data') AS D, read_file(filename='V', accessor='scope') AS S FROM scope()`, { Cfg: cfg, V: 'v' });
  assert.deepEqual(cleared.rows, [{ D: 'x', S: null }]);
  assert.match(cleared.logs.find((l) => l.startsWith('error'))!, /accessor "scope" is not available under the remapping/);
});

test('remap() with a bad config logs why, returns NULL and changes nothing', async () => {
  const r = await plain(`
    SELECT remap(config='remappings:\n- type: mount\n  from: {accessor: nosuch}\n  "on": {accessor: file}\n') AS R FROM scope()
    SELECT OS FROM info()`);
  assert.equal(r.rows[0]!.R, null);
  assert.notEqual(r.rows[1]!.OS, undefined);
  assert.match(problems(r.logs)[0]!, /^error: remap: remap\(config=\.\.\.\): remapping #1 \(line 2\): mount from unknown accessor "nosuch": from.accessor must be one of .*file_nocase/);
});

test('mounts nest: a folder mounted inside another shows up in its listing', async () => {
  const extra = join(t.dir, 'extra');
  mkdirSync(extra, { recursive: true });
  writeFileSync(join(extra, 'evidence.txt'), 'x');
  const cfg = `remappings:
- type: mount
  from: {accessor: file, prefix: '${t.drive}'}
  "on": {accessor: file, prefix: 'C:', path_type: windows}
- type: mount
  from: {accessor: file, prefix: '${extra}'}
  "on": {accessor: file, prefix: 'C:\\Cases\\Extra', path_type: windows}
`;
  const r = await plain(`
    LET _ <= remap(config=Cfg, clear=TRUE)
    SELECT OSPath, IsDir FROM glob(globs='C:/*', accessor='file')
    SELECT OSPath FROM glob(globs='C:/cases/**', accessor='file')`, { Cfg: cfg });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [
    { OSPath: 'C:\\Cases', IsDir: true },
    { OSPath: 'C:\\Users', IsDir: true },
    { OSPath: 'C:\\Windows', IsDir: true },
    { OSPath: 'C:\\Cases\\Extra' },
    { OSPath: 'C:\\Cases\\Extra\\evidence.txt' },
  ]);
});

test('OSPath[i] is a path component (from the end when negative), as DeadDiskRemapping\'s HKEY_USERS\\<user> needs', async () => {
  const r = await remapped(`SELECT OSPath[-2] AS User, OSPath[0] AS Drive, OSPath[9] AS Past, 'HKEY_USERS\\\\' + OSPath[-2] AS Key FROM glob(globs='C:/Users/*/NTUSER.DAT')`);
  assert.deepEqual(r.rows, [{ User: 'bob', Drive: 'C:', Past: null, Key: 'HKEY_USERS\\bob' }]);
});

// ---------------------------------------------------------------------------------------------
// Collection containers: the `collector` accessor, the `overlay` accessor and a mount's `scope:`
// (what Windows.Collectors.Remapping writes).

test('the overlay accessor merges folders of another accessor (first one wins), from a mount\'s scope: LETs', async () => {
  const a = join(t.dir, 'overlay-a');
  const b = join(t.dir, 'overlay-b');
  for (const [d, files] of [[a, { 'Windows/one.txt': 'from a', 'shared.txt': 'a wins' }], [b, { 'Windows/two.txt': 'from b', 'SHARED.txt': 'b loses', 'Users/bob/x.txt': 'only in b' }]] as const) {
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), text);
    }
  }
  const cfg = `remappings:
- type: mount
  scope: |
    LET OVERLAY_ACCESSOR_DELEGATES <= dict(accessor="file", paths=[A, B])
    LET A = ${JSON.stringify(a)}
    LET B = ${JSON.stringify(b)}
  from: {accessor: overlay}
  "on": {accessor: auto, prefix: 'D:', path_type: windows}
`;
  const r = await plain(`
    LET _ <= remap(config=Cfg, clear=TRUE)
    SELECT OSPath, read_file(filename=OSPath) AS Text FROM glob(globs='D:/**') WHERE NOT IsDir`, { Cfg: cfg });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows.map((x) => [x.OSPath, x.Text]).sort(), [
    ['D:\\Users\\bob\\x.txt', 'only in b'],
    ['D:\\Windows\\one.txt', 'from a'],
    ['D:\\Windows\\two.txt', 'from b'],
    ['D:\\shared.txt', 'a wins'],
  ]);
  const gone = await plain(`LET _ <= remap(config=Cfg, clear=TRUE) SELECT read_file(filename='D:/nothing.txt') AS X FROM scope()`, { Cfg: cfg });
  assert.match(gone.logs.join('\n'), /overlay accessor: \/nothing\.txt is in none of .*overlay-a, .*overlay-b/);
  // Without the variable, the accessor says what it needs.
  const bare = await plain(`SELECT read_file(filename='x', accessor='overlay') AS X FROM scope()`);
  assert.match(bare.logs.join('\n'), /set OVERLAY_ACCESSOR_DELEGATES = dict\(accessor=NAME, paths=\[FOLDER, \.\.\.\]\)/);
});

test('a mount\'s scope: must be LET statements that parse', () => {
  const cfg = (scope: string) => `remappings:\n- type: mount\n  scope: ${JSON.stringify(scope)}\n  from: {accessor: overlay}\n  "on": {accessor: auto, prefix: 'D:', path_type: windows}\n`;
  assert.throws(() => parseRemapConfig(cfg('SELECT * FROM info()'), 'x.yaml'), /x\.yaml: remapping #1 \(line 2\): `scope` may hold only LET statements/);
  assert.throws(() => parseRemapConfig(cfg('LET X <= dict(accessor='), 'x.yaml'), /`scope` does not parse as VQL/);
});

test('remap(clear=TRUE) in a session already remapped mounts this machine\'s accessors again', async () => {
  const cfg = `remappings:
- type: mount
  from: {accessor: file, prefix: '${t.drive}'}
  "on": {accessor: file, prefix: 'C:', path_type: windows}
`;
  // The second clear remapping mounts from file, which the first one made a mount tree.
  const r = await plain(`
    LET _ <= remap(config=Cfg, clear=TRUE)
    LET _ <= remap(config=Cfg, clear=TRUE)
    SELECT stat(filename='C:/Windows/win.ini', accessor='file').Size AS S FROM scope()`, { Cfg: cfg });
  assert.deepEqual(problems(r.logs), []);
  assert.deepEqual(r.rows, [{ S: 25 }]);
});
