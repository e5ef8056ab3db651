/**
 * Dead-disk analysis end to end, as an analyst does it with Velociraptor: a GPT disk image holding
 * a Windows NTFS partition (made by ntfs-3g: mkntfs, then files written through an ntfs-3g mount),
 * Velociraptor's own Generic.Utils.DeadDiskRemapping run over it to write the remapping config,
 * then Velociraptor's Windows artifacts run unchanged with `--remap` against the image: the
 * registry from the hives inside the volume, files through `C:`, `info()` saying windows.
 * Everything goes through the real `vql` command.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import { createRequire } from 'node:module';
import { buildHive, REG } from '../raw-reg/hive-builder.ts';
import { certStoreBlob } from '../raw-reg/cert-store.ts';
import { buildNtfsPartition, windowsImageSupport, wrapInGpt, PARTITION_LBA } from './windows-image.ts';
import { authenticodeSha256, buildPe } from '../parsers/pe-builder.ts';
import { buildCatalog } from '../parsers/catalog-writer.ts';
import { ID_MAP, SID_ALICE, writeSrum } from '../ese/srum-fixture.ts';
import { writePst } from '../pst/pst-writer.ts';
import { NOTES, mailbox } from '../pst/pst-fixture.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

const TMP = mkdtempSync(join(tmpdir(), 'vql-deaddisk-'));
/** Why no test image can be made here (a notice), or false. */
const NO_IMAGE: string | false = windowsImageSupport(TMP) ?? false;
/** Why Velociraptor's artifacts cannot run here (a notice), or false. */
const SKIP: string | false = NO_IMAGE || (!existsSync(CORPUS) && '../shared/velociraptor-artifacts is absent');
let DISK = '';
let FOLDER = '';
let PART = '';

/** FILETIME of 2024-03-04T05:06:07Z. */
const WHEN = (BigInt(Date.UTC(2024, 2, 4, 5, 6, 7)) * 10_000n) + 116444736000000000n;

function uninstallKey(name: string, display: string, version: string, publisher: string) {
  return {
    name,
    lastWrite: WHEN,
    values: [
      { name: 'DisplayName', type: 1, data: REG.sz(display) },
      { name: 'DisplayVersion', type: 1, data: REG.sz(version) },
      { name: 'Publisher', type: 1, data: REG.sz(publisher) },
      { name: 'InstallLocation', type: 1, data: REG.sz(`C:\\Program Files\\${display}\\`) },
    ],
  };
}

/** A Windows 10 AppCompatCache (Shimcache) value: a 0x34-byte header, then "10ts" entries. */
function shimcache(entries: ReadonlyArray<{ path: string; when: bigint; executed: boolean }>): Uint8Array {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(0x34);
  header.writeUInt32LE(0x34, 0);
  parts.push(header);
  for (const e of entries) {
    const name = Buffer.from(e.path, 'utf16le');
    const data = Buffer.alloc(4);
    data.writeUInt32LE(e.executed ? 1 : 0, 0);
    const entry = Buffer.alloc(14 + name.length + 8 + 4 + data.length);
    entry.write('10ts', 0, 'latin1');
    entry.writeUInt32LE(entry.length - 12, 8);
    entry.writeUInt16LE(name.length, 12);
    name.copy(entry, 14);
    entry.writeBigUInt64LE(e.when, 14 + name.length);
    entry.writeUInt32LE(data.length, 22 + name.length);
    data.copy(entry, 26 + name.length);
    parts.push(entry);
  }
  return new Uint8Array(Buffer.concat(parts));
}

const path = (...names: string[]) => (leaf: object) => names.reduceRight<object>((sub, name) => ({ name, subkeys: [sub] }), leaf);

/** bob's account SID, and ProfileList as Windows keeps it: bob's profile and the SYSTEM profile. */
const BOB_SID = 'S-1-5-21-1111111111-2222222222-3333333333-1001';
const PROFILES = [
  { name: BOB_SID, lastWrite: WHEN, values: [
    { name: 'ProfileImagePath', type: 2, data: REG.sz('C:\\Users\\bob') },
    { name: 'LocalProfileLoadTimeHigh', type: 4, data: REG.dword(Number(WHEN >> 32n)) },
    { name: 'LocalProfileLoadTimeLow', type: 4, data: REG.dword(Number(WHEN & 0xffffffffn)) },
  ] },
  { name: 'S-1-5-18', lastWrite: WHEN, values: [{ name: 'ProfileImagePath', type: 2, data: REG.sz('%systemroot%\\system32\\config\\systemprofile') }] },
];

/** Chrome's History database with one visit (Chrome's times: microseconds since 1601). */
function chromeHistory(): Uint8Array {
  const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm');
  const file = join(TMP, 'History');
  const db = new Database(file);
  const visit = Number(WHEN / 10n);
  db.exec(`CREATE TABLE urls(id INTEGER PRIMARY KEY, url TEXT, title TEXT, visit_count INTEGER, typed_count INTEGER, last_visit_time INTEGER, hidden INTEGER);
    CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER, visit_time INTEGER, from_visit INTEGER, transition INTEGER, visit_duration INTEGER);
    CREATE TABLE visit_source(id INTEGER PRIMARY KEY, source INTEGER);
    INSERT INTO urls VALUES (1, 'https://evil.example/payload.exe', 'Download', 1, 1, ${visit}, 0);
    INSERT INTO visits VALUES (1, 1, ${visit}, 0, 805306368, 2500000);`);
  db.close();
  return new Uint8Array(readFileSync(file));
}

/** A self-signed root certificate made by openssl (DER), or null without openssl. */
function rootCertificate(): Buffer | null {
  const key = join(TMP, 'root.key');
  const der = join(TMP, 'root.der');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-outform', 'DER', '-out', der,
    '-days', '365', '-subj', '/CN=Evil Interception Root/O=Not Microsoft'], { encoding: 'utf8' });
  return r.status === 0 ? readFileSync(der) : null;
}
let CERT: Buffer | null = null;

/**
 * A PE signed by osslsigncode with a code-signing certificate the planted root issued (the
 * attacker's trick the root is for), or null without osslsigncode.
 */
