/**
 * The `mft` accessor: one attribute of an MFT entry by its inode string. The path is the
 * volume (a pathspec whose delegate names the image, or the Device of parse_ntfs) followed by
 * `<entry>-<type>-<id>`, e.g. pathspec(DelegatePath="/case/c.dd", Path="/46-128-0"); `<entry>`
 * alone is the unnamed $DATA, `<entry>-<type>` the first attribute of that type. Velociraptor
 * uses it as `upload(accessor="mft", file=Device + Inode)` (Windows.NTFS.Recover,
 * Windows.Triage.SDS): any attribute, in use or not, resident or not.
 */
import type { Registry, Scope } from '../../vql/index.ts';
import { NotFound, registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import type { OSPath } from '../files/ospath.ts';
import { NtfsError } from './errors.ts';
import { ATTR_DATA, type Attribute } from './attributes.ts';
import { attributeById, attributePieces, parseInode, type FileEntry } from './file-entry.ts';
import { NtfsStat } from './ntfs-stat.ts';
import { loadVolume, ntfsPath, volumeName } from './open-volume.ts';

/** The inode named by the last component (a device with no separator, `\\.\C:46-128-0`, too). */
function inodeOfPath(p: OSPath): { entry: number; type?: number; id?: number } {
  const last = p.basename;
  const m = /(\d+(?:-\d+(?:-\d+)?)?)$/.exec(last);
  const inode = m ? parseInode(m[1]!) : null;
  if (!inode) throw new Error(`mft accessor: ${p.toString()} does not end with an inode (<entry>-<type>-<id>, e.g. 46-128-0)`);
  return inode;
}

/** The pieces of the attribute an inode names. */
export function inodePieces(f: FileEntry, inode: { type?: number; id?: number }): Attribute[] {
  if (inode.type === undefined) return attributePieces(f, ATTR_DATA, '');
  if (inode.id !== undefined) return attributeById(f, inode.type, inode.id);
  const first = f.attributes.find((a) => a.type === inode.type);
  return first ? attributePieces(f, first.type, first.name) : [];
}

/** An attribute as file information: its size, never a directory. */
class AttrStat extends NtfsStat {
  constructor(p: OSPath, f: FileEntry, private readonly attr: Attribute, volumeId: string) {
    super(p, f, attr.type === ATTR_DATA ? attr.name : '', undefined, volumeId);
  }
  override get isDir(): boolean {
    return false;
  }
  override get size(): number {
    return this.attr.realSize;
  }
  override get inode(): string {
    return `${this.f.entry}-${this.attr.type}-${this.attr.id}`;
  }
}

async function resolve(p: OSPath, scope: Scope | undefined) {
  if (!scope) throw new Error('mft accessor: needs the query\'s scope');
  const inode = inodeOfPath(p);
  const v = await loadVolume(p, scope, 'mft');
  try {
    const f = await v.volume.fileEntry(inode.entry);
    const pieces = inodePieces(f, inode);
    if (!pieces.length) throw new NotFound(`mft accessor: MFT entry ${inode.entry} has no attribute ${p.basename} (in ${volumeName(p)})`);
    return { v, f, pieces };
  } catch (e) {
    if (e instanceof NtfsError) throw new Error(`mft accessor: ${e.message.replace(/^ntfs: /, '')}`);
    throw e;
  }
}

export const mftAccessor: Accessor = {
  name: 'mft',
  doc: 'One attribute of an MFT entry by inode: the volume (pathspec with the image as delegate) then <entry>-<type>-<id>',
  path: ntfsPath,
  async open(filename, scope): Promise<FileReader> {
    const p = ntfsPath(filename);
    const { v, f, pieces } = await resolve(p, scope);
    return v.volume.reader(pieces, `MFT entry ${f.entry}, attribute ${p.basename}`);
  },
  async lstat(p, scope) {
    const { v, f, pieces } = await resolve(p, scope);
    return new AttrStat(p, f, pieces[0]!, v.id);
  },
  async stat(p, scope) {
    return this.lstat!(p, scope);
  },
};

export function registerMftAccessor(registry: Registry): void {
  registerAccessor(registry, mftAccessor);
}
