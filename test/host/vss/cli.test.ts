/**
 * Volume Shadow Copies in dead-disk analysis, through the real `vql` command: a GPT disk image
 * holding the NTFS volume with two shadow copies (shadow-volume.ts), `vql deaddisk` mounting
 * each copy at \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN, and Velociraptor's own
 * Windows.Search.VSS (ntfs_vss globs) and Windows.EventLogs.RDPAuth (VSSAnalysisAge) run
 * unchanged against it: rows from the current volume and from each copy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { wrapInGpt } from '../deaddisk/windows-image.ts';
import { ntfsSupport } from '../ntfs/image.ts';
import { buildShadowVolume, AREA_START, USERS } from './shadow-volume.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-vss-cli-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const NO_IMAGE: string | false = ntfsSupport(TMP) ?? false;
const SKIP: string | false = NO_IMAGE || (!existsSync(CORPUS) && '../shared/velociraptor-artifacts is absent');

let DISK = '';
const NOW = Date.now();
const CREATED = [new Date(NOW - 20 * 86_400_000), new Date(NOW - 2 * 86_400_000)];
const DEVICE = (n: number) => `\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${n}`;
const LOG = '\\Windows\\System32\\winevt\\Logs\\Security.evtx';

before(() => {
  if (NO_IMAGE) return;
  const v = buildShadowVolume(TMP, CREATED);
  DISK = join(TMP, 'disk.img');
  wrapInGpt(v.partition, DISK);
});

function vql(args: string[], status = 0): { stdout: string; stderr: string } {
  // From the temporary folder: a collection's uploads never land in the repository.
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, cwd: TMP });
  assert.equal(r.status, status, `vql ${args.join(' ')}\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const rows = (text: string) => JSON.parse(text) as Array<Record<string, unknown>>;
const quiet = (stderr: string) => stderr.split('\n').filter((l) => l && !/^INFO: (remap: Mounting|collection )|replaces the definition loaded/.test(l));

test('vql deaddisk says how many shadow copies the C: volume has and mounts each at its device path', { skip: NO_IMAGE }, () => {
  const r = vql(['deaddisk', DISK]);
  assert.equal(r.stderr.trim(), `disk image: C: is the NTFS volume at byte 1048576; registry: no hives found; 2 shadow copies (HarddiskVolumeShadowCopy1 made ${CREATED[0]!.toISOString()}, HarddiskVolumeShadowCopy2 made ${CREATED[1]!.toISOString()})`);
  for (const n of [1, 2]) {
    assert.ok(r.stdout.includes(`prefix: ${DEVICE(n)}`), r.stdout);
    assert.ok(r.stdout.includes(`"DelegateAccessor":"vss","Delegate":{"DelegateAccessor":"offset","Delegate":{"DelegateAccessor":"file","DelegatePath":"${DISK}","Path":"/1048576"},"Path":"/${n}"}`), r.stdout);
  }
  // The copies read as their C: did: the file deleted after copy 1 is there.
  const q = rows(vql(['query', '--evidence', DISK, '--format', 'json',
    `SELECT read_file(accessor='ntfs', filename='${DEVICE(1).replace(/\\/g, '\\\\')}\\\\doomed.txt') AS Doomed, stat(accessor='ntfs', filename='C:/doomed.txt') AS Now FROM scope()`]).stdout);
  assert.equal(q[0]!.Doomed, 'deleted after snapshot 1\n');
  assert.equal(q[0]!.Now, null);
});

test('a damaged catalog: vql deaddisk says so and still mounts the volume', { skip: NO_IMAGE }, () => {
  const broken = join(TMP, 'broken.img');
  const b = readFileSync(DISK);
  b.fill(0, (1 << 20) + AREA_START, (1 << 20) + AREA_START + 16);
  writeFileSync(broken, b);
  const r = vql(['deaddisk', broken]);
  assert.match(r.stderr, /C: is the NTFS volume at byte 1048576; registry: no hives found; shadow copies unreadable: vss: catalog block at 0x1800000: no VSS identifier/);
  assert.ok(!r.stdout.includes('HarddiskVolumeShadowCopy1'));
});

test('Windows.Search.VSS finds the file in the current volume and in each shadow copy; VSS_MAX_AGE_DAYS limits the copies', { skip: SKIP }, () => {
  const run = (more: string[]) => {
    const r = vql(['artifacts', 'collect', 'Windows.Search.VSS', '--definitions', CORPUS, '--evidence', DISK, '--format', 'json', ...more]);
    assert.deepEqual(quiet(r.stderr), []);
    return rows(r.stdout).map((x) => [String(x.OSPath), x.Mtime]).sort();
  };
  const all = [
    [`C:${LOG}`, '2024-03-15T00:00:00Z'],
    [`${DEVICE(1)}${LOG}`, '2024-01-15T00:00:00Z'],
    [`${DEVICE(2)}${LOG}`, '2024-02-15T00:00:00Z'],
  ];
  assert.deepEqual(run([]), all);
  assert.deepEqual(run(['--args', 'VSS_MAX_AGE_DAYS=7']), [all[0], all[2]]);
  assert.deepEqual(run(['--args', 'VSS_MAX_AGE_DAYS=30']), all);
  // Into a collection container (--output), as an analyst keeps it.
  const zip = join(TMP, 'vss.zip');
  vql(['artifacts', 'collect', 'Windows.Search.VSS', '--definitions', CORPUS, '--evidence', DISK, '--output', zip]);
  const json = zipMember(readFileSync(zip), 'results/Windows.Search.VSS.json').toString('utf8');
  assert.deepEqual(json.trim().split('\n').map((l) => String((JSON.parse(l) as { OSPath: string }).OSPath)).sort(), all.map((a) => a[0]));
});

test('Windows.EventLogs.RDPAuth with VSSAnalysisAge reads the events of the logs in the shadow copies (a cleared log\'s old events)', { skip: SKIP }, () => {
  const run = (more: string[]) => {
    const r = vql(['artifacts', 'collect', 'Windows.EventLogs.RDPAuth', '--definitions', CORPUS, '--evidence', DISK, '--format', 'json', ...more]);
    assert.deepEqual(quiet(r.stderr), []);
    return rows(r.stdout).map((x) => [x.EventRecordID, x.UserName, x.SourceIP, x.Description, String(x.OSPath)]).sort((a, b) => Number(a[0]) - Number(b[0]));
  };
  const event = (i: number, path: string) => [i + 1, USERS[i], `10.0.0.${i + 1}`, 'RDP_LOGON_SUCCESSFUL_NEW', path];
  assert.deepEqual(run([]), [event(2, `C:${LOG}`)]);
  assert.deepEqual(run(['--args', 'VSSAnalysisAge=30']), [event(0, `${DEVICE(1)}${LOG}`), event(1, `${DEVICE(2)}${LOG}`), event(2, `C:${LOG}`)]);
  assert.deepEqual(run(['--args', 'VSSAnalysisAge=7']), [event(1, `${DEVICE(2)}${LOG}`), event(2, `C:${LOG}`)]);
});

test('artifacts reach --evidence knows ntfs_vss: the VSS artifacts run against the image', { skip: SKIP }, () => {
  const out = vql(['artifacts', 'reach', CORPUS, '--evidence', DISK]).stdout;
  assert.doesNotMatch(out, /accessor ntfs_vss/);
  assert.match(out, /^Windows\.Search\.VSS\s+runs here$/m);
  assert.match(out, /^Windows\.EventLogs\.RDPAuth\s+runs here$/m);
});

/** A member of a zip (stored or deflated), found through the central directory. */
function zipMember(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    if (zip.subarray(at + 46, at + 46 + nameLen).toString('utf8') === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 8 ? inflateRawSync(data) : data;
    }
    at += 46 + nameLen + extra + comment;
  }
  throw new Error(`${name} is not in the zip`);
}