function signedByPlantedRoot(): Buffer | null {
  if (!CERT || spawnSync('osslsigncode', ['--version']).error) return null;
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: TMP, stdio: 'pipe' });
  run('openssl', ['x509', '-inform', 'DER', '-in', 'root.der', '-out', 'root.pem']);
  run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'evil.key', '-subj', '/CN=Totally Legit Software/O=Not Microsoft', '-out', 'evil.csr']);
  writeFileSync(join(TMP, 'evil.ext'), 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
  run('openssl', ['x509', '-req', '-in', 'evil.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', 'evil.ext', '-out', 'evil.pem']);
  const pe = buildPe({ is64: true, machine: 0x8664, timeDateStamp: 1700000000, imageBase: 0x140000000n, characteristics: 0x22, imports: [{ dll: 'KERNEL32.dll', functions: ['ExitProcess'] }] });
  writeFileSync(join(TMP, 'evil-unsigned.exe'), pe.bytes);
  run('osslsigncode', ['sign', '-certs', 'evil.pem', '-key', 'evil.key', '-n', 'Updater', '-in', 'evil-unsigned.exe', '-out', 'evil.exe']);
  // A program without a signature of its own, listed (by its SHA-256 Authenticode digest) in a
  // security catalog signed under the same root, as Windows signs most of its own programs.
  const notepad = buildPe({ is64: true, machine: 0x8664, timeDateStamp: 1600000000, imageBase: 0x140000000n, characteristics: 0x22, imports: [{ dll: 'KERNEL32.dll', functions: ['ExitProcess'] }] }).bytes;
  writeFileSync(join(TMP, 'notepad.exe'), notepad);
  writeFileSync(join(TMP, 'package.cat'), buildCatalog([{ digest: authenticodeSha256(Buffer.from(notepad), true, notepad.length, 0), file: 'notepad.exe' }], 'sha256'));
  run('osslsigncode', ['sign', '-certs', 'evil.pem', '-key', 'evil.key', '-in', 'package.cat', '-out', 'package-signed.cat']);
  CATALOG = { notepad: readFileSync(join(TMP, 'notepad.exe')), catalog: readFileSync(join(TMP, 'package-signed.cat')) };
  return readFileSync(join(TMP, 'evil.exe'));
}
let EVIL: Buffer | null = null;

/** The Windows boot manager's path on the EFI system partition. */
const BOOTMGR = 'EFI/Microsoft/Boot/bootmgfw.efi';

/**
 * An EFI system partition (FAT16 by dosfstools' mkfs.fat, filled by mtools' mcopy) holding a boot
 * manager signed under the planted root (a bootkit's trick), or null without those tools.
 */
function efiPartition(): string | null {
  const mkfs = ['mkfs.fat', '/usr/sbin/mkfs.fat', '/sbin/mkfs.fat'].find((t) => spawnSync(t, ['--help']).error === undefined);
  if (!EVIL || !mkfs || spawnSync('mcopy', ['-V']).status !== 0) return null;
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: TMP, stdio: 'pipe', env });
  const boot = buildPe({ is64: true, machine: 0x8664, timeDateStamp: 1500000000, imageBase: 0x10000000n, characteristics: 0x22, imports: [{ dll: 'KERNEL32.dll', functions: ['ExitProcess'] }] });
  writeFileSync(join(TMP, 'bootmgfw-unsigned.efi'), boot.bytes);
  run('osslsigncode', ['sign', '-certs', 'evil.pem', '-key', 'evil.key', '-n', 'Boot Manager', '-in', 'bootmgfw-unsigned.efi', '-out', 'bootmgfw.efi']);
  const efi = join(TMP, 'efi.img');
  run(mkfs, ['-C', '-F', '16', '-n', 'SYSTEM', efi, String(16 * 1024)]);
  run('mmd', ['-i', efi, '::/EFI', '::/EFI/Microsoft', '::/EFI/Microsoft/Boot']);
  run('mcopy', ['-i', efi, join(TMP, 'bootmgfw.efi'), `::/${BOOTMGR}`]);
  return efi;
}
let CATALOG: { notepad: Buffer; catalog: Buffer } | null = null;
const CATROOT = 'Windows/System32/CatRoot/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}';

/** A certificate store's Blob value for `der` named `name`. */
function certBlob(der: Buffer, name: string): Uint8Array {
  return new Uint8Array(certStoreBlob([[3, createHash('sha1').update(der).digest()], [11, Buffer.from(`${name}\0`, 'utf16le')], [32, der]]));
}

