/**
 * What the disk image accessors share (`ewf`, `vhdx`, `vmdk`: Velociraptor's names): the disk
 * inside an image file as one file, addressed by a pathspec whose delegate names the image:
 *
 *     pathspec(DelegateAccessor="file", DelegatePath="/case/disk.vhdx")
 *
 * An image is opened once per query (its tables read; two are kept, checked against the file's
 * size and time); its files are opened when read and closed when idle (files/idle-reader.ts).
 * Put it under `offset` for a partition, and under `raw_ntfs` for its files (vql deaddisk does).
 */
import { constants } from 'node:fs';
import { VDict, type Registry, type Scope, type Value } from '../../vql/index.ts';
import { registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText, toOSPath } from '../files/ospath.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';
import { IdleReader } from '../files/idle-reader.ts';

const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o444);

/** An opened image: its disk's bytes, and what stat's Data shows about it. */
export interface DiskImage extends FileReader {
  readonly size: number;
  details?(): Record<string, Value>;
}

/**
 * Opens a file of the image through the delegate: the one named (`sibling` undefined), or one
 * next to it by name (an EWF segment, a VMDK extent); null when that sibling does not exist.
 */
export type ImageFileOpener = (sibling?: string) => Promise<FileReader | null>;

/** `target` with its last component replaced by `name` (a file next to it). */
function siblingOf(target: OSPath | string, name: string): OSPath | string {
  if (typeof target !== 'string') return target.dirname().append([name]);
  const cut = Math.max(target.lastIndexOf('/'), target.lastIndexOf('\\'));
  return cut < 0 ? name : target.slice(0, cut + 1) + name;
}

/**
 * An accessor over the images `open` reads: `label` names the image in messages, `file` opens
 * its files, `base` is the name of the one the pathspec names (its siblings are named from it).
 */
export function imageAccessor(name: string, what: string, open: (label: string, file: ImageFileOpener, base: string) => Promise<DiskImage>): Accessor {
  const cache = Symbol(`${name}-accessor-cache`);
  const delegate = (p: OSPath, scope: Scope) =>
    delegateOf(p, scope, name, `names no image: give a pathspec, e.g. pathspec(DelegateAccessor="file", DelegatePath="/case/disk.${name === 'ewf' ? 'E01' : name}")`);
  const load = (p: OSPath, scope: Scope): Promise<DiskImage> => {
    const d = delegate(p, scope);
    const label = pathText(d.target as Value);
    const base = typeof d.target === 'string' ? d.target.slice(Math.max(d.target.lastIndexOf('/'), d.target.lastIndexOf('\\')) + 1) : d.target.basename;
    return keptContainer(scope, cache, p, d, () => open(label, async (sibling) => {
      const target = sibling === undefined ? d.target : siblingOf(d.target, sibling);
      let r: FileReader;
      try {
        r = await d.accessor.open(target, scope);
      } catch (e) {
        if (sibling !== undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      return new IdleReader(() => d.accessor.open(target, scope), r.size, r);
    }, base), { size: 2 });
  };
  const statOf = (path: OSPath, image: DiskImage): FileStat => {
    const data = new VDict();
    for (const [k, v] of Object.entries(image.details?.() ?? {})) data.set(k, v);
    return { path, fullPath: path.toString(), size: image.size, mode: FILE_MODE, isDir: false, isLink: false, mtime: null, atime: null, ctime: null, btime: null, data };
  };
  const stat = async (p: OSPath, scope?: Scope) => {
    if (!scope) throw new Error(`${name} accessor: needs the query's scope`);
    return statOf(p, await load(p, scope));
  };
  return {
    name,
    doc: `The disk inside ${what} as one file (a pathspec: DelegateAccessor/DelegatePath name the image)`,
    path: (filename: Value) => toOSPath(filename, 'pathspec'),
    async open(filename, scope): Promise<FileReader> {
      const image = await load(toOSPath(filename, 'pathspec'), scope);
      // The image is shared by the query's readers: closing one reader leaves it open.
      return { size: image.size, read: (o, n) => image.read(o, n), close: async () => {} };
    },
    lstat: stat,
    stat,
  };
}

export function registerImageAccessors(registry: Registry, accessors: readonly Accessor[]): void {
  for (const a of accessors) registerAccessor(registry, a);
}
