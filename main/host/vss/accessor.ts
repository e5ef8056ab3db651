/**
 * The `vss` and `ntfs_vss` accessors: Volume Shadow Copies of an NTFS volume image (format.ts).
 *
 * - `vss`: shadow copy N of a volume as a file of its own. Its pathspec's delegate names the
 *   volume (the partition) and its Path is the copy's number (1 = the oldest), as `offset`
 *   takes an offset:
 *
 *       pathspec(DelegateAccessor="vss",
 *                Delegate=pathspec(DelegateAccessor="file", DelegatePath="/case/c.dd", Path="/1"),
 *                Path="/Windows")              -- on raw_ntfs: C:\Windows as it was then
 *
 *   Listing its Path "/" gives one entry per copy (Size: the volume's; Mtime: its creation time;
 *   Data: the store and shadow copy GUIDs).
 * - `ntfs_vss` (Velociraptor's): as `ntfs`, but listing a folder of a volume also gives the
 *   files of that folder in each shadow copy that differ (size or modification time) from the
 *   versions already listed, at the copy's own path: `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN\...`
 *   under a remapping (dead-disk analysis mounts each copy there on `ntfs`), or a pathspec
 *   through `vss` for an image pathspec. Folders found only in a copy are listed too, so a
 *   glob descends into them. `VSS_MAX_AGE_DAYS` (a scope variable; 0 or unset: all) leaves out
 *   copies made longer ago than that.
 */
import { constants } from 'node:fs';
import { ABSENT, VDict, VTime, type Registry, type Scope, type Value } from '../../vql/index.ts';
import { accessorFor, NotFound, registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText, toOSPath } from '../files/ospath.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';
import { IdleReader } from '../files/idle-reader.ts';
import { logOnce } from '../files/log.ts';
import { ntfsPath } from '../ntfs/open-volume.ts';
import { MountAccessor } from '../remap/mount.ts';
import { VssError, VssVolume, type ShadowStore } from './format.ts';

const CACHE = Symbol('vss-volume-cache');

/** The device path of shadow copy N, as Windows names it. */
export function shadowDevice(n: number): string {
  return `\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${n}`;
}

/** The components of a shadow copy device path (`\\?\GLOBALROOT`, `Device`, `HarddiskVolumeShadowCopyN`), N; else null. */
export function shadowDeviceOf(components: readonly string[]): number | null {
  if (components.length < 3 || components[0]!.toLowerCase() !== '\\\\?\\globalroot' || components[1]!.toLowerCase() !== 'device') return null;
  const m = /^HarddiskVolumeShadowCopy(\d+)$/i.exec(components[2]!);
  return m ? Number(m[1]) : null;
}

/** The shadow copies of the volume a pathspec's delegate names, read once per query (null: no VSS). */
export async function loadShadows(p: OSPath, scope: Scope, self: string): Promise<VssVolume | null> {
  const d = delegateOf(p, scope, self, 'names no volume: give a pathspec, e.g. pathspec(DelegateAccessor="file", DelegatePath="/case/c.dd", Path="/1")');
  return keptContainer(scope, CACHE, p, d, async () => {
    const name = pathText(d.target as Value);
    const first = await d.accessor.open(d.target, scope);
    const reader = new IdleReader(() => d.accessor.open(d.target, scope), first.size, first);
    try {
      return await VssVolume.open(reader);
    } catch (e) {
      const msg = `${self} accessor: volume ${name}: ${(e as Error).message}`;
      logOnce(scope, 'error', msg);
      throw new Error(msg);
    }
  }, { size: 4, recheckMs: 1000, keepFailures: true });
}

const DIR_MODE = FileMode.fromPosix(constants.S_IFDIR | 0o755);
const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o444);

/** A listing entry of the `vss` accessor: the root, or one shadow copy. */
class ShadowStat implements FileStat {
  readonly isLink = false;
  constructor(readonly path: OSPath, private readonly store: ShadowStore | null, private readonly bytes = 0) {}
  get name(): string { return this.path.basename; }
  get fullPath(): string { return this.path.toString(); }
  get isDir(): boolean { return this.store === null; }
  get size(): number { return this.bytes; }
  get mode(): FileMode { return this.store ? FILE_MODE : DIR_MODE; }
  get mtime(): VTime | null { return this.store ? VTime.fromMillis(this.store.created.getTime()) : null; }
  get atime(): VTime | null { return this.mtime; }
  get ctime(): VTime | null { return this.mtime; }
  get btime(): VTime | null { return this.mtime; }
  get data(): VDict {
    const s = this.store;
    if (!s) return new VDict();
    return VDict.fromObject({
      Index: s.index, StoreId: s.storeId, ShadowCopyId: s.copyId, ShadowCopySetId: s.copySetId,
      Created: VTime.fromMillis(s.created.getTime()), AttributeFlags: s.attributeFlags, Device: shadowDevice(s.index),
    });
  }
}