before(() => {
  if (NO_IMAGE) return;
  CERT = rootCertificate();
  const certificates = CERT ? [{ name: createHash('sha1').update(CERT).digest('hex').toUpperCase(), lastWrite: WHEN, values: [{ name: 'Blob', type: 3, data: certBlob(CERT, 'Evil Root') }] }] : [];
  const software = buildHive({
    name: 'ROOT',
    subkeys: [
      {
        name: 'Microsoft',
        subkeys: [
          path('Windows', 'CurrentVersion')({ name: 'Uninstall', subkeys: [uninstallKey('7-Zip', '7-Zip 23.01 (x64)', '23.01', 'Igor Pavlov')] }),
          path('SystemCertificates', 'ROOT')({ name: 'Certificates', subkeys: certificates }),
          path('Windows NT', 'CurrentVersion')({ name: 'ProfileList', subkeys: PROFILES }),
        ],
      },
      path('WOW6432Node', 'Microsoft', 'Windows', 'CurrentVersion')({ name: 'Uninstall', subkeys: [uninstallKey('{GUID-NPP}', 'Notepad++ (32-bit x86)', '8.6.4', 'Notepad++ Team')] }),
    ] as never,
  }).bytes;
  const ntuser = buildHive({
    name: 'ROOT',
    subkeys: [path('Software', 'Microsoft', 'Windows', 'CurrentVersion')({ name: 'Uninstall', subkeys: [uninstallKey('PuTTY', 'PuTTY release 0.80', '0.80', 'Simon Tatham')] })] as never,
  }).bytes;
  const system = buildHive({
    name: 'ROOT',
    subkeys: [path('ControlSet001', 'Control')({
      name: 'Session Manager',
      subkeys: [{
        name: 'AppCompatCache',
        values: [{ name: 'AppCompatCache', type: 3, data: shimcache([
          { path: 'C:\\Users\\bob\\Downloads\\evil.exe', when: WHEN, executed: true },
          { path: 'C:\\Windows\\System32\\cmd.exe', when: WHEN - 864_000_000_000n, executed: false },
        ]) }],
      }],
    })] as never,
  }).bytes;
  PART = join(TMP, 'partition.img');
  DISK = join(TMP, 'disk.img');
  FOLDER = join(TMP, 'triage', 'C');
  const files: Record<string, Uint8Array | string> = {
    // As Windows writes them: "config" in lower case, where artifacts ask for "Config".
    'Windows/System32/config/SOFTWARE': software,
    'Windows/System32/config/SYSTEM': system,
    'Windows/System32/drivers/etc/hosts': '127.0.0.1 localhost\r\n10.1.2.3 evil.example\r\n',
    'Users/bob/NTUSER.DAT': ntuser,
    'Users/bob/Documents/report.txt': 'quarterly numbers\n',
    'Users/bob/AppData/Local/Google/Chrome/User Data/Default/History': chromeHistory(),
    // SRUM's database (ese-writer.ts), whose user S-1-5-21-...-1001 is bob's SID here.
    'Windows/System32/sru/SRUDB.dat': writeSrum(10, {}, []).bytes,
    // bob's Outlook mailbox (pst-writer.ts), compressible encryption as Outlook writes it.
    'Users/bob/Documents/Outlook Files/bob.pst': writePst(mailbox({ inbox: 6 }), { crypt: 1 }).bytes,
  };
  EVIL = signedByPlantedRoot();
  if (EVIL) files['Users/bob/Downloads/evil.exe'] = EVIL;
  if (CATALOG) {
    files['Windows/System32/notepad.exe'] = CATALOG.notepad;
    files[`${CATROOT}/Package_for_RollupFix.cat`] = CATALOG.catalog;
  }
  buildNtfsPartition(PART, files);
  // The same files as a triage collection's C: folder.
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(FOLDER, p)), { recursive: true });
    writeFileSync(join(FOLDER, p), content);
  }
  wrapInGpt(PART, DISK, efiPartition() ?? undefined);
});

after(() => {
  if (!process.env.KEEP_DEADDISK) rmSync(TMP, { recursive: true, force: true });
});

