/**
 * The remapping config for a piece of Windows evidence (docs/remapping.md): what Velociraptor's
 * Generic.Utils.DeadDiskRemapping artifact writes, built in, so `vql deaddisk`, `--evidence` and
 * the app's run form need no artifact library. The same heuristics:
 *
 * - a folder (a mounted partition, a triage collection's `C` folder) is the C: drive, read with
 *   `file_nocase` (copied names keep Windows' case: `config`, `NTUSER.DAT`);
 * - a file with the NTFS signature at offset 3 is a partition image;
 * - any other file is a disk image: its GPT (or MBR) partitions are searched for the first NTFS
 *   volume with a `Windows` folder at its top;
 * - an Expert Witness (`.E01`, its other segments next to it), VHDX or VMDK image is read as
 *   the disk or partition it holds, through the `ewf`, `vhdx` or `vmdk` accessor (not in the
 *   artifact's heuristics);
 * - a zip is a Velociraptor collection container, mapped as Windows.Collectors.Remapping maps
 *   it (collectionRemap()).
 *
 * The C: drive is mounted on the `ntfs` (as `\\.\C:`), `file` and `auto` accessors (and an image's
 * MFT entries on `mft`); the SOFTWARE,
 * SECURITY, SYSTEM, SAM and Amcache hives on the `registry` accessor, and each user's NTUSER.DAT at
 * `HKEY_USERS\<user folder>`. An image's C: volume with Volume Shadow Copies has each copy mounted
 * on `ntfs` at `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN` (1 = the oldest), where the
 * `ntfs_vss` accessor's globs find them. The host is impersonated as Windows, and the plugins that would
 * describe this machine instead (pslist, netstat, wmi...) are disabled. Unlike the artifact's
 * config, EXECVE is not granted and `execve` is disabled: evidence never runs programs.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { dump } from 'js-yaml';
import { collect, type Registry } from '../vql/index.ts';
import { localFileReader, readFull } from '../host/files/accessors.ts';
import { EwfError, VdiskError, openDiskImage, sniffDiskImage, type DiskImageFormat } from '../host/vdisk/index.ts';
import type { DiskImage } from '../host/vdisk/image-accessor.ts';
import { VssVolume, shadowDevice } from '../host/vss/index.ts';

const SECTOR = 512;

export type EvidenceKind = 'directory' | 'partition image' | 'disk image' | `${'E01' | 'VHDX' | 'VMDK'} ${'partition image' | 'disk image'}` | 'collection container';

export interface EvidenceRemap {
  readonly kind: EvidenceKind;
  /** The C: volume's byte offset in the image (images only). */
  readonly offset?: number;
  /** A collection container's drives, each with the upload folders (auto, file, ntfs) it merges. */
  readonly drives?: ReadonlyArray<{ readonly drive: string; readonly uploads: readonly string[] }>;
  /**
   * The Volume Shadow Copies of the C: volume (images only), oldest first: each mounted at its
   * device path on `ntfs` (and found by `ntfs_vss` globs).
   */
  readonly shadowCopies?: ReadonlyArray<{ readonly index: number; readonly device: string; readonly created: string; readonly storeId: string }>;
  /** Why the C: volume's shadow copies could not be read (a damaged catalog), if so. */
  readonly shadowError?: string;
  /** The registry hives found, as `registry key → path in the evidence`. */
  readonly hives: ReadonlyArray<{ readonly key: string; readonly path: string }>;
  /** The `remappings:` document. */
  readonly config: { remappings: unknown[] };
  /** The config as YAML (what `--remap` reads). */
  readonly yaml: string;
}

export class EvidenceError extends Error {}

/** Hives as the artifact maps them: path in the volume → registry key. */
const SYSTEM_HIVES: ReadonlyArray<[string, string]> = [
  ['/Windows/System32/Config/SOFTWARE', 'HKEY_LOCAL_MACHINE/Software'],
  ['/Windows/System32/Config/Security', 'HKEY_LOCAL_MACHINE/Security'],
  ['/Windows/System32/Config/System', 'HKEY_LOCAL_MACHINE/System'],
  ['/Windows/System32/Config/SAM', 'SAM'],
  ['/Windows/appcompat/Programs/Amcache.hve', 'Amcache'],
];

