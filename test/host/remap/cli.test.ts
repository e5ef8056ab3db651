// `vql query --remap FILE` and `vql artifacts collect --remap FILE` (the real command, spawned):
// Velociraptor's Windows.Sys.Programs runs unchanged over the triage folder's hives (its
// precondition holds: info() is the impersonated Windows host), on this thread, on the
// --timeout worker and into a collection zip; bad configs stop the run before anything runs,
// naming the file, the remapping and what to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, strFromU8 } from 'fflate';
import { makeTriage, type Triage } from './triage.ts';
import { accessorNames } from '../../../main/host/files/accessors.ts';
import { createHostRegistry } from '../../../main/host/index.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const NO_CORPUS = existsSync(CORPUS) ? false : '../shared/velociraptor-artifacts is absent (Velociraptor\'s artifacts)';

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

let t: Triage;
before(() => {
  t = makeTriage();
});
after(() => rmSync(t.dir, { recursive: true, force: true }));

function vql(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: t.dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const jsonl = (text: string) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);

/** What Windows.Sys.Programs gives over the triage hives. */
const PROGRAMS = [
  { KeyName: '7-Zip', DisplayName: '7-Zip 23.01 (x64)', Publisher: 'Igor Pavlov', KeyPath: 'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip' },
  { KeyName: '{90160000-008C}', DisplayName: 'Office 16 Click-to-Run', Publisher: 'Microsoft Corporation', KeyPath: 'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{90160000-008C}' },
  { KeyName: 'Zoom', DisplayName: 'Zoom Workplace', Publisher: 'Zoom Video Communications', KeyPath: 'HKEY_USERS\\bob\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Zoom' },
];

/** The rows' main columns; printed rows carry _Source (a container's result set does not). */
function programs(rows: Array<Record<string, unknown>>, printed = true) {
  for (const r of rows) {
    if (printed) assert.equal(r._Source, 'Windows.Sys.Programs');
    assert.equal(r.DisplayVersion, '1.0');
    assert.equal(r.KeyLastWriteTimestamp, '2024-01-02T03:04:05Z');
  }
  return rows.map((r) => ({ KeyName: r.KeyName, DisplayName: r.DisplayName, Publisher: r.Publisher, KeyPath: r.KeyPath }));
}

const COLLECT = () => ['artifacts', 'collect', 'Windows.Sys.Programs', '--definitions', join(CORPUS, 'Windows', 'Sys'), '--remap', t.configFile];

test('Windows.Sys.Programs runs unchanged under --remap (its precondition holds), and not without', { skip: NO_CORPUS }, () => {
  const r = vql(...COLLECT(), '--format', 'jsonl');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(programs(jsonl(r.stdout)), PROGRAMS);
  assert.match(r.stderr, /INFO: remap: Mounting raw_reg path .*SOFTWARE"\} on registry path HKEY_LOCAL_MACHINE\\Software \(Map Software Hive\)/);
  assert.doesNotMatch(r.stderr, /ERROR|Skipping query/);
  // Without the remapping this machine is the endpoint: not Windows, so the query is skipped.
  const live = vql('artifacts', 'collect', 'Windows.Sys.Programs', '--definitions', join(CORPUS, 'Windows', 'Sys'), '--format', 'jsonl');
  assert.equal(live.stdout.trim(), '');
  assert.match(live.stderr, /Skipping query due to preconditions/);
});

test('--remap with --timeout (the worker thread) and with --output x.zip', { skip: NO_CORPUS }, () => {
  const w = vql(...COLLECT(), '--format', 'jsonl', '--timeout', '60');
  assert.equal(w.status, 0, w.stderr);
  assert.deepEqual(programs(jsonl(w.stdout)), PROGRAMS);
  assert.match(w.stderr, /INFO: remap: Mounting/);
  const out = join(t.dir, 'programs.zip');
  const z = vql(...COLLECT(), '--output', out);
  assert.equal(z.status, 0, z.stderr);
  const zip = unzipSync(readFileSync(out));
  assert.deepEqual(programs(jsonl(strFromU8(zip['results/Windows.Sys.Programs.json']!)), false), PROGRAMS);
  assert.match(strFromU8(zip['log.json']!), /remap: Mounting raw_reg/);
});

test('vql query --remap: the triage folder is C:, the registry is its hives, info() the virtual host', () => {
  const r = vql('query', '--remap', t.configFile, '--format', 'jsonl',
    "SELECT OSPath FROM glob(globs='C:/Users/*/NTUSER.DAT')",
    "SELECT OS, Hostname FROM info()",
    "SELECT OSPath FROM glob(globs='HKEY_LOCAL_MACHINE/*', accessor='registry')",
    "SELECT read_file(filename='/etc/passwd', accessor='file') AS P FROM scope()");
  assert.deepEqual(jsonl(r.stdout), [
    { OSPath: 'C:\\Users\\bob\\NTUSER.DAT' },
    { OS: 'windows', Hostname: 'Virtual Host' },
    { OSPath: 'HKEY_LOCAL_MACHINE\\Software' },
    { P: '' },
  ]);
  assert.match(r.stderr, /not in any mount \(mount points: C:\)/);
  // The same on the --timeout worker.
  const w = vql('query', '--remap', t.configFile, '--format', 'jsonl', '--timeout', '60', "SELECT OS, Hostname FROM info()");
  assert.equal(w.status, 0, w.stderr);
  assert.deepEqual(jsonl(w.stdout), [{ OS: 'windows', Hostname: 'Virtual Host' }]);
});

// DeadDiskRemapping's config shadows raw_ntfs (main/host/ntfs).
const NO_NTFS = accessorNames(createHostRegistry()).has('raw_ntfs') ? false : 'the raw_ntfs accessor is not registered (DeadDiskRemapping\'s config shadows it)';

test('Velociraptor\'s Generic.Utils.DeadDiskRemapping writes the config for the triage folder; Windows.Sys.Programs runs under it', { skip: NO_CORPUS || NO_NTFS }, () => {
  const g = vql('artifacts', 'collect', 'Generic.Utils.DeadDiskRemapping', '--definitions', CORPUS, '--args', `ImagePath=${t.drive}`, '--args', 'Upload=N', '--format', 'jsonl');
  assert.equal(g.status, 0, g.stderr);
  const yaml = String(jsonl(g.stdout)[0]!.Remapping);
  assert.match(yaml, /prefix: HKEY_USERS\\bob\n/); // "HKEY_USERS\\" + OSPath[-2]
  const file = join(t.dir, 'deaddisk.yaml');
  writeFileSync(file, yaml);
  // Velociraptor's placement of the flag: before the command.
  const r = vql('--remap', file, 'artifacts', 'collect', 'Windows.Sys.Programs', '--definitions', join(CORPUS, 'Windows', 'Sys'), '--format', 'jsonl');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(programs(jsonl(r.stdout)), PROGRAMS);
  assert.match(r.stderr, /remap: Mounting file_nocase path .* on ntfs path \\\\\.\\C:/);
});

/** Writes a config and runs a query with it: the query must not run. */
function bad(name: string, text: string): { status: number | null; stdout: string; stderr: string; file: string } {
  const file = join(t.dir, name);
  writeFileSync(file, text);
  const r = vql('query', '--remap', file, "SELECT log(message='RAN') FROM scope()");
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.doesNotMatch(r.stderr, /RAN/);
  return { ...r, file };
}

const MOUNT_OK = `- type: mount
  from: {accessor: file, prefix: /tmp}
  "on": {accessor: file, prefix: "C:", path_type: windows}
`;

test('bad configs: each a clear error naming the file, the remapping and what to do, before anything runs', () => {
  let r = bad('yaml.yaml', 'remappings:\n- type: mount\n  from: {accessor: file\n');
  assert.match(r.stderr, new RegExp(`--remap ${r.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid YAML: .*\\(\\d+:\\d+\\)`));
  r = bad('type.yaml', `remappings:\n${MOUNT_OK}- type: mnt\n  from: {accessor: file}\n`);
  assert.match(r.stderr, /type\.yaml: remapping #2 \(line 5\): unknown type "mnt": the types are permissions, impersonation, shadow, mount/);
  r = bad('accessor.yaml', `remappings:\n${MOUNT_OK}- type: mount\n  from: {accessor: ntfs_raw, prefix: /x}\n  "on": {accessor: ntfs, prefix: 'C:'}\n`);
  assert.match(r.stderr, /accessor\.yaml: remapping #2 \(line 5\): mount from unknown accessor "ntfs_raw": from\.accessor must be one of .*file_nocase/);
  r = bad('shadow.yaml', `remappings:\n- type: shadow\n  from: {accessor: zipp}\n  "on": {accessor: zip}\n`);
  assert.match(r.stderr, /shadow\.yaml: remapping #1 \(line 2\): shadow of unknown accessor "zipp"/);
  r = bad('prefix.yaml', `remappings:\n- type: mount\n  from: {accessor: raw_reg, prefix: '{"DelegatePath": "/x"', path_type: registry}\n  "on": {accessor: registry, prefix: HKLM, path_type: registry}\n`);
  assert.match(r.stderr, /prefix\.yaml: remapping #1 \(line 2\): from\.prefix looks like a JSON pathspec but does not parse .*: give a path, or a pathspec such as/);
  r = bad('pathtype.yaml', `remappings:\n- type: mount\n  from: {accessor: file, prefix: /x}\n  "on": {accessor: file, prefix: 'C:', path_type: win}\n`);
  assert.match(r.stderr, /`on\.path_type` "win" is not a path type: give one of windows, linux, registry, ntfs, generic, pathspec/);
  r = bad('on.yaml', `remappings:\n- type: mount\n  from: {accessor: file, prefix: /x}\n`);
  assert.match(r.stderr, /on\.yaml: remapping #1 \(line 2\): has no `on:`/);
  r = bad('key.yaml', `remappings:\n- type: mount\n  from: {accessor: file, prefix: /x, path_typ: linux}\n  "on": {accessor: file}\n`);
  assert.match(r.stderr, /unknown key `from\.path_typ`: from takes accessor, prefix, path_type/);
  r = bad('empty.yaml', `client:\n  hostname: x\n`);
  assert.match(r.stderr, /empty\.yaml: no `remappings:` list/);
  const missing = vql('query', '--remap', join(t.dir, 'nope.yaml'), 'SELECT 1 FROM scope()');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /--remap .*nope\.yaml: cannot read the remapping config: ENOENT/);
  // artifacts collect checks it the same way.
  const c = vql('artifacts', 'collect', 'Generic.Client.Info', '--remap', join(t.dir, 'accessor.yaml'));
  assert.equal(c.status, 1);
  assert.equal(c.stdout, '');
  assert.match(c.stderr, /mount from unknown accessor "ntfs_raw"/);
});