/** The copy number a `vss` path names (Path "/N"); null for the root. */
function copyNumber(p: OSPath): number | null {
  const text = p.components.join('/');
  if (text === '') return null;
  if (!/^\d+$/.test(text)) throw new NotFound(`vss accessor: the Path of ${p.toString()} must be a shadow copy number (1 = the oldest), not ${JSON.stringify(p.path)}`);
  return Number(text);
}

async function volumeOf(p: OSPath, scope: Scope | undefined): Promise<VssVolume> {
  if (!scope) throw new Error('vss accessor: needs the query\'s scope');
  const v = await loadShadows(p, scope, 'vss');
  if (!v) throw new NotFound(`vss accessor: volume ${pathText((p.delegate?.spec ?? p.delegate?.path ?? '') as Value)} has no shadow copies (no VSS volume header at offset 0x1e00)`);
  return v;
}

export const vssAccessor: Accessor = {
  name: 'vss',
  doc: 'Volume Shadow Copies of an NTFS volume image (a pathspec: the delegate names the volume, Path the copy number, 1 = the oldest; "/" lists them)',
  path: (filename: Value) => toOSPath(filename, 'pathspec'),
  async open(filename, scope): Promise<FileReader> {
    const p = toOSPath(filename, 'pathspec');
    const n = copyNumber(p);
    if (n === null) throw new Error(`vss accessor: ${p.toString()} names the list of shadow copies: give Path="/1" for the oldest`);
    const v = await volumeOf(p, scope);
    try {
      return await v.reader(n);
    } catch (e) {
      if (e instanceof VssError) throw new NotFound(`vss accessor: ${e.message.replace(/^vss: /, '')}`);
      throw e;
    }
  },
  async stat(p, scope) {
    const n = copyNumber(p);
    const v = await volumeOf(p, scope);
    if (n === null) return new ShadowStat(p, null);
    const s = v.stores[n - 1];
    if (!s) throw new NotFound(`vss accessor: there is no shadow copy ${n} (the volume has ${v.stores.length})`);
    return new ShadowStat(p, s, v.sizeOf(n));
  },
  lstat: (p, scope) => vssAccessor.stat!(p, scope),
  async readDir(dir, scope) {
    if (copyNumber(dir) !== null) throw new Error(`vss accessor: shadow copy ${dir.path} is a file (read it with raw_ntfs: DelegateAccessor="vss")`);
    const v = await volumeOf(dir, scope);
    return v.stores.map((s) => new ShadowStat(dir.append([String(s.index)]), s, v.sizeOf(s.index)));
  },
};