const DISABLED_FUNCTIONS = ['amsi', 'lookupSID', 'token'];
const DISABLED_PLUGINS = ['execve', 'http_client', 'users', 'certificates', 'handles', 'pslist', 'interfaces', 'modules', 'netstat', 'partitions', 'proc_dump', 'proc_yara', 'vad', 'winobj', 'wmi'];
const PERMISSIONS = ['COLLECT_CLIENT', 'FILESYSTEM_READ', 'FILESYSTEM_WRITE', 'READ_RESULTS', 'MACHINE_STATE', 'SERVER_ADMIN', 'COLLECT_SERVER'];

function common(hostname: string): unknown[] {
  const shadow = (from: string, on: string) => ({ type: 'shadow', from: { accessor: from }, on: { accessor: on } });
  return [
    { type: 'permissions', permissions: PERMISSIONS },
    {
      type: 'impersonation',
      os: 'windows',
      hostname,
      env: [{ key: 'SystemRoot', value: 'C:\\Windows' }, { key: 'WinDir', value: 'C:\\Windows' }],
      disabled_functions: DISABLED_FUNCTIONS,
      disabled_plugins: DISABLED_PLUGINS,
    },
    shadow('zip', 'zip'),
    shadow('raw_reg', 'raw_reg'),
    shadow('raw_reg', 'raw_registry'),
    shadow('raw_ntfs', 'ntfs'),
    shadow('raw_ntfs', 'raw_ntfs'),
    shadow('data', 'data'),
    shadow('scope', 'scope'),
    shadow('sparse', 'sparse'),
    // Not in the artifact's config: containers read through the remapped drive (jump lists,
    // Office documents, FAT volumes such as the EFI partition), so they never reach this
    // machine's disk either.
    shadow('mscfb', 'mscfb'),
    shadow('zip_nocase', 'zip_nocase'),
    shadow('offset', 'offset'),
    shadow('fat', 'fat'),
    // Volume Shadow Copies: `vss` reads a copy's bytes; `ntfs_vss` is `ntfs` (the remapped one)
    // plus the copies mounted at \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN.
    shadow('vss', 'vss'),
    shadow('ntfs_vss', 'ntfs_vss'),
    // An Outlook PST's attachments (Windows.Forensics.Pst uploads and scans them through it).
    shadow('pst', 'pst'),
  ];
}

/** The three mounts of the C: drive: `from` is the volume (a folder or a partition pathspec). */
function driveMounts(from: { accessor: string; prefix: string }): unknown[] {
  return [
    { type: 'mount', description: 'The evidence as \\\\.\\C:', from, on: { accessor: 'ntfs', prefix: '\\\\.\\C:', path_type: 'ntfs' } },
    { type: 'mount', description: 'The evidence as C: (file)', from, on: { accessor: 'file', prefix: 'C:', path_type: 'windows' } },
    { type: 'mount', description: 'The evidence as C: (auto)', from, on: { accessor: 'auto', prefix: 'C:', path_type: 'windows' } },
  ];
}

/**
 * A hive mounted at `key` on `registry` and on `reg`, its other name (the artifact's config has
 * `registry` only; Windows.System.RootCAStore globs with `reg`).
 */
function hiveMounts(description: string, hive: object, key: string): unknown[] {
  const from = { accessor: 'raw_reg', prefix: JSON.stringify({ Path: '/', ...hive }), path_type: 'registry' };
  return ['registry', 'reg'].map((accessor) => ({ type: 'mount', description, from, on: { accessor, prefix: key, path_type: 'registry' } }));
}

/** The entry of `dir` named `name` in any case, or null. */
async function findNoCase(dir: string, name: string): Promise<string | null> {
  try {
    const want = name.toLowerCase();
    const hit = (await readdir(dir)).find((n) => n.toLowerCase() === want);
    return hit === undefined ? null : join(dir, hit);
  } catch {
    return null;
  }
}

