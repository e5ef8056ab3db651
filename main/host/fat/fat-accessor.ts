/**
 * The `fat` accessor: the files of a FAT12/FAT16/FAT32 volume (a USB stick image, an EFI
 * system partition), read in place through any delegate accessor, addressed by a pathspec whose
 * delegate names the volume (Velociraptor's `fat` accessor, as Windows.Forensics.UEFI globs it):
 *
 *     glob(globs='/**', accessor='fat', root=pathspec(DelegateAccessor='file', DelegatePath='/case/esp.img'))
 *
 * Names match whatever their case (long or 8.3). File information: Size, Mode (folders and
 * files; read-only files without w bits), Mtime (written), Atime (accessed: a date), Btime
 * (created, to 10 ms), Ctime = Mtime, all the volume's local time read as UTC; Data
 * {first_cluster, attr: ["ARCHIVE", "HIDDEN"...], deleted: false, short_name: "BOOTX64.EFI"}.
 * A volume is opened once per query (four kept, checked against the image's size and time);
 * damage is one error in the query's log naming the image and the file.
 */
import { constants } from 'node:fs';
import { VDict, VTime, type Registry, type Scope, type Value } from '../../vql/index.ts';
import { NotDir, NotFound, registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText, toOSPath } from '../files/ospath.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';
import { IdleReader } from '../files/idle-reader.ts';
import { logOnce } from '../files/log.ts';
import { FAT_ATTR, FatError, FatVolume, attributeNames, type FatEntry } from './fat.ts';

const CACHE = Symbol('fat-volume-cache');
const NAME = 'fat';
const DIR_MODE = FileMode.fromPosix(constants.S_IFDIR | 0o755);
const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o644);
const READONLY_MODE = FileMode.fromPosix(constants.S_IFREG | 0o444);

interface Loaded {
  readonly volume: FatVolume;
  /** Identifies the volume in directory identities (glob's loop check). */
  readonly id: string;
}

let nextId = 0;

function fatPath(filename: unknown): OSPath {
  return filename instanceof OSPath ? filename : toOSPath(filename as Value, 'pathspec');
}

/** The volume `p`'s delegate names, opened once per query; a failure is logged once. */
function load(p: OSPath, scope: Scope): Promise<Loaded> {
  let d: ReturnType<typeof delegateOf>;
  try {
    d = delegateOf(p, scope, NAME, 'names no FAT volume: give a pathspec, e.g. pathspec(DelegatePath="/case/esp.img", Path="/EFI")');
  } catch (e) {
    logOnce(scope, 'error', (e as Error).message); // glob would otherwise say nothing
    throw e;
  }
  return keptContainer(scope, CACHE, p, d, async (): Promise<Loaded> => {
    const label = pathText(d.target as Value);
    try {
      const first = await d.accessor.open(d.target, scope);
      const reader = new IdleReader(() => d.accessor.open(d.target, scope), first.size, first);
      const volume = await FatVolume.open(reader, label);
      const cut = volume.truncatedTo;
      if (cut !== null) {
        logOnce(scope, 'warn', `${NAME} accessor: ${label} is truncated: it holds ${cut} of the ${volume.boot.volumeBytes} bytes its boot sector gives; files past its end cannot be read`);
      }
      return { volume, id: `fat${++nextId}` };
    } catch (e) {
      const msg = e instanceof FatError ? `${NAME} accessor: ${e.message}` : `${NAME} accessor: cannot open FAT volume ${label}: ${(e as Error).message}`;
      logOnce(scope, 'error', msg);
      throw new Error(msg);
    }
  }, { size: 4, recheckMs: 1000, keepFailures: true });
}

/** `e` as the accessor's error: damage (a FatError) is logged once, as an error naming the accessor. */
function damage(scope: Scope, e: unknown): unknown {
  if (!(e instanceof FatError)) return e;
  const msg = `${NAME} accessor: ${e.message}`;
  logOnce(scope, 'error', msg);
  return new Error(msg);
}

/** Runs `fn` on the volume of `p`; damage is logged once and thrown as the accessor's error. */
async function within<T>(p: OSPath, scope: Scope | undefined, fn: (v: Loaded) => Promise<T>): Promise<T> {
  if (!scope) throw new Error(`${NAME} accessor: needs the query's scope`);
  const v = await load(p, scope);
  try {
    return await fn(v);
  } catch (e) {
    throw damage(scope, e);
  }
}

const time = (ms: number | null) => (ms === null ? null : VTime.fromMillis(ms));

function statOf(path: OSPath, e: FatEntry, volumeId: string): FileStat {
  const data = new VDict();
  if (!e.isRoot) {
    data.set('first_cluster', e.firstCluster);
    data.set('attr', attributeNames(e.attributes));
    data.set('deleted', false);
    data.set('short_name', e.shortName);
  }
  const mtime = time(e.modified);
  return {
    path,
    name: path.basename ?? '', // as asked: a stat in another case keeps the caller's name
    fullPath: path.toString(),
    size: e.size,
    mode: e.isDir ? DIR_MODE : e.attributes & FAT_ATTR.READONLY ? READONLY_MODE : FILE_MODE,
    isDir: e.isDir,
    isLink: false,
    mtime,
    atime: time(e.accessed),
    ctime: mtime,
    btime: time(e.created),
    data,
    identity: e.isDir ? `${volumeId}:${e.isRoot ? 'root' : e.firstCluster}` : undefined,
  };
}

/** The path inside the volume, as its components. */
function components(p: OSPath): string[] {
  return p.components.filter((c) => c !== '' && c !== '.');
}

async function lookup(p: OSPath, v: Loaded): Promise<FatEntry> {
  const e = await v.volume.find(components(p));
  if (!e) throw new NotFound(`${NAME} accessor: ${p.path || '/'} is not in ${v.volume.label}`);
  return e;
}

export const fatAccessor: Accessor = {
  name: NAME,
  doc: 'Files of a FAT12/16/32 volume image (a pathspec: DelegateAccessor/DelegatePath name the volume, Path the file)',
  path: fatPath,
  async open(filename, scope): Promise<FileReader> {
    const p = fatPath(filename);
    return within(p, scope, async (v) => {
      const e = await lookup(p, v);
      if (e.isDir) throw new Error(`${NAME} accessor: ${p.path || '/'} is a directory (in ${v.volume.label})`);
      const r = await v.volume.fileReader(e, '/' + components(p).join('/'));
      // Damage met while reading (a cut image) is said as at open: once, naming the image and the file.
      return { ...r, read: (o, n) => r.read(o, n).catch((err: unknown) => Promise.reject(damage(scope, err))) };
    });
  },
  lstat(p, scope) {
    return within(p, scope, async (v) => statOf(p, await lookup(p, v), v.id));
  },
  stat(p, scope) {
    return within(p, scope, async (v) => statOf(p, await lookup(p, v), v.id));
  },
  readDir(dir, scope) {
    return within(dir, scope, async (v) => {
      const e = await lookup(dir, v);
      if (!e.isDir) throw new NotDir(`${NAME} accessor: ${dir.path} is not a directory (in ${v.volume.label})`);
      const entries = await v.volume.list(e, '/' + components(dir).join('/'));
      return entries
        .map((c) => statOf(dir.append([c.name]), c, v.id))
        .sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
    });
  },
};

export function registerFatAccessor(registry: Registry): void {
  registerAccessor(registry, fatAccessor);
}
