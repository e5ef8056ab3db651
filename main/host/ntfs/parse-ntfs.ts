/**
 * `parse_ntfs(device, filename, inode, mft, mft_offset, accessor)`: one MFT entry of an NTFS
 * volume as go-ntfs's NTFSFileInformation (Velociraptor vql/parsers/ntfs.go): MFTID,
 * SequenceNumber, OSPath, Size, Allocated, IsDir, SI_Times, Filenames, Attributes (each with
 * its Inode `46-128-0`, for the mft accessor), Hardlinks and Device (the volume, to which an
 * Inode is appended: `upload(accessor="mft", file=Device + Inode)`).
 *
 * The volume is the delegate of `device` (a pathspec naming the image, or any path inside it,
 * such as a raw_ntfs glob's OSPath), an image file read with `accessor` (file, auto...), or,
 * for a device (`\\.\C:`), the image a remapping mounts there.
 */
import { VDict, VStruct, type FunctionDef, type Scope, type Value } from '../../vql/index.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { accessorFor } from '../files/accessors.ts';
import { filetime } from '../registry/raw-reg-accessor.ts';
import { NtfsError } from './errors.ts';
import { attrTypeName } from './attributes.ts';
import { bestName, inodeOf, dataSize, parseInode, type FileEntry } from './file-entry.ts';
import type { FileNameAttr } from './filename-attr.ts';
import { isDeviceComponent, loadVolume, noImageError, ntfsPath, type LoadedVolume } from './open-volume.ts';
import { lookupStat } from './raw-ntfs-accessor.ts';
import { volumeResolver } from './paths.ts';
import { MountAccessor } from '../remap/mount.ts';
import { ROOT_ENTRY } from './volume.ts';

/** The volume to open and the scope to open it with (a remapping's own, for a mounted device). */
interface DeviceAt {
  readonly device: OSPath;
  readonly scope?: Scope;
}

/** The image a remapping mounts on the device of `p` (`\\.\C:` mapped from a raw_ntfs image), if any. */
function remappedDevice(p: OSPath, scope: Scope): DeviceAt | null {
  let acc;
  try {
    acc = accessorFor(scope, 'ntfs');
  } catch {
    return null;
  }
  if (!(acc instanceof MountAccessor) || !p.components.length) return null;
  const m = acc.mountOf(p.components.slice(0, 1));
  const from = m?.fromPath;
  if (!m || !from?.delegate || (!from.delegate.path && !from.delegate.spec)) return null;
  return { device: new OSPath([], 'pathspec', from.delegate), scope: m.pristine(scope) };
}

/** The volume (device) path of a device argument: its delegate, with no path inside. */
export function devicePath(device: Value, accessor: Value, scope?: Scope): DeviceAt {
  const dp = ntfsPath(device);
  if (dp.delegate && (dp.delegate.path || dp.delegate.spec)) return { device: new OSPath([], 'pathspec', dp.delegate) };
  const mapped = scope ? remappedDevice(dp, scope) : null;
  if (mapped) return mapped;
  const acc = accessor === undefined || accessor === null || accessor === '' ? '' : String(accessor);
  if (acc && acc !== 'ntfs' && acc !== 'raw_ntfs') return { device: new OSPath([], 'pathspec', { accessor: acc, path: pathText(device) }) };
  throw noImageError(dp, 'parse_ntfs');
}

/** The device component of a device path (`\\\\.\\C:`), as a windows path. */
function deviceOnly(p: OSPath): OSPath {
  return new OSPath(p.components.slice(0, 1), p.type === 'pathspec' ? 'windows' : p.type);
}

function times(t: { created: bigint; modified: bigint; mftModified: bigint; accessed: bigint }): VDict {
  return new VDict([
    ['CreateTime', filetime(t.created)], ['FileModifiedTime', filetime(t.modified)],
    ['MFTModifiedTime', filetime(t.mftModified)], ['AccessedTime', filetime(t.accessed)],
  ]);
}

/** go-ntfs's *FNInfo (a struct: `foreach(row=.Filenames)` wraps each as `_value`). */
function fnInfo(fn: FileNameAttr): VStruct {
  return new VStruct([
    ['Times', times(fn)], ['Type', fn.nameType], ['Name', fn.name],
    ['ParentEntryNumber', fn.parentEntry], ['ParentSequenceNumber', fn.parentSeq],
  ]);
}

/**
 * The attributes of a file, each once (an attribute split over records is listed by its first
 * piece), as go-ntfs's *Attribute structs: `foreach(row=.Attributes, query={SELECT _value.Type
 * ...})` in Windows.NTFS.Recover and I30, `column="_value"` in Windows.Triage.SDS.
 */