function vql(args: string[], status = 0): { stdout: string; stderr: string } {
  // In TMP: uploads go to a folder made in the current one.
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, cwd: TMP });
  assert.equal(r.status, status, `vql ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

function rows(stdout: string): Array<Record<string, unknown>> {
  return JSON.parse(stdout) as Array<Record<string, unknown>>;
}

/** The remapping DeadDiskRemapping writes for `image` (its Remapping column, Upload=N). */
function remappingFor(image: string): string {
  const out = rows(vql(['artifacts', 'collect', 'Generic.Utils.DeadDiskRemapping', '--definitions', CORPUS, '--args', `ImagePath=${image}`, '--args', 'Upload=N', '--format', 'json']).stdout);
  assert.equal(out.length, 1);
  const yaml = out[0]!.Remapping as string;
  assert.match(yaml, /remappings:/);
  const file = join(TMP, `remap-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

test('Windows.Forensics.PartitionTable finds the NTFS partition and lists its top folders', { skip: SKIP }, () => {
  const out = rows(vql(['artifacts', 'collect', 'Windows.Forensics.PartitionTable', '--definitions', CORPUS, '--args', `ImagePath=${DISK}`, '--args', 'Accessor=file', '--format', 'json']).stdout);
  const ntfs = out.find((r) => r.StartOffset === PARTITION_LBA * 512);
  assert.ok(ntfs, JSON.stringify(out));
  assert.match(String(ntfs.Magic), /NTFS/);
  const top = (ntfs.TopLevelDirectory as string[]).map((p) => p.replace(/^[\\/]/, ''));
  assert.ok(top.includes('Windows') && top.includes('Users'), JSON.stringify(top));
});

for (const kind of ['disk image', 'partition image'] as const) {
  test(`Windows.Sys.Programs runs unchanged over a ${kind} with DeadDiskRemapping's config`, { skip: SKIP }, () => {
    const remap = remappingFor(kind === 'disk image' ? DISK : PART);
    const out = rows(vql(['artifacts', 'collect', 'Windows.Sys.Programs', '--definitions', CORPUS, '--remap', remap, '--format', 'json']).stdout);
    const byName = new Map(out.map((r) => [r.DisplayName, r]));
    assert.deepEqual([...byName.keys()].sort(), ['7-Zip 23.01 (x64)', 'Notepad++ (32-bit x86)', 'PuTTY release 0.80'], JSON.stringify(out, null, 1));
    const zip = byName.get('7-Zip 23.01 (x64)')!;
    assert.equal(zip.Publisher, 'Igor Pavlov');
    assert.equal(zip.DisplayVersion, '23.01');
    assert.equal(zip.KeyLastWriteTimestamp, '2024-03-04T05:06:07Z');
    assert.match(String(zip.KeyPath), /^HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip$/i);
    assert.match(String(byName.get('PuTTY release 0.80')!.KeyPath), /^HKEY_USERS\\bob\\Software\\/i);
  });
}

test('Windows.System.RootCAStore finds a root certificate planted in the image\'s SOFTWARE hive (reg accessor, parse_x509)', { skip: SKIP }, (t) => {
  if (!CERT) return t.skip('the openssl command is not installed: no certificate to plant');
  const out = rows(vql(['artifacts', 'collect', 'Windows.System.RootCAStore', '--definitions', CORPUS, '--evidence', DISK, '--format', 'json']).stdout);
  assert.equal(out.length, 1, JSON.stringify(out, null, 1));
  const row = out[0] as { Name: string; FingerPrint: string; Certificate: { Subject: { CommonName: string; Organization: string[] }; IsCA: boolean; FingerprintSHA1: string }; _RegistryValue: string };
  assert.equal(row.Name, 'Evil Root');
  assert.equal(row.FingerPrint, createHash('sha1').update(CERT).digest('hex'));
  assert.equal(row.Certificate.Subject.CommonName, 'Evil Interception Root');
  assert.deepEqual(row.Certificate.Subject.Organization, ['Not Microsoft']);
  assert.equal(row.Certificate.FingerprintSHA1, row.FingerPrint);
  assert.match(row._RegistryValue, /^HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\[0-9A-F]{40}\\Blob$/i);
});

test('authenticode() trusts what the image trusted: a program signed under the planted root is "trusted" there, not here (Windows.Detection.BinaryHunter)', { skip: SKIP }, (t) => {
  if (!EVIL) return t.skip('osslsigncode or openssl is not installed (apt-get install osslsigncode): no signed program in the image');
  // (--format json prints nothing for no rows, as Velociraptor's query does.)
  const hunt = (more: string[]) => rows(vql(['artifacts', 'collect', 'Windows.Detection.BinaryHunter', '--definitions', CORPUS, '--evidence', DISK, '--format', 'json', ...more]).stdout || '[]');
  const out = hunt([]);
  assert.equal(out.length, 1, JSON.stringify(out, null, 1));
  const a = out[0]!.Authenticode as Record<string, unknown> & { _ExtraInfo: Record<string, unknown> };
  assert.equal((out[0]!.File as { OSPath: string }).OSPath, 'C:\\Users\\bob\\Downloads\\evil.exe');
  assert.equal(a.Trusted, 'trusted', String(a._ExtraInfo.Reason));
  assert.equal(a.SubjectName, 'Totally Legit Software');
  assert.equal(a.IssuerName, 'Evil Interception Root');
  assert.equal(a.ProgramName, 'Updater');
  assert.match(String(a._ExtraInfo.TrustedBy), /^the 1 roots of the evidence's ROOT and AuthRoot stores$/);
  // The hunt for untrusted programs therefore passes it over, as it would on that machine.
  assert.deepEqual(hunt(['--args', 'ExcludeTrusted=Y']), []);
  // This machine does not trust the planted root.
  const here = rows(vql(['query', '--format', 'json', `SELECT authenticode(filename=${JSON.stringify(join(TMP, 'evil.exe'))}) AS A FROM scope()`]).stdout)[0]!.A as typeof a;
  assert.equal(here.Trusted, 'untrusted');
  assert.match(String(here._ExtraInfo.Reason), /the chain ends at Evil Interception Root, a root that is not among|the issuer of Totally Legit Software \(Evil Interception Root\) is neither in the signature nor among this machine's/);
});

test('authenticode() finds a program signed only in a security catalog of the image (or of a triage folder) and judges the catalog', { skip: NO_IMAGE }, (t) => {
  if (!CATALOG) return t.skip('osslsigncode or openssl is not installed (apt-get install osslsigncode): no catalog in the image');
  for (const evidence of [DISK, FOLDER]) {
    const r = vql(['query', '--evidence', evidence, '--format', 'json', `SELECT authenticode(filename='C:/Windows/System32/notepad.exe') AS A, authenticode(filename='C:/Users/bob/Downloads/evil.exe').Trusted AS Evil FROM scope()`]);
    const [{ A: a, Evil: evil }] = rows(r.stdout) as Array<{ A: Record<string, unknown> & { _ExtraInfo: Record<string, unknown> }; Evil: string }>;
    assert.equal(a!.Trusted, 'trusted', `${evidence}: ${String(a!._ExtraInfo.Reason)}`);
    assert.equal(a!.SubjectName, 'Totally Legit Software');
    assert.equal(a!._ExtraInfo.Catalog, `C:\\${CATROOT.replace(/\//g, '\\')}\\Package_for_RollupFix.cat`);
    assert.equal(evil, 'trusted');
    // The catalogs are read once, and the log says how many.
    assert.equal(r.stderr.match(/read 1 security catalogs under C:\\Windows\\System32\\CatRoot \(1 file digests\)/g)?.length, 1, r.stderr);
  }
  // A program in no catalog and without a signature is unsigned; so is notepad.exe on this machine (no catalogs here).
  const here = rows(vql(['query', '--format', 'json', `SELECT authenticode(filename=${JSON.stringify(join(TMP, 'notepad.exe'))}).Trusted AS T FROM scope()`]).stdout);
  assert.deepEqual(here, [{ T: 'unsigned' }]);
});

test('Windows.Sys.Users lists the image\'s profiles (ProfileList, names without lookupSID), and Windows.Applications.Chrome.History reads bob\'s history through it', { skip: SKIP }, () => {
  const users = rows(vql(['artifacts', 'collect', 'Windows.Sys.Users', '--definitions', CORPUS, '--evidence', DISK, '--format', 'json']).stdout);
  const byName = new Map(users.map((u) => [u.Name, u]));
  assert.deepEqual([...byName.keys()].sort(), ['bob', 'systemprofile'], JSON.stringify(users, null, 1));
  const bob = byName.get('bob')!;
  assert.equal(bob.Uid, '1001');
  assert.equal(bob.UUID, BOB_SID);
  assert.equal(bob.Directory, 'C:\\Users\\bob');
  assert.equal((bob.Data as { ProfileLoadTime: string }).ProfileLoadTime, '2024-03-04T05:06:07Z');
  assert.ok(bob.HomedirMtime, 'the home folder is found in the image');
  const history = rows(vql(['artifacts', 'collect', 'Windows.Applications.Chrome.History', '--definitions', CORPUS, '--evidence', DISK, '--format', 'json']).stdout);
  assert.deepEqual(history.map((h) => [h.User, h.visited_url, h.title, h.visit_time, h.visit_duration]), [
    ['bob', 'https://evil.example/payload.exe', 'Download', '2024-03-04T05:06:07Z', '00:00:02.500'],
  ], JSON.stringify(history, null, 1));
});

test('Windows.Forensics.SRUM reads the image\'s SRUDB.dat with its default arguments: apps and SIDs from the id map, users named from the ProfileList', { skip: SKIP }, () => {
  assert.equal(SID_ALICE, BOB_SID, 'the fixture\'s user is bob here');
  const out = vql(['artifacts', 'collect', 'Windows.Forensics.SRUM', '--definitions', CORPUS, '--evidence', DISK, '--format', 'jsonl']);
  const all = out.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
  const bySource = (s: string) => all.filter((r) => r._Source === `Windows.Forensics.SRUM/${s}`);
  const exec = bySource('Execution Stats');
  assert.equal(exec.length, 10, out.stderr);
  const evil = exec.find((r) => /evil\.exe$/.test(String(r.App)))!;
  assert.deepEqual([evil.App, evil.UserSid, evil.User], [ID_MAP[2]!.value, BOB_SID, 'bob']);
  assert.ok(exec.some((r) => r.UserSid === 'S-1-5-18'), 'SYSTEM\'s rows are there too');
  assert.equal(bySource('Application Resource Usage').length, 150);
  assert.equal(bySource('Network Usage').length, 10);
  assert.equal(bySource('Network Connections').length, 10);
  assert.doesNotMatch(out.stderr, /parse_ese|srum_lookup_id|ERROR/, out.stderr);
});

test('Windows.Forensics.Pst finds bob\'s mailbox in the image, and uploads the attachments it reads through the pst accessor', { skip: SKIP }, () => {
  const out = join(TMP, 'pst.zip');
  const r = vql(['artifacts', 'collect', 'Windows.Forensics.Pst', '--definitions', CORPUS, '--evidence', DISK, '--args', 'UploadAttachments=Y', '--output', out]);
  assert.doesNotMatch(r.stderr, /ERROR/, r.stderr);
  const zip = unzipSync(new Uint8Array(readFileSync(out)));
  const mails = strFromU8(zip['results/Windows.Forensics.Pst.json']!).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(mails.length > 6, `${mails.length} messages`);
  assert.ok(mails.every((m) => typeof m.Subject === 'string' && String(m.Path).startsWith('/Top of Outlook data file')), JSON.stringify(mails[0]));
  const uploads = Object.keys(zip).filter((k) => k.startsWith('uploads/pst/'));
  assert.ok(uploads.length > 0, Object.keys(zip).join('\n'));
  assert.ok(uploads.some((k) => Buffer.from(zip[k]!).equals(NOTES)), 'an attachment is uploaded with its bytes');
});

// ---------------------------------------------------------------------------------------------
// A Velociraptor collection container as evidence: a KAPE-style triage of the image (hives through
// ntfs, the users' files through auto), collected here into an offline-collector zip.

const TRIAGE = String.raw`name: Custom.Triage.Kape
description: Uploads the hives through ntfs and the users' files through auto, as a KAPE-style triage does.
sources:
  - query: |
      SELECT upload(file=OSPath, accessor='ntfs') AS Upload FROM glob(globs=['Windows/System32/config/*', 'Users/*/NTUSER.DAT'], root='\\\\.\\C:', accessor='ntfs') WHERE NOT IsDir
  - name: Files
    query: |
      SELECT upload(file=OSPath, accessor='auto') AS Upload FROM glob(globs='C:/Users/**', accessor='auto') WHERE NOT IsDir
`;

let COLLECTION = '';
/** The triage of the disk image as a collection zip (made once). */
function collection(): string {
  if (COLLECTION) return COLLECTION;
  const defs = join(TMP, 'triage-defs');
  mkdirSync(defs, { recursive: true });
  writeFileSync(join(defs, 'Custom.Triage.Kape.yaml'), TRIAGE);
  COLLECTION = join(TMP, 'Collection-triage.zip');
  vql(['artifacts', 'collect', 'Custom.Triage.Kape', '--definitions', defs, '--evidence', DISK, '--output', COLLECTION]);
  return COLLECTION;
}

test('a Velociraptor collection container is evidence: its uploads (auto and ntfs merged) are C:, its hives the registry; Windows artifacts give what they give on the disk', { skip: SKIP }, () => {
  const zip = collection();
  const summary = vql(['deaddisk', zip]);
  assert.equal(summary.stderr.trim(), 'collection container: the collection\'s uploads are C: (auto, ntfs); registry: HKEY_LOCAL_MACHINE/Software, HKEY_LOCAL_MACHINE/System, HKEY_USERS\\bob');
  assert.match(summary.stdout, /accessor: overlay/);
  assert.match(summary.stdout, /LET OVERLAY_ACCESSOR_DELEGATES <= dict\(accessor="collector"/);
  const byDisk = (name: string) => rows(vql(['artifacts', 'collect', name, '--definitions', CORPUS, '--evidence', DISK, '--format', 'json']).stdout);
  const byZip = (name: string) => rows(vql(['artifacts', 'collect', name, '--definitions', CORPUS, '--evidence', zip, '--format', 'json']).stdout);
  const programs = byZip('Windows.Sys.Programs');
  assert.deepEqual(programs.map((r) => r.DisplayName).sort(), ['7-Zip 23.01 (x64)', 'Notepad++ (32-bit x86)', 'PuTTY release 0.80']);
  assert.deepEqual(programs, byDisk('Windows.Sys.Programs'));
  // The users from the hive (uploaded through ntfs), their files (through auto): one C:.
  const history = byZip('Windows.Applications.Chrome.History');
  assert.deepEqual(history.map((h) => [h.User, h.visited_url]), [['bob', 'https://evil.example/payload.exe']]);
  const hidden = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'OSPath' && k !== 'HomedirMtime'));
  assert.deepEqual(byZip('Windows.Sys.Users').map(hidden), byDisk('Windows.Sys.Users').map(hidden));
  // Nothing of this machine: C: has only what was collected.
  const top = rows(vql(['query', '--evidence', zip, '--format', 'json', `SELECT Name FROM glob(globs='C:/*') ORDER BY Name`]).stdout);
  assert.deepEqual(top.map((r) => r.Name), ['Users', 'Windows']);
});

test('Velociraptor\'s own Windows.Collectors.Remapping maps the container (collector, overlay, mount scope:), and its remapping runs artifacts', { skip: SKIP }, () => {
  const zip = collection();
  const remap = join(TMP, 'collector-remap.yaml');
  const out = rows(vql(['artifacts', 'collect', 'Windows.Collectors.Remapping', '--definitions', CORPUS, '--args', `ZipPath=${zip}`, '--args', 'Upload=N', '--args', `WriteRemappingPath=${remap}`, '--allow-execve', '--format', 'json']).stdout);
  const by = (source: string) => out.filter((r) => r._Source === `Windows.Collectors.Remapping/${source}`).map((r) => r.OSPath);
  assert.deepEqual(by('TestRegistryAccess'), ['HKEY_LOCAL_MACHINE\\Software\\Microsoft', 'HKEY_LOCAL_MACHINE\\Software\\WOW6432Node']);
  // (The artifact's test lists the first five entries of C:, the ntfs and auto uploads merged.)
  assert.deepEqual(by('TestFileAccess').slice(0, 3), ['C:\\Users', 'C:\\Windows', 'C:\\Users\\bob'], JSON.stringify(by('TestFileAccess')));
  const programs = rows(vql(['artifacts', 'collect', 'Windows.Sys.Programs', '--definitions', CORPUS, '--remap', remap, '--format', 'json']).stdout);
  assert.deepEqual(programs.map((r) => r.DisplayName).sort(), ['7-Zip 23.01 (x64)', 'Notepad++ (32-bit x86)', 'PuTTY release 0.80']);
});

test('a zip that is not a collection of files, or is damaged, is refused with what to do instead', { skip: NO_IMAGE }, () => {
  const zip = join(TMP, 'results-only.zip');
  const defs = join(TMP, 'defs-results');
  mkdirSync(defs, { recursive: true });
  writeFileSync(join(defs, 'Custom.Rows.yaml'), 'name: Custom.Rows\nsources:\n  - query: SELECT 1 AS One FROM scope()\n');
  vql(['artifacts', 'collect', 'Custom.Rows', '--definitions', defs, '--output', zip]);
  const r = vql(['deaddisk', zip], 1);
  assert.match(r.stderr, /a zip without drive uploads .*not a Velociraptor collection of a Windows machine's files\. A collection of results only opens in the Logs workbench/);
  // A damaged one (cut short in a copy) says so.
  const cut = join(TMP, 'cut-short.zip');
  writeFileSync(cut, readFileSync(zip).subarray(0, 200));
  assert.match(vql(['deaddisk', cut], 1).stderr, /cut-short\.zip: the zip cannot be read: not a zip file \(no end-of-central-directory record\)/);
});

test('Windows.Forensics.UEFI finds the boot manager on the image\'s EFI partition (raw_file is the disk, fat, parse_pe, authenticode)', { skip: SKIP }, (t) => {
  if (!existsSync(join(TMP, 'efi.img'))) return t.skip('mkfs.fat, mtools or osslsigncode is not installed (apt-get install dosfstools mtools osslsigncode): no EFI partition in the image');
  const out = rows(vql(['artifacts', 'collect', 'Windows.Forensics.UEFI', '--definitions', CORPUS, '--evidence', DISK, '--format', 'json']).stdout);
  assert.equal(out.length, 1, JSON.stringify(out, null, 1));
  const efi = out[0] as { OSPath: string; Size: number; Partition: { PartitionName: string }; Hash: { SHA256: string }; PEInfo: { FileHeader: { Machine: string } }; Authenticode: { Trusted: string; SubjectName: string; ProgramName: string } };
  assert.equal(efi.OSPath.replace(/\\/g, '/').replace(/^\//, '').toLowerCase(), BOOTMGR.toLowerCase());
  assert.equal(efi.Partition.PartitionName, 'EFI system partition');
  assert.equal(efi.Size, statSync(join(TMP, 'bootmgfw.efi')).size);
  assert.equal(efi.Hash.SHA256, createHash('sha256').update(readFileSync(join(TMP, 'bootmgfw.efi'))).digest('hex'));
  assert.equal(efi.PEInfo.FileHeader.Machine, 'IMAGE_FILE_MACHINE_AMD64');
  assert.deepEqual([efi.Authenticode.Trusted, efi.Authenticode.SubjectName, efi.Authenticode.ProgramName], ['trusted', 'Totally Legit Software', 'Boot Manager']);
});

test('a disk with 4096-byte sectors (4Kn): its GPT and its NTFS volume are found and read', { skip: NO_IMAGE }, () => {
  const part = join(TMP, 'part-4k.img');
  const disk = join(TMP, 'disk-4k.img');
  buildNtfsPartition(part, { 'Windows/System32/drivers/etc/hosts': '127.0.0.1 localhost\r\n', 'Users/bob/Documents/report.txt': 'on a 4Kn disk\n' }, 16, 4096);
  wrapInGpt(part, disk, undefined, 4096);
  assert.equal(vql(['deaddisk', disk]).stderr.trim(), 'disk image: C: is the NTFS volume at byte 1048576; registry: no hives found');
  const out = rows(vql(['query', '--evidence', disk, '--env', 'Dev=\\\\.\\C:', '--format', 'json', `SELECT read_file(filename='C:/Users/bob/Documents/report.txt') AS R, parse_ntfs(device=Dev, filename='Users/bob/Documents/report.txt').MFTID > 0 AS InMft FROM scope()`]).stdout);
  assert.deepEqual(out, [{ R: 'on a 4Kn disk\n', InMft: true }]);
});

test('Windows.Registry.AppCompatCache reads the Shimcache of the SYSTEM hive inside the image', { skip: SKIP }, () => {
  const remap = remappingFor(DISK);
  const r = vql(['artifacts', 'collect', 'Windows.Registry.AppCompatCache', '--definitions', CORPUS, '--remap', remap, '--format', 'json']);
  if (!r.stdout.trim()) assert.fail(r.stderr);
  const out = rows(r.stdout);
  assert.deepEqual(out.map((r) => [r.Position, r.Path, r.ModificationTime, r.ExecutionFlag]), [
    [0, 'C:\\Users\\bob\\Downloads\\evil.exe', '2024-03-04T05:06:07Z', 1],
    [1, 'C:\\Windows\\System32\\cmd.exe', '2024-03-03T05:06:07Z', 0],
  ], JSON.stringify(out, null, 1));
});

test('under the remapping, C: is the image, the host is "Virtual Host" on windows, and this machine is out of reach', { skip: SKIP }, () => {
  const remap = remappingFor(DISK);
  const q = (text: string) => rows(vql(['query', '--remap', remap, '--format', 'json', text]).stdout);
  assert.deepEqual(q(`SELECT OS, Hostname FROM info()`), [{ OS: 'windows', Hostname: 'Virtual Host' }]);
  const hits = q(`SELECT OSPath FROM glob(globs='C:/Users/*/NTUSER.DAT')`).map((r) => String(r.OSPath));
  assert.deepEqual(hits, ['C:\\Users\\bob\\NTUSER.DAT']);
  assert.deepEqual(q(`SELECT read_file(filename='C:/Windows/System32/drivers/etc/hosts') AS Hosts FROM scope()`), [{ Hosts: '127.0.0.1 localhost\r\n10.1.2.3 evil.example\r\n' }]);
  // The analyst's own disk is not mapped: /etc/passwd cannot be read by the remapped query.
  const own = vql(['query', '--remap', remap, '--format', 'json', `SELECT read_file(filename='/etc/passwd') AS P FROM scope()`]);
  assert.deepEqual(rows(own.stdout), [{ P: '' }]);
  assert.match(own.stderr, /not in any mount/);
});

// ---------------------------------------------------------------------------------------------
// The built-in generator (vql deaddisk, --evidence): no artifact library needed.

const UNINSTALL = `SELECT Key.Name AS KeyName, DisplayName, Key.OSPath AS KeyPath FROM read_reg_key(globs=['HKEY_LOCAL_MACHINE/SOFTWARE/Microsoft/Windows/CurrentVersion/Uninstall/*', 'HKEY_USERS/*/Software/Microsoft/Windows/CurrentVersion/Uninstall/*'], accessor='registry') ORDER BY KeyName`;
const EXPECTED_UNINSTALL = [
  { KeyName: '7-Zip', DisplayName: '7-Zip 23.01 (x64)', KeyPath: 'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip' },
  { KeyName: 'PuTTY', DisplayName: 'PuTTY release 0.80', KeyPath: 'HKEY_USERS\\bob\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\PuTTY' },
];

test('vql deaddisk finds C: in a disk image, a partition image and a triage folder, and says what it mounted', { skip: NO_IMAGE }, () => {
  const disk = vql(['deaddisk', DISK]);
  assert.equal(disk.stderr.trim(), 'disk image: C: is the NTFS volume at byte 1048576; registry: HKEY_LOCAL_MACHINE/Software, HKEY_LOCAL_MACHINE/System, HKEY_USERS\\bob');
  assert.match(disk.stdout, /^# Remapping for disk image /);
  const part = vql(['deaddisk', PART, '--hostname', 'WS-0042', '--output', join(TMP, 'part.yaml')]);
  assert.match(part.stderr, /^partition image: C: is the NTFS volume at byte 0; registry: HKEY_LOCAL_MACHINE\/Software, HKEY_LOCAL_MACHINE\/System, HKEY_USERS\\bob\n/);
  assert.match(readFileSync(join(TMP, 'part.yaml'), 'utf8'), /hostname: WS-0042/);
  const folder = vql(['deaddisk', FOLDER]);
  assert.match(folder.stderr, /^directory: the folder is C:; registry: HKEY_LOCAL_MACHINE\/Software, HKEY_LOCAL_MACHINE\/System, HKEY_USERS\\bob/);
  // Never a program: EXECVE is not granted and execve is disabled.
  for (const r of [disk, folder]) {
    assert.doesNotMatch(r.stdout, /- EXECVE/);
    assert.match(r.stdout, /disabled_plugins:\n(\s+- \w+\n)*\s+- execve\n/);
  }
});

const HAVE_EWF = spawnSync('ewfacquire', ['-V']).status === 0;
/** `image` as an E01 in segments of 10 MiB (uncompressed, so there are several), made by libewf's ewfacquire. */
function e01(image: string, name: string): string {
  const target = join(TMP, name);
  if (!existsSync(`${target}.E01`)) {
    const r = spawnSync('ewfacquire', ['-u', '-q', '-c', 'none', '-S', '10MiB', '-t', target, image], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  return `${target}.E01`;
}

const HAVE_QEMU = spawnSync('qemu-img', ['--version']).status === 0;
/** `image` as a VHDX or VMDK (stream-optimized: deflated grains), made by qemu-img. */
function vdisk(image: string, format: 'vhdx' | 'vmdk'): string {
  const out = join(TMP, `${basename(image)}.${format}`);
  if (!existsSync(out)) execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', format, ...(format === 'vmdk' ? ['-o', 'subformat=streamOptimized'] : []), image, out], { stdio: 'pipe' });
  return out;
}

for (const kind of ['disk image', 'partition image', 'triage folder', 'E01 disk image', 'E01 partition image', 'VHDX disk image', 'VMDK disk image', 'VMDK partition image'] as const) {
  const skip = NO_IMAGE || (kind.startsWith('E01') && !HAVE_EWF && 'ewfacquire is not installed (apt-get install ewf-tools)')
    || (/^V/.test(kind) && !HAVE_QEMU && 'qemu-img is not installed (apt-get install qemu-utils)');
  test(`--evidence runs a query against a ${kind}: registry, C: and info()`, { skip }, () => {
    const evidence = kind === 'disk image' ? DISK : kind === 'partition image' ? PART : kind === 'triage folder' ? FOLDER
      : kind === 'E01 disk image' ? e01(DISK, 'disk') : kind === 'E01 partition image' ? e01(PART, 'partition')
      : vdisk(kind.endsWith('disk image') ? DISK : PART, kind.startsWith('VHDX') ? 'vhdx' : 'vmdk');
    if (kind.startsWith('E01')) assert.ok(existsSync(evidence.replace(/01$/, '02')), 'the E01 has several segments');
    if (/^(E01|VHDX|VMDK)/.test(kind)) {
      assert.equal(vql(['deaddisk', evidence]).stderr.trim(), `${kind}: C: is the NTFS volume at byte ${kind.endsWith('disk image') ? 1048576 : 0}; registry: HKEY_LOCAL_MACHINE/Software, HKEY_LOCAL_MACHINE/System, HKEY_USERS\\bob`);
    }
    const q = (text: string) => rows(vql(['query', '--evidence', evidence, '--format', 'json', text]).stdout);
    assert.deepEqual(q(UNINSTALL), EXPECTED_UNINSTALL);
    assert.deepEqual(q(`SELECT OS, Hostname FROM info()`), [{ OS: 'windows', Hostname: 'Virtual Host' }]);
    assert.deepEqual(q(`SELECT OSPath, Size FROM glob(globs='C:/Users/*/Documents/*.txt')`), [{ OSPath: 'C:\\Users\\bob\\Documents\\report.txt', Size: 18 }]);
    assert.deepEqual(q(`SELECT expand(path='%SystemRoot%/notepad.exe') AS E FROM scope()`), [{ E: 'C:\\Windows/notepad.exe' }]);
  });
}

test('vql deaddisk and --evidence say clearly when the evidence is not Windows evidence', { skip: NO_IMAGE }, () => {
  const none = vql(['deaddisk', join(TMP, 'missing.img')], 1);
  assert.match(none.stderr, /deaddisk: .*missing\.img: no such file or folder/);
  const text = join(TMP, 'notes.txt');
  writeFileSync(text, 'not a disk\n'.repeat(200));
  assert.match(vql(['deaddisk', text], 1).stderr, /no NTFS signature at its start and no GPT or MBR partition table: give a disk image/);
  // A GPT disk whose only partition is NTFS without a Windows folder.
  const data = join(TMP, 'data.img');
  const dataDisk = join(TMP, 'data-disk.img');
  buildNtfsPartition(data, { 'Photos/cat.jpg': 'jpeg' }, 8);
  wrapInGpt(data, dataDisk);
  assert.match(vql(['query', '--evidence', dataDisk, 'SELECT * FROM info()'], 1).stderr, /--evidence .*data-disk\.img: no NTFS partition with a Windows folder at its top \(partitions at 1048576; NTFS ones hold 1048576: Photos\)/);
  assert.match(vql(['query', '--evidence', DISK, '--remap', 'x.yaml', 'SELECT * FROM info()'], 1).stderr, /give --remap FILE or --evidence PATH, not both/);
});

test('the built-in config and Velociraptor\'s DeadDiskRemapping give the same rows', { skip: SKIP }, () => {
  for (const image of [DISK, PART]) {
    const ours = rows(vql(['artifacts', 'collect', 'Windows.Sys.Programs', '--definitions', CORPUS, '--evidence', image, '--format', 'json']).stdout);
    const theirs = rows(vql(['artifacts', 'collect', 'Windows.Sys.Programs', '--definitions', CORPUS, '--remap', remappingFor(image), '--format', 'json']).stdout);
    assert.equal(ours.length, 3);
    assert.deepEqual(ours, theirs);
  }
});

test('Windows.NTFS.Recover uploads every attribute of an MFT entry through the mft accessor on the C: of the image', { skip: SKIP }, () => {
  const id = rows(vql(['query', '--evidence', DISK, '--env', 'Dev=\\\\.\\C:', '--format', 'json', `SELECT parse_ntfs(device=Dev, filename='Users/bob/Documents/report.txt').MFTID AS ID FROM scope()`]).stdout)[0]!.ID as number;
  assert.ok(id > 24, String(id));
  const r = vql(['artifacts', 'collect', 'Windows.NTFS.Recover', '--definitions', CORPUS, '--evidence', DISK, '--args', `MFTId=${id}`, '--format', 'json']);
  const got = rows(r.stdout);
  const data = got.find((x) => x.TypeId === 128)!;
  assert.ok(data, JSON.stringify(got));
  assert.deepEqual([data.Type, data.Size, data.Inode], ['$DATA', 18, `${id}-128-${data.Id}`]);
  assert.deepEqual(got.map((x) => x.Type).sort(), ['$DATA', '$FILE_NAME', '$SECURITY_DESCRIPTOR', '$STANDARD_INFORMATION'].filter((t) => got.some((g) => g.Type === t)).sort());
  const upload = data.IndexUpload as Record<string, unknown>;
  assert.equal(upload.Size, 18);
  assert.equal(upload.sha256, createHash('sha256').update('quarterly numbers\n').digest('hex'));
});

test('Windows.Triage.SDS, Windows.NTFS.I30 and Windows.Search.Yara read the image\'s NTFS through C: without an error', { skip: SKIP }, () => {
  const run = (name: string) => {
    const r = vql(['artifacts', 'collect', name, '--definitions', CORPUS, '--evidence', DISK, '--format', 'json']);
    assert.doesNotMatch(r.stderr, /ERROR|WARNING: (?!.*replaces the definition)/, r.stderr);
    return r.stdout.trim() ? rows(r.stdout) : [];
  };
  // $Secure:$SDS (MFT entry 9), uploaded through the mft accessor.
  const sds = run('Windows.Triage.SDS');
  assert.deepEqual(sds.map((r) => [r.Name, r.TypeId, r.Inode]), [['$SDS', 128, `9-128-${sds[0]!.Id}`]]);
  assert.ok(((sds[0]!.Upload as Record<string, unknown>).Size as number) > 0);
  // The $I30 entries of C:\Users\bob (the default DirectoryGlobs), through parse_ntfs_i30.
  const i30 = run('Windows.NTFS.I30');
  const names = i30.filter((r) => r.OSPath === 'C:\\Users\\bob').map((r) => r.Name);
  assert.ok(names.includes('NTUSER.DAT') && names.includes('Documents'), JSON.stringify(i30, null, 1));
  // parse_mft(accessor="ntfs", filename="C:\$MFT") on the mount at \\.\C:.
  run('Windows.Search.Yara');
});

test('reach --evidence says what can run against the image: its registry, its OS; without it the registry is missing', { skip: SKIP }, () => {
  const reach = (extra: string[]) => JSON.parse(vql(['artifacts', 'reach', CORPUS, '--json', ...extra]).stdout) as { os: string; artifacts: Array<{ name: string; runs: boolean; missing: string[] }>; summary: { runnable: number } };
  const here = reach(['--os', 'windows']);
  const image = reach(['--evidence', DISK]);
  assert.equal(image.os, 'windows');
  const programs = (r: typeof here) => r.artifacts.find((a) => a.name === 'Windows.Sys.Programs')!;
  assert.deepEqual([programs(here).runs, programs(here).missing], [false, ['accessor registry']]);
  assert.deepEqual([programs(image).runs, programs(image).missing], [true, []]);
  assert.ok(image.summary.runnable > here.summary.runnable, `${image.summary.runnable} > ${here.summary.runnable}`);
  assert.ok(image.artifacts.every((a) => !a.missing.includes('accessor registry')));
  // The remapping's accessors only: live process memory (the process accessor) is not part of a disk image.
  const carving = (r: typeof here) => r.artifacts.find((a) => a.name === 'Windows.Carving.CobaltStrike')!.missing;
  assert.ok(!carving(here).includes('accessor process') && carving(image).includes('accessor process'), JSON.stringify([carving(here), carving(image)]));
});