/** `path` (`/`-separated, from `root`) in any case, or null. */
async function resolveNoCase(root: string, path: string): Promise<string | null> {
  let at: string | null = root;
  for (const part of path.split('/').filter(Boolean)) {
    at = await findNoCase(at, part);
    if (at === null) return null;
  }
  return at;
}

async function directoryRemap(root: string, hostname: string): Promise<Omit<EvidenceRemap, 'yaml'>> {
  const hives: Array<{ key: string; path: string }> = [];
  const mounts: unknown[] = [];
  for (const [inVolume, key] of SYSTEM_HIVES) {
    const found = await resolveNoCase(root, inVolume);
    if (!found) continue;
    hives.push({ key, path: found });
    mounts.push(...hiveMounts(`Map ${key}`, { DelegateAccessor: 'file_nocase', DelegatePath: found }, key));
  }
  const users = await resolveNoCase(root, 'Users');
  for (const user of users ? (await readdir(users, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort() : []) {
    const found = await findNoCase(join(users!, user), 'NTUSER.DAT');
    if (!found) continue;
    const key = `HKEY_USERS\\${user}`;
    hives.push({ key, path: found });
    mounts.push(...hiveMounts(`Map User hive for ${user}`, { DelegateAccessor: 'file_nocase', DelegatePath: found }, key));
  }
  return { kind: 'directory', hives, config: { remappings: [...common(hostname), ...driveMounts({ accessor: 'file_nocase', prefix: root }), ...mounts] } };
}

const FORMAT_NAMES = { ewf: 'E01', vhdx: 'VHDX', vmdk: 'VMDK' } as const;

/**
 * The bytes of an image: a raw file, or the disk inside an E01, VHDX or VMDK (read with the
 * image readers here, and through the `ewf`, `vhdx` or `vmdk` accessor by the remapping).
 */
interface ImageSource {
  readonly path: string;
  /** The image format (read through that accessor), or null for a raw image. */
  readonly format: DiskImageFormat | null;
  /** The pathspec (without Path) that names the image's bytes, for the `offset` accessor's delegate. */
  readonly spec: Record<string, unknown>;
  readAt(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

async function openImage(path: string): Promise<ImageSource> {
  const r = await localFileReader(path);
  let format: DiskImageFormat | null;
  try {
    format = await sniffDiskImage(r, path);
  } catch (e) {
    await r.close();
    throw new EvidenceError(e instanceof VdiskError ? e.message : `${path}: ${(e as Error).message}`);
  }
  if (!format) {
    return {
      path,
      format: null,
      spec: { DelegateAccessor: 'file', DelegatePath: path },
      readAt: async (offset, length) => Buffer.from(await readFull(r, offset, length)),
      close: () => r.close(),
    };
  }
  await r.close();
  let image: DiskImage;
  try {
    const sibling = async (name: string) => {
      const p = join(dirname(path), name);
      return (await stat(p).catch(() => null)) ? localFileReader(p) : null;
    };
    image = await openDiskImage(format, path, basename(path), () => localFileReader(path), sibling);
  } catch (e) {
    throw new EvidenceError(e instanceof VdiskError || e instanceof EwfError ? e.message : `${path}: ${(e as Error).message}`);
  }
  return {
    path,
    format,
    spec: { DelegateAccessor: format, Delegate: { DelegateAccessor: 'file', DelegatePath: path } },
    readAt: async (offset, length) => Buffer.from(await image.read(offset, length)),
    close: () => image.close(),
  };
}

/**
 * The byte offsets of a disk image's partitions: GPT's when it has one (its header at LBA 1 of
 * 512-byte sectors, or of 4096-byte ones on a 4Kn disk), else the MBR's.
 */
export async function partitionOffsets(image: ImageSource): Promise<number[]> {
  const readAt = (offset: number, length: number) => image.readAt(offset, length);
  const head = await readAt(0, 2 * SECTOR);
  if (head.length < 2 * SECTOR) return [];
  for (const lba of [SECTOR, 4096]) {
    const h = lba === SECTOR ? head.subarray(SECTOR) : await readAt(lba, SECTOR);
    if (h.length < 92 || h.subarray(0, 8).toString('latin1') !== 'EFI PART') continue;
    const entriesLba = Number(h.readBigUInt64LE(72));
    const count = Math.min(h.readUInt32LE(80), 1024);
    const size = h.readUInt32LE(84);
    if (size < 128 || size > 4096) return [];
    const table = await readAt(entriesLba * lba, count * size);
    const out: number[] = [];
    for (let i = 0; (i + 1) * size <= table.length; i++) {
      const e = table.subarray(i * size, (i + 1) * size);
      if (e.subarray(0, 16).every((b) => b === 0)) continue;
      const start = Number(e.readBigUInt64LE(32));
      if (start > 0) out.push(start * lba);
    }
    return out;
  }
  if (head.readUInt16LE(0x1fe) !== 0xaa55) return [];
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const e = head.subarray(0x1be + 16 * i, 0x1be + 16 * (i + 1));
    const type = e[4]!;
    const start = e.readUInt32LE(8);
    if (type !== 0 && type !== 0xee && start > 0) out.push(start * SECTOR);
  }
  return out;
}

async function isNtfsAt(image: ImageSource, offset: number): Promise<boolean> {
  return (await image.readAt(offset + 3, 4)).toString('latin1') === 'NTFS';
}

/** The pathspec of the volume at `offset` in `image`, as the artifact writes it. */
function volumeSpec(image: ImageSource, offset: number): object {
  return { DelegateAccessor: 'offset', Delegate: { ...image.spec, Path: `/${offset}` } };
}

/** The top-level names of the NTFS volume at `offset`, and its users' NTUSER.DAT folders. */
async function ntfsVolume(registry: Registry, image: ImageSource, offset: number): Promise<{ top: string[]; users: string[] }> {
  const vars = { V: JSON.stringify(volumeSpec(image, offset)) };
  const top = await collect(`SELECT Name FROM glob(globs='/*', accessor='raw_ntfs', root=pathspec(parse=V))`, { registry, vars, log: () => {} });
  const users = await collect(`SELECT OSPath[-2] AS User FROM glob(globs='/Users/*/NTUser.DAT', accessor='raw_ntfs', root=pathspec(parse=V))`, { registry, vars, log: () => {} });
  return { top: top.map((r) => String(r.get('Name'))), users: users.map((r) => String(r.get('User'))).sort() };
}

/** Which of `paths` exist in the NTFS volume at `offset` (names compared in any case). */
async function existingIn(registry: Registry, image: ImageSource, offset: number, paths: readonly string[]): Promise<Set<string>> {
  const vars = { V: JSON.stringify(volumeSpec(image, offset)), Paths: [...paths] };
  const rows = await collect(`SELECT _value AS P FROM foreach(row=Paths) WHERE stat(accessor='raw_ntfs', filename=pathspec(parse=V) + _value).Size`, { registry, vars, log: () => {} });
  return new Set(rows.map((r) => String(r.get('P'))));
}

async function imageRemap(registry: Registry, image: ImageSource, hostname: string): Promise<Omit<EvidenceRemap, 'yaml'>> {
  const prefix = image.format ? `${FORMAT_NAMES[image.format]} ` as const : '';
  let kind: EvidenceKind = `${prefix}partition image`;
  let offset: number | undefined;
  let users: string[] = [];
  if (await isNtfsAt(image, 0)) {
    offset = 0;
    users = (await ntfsVolume(registry, image, 0)).users;
  } else {
    kind = `${prefix}disk image`;
    const offsets = await partitionOffsets(image);
    if (!offsets.length) throw new EvidenceError(`${image.path}: no NTFS signature at its start and no GPT or MBR partition table: give a disk image (raw/dd), an NTFS partition image, or a folder`);
    const seen: string[] = [];
    for (const off of offsets) {
      if (!(await isNtfsAt(image, off))) continue;
      const v = await ntfsVolume(registry, image, off);
      seen.push(`${off}: ${v.top.filter((n) => !n.startsWith('$')).join(', ') || '(empty)'}`);
      if (v.top.some((n) => n.toLowerCase() === 'windows')) {
        offset = off;
        users = v.users;
        break;
      }
    }
    if (offset === undefined) {
      throw new EvidenceError(`${image.path}: no NTFS partition with a Windows folder at its top (partitions at ${offsets.join(', ')}${seen.length ? `; NTFS ones hold ${seen.join('; ')}` : ', none of them NTFS'})`);
    }
  }
  const volume = volumeSpec(image, offset);
  const hives: Array<{ key: string; path: string }> = [];
  const mounts: unknown[] = [];
  const inVolume = (path: string) => ({ DelegateAccessor: 'raw_ntfs', Delegate: { ...volume, Path: path } });
  const present = await existingIn(registry, image, offset, SYSTEM_HIVES.map(([path]) => path));
  for (const [path, key] of SYSTEM_HIVES) {
    if (!present.has(path)) continue;
    hives.push({ key, path });
    mounts.push(...hiveMounts(`Map ${key}`, inVolume(path), key));
  }
  for (const user of users) {
    const path = `/Users/${user}/NTUSER.DAT`;
    hives.push({ key: `HKEY_USERS\\${user}`, path });
    mounts.push(...hiveMounts(`Map User hive for ${user}`, inVolume(path), `HKEY_USERS\\${user}`));
  }
  // The mft accessor's \\.\C:\<inode> paths (Windows.NTFS.Recover, Windows.Triage.SDS) are the volume's.
  const mft = { type: 'mount', description: 'MFT entries of C:', from: { accessor: 'mft', prefix: JSON.stringify(volume) }, on: { accessor: 'mft', prefix: '\\\\.\\C:', path_type: 'ntfs' } };
  // A whole disk is the machine's first physical drive, as raw_file reads it (Windows.Forensics.UEFI
  // reads \\.\PhysicalDrive0's partition table, PartitionTable \\?\GLOBALROOT\Device\Harddisk0\DR0).
  if (kind.endsWith('disk image')) {
    const from = image.format ? { accessor: image.format, prefix: JSON.stringify(image.spec.Delegate) } : { accessor: 'file', prefix: image.path };
    for (const name of ['\\\\.\\PhysicalDrive0', '\\\\?\\GLOBALROOT\\Device\\Harddisk0\\DR0']) {
      mounts.push({ type: 'mount', description: `The disk as ${name}`, from, on: { accessor: 'raw_file', prefix: name, path_type: 'ntfs' } });
    }
  }
  const { copies, error } = await shadowCopies(image, offset);
  for (const c of copies) {
    const from = { accessor: 'raw_ntfs', prefix: JSON.stringify({ DelegateAccessor: 'vss', Delegate: { ...volume, Path: `/${c.index}` } }) };
    mounts.push({ type: 'mount', description: `Shadow copy ${c.index} of C: (made ${c.created})`, from, on: { accessor: 'ntfs', prefix: c.device, path_type: 'ntfs' } });
  }
  return {
    kind, offset, hives,
    ...(copies.length ? { shadowCopies: copies } : {}),
    ...(error ? { shadowError: error } : {}),
    config: { remappings: [...common(hostname), ...driveMounts({ accessor: 'raw_ntfs', prefix: JSON.stringify(volume) }), mft, ...mounts] },
  };
}

/** The Volume Shadow Copies of the NTFS volume at `offset` (none when it has no VSS header; a damaged catalog is said, not thrown). */
async function shadowCopies(image: ImageSource, offset: number): Promise<{ copies: NonNullable<EvidenceRemap['shadowCopies']>; error?: string }> {
  const reader = { size: null, read: (at: number, length: number) => image.readAt(offset + at, length), close: async () => {} };
  try {
    const v = await VssVolume.open(reader);
    return { copies: (v?.stores ?? []).map((s) => ({ index: s.index, device: shadowDevice(s.index), created: s.created.toISOString(), storeId: s.storeId })) };
  } catch (e) {
    return { copies: [], error: (e as Error).message };
  }
}

/** Zip's local file header or end of central directory, at the start of a file. */
async function isZip(path: string): Promise<boolean> {
  const r = await localFileReader(path);
  try {
    const head = Buffer.from(await readFull(r, 0, 4));
    return head.length === 4 && [0x04034b50, 0x06054b50].includes(head.readUInt32LE(0));
  } finally {
    await r.close();
  }
}

/**
 * A Velociraptor collection container (an offline collector's zip, a collection or hunt export)
 * with file uploads, as Windows.Collectors.Remapping maps it: each drive's uploads (`uploads/
 * auto/C:`, `uploads/file/C:`, `uploads/ntfs/\\.\C:`) merged by the `overlay` accessor into
 * one C: (read through `collector`, names unescaped), and the hives found in them on `registry`.
 * The hostname is the container's (client_info.json) unless one is given.
 */
async function collectionRemap(registry: Registry, zip: string, hostname: string | undefined): Promise<Omit<EvidenceRemap, 'yaml'>> {
  const vars = { Zip: zip };
  // A damaged zip says so (not "no uploads"): its listing is read first, and its error kept.
  const problems: string[] = [];
  await collect(`SELECT * FROM stat(accessor='collector', filename=pathspec(DelegateAccessor='file', DelegatePath=Zip, Path='uploads'))`, { registry, vars, log: (_level, m) => void problems.push(m) });
  const damage = problems.find((m) => !/ is not in /.test(m));
  if (damage) throw new EvidenceError(`${zip}: the zip cannot be read: ${damage.replace(/^(stat: )+/, '')}`);
  const rows = await collect(`SELECT OSPath, OSPath.Basename AS Name, OSPath.Components[1] AS Accessor FROM glob(globs='/uploads/*/*', accessor='collector', root=pathspec(DelegateAccessor='file', DelegatePath=Zip)) WHERE IsDir`, { registry, vars, log: () => {} });
  const drives = new Map<string, string[]>();
  for (const r of rows) {
    const m = /^(?:\\\\[.?]\\)?([A-Za-z]):$/.exec(String(r.get('Name')));
    if (!m || !['auto', 'file', 'ntfs'].includes(String(r.get('Accessor')))) continue;
    const drive = `${m[1]!.toUpperCase()}:`;
    const list = drives.get(drive) ?? [];
    list.push(String(r.get('OSPath')));
    drives.set(drive, list);
  }
  if (!drives.size) {
    throw new EvidenceError(`${zip}: a zip without drive uploads (uploads/auto/C%3A, uploads/ntfs/%5C%5C.%5CC%3A...): not a Velociraptor collection of a Windows machine's files. A collection of results only opens in the Logs workbench (Open collection...)`);
  }
  if (hostname === undefined) {
    const info = await collect(`SELECT parse_json(data=read_file(accessor='collector', filename=pathspec(DelegateAccessor='file', DelegatePath=Zip, Path='client_info.json'))).Hostname AS H FROM scope()`, { registry, vars, log: () => {} });
    const h = String(info[0]?.get('H') ?? '');
    hostname = /^[A-Za-z0-9.-]{1,253}$/.test(h) ? h : 'Virtual Host';
  }
  const mounts: unknown[] = [];
  const hives: Array<{ key: string; path: string }> = [];
  const sorted = [...drives.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [drive, uploads] of sorted) {
    const scope = `LET OVERLAY_ACCESSOR_DELEGATES <= dict(accessor="collector", paths=${JSON.stringify(uploads)})\n`;
    const from = { accessor: 'overlay' };
    mounts.push(
      { type: 'mount', description: `The collection's ${drive} as \\\\.\\${drive}`, scope, from, on: { accessor: 'ntfs', prefix: `\\\\.\\${drive}`, path_type: 'ntfs' } },
      { type: 'mount', description: `The collection's ${drive} (file)`, scope, from, on: { accessor: 'file', prefix: drive, path_type: 'windows' } },
      { type: 'mount', description: `The collection's ${drive} (auto)`, scope, from, on: { accessor: 'auto', prefix: drive, path_type: 'windows' } },
    );
  }
  // The hives: the first upload of each (any drive's, C: first), then each user's NTUSER.DAT.
  const member = async (rel: string): Promise<string | null> => {
    for (const [, uploads] of sorted) {
      const found = await collect(`SELECT OSPath FROM foreach(row=Roots, query={ SELECT OSPath FROM stat(accessor='collector', filename=pathspec(parse=_value) + Rel) }) LIMIT 1`, { registry, vars: { Roots: uploads, Rel: rel.split('/').filter(Boolean) }, log: () => {} });
      const p = found[0]?.get('OSPath');
      if (p) return String(p);
    }
    return null;
  };
  const hiveFrom = (p: string) => ({ DelegateAccessor: 'collector', DelegatePath: p });
  for (const [inVolume, key] of SYSTEM_HIVES) {
    const p = await member(inVolume);
    if (!p) continue;
    hives.push({ key, path: p });
    mounts.push(...hiveMounts(`Map ${key}`, hiveFrom(p), key));
  }
  const users = await collect(`SELECT Name FROM foreach(row=Roots, query={ SELECT Name FROM glob(globs='Users/*', accessor='collector', root=pathspec(parse=_value)) WHERE IsDir }) GROUP BY Name`, { registry, vars: { Roots: sorted.flatMap(([, u]) => u) }, log: () => {} });
  for (const user of users.map((r) => String(r.get('Name'))).sort()) {
    const p = await member(`Users/${user}/NTUSER.DAT`);
    if (!p) continue;
    const key = `HKEY_USERS\\${user}`;
    hives.push({ key, path: p });
    mounts.push(...hiveMounts(`Map User hive for ${user}`, hiveFrom(p), key));
  }
  const shadows = [{ type: 'shadow', from: { accessor: 'collector' }, on: { accessor: 'collector' } }];
  return {
    kind: 'collection container',
    hives,
    drives: sorted.map(([drive, uploads]) => ({ drive, uploads })),
    config: { remappings: [...common(hostname), ...shadows, ...mounts] },
  };
}

/** What was found, in one line: `C: is the NTFS volume at byte 1048576; registry: ...`. */
export function evidenceSummary(r: EvidenceRemap): string {
  const uploadsOf = (d: { drive: string; uploads: readonly string[] }) => `${d.drive} (${d.uploads.map((u) => /\/uploads\/([^/]+)\//.exec(u)?.[1] ?? u).join(', ')})`;
  const where = r.kind === 'directory' ? 'the folder is C:'
    : r.kind === 'collection container' ? `the collection's uploads are ${(r.drives ?? []).map(uploadsOf).join(', ')}`
    : `C: is the NTFS volume at byte ${r.offset}`;
  const copies = r.shadowCopies ?? [];
  const vss = copies.length ? `; ${copies.length} shadow ${copies.length === 1 ? 'copy' : 'copies'} (${copies.map((c) => `${c.device.replace(/^.*\\/, '')} made ${c.created}`).join(', ')})`
    : r.shadowError ? `; shadow copies unreadable: ${r.shadowError}` : '';
  return `${where}; registry: ${r.hives.map((h) => h.key).join(', ') || 'no hives found'}${vss}`;
}

/**
 * The remapping for the evidence at `path` (a folder, a partition or disk image, a collection
 * container), with `hostname` as the impersonated host (default "Virtual Host", or a
 * container's own). Throws an EvidenceError saying what was looked for.
 */
export async function remapForEvidence(registry: Registry, path: string, hostname?: string): Promise<EvidenceRemap> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new EvidenceError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`);
  }
  let built: Omit<EvidenceRemap, 'yaml'>;
  if (st.isDirectory()) built = await directoryRemap(path, hostname ?? 'Virtual Host');
  else if (await isZip(path)) built = await collectionRemap(registry, path, hostname);
  else {
    const image = await openImage(path);
    try {
      built = await imageRemap(registry, image, hostname ?? 'Virtual Host');
    } finally {
      await image.close().catch(() => {});
    }
  }
  const header = `# Remapping for ${built.kind} ${path} (vql deaddisk)\n`;
  // js-yaml quotes the key 'on', which YAML 1.1 readers (Go's, Velociraptor's) would take for true.
  return { ...built, yaml: header + dump(built.config, { lineWidth: -1 }) };
}
