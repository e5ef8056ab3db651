/**
 * File information rows (glob, stat): Velociraptor's FileInfo columns, and Go's FileMode with
 * its `-rw-r--r--` text.
 */
import { constants, readlinkSync, type BigIntStats } from 'node:fs';
import { ABSENT, GET_MEMBER, MEMBERS, VDict, VTime, type Absent, type HostObject, type Value } from '../../vql/index.ts';
import { normInt } from '../../vql/values/types.ts';
import type { OSPath } from './ospath.ts';
import { StatSys, type StatRecord } from './stat-sys.ts';

// Go's os.FileMode type bits.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHARDEV = 2 ** 21;
const MODE_STICKY = 2 ** 20;
const MODE_IRREGULAR = 2 ** 19;

/** FileModes by st_mode (FileMode.fromPosix). */
const MODES = new Map<number, FileMode>();

/** Go FileMode.String() letters in bit order, as [bit, letter]. */
const TYPE_LETTERS: ReadonlyArray<[number, string]> = [
  [MODE_DIR, 'd'], [MODE_SYMLINK, 'L'], [MODE_DEVICE, 'D'], [MODE_PIPE, 'p'], [MODE_SOCKET, 'S'],
  [MODE_SETUID, 'u'], [MODE_SETGID, 'g'], [MODE_CHARDEV, 'c'], [MODE_STICKY, 't'], [MODE_IRREGULAR, '?'],
];

/** A Go os.FileMode: serializes as its text (`drwxr-xr-x`); members String, IsDir, IsRegular, Perm. */
export class FileMode implements HostObject {
  private text: string | undefined;
  constructor(readonly bits: number) {}

  /**
   * Converts a POSIX st_mode to Go's FileMode. A FileMode never changes, so one object per
   * distinct mode serves every file that has it (a glob makes one per entry otherwise).
   */
  static fromPosix(mode: number): FileMode {
    let m = MODES.get(mode);
    if (!m) {
      m = FileMode.convert(mode);
      if (MODES.size < 4096) MODES.set(mode, m);
    }
    return m;
  }

  private static convert(mode: number): FileMode {
    let m = mode & 0o777;
    switch (mode & constants.S_IFMT) {
      case constants.S_IFDIR: m += MODE_DIR; break;
      case constants.S_IFLNK: m += MODE_SYMLINK; break;
      case constants.S_IFBLK: m += MODE_DEVICE; break;
      case constants.S_IFCHR: m += MODE_DEVICE + MODE_CHARDEV; break;
      case constants.S_IFIFO: m += MODE_PIPE; break;
      case constants.S_IFSOCK: m += MODE_SOCKET; break;
      default: break;
    }
    if (mode & 0o4000) m += MODE_SETUID;
    if (mode & 0o2000) m += MODE_SETGID;
    if (mode & 0o1000) m += MODE_STICKY;
    return new FileMode(m);
  }

  toString(): string {
    return (this.text ??= this.format());
  }

  private format(): string {
    let out = '';
    for (const [bit, letter] of TYPE_LETTERS) if (Math.floor(this.bits / bit) % 2 === 1) out += letter;
    if (out === '') out = '-';
    const rwx = 'rwxrwxrwx';
    for (let i = 0; i < 9; i++) out += this.bits & (1 << (8 - i)) ? rwx[i] : '-';
    return out;
  }
  toJSON(): string {
    return this.toString();
  }
  get isDir(): boolean {
    return this.bits >= MODE_DIR;
  }

  [MEMBERS](): readonly string[] {
    return ['String', 'IsDir', 'IsRegular', 'Perm'];
  }
  [GET_MEMBER](name: string): Value | Absent {
    switch (name) {
      case 'String': return this.toString();
      case 'IsDir': return this.isDir;
      case 'IsRegular': return this.bits < MODE_IRREGULAR;
      case 'Perm': return this.bits & 0o777;
      default: return ABSENT;
    }
  }
}

