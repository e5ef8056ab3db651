/**
 * The `ewf` accessor (Velociraptor's accessors/ewf): the media inside an Expert Witness (E01)
 * image as one file, addressed by a pathspec whose delegate names the first segment:
 *
 *     pathspec(DelegateAccessor="file", DelegatePath="/case/disk.E01")
 *
 * The other segments (`disk.E02`...) are found next to it through the same delegate accessor.
 * An image is read once per query (its chunk tables; two are kept, checked against the first
 * segment's size and time); its segment files are opened when read and closed when idle. Put
 * it under `offset` for a partition, and under `raw_ntfs` for its files (vql deaddisk does).
 */
import { constants } from 'node:fs';
import { VDict, type Registry, type Scope, type Value } from '../../vql/index.ts';
import { registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText, toOSPath } from '../files/ospath.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';
import { IdleReader } from '../files/idle-reader.ts';
import { EwfImage, segmentName } from './ewf.ts';

const NAME = 'ewf';
const CACHE = Symbol('ewf-accessor-cache');
const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o444);

function delegate(p: OSPath, scope: Scope) {
  return delegateOf(p, scope, NAME, 'names no image: give a pathspec, e.g. pathspec(DelegateAccessor="file", DelegatePath="/case/disk.E01")');
}

/** The path of segment `index` (0 is the one named). */
function segmentTarget(target: OSPath | string, index: number): OSPath | string {
  if (index === 0) return target;
  if (typeof target === 'string') return segmentName(target, index);
  return target.dirname().append([segmentName(target.basename, index)]);
}

/** The image a path's delegate names, opened once per query. */
export function openEwf(p: OSPath, scope: Scope): Promise<EwfImage> {
  const d = delegate(p, scope);
  const label = pathText(d.target as Value);
  return keptContainer(scope, CACHE, p, d, () => EwfImage.open(label, async (index) => {
    const target = segmentTarget(d.target, index);
    let r: FileReader;
    try {
      r = await d.accessor.open(target, scope);
    } catch (e) {
      if (index > 0 && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return new IdleReader(() => d.accessor.open(target, scope), r.size, r);
  }), { size: 2 });
}

function statOf(path: OSPath, image: EwfImage): FileStat {
  const data = new VDict();
  data.set('ChunkSize', image.info.chunkSize);
  data.set('BytesPerSector', image.info.bytesPerSector);
  data.set('Segments', image.info.segments);
  return { path, fullPath: path.toString(), size: image.size, mode: FILE_MODE, isDir: false, isLink: false, mtime: null, atime: null, ctime: null, btime: null, data };
}

export const ewfAccessor: Accessor = {
  name: NAME,
  doc: 'The media inside an Expert Witness (E01) disk image as one file (a pathspec: DelegateAccessor/DelegatePath name the .E01)',
  path: (filename: Value) => toOSPath(filename, 'pathspec'),
  async open(filename, scope): Promise<FileReader> {
    const image = await openEwf(toOSPath(filename, 'pathspec'), scope);
    // The image is shared by the query's readers: closing one reader leaves it open.
    return { size: image.size, read: (o, n) => image.read(o, n), close: async () => {} };
  },
  async lstat(p, scope) {
    if (!scope) throw new Error(`${NAME} accessor: needs the query's scope`);
    return statOf(p, await openEwf(p, scope));
  },
  async stat(p, scope) {
    if (!scope) throw new Error(`${NAME} accessor: needs the query's scope`);
    return statOf(p, await openEwf(p, scope));
  },
};

export function registerEwf(registry: Registry): void {
  registerAccessor(registry, ewfAccessor);
}
