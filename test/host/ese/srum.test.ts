// Velociraptor's Windows.Forensics.SRUM, run unchanged from ../shared/velociraptor-artifacts on a
// SRUDB.dat written by ese-writer.ts, as dead-disk evidence: a triage folder mounted as C: and its
// SOFTWARE hive as HKEY_LOCAL_MACHINE\Software through a remapping config (as the CLI's --remap
// applies it), so that the import Windows.Sys.AllUsers's LookupSIDCache() names users from
// ProfileList, lookupSID() being disabled there as on any dead disk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins } from '../../../main/artifacts/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { parseRemapConfig, remapMocks } from '../../../main/host/remap/index.ts';
import { collect, toJSON, type Mocks, type Registry } from '../../../main/vql/index.ts';
import { buildHive, REG, type BuildKey } from '../raw-reg/hive-builder.ts';
import { appOf, BASE_TIME, ID_MAP, SID_ALICE, userOf, writeSrum } from './srum-fixture.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = existsSync(CORPUS) ? false : `../shared/velociraptor-artifacts is absent (${CORPUS}): Windows.Forensics.SRUM is not run`;
if (skip) console.log(`# ${skip}`);

const ROWS = 40;
let dir = '';
let config = '';
let registry: Registry;

const nested = (path: string[], leaf: BuildKey): BuildKey => (path.length ? { name: path[0]!, subkeys: [nested(path.slice(1), leaf)] } : leaf);

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vql-srum-'));
  const drive = join(dir, 'C');
  const sru = join(drive, 'Windows', 'System32', 'sru');
  const hives = join(drive, 'Windows', 'System32', 'config');
  mkdirSync(sru, { recursive: true });
  mkdirSync(hives, { recursive: true });
  writeFileSync(join(sru, 'SRUDB.dat'), writeSrum(ROWS, { pageSize: 32768 }).bytes);
  // ProfileList knows alice; S-1-5-18 (SYSTEM) has no profile here.
  const software = join(hives, 'SOFTWARE');
  writeFileSync(software, buildHive({
    name: 'ROOT',
    subkeys: [nested(['Microsoft', 'Windows NT', 'CurrentVersion'], {
      name: 'ProfileList',
      subkeys: [{ name: SID_ALICE, values: [{ name: 'ProfileImagePath', type: 2, data: REG.sz('C:\\Users\\alice') }] }],
    })],
  }).bytes);
  const spec = JSON.stringify({ Path: '/', DelegateAccessor: 'file', DelegatePath: software });
  config = `remappings:
- type: permissions
  permissions: [COLLECT_CLIENT, FILESYSTEM_READ, FILESYSTEM_WRITE, READ_RESULTS, MACHINE_STATE]
- type: impersonation
  os: windows
  hostname: Virtual Host
  disabled_functions: [amsi, lookupSID, token]
- type: shadow
  from: { accessor: data }
  "on": { accessor: data }
- type: shadow
  from: { accessor: scope }
  "on": { accessor: scope }
- type: mount
  from: { accessor: file_nocase, prefix: '${drive}' }
  "on": { accessor: file, prefix: "C:", path_type: windows }
- type: mount
  from: { accessor: file_nocase, prefix: '${drive}' }
  "on": { accessor: auto, prefix: "C:", path_type: windows }
- type: mount
  from: { accessor: raw_reg, prefix: '${spec}', path_type: registry }
  "on": { accessor: registry, prefix: HKEY_LOCAL_MACHINE\\Software, path_type: registry }
`;
  registry = createHostRegistry();
  installArtifactPlugins(registry, new Repository({ definitions: [CORPUS] }));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function remapped(vql: string) {
  const logs: string[] = [];
  const mocks: Mocks = remapMocks(registry, parseRemapConfig(config, join(dir, 'remap.yaml')), () => {});
  const rows = await collect(vql, { registry, mocks, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

const app = (i: number) => ID_MAP.find((e) => e.index === appOf(i))!.value;
const sid = (i: number) => (userOf(i) === 7 ? SID_ALICE : 'S-1-5-18');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

test('Windows.Forensics.SRUM on a dead disk: each source\'s rows with apps, SIDs and user names resolved', { skip }, async () => {
  const { rows, logs } = await remapped(`SELECT * FROM Artifact.Windows.Forensics.SRUM(
      Tables=["Execution Stats", "Application Resource Usage", "Network Connections", "Network Usage", "SruDbIdMapTable"])`);
  // lookupSID() is disabled by the remapping; SYSTEM has no ProfileList entry (stat() says so).
  const errors = logs.filter((l) => l.startsWith('error'));
  assert.deepEqual(errors.filter((l) => !/stat.*S-1-5-18/.test(l)), [], errors.join('\n'));
  const by = (s: string) => rows.filter((r) => r._Source === `Windows.Forensics.SRUM/${s}`);
  const exec = by('Execution Stats');
  assert.equal(exec.length, ROWS);
  assert.deepEqual(exec[1], {
    ID: 2, TimeStamp: iso(BASE_TIME + 3_600_000), App: app(1), UserSid: sid(1), User: 'alice',
    EndTime: iso(BASE_TIME + 3_600_000 + 60_000), DurationMS: 60001, NetworkBytesRaw: 2 ** 40 + 1000,
    _Source: 'Windows.Forensics.SRUM/Execution Stats',
  });
  assert.equal(exec[0]!.UserSid, 'S-1-5-18');
  assert.equal(exec[0]!.User, '');
  // The long-value path of id 9 (its IdBlob is in the long-value tree).
  assert.equal(exec[4]!.App, ID_MAP[8]!.value);
  const resource = by('Application Resource Usage');
  assert.equal(resource.length, ROWS * 15);
  assert.deepEqual(Object.keys(resource[0]!).slice(0, 6), ['SRUMId', 'TimeStamp', 'App', 'UserSid', 'User', 'ForegroundCycleTime']);
  assert.equal(resource[7]!.FaceTime, null);
  assert.equal(resource[8]!.FaceTime, 80_000_000);
  const usage = by('Network Usage');
  assert.equal(usage.length, ROWS);
  assert.deepEqual([usage[1]!.BytesSent, usage[1]!.BytesRecvd, usage[1]!.L2ProfileId, usage[1]!.User], [1500, 9000, 268435461, 'alice']);
  const conn = by('Network Connections');
  assert.equal(conn.length, ROWS);
  assert.equal(conn[2]!.StartTime, iso(BASE_TIME + 2 * 3_600_000 - 3_600_000 * 1000));
  assert.equal(conn[2]!.ConnectedTime, 3602);
  // The artifact's SruDbIdMapTable source filters on UserSid and User, which that query does not
  // define, so it gives nothing (as in Velociraptor).
  assert.deepEqual(by('SruDbIdMapTable'), []);
  assert.ok(logs.some((l) => /Symbol UserSid not found/.test(l)));
});

test('Windows.Forensics.SRUM: TimeAfter, ExecutableRegex and UserRegex filter the rows', { skip }, async () => {
  const { rows, logs } = await remapped(`SELECT * FROM Artifact.Windows.Forensics.SRUM(preconditions=TRUE, Tables='["Execution Stats"]',
      TimeAfter="2024-05-02T09:30:00Z", ExecutableRegex="firefox", UserRegex="alice")`);
  const want = Array.from({ length: ROWS }, (_, i) => i).filter((i) => BASE_TIME + i * 3_600_000 > Date.UTC(2024, 4, 2, 9, 30) && appOf(i) === 2 && userOf(i) === 7);
  assert.ok(want.length > 0, logs.join('\n'));
  assert.deepEqual(rows.map((r) => r.ID), want.map((i) => i + 1), logs.join('\n'));
  assert.ok(rows.every((r) => r.User === 'alice' && /firefox\.exe$/.test(String(r.App))));
});