/** What an accessor knows about a file. */
export interface FileStat {
  readonly path: OSPath;
  /** The base name, when the accessor has it without making `path` (a directory listing). */
  readonly name?: string;
  /** The path as the host prints it (Velociraptor's FullPath). */
  readonly fullPath: string;
  readonly size: number | bigint;
  readonly mode: FileMode;
  readonly isDir: boolean;
  readonly isLink: boolean;
  readonly mtime: VTime | null;
  readonly atime: VTime | null;
  readonly ctime: VTime | null;
  readonly btime: VTime | null;
  /** Accessor-specific details (Link target, device numbers). */
  readonly data: VDict;
  /** A stable identity of a directory (device and inode), to detect symlink loops. */
  readonly identity?: string;
  readonly device?: bigint;
  /** The OS stat record (Go's `Sys()`: stat-sys.ts), where the accessor has one. */
  readonly sys?: Value;
}

function nsTime(ns: bigint): VTime | null {
  return ns > 0n ? new VTime(ns) : null;
}

/** Linux's major/minor split of a device number. */
function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}
function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

/**
 * A FileStat over node's bigint lstat/stat result. Everything but the path is computed when
 * first read: a glob over a large tree makes one of these per entry, and most queries read
 * two or three of its fields. `linkTarget` undefined means "read it when Data is asked for"
 * (a symlink's Link); `fsType` is Data.FSType (directory listings only, as Velociraptor).
 */
export class NodeStat implements FileStat {
  private cachedMode: FileMode | undefined;
  private cachedData: VDict | undefined;
  private cachedPath: OSPath | undefined;

  /**
   * `at` is the file's path; or, with `name`, the folder it is listed in (the path is then
   * made when first asked for: a listing of many entries often never needs them).
   */
  constructor(
    private readonly at: OSPath,
    readonly fullPath: string,
    private readonly st: StatRecord,
    private readonly linkTarget?: string,
    private readonly fsType?: string,
    readonly name?: string,
  ) {
    if (name === undefined) this.cachedPath = at;
  }

  get path(): OSPath {
    return (this.cachedPath ??= this.at.append([this.name!]));
  }

  get size(): number | bigint {
    return normInt(this.st.size);
  }
  get mode(): FileMode {
    return (this.cachedMode ??= FileMode.fromPosix(Number(this.st.mode)));
  }
  get isDir(): boolean {
    return this.st.isDirectory();
  }
  get isLink(): boolean {
    return this.st.isSymbolicLink();
  }
  get mtime(): VTime | null {
    return nsTime(this.st.mtimeNs);
  }
  get atime(): VTime | null {
    return nsTime(this.st.atimeNs);
  }
  get ctime(): VTime | null {
    return nsTime(this.st.ctimeNs);
  }
  get btime(): VTime | null {
    return nsTime(this.st.birthtimeNs);
  }
  get identity(): string {
    return `${this.st.dev}:${this.st.ino}`;
  }
  get device(): bigint {
    return this.st.dev;
  }
  get sys(): Value {
    return StatSys.of(this.st);
  }
  get data(): VDict {
    if (this.cachedData) return this.cachedData;
    const data = new VDict();
    if (process.platform !== 'win32') {
      data.set('DevMajor', devMajor(this.st.dev));
      data.set('DevMinor', devMinor(this.st.dev));
    }
    if (this.fsType !== undefined) data.set('FSType', this.fsType);
    if (this.st.isSymbolicLink()) {
      let link = this.linkTarget;
      if (link === undefined) {
        try {
          link = readlinkSync(this.fullPath);
        } catch {
          link = '';
        }
      }
      data.set('Link', link);
    }
    return (this.cachedData = data);
  }
}

/** A FileStat from node's bigint lstat/stat result. */
export function statFromNode(path: OSPath, fullPath: string, st: BigIntStats, linkTarget?: string): FileStat {
  return new NodeStat(path, fullPath, st, linkTarget);
}

/** The FileInfo row of stat() (glob rows are GlobHit objects: glob-hit.ts). */
export function fileInfoRow(st: FileStat): VDict {
  return new VDict([
    ['FullPath', st.fullPath],
    ['Name', st.path.basename],
    ['Size', st.size],
    ['Mode', st.mode],
    ['ModTime', st.mtime],
    ['Mtime', st.mtime],
    ['Atime', st.atime],
    ['Ctime', st.ctime],
    ['Btime', st.btime],
    ['IsDir', st.isDir],
    ['IsLink', st.isLink],
    ['OSPath', st.path],
    ['Data', st.data],
  ]);
}