function attributeRows(f: FileEntry): VStruct[] {
  const out: VStruct[] = [];
  for (const a of f.attributes) {
    if (!a.resident && a.lowVcn > 0) continue;
    out.push(new VStruct([
      ['Type', attrTypeName(a.type)], ['TypeId', a.type], ['Inode', inodeOf(f.entry, a)],
      ['Size', a.realSize], ['Id', a.id], ['Name', a.name], ['Resident', a.resident],
    ]));
  }
  return out;
}

/** go-ntfs's NTFSFileInformation of a file. */
export async function fileInformation(v: LoadedVolume, f: FileEntry, device: OSPath): Promise<VDict> {
  const resolver = volumeResolver(v.volume);
  const links: string[] = [];
  for (const fn of f.fileNames) {
    if (fn.nameType === 'DOS' || f.entry === ROOT_ENTRY) continue;
    links.push('\\' + (await resolver.pathOfName(fn)).join('\\'));
  }
  const best = bestName(f);
  const osPath = f.entry === ROOT_ENTRY ? '\\' : best ? '\\' + (await resolver.pathOfName(best)).join('\\') : '';
  return new VDict([
    ['MFTID', f.entry], ['SequenceNumber', f.seq], ['OSPath', osPath], ['Size', dataSize(f)],
    ['Allocated', f.inUse], ['IsDir', f.isDir],
    ['SI_Times', f.si ? times(f.si) : null],
    ['Filenames', f.fileNames.map(fnInfo)],
    ['Attributes', attributeRows(f)],
    ['Hardlinks', links],
    ['Device', device],
  ]);
}

/** The path inside the volume `device` of a filename argument (a device first component dropped). */
export function insidePath(filename: Value, device: OSPath): OSPath {
  const comps = ntfsPath(filename).components.filter((c, i) => i > 0 || !isDeviceComponent(c));
  return new OSPath(comps, 'pathspec', device.delegate);
}

/**
 * The MFT entry the arguments name: `inode` (46 or 46-128-0), `mft`, `mft_offset` or `filename`
 * (a path inside the volume); `fallback` when none is given, else an error.
 */
export async function entryOf(args: Record<string, Value>, v: LoadedVolume, device: OSPath, scope: Scope, self: string, fallback?: number): Promise<number> {
  if (args.inode !== undefined && args.inode !== null && args.inode !== '') {
    const i = parseInode(String(args.inode));
    if (!i) throw new Error(`argument inode: ${JSON.stringify(String(args.inode))} is not an inode (<entry>-<type>-<id>, e.g. 46-128-0)`);
    return i.entry;
  }
  if (args.mft !== undefined && args.mft !== null) return Number(args.mft);
  if (args.mft_offset !== undefined && args.mft_offset !== null) return Math.floor(Number(args.mft_offset) / v.volume.boot.recordSize);
  if (args.filename !== undefined && args.filename !== null) {
    return (await lookupStat(self, insidePath(args.filename, device), v, (m) => scope.log('warn', m))).f.entry;
  }
  if (fallback !== undefined) return fallback;
  throw new Error('give one of inode, mft, mft_offset or filename');
}

export const parseNtfs: FunctionDef = {
  name: 'parse_ntfs',
  doc: 'Parse one MFT entry of an NTFS volume (by inode, mft entry, mft_offset or filename): MFTID, SequenceNumber, OSPath, Size, ' +
    'Allocated, IsDir, SI_Times, Filenames, Attributes (Type, TypeId, Inode, Size, Id, Name, Resident), Hardlinks, Device.',
  args: {
    device: { type: 'any', doc: 'The volume: a pathspec whose delegate is the image (or any path inside it)' },
    filename: { type: 'any', doc: 'A path inside the volume (instead of inode/mft)' },
    accessor: { type: 'string', doc: 'The accessor that reads device when it is a plain image file (file, auto...)' },
    inode: { type: 'string', doc: 'The MFT entry as an inode string (46 or 46-128-0)' },
    mft: { type: 'int', doc: 'The MFT entry number' },
    mft_offset: { type: 'int', doc: 'The byte offset of the entry in the $MFT' },
  },
  async run(call) {
    const { args, scope } = call;
    try {
      const src = args.device ?? args.filename;
      if (src === undefined || src === null) throw new Error('argument device: give the volume (a pathspec naming the image)');
      const at = devicePath(src, args.accessor, scope);
      const v = await loadVolume(at.device, at.scope ?? scope, 'parse_ntfs');
      const entry = await entryOf(args, v, at.device, scope, 'parse_ntfs');
      // Device: the argument as given when it is a (remapped) device, so Device + Inode reads
      // through the same accessor; else the image pathspec.
      const shown = at.scope && args.device !== undefined && args.device !== null ? deviceOnly(ntfsPath(args.device)) : at.device;
      return await fileInformation(v, await v.volume.fileEntry(entry), shown);
    } catch (e) {
      call.log('warn', `parse_ntfs: ${e instanceof NtfsError ? e.message.replace(/^ntfs: /, '') : (e as Error).message}`);
      return null;
    }
  },
};