/** VSS_MAX_AGE_DAYS of the scope (0: no limit). */
async function maxAgeDays(scope: Scope): Promise<number> {
  const v = await scope.lookup('VSS_MAX_AGE_DAYS');
  if (v === ABSENT || v === null || v === undefined) return 0;
  const n = Number(typeof v === 'bigint' ? Number(v) : v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** A shadow copy of the volume a folder lives in, and the same folder in it. */
interface CopyDir {
  readonly store: ShadowStore;
  readonly dir: OSPath;
  /** The accessor that lists it. */
  readonly accessor: Accessor;
  readonly scope: Scope;
}

/** The copies of `dir`'s volume made within VSS_MAX_AGE_DAYS, each with `dir` in it. */
async function copiesOf(dir: OSPath, scope: Scope): Promise<CopyDir[]> {
  const ntfs = accessorFor(scope, 'ntfs');
  let volume: OSPath;
  let volumeScope = scope;
  let inCopy: (n: number) => { dir: OSPath; accessor: Accessor; scope: Scope } | null;
  if (ntfs instanceof MountAccessor) {
    // A remapping: the folder's mount is a raw_ntfs volume (\\.\C:); its copies are mounted at
    // \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN.
    const m = ntfs.mountOf(dir.components);
    if (!m || !m.fromPath.delegate || m.from.name !== 'raw_ntfs') return [];
    volume = m.fromPath;
    volumeScope = m.pristine(scope);
    const rest = dir.components.slice(m.prefix.length);
    inCopy = (n) => {
      const device = OSPath.parse(shadowDevice(n), 'windows').components;
      const cm = ntfs.mountOf(device);
      if (!cm || cm.prefix.length !== device.length) return null;
      return { dir: new OSPath([...device, ...rest], dir.type), accessor: ntfs, scope };
    };
  } else {
    if (!dir.delegate || (!dir.delegate.path && !dir.delegate.spec)) return [];
    volume = dir;
    inCopy = (n) => ({
      dir: new OSPath(dir.components, dir.type, { accessor: 'vss', spec: new OSPath([String(n)], 'pathspec', dir.delegate) }),
      accessor: ntfs,
      scope,
    });
  }
  let shadows: VssVolume | null;
  try {
    shadows = await loadShadows(volume, volumeScope, 'ntfs_vss');
  } catch {
    return []; // said once by loadShadows; the volume itself is still listed
  }
  if (!shadows) return [];
  const days = await maxAgeDays(scope);
  const oldest = days > 0 ? Date.now() - days * 86_400_000 : -Infinity;
  const out: CopyDir[] = [];
  for (const store of shadows.stores) {
    if (store.created.getTime() < oldest) continue;
    const c = inCopy(store.index);
    if (c) out.push({ store, ...c });
  }
  // Newest first: a file's versions are listed from the current one back in time.
  return out.reverse();
}

/**
 * A filename of ntfs_vss: a pathspec with a delegate (an image) as it is, any other path as a
 * Windows one (`C:\Windows`, `\\?\GLOBALROOT\Device\...`, and `/` for the devices), as the
 * remapped `ntfs` accessor has it, so a glob's pattern splits at backslashes and its drive starts the walk.
 */
function vssPath(filename: Value): OSPath {
  const p = ntfsPath(filename);
  if (p.type !== 'pathspec' || p.delegate) return p;
  return OSPath.parse(pathText(filename), 'windows');
}

const keyOf = (e: FileStat) => (e.name ?? e.path.basename).toLowerCase();
const versionOf = (e: FileStat) => `${e.size}|${e.mtime?.unixNano ?? ''}`;

export const ntfsVssAccessor: Accessor = {
  name: 'ntfs_vss',
  doc: 'As ntfs, and a listing also gives the files of each Volume Shadow Copy that differ from the current ones (at \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopyN paths); VSS_MAX_AGE_DAYS limits the copies by age',
  path: vssPath,
  open(filename, scope) {
    return accessorFor(scope, 'ntfs').open(filename, scope);
  },
  async stat(p, scope) {
    if (!scope) throw new Error('ntfs_vss accessor: needs the query\'s scope');
    const ntfs = accessorFor(scope, 'ntfs');
    return ntfs.stat!(p, scope);
  },
  async lstat(p, scope) {
    if (!scope) throw new Error('ntfs_vss accessor: needs the query\'s scope');
    const ntfs = accessorFor(scope, 'ntfs');
    return (ntfs.lstat ?? ntfs.stat)!.call(ntfs, p, scope);
  },
  async readDir(dir, scope) {
    if (!scope) throw new Error('ntfs_vss accessor: needs the query\'s scope');
    const ntfs = accessorFor(scope, 'ntfs');
    let base: FileStat[] = [];
    let missing: unknown = null;
    try {
      base = await ntfs.readDir!(dir, scope);
    } catch (e) {
      missing = e; // the folder may exist in a shadow copy only
    }
    if (shadowDeviceOf(dir.components) !== null) {
      if (missing) throw missing;
      return base;
    }
    const copies = await copiesOf(dir, scope);
    if (!copies.length) {
      if (missing) throw missing;
      return base;
    }
    const seen = new Map<string, Set<string>>();
    for (const e of base) seen.set(keyOf(e), new Set([e.isDir ? 'dir' : versionOf(e)]));
    const out = [...base];
    let found = missing === null;
    for (const c of copies) {
      let list: FileStat[];
      try {
        list = await c.accessor.readDir!(c.dir, c.scope);
      } catch {
        continue; // not in this copy
      }
      found = true;
      for (const e of list) {
        const k = keyOf(e);
        const versions = seen.get(k) ?? new Set<string>();
        const v = e.isDir ? 'dir' : versionOf(e);
        if (versions.has(v)) continue;
        versions.add(v);
        seen.set(k, versions);
        out.push(e);
      }
    }
    if (!found) throw missing;
    return out;
  },
};

export function registerVssAccessors(registry: Registry): void {
  registerAccessor(registry, vssAccessor);
  registerAccessor(registry, ntfsVssAccessor);
}
