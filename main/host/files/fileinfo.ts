/**
 * File information rows (glob, stat): Velociraptor's FileInfo columns, and Go's FileMode with
 * its `-rw-r--r--` text.
 */
import { constants, type BigIntStats } from 'node:fs';
import { ABSENT, GET_MEMBER, MEMBERS, VDict, VTime, type Absent, type HostObject, type Value } from '../../vql/index.ts';
import { normInt } from '../../vql/values/types.ts';
import type { OSPath } from './ospath.ts';

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

/** Go FileMode.String() letters in bit order, as [bit, letter]. */
const TYPE_LETTERS: ReadonlyArray<[number, string]> = [
  [MODE_DIR, 'd'], [MODE_SYMLINK, 'L'], [MODE_DEVICE, 'D'], [MODE_PIPE, 'p'], [MODE_SOCKET, 'S'],
  [MODE_SETUID, 'u'], [MODE_SETGID, 'g'], [MODE_CHARDEV, 'c'], [MODE_STICKY, 't'], [MODE_IRREGULAR, '?'],
];

/** A Go os.FileMode: serializes as its text (`drwxr-xr-x`); members String, IsDir, IsRegular, Perm. */
export class FileMode implements HostObject {
  constructor(readonly bits: number) {}

  /** Converts a POSIX st_mode to Go's FileMode bits. */
  static fromPosix(mode: number): FileMode {
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

/** A FileStat from node's bigint lstat/stat result. */
export function statFromNode(path: OSPath, fullPath: string, st: BigIntStats, linkTarget?: string): FileStat {
  const mode = FileMode.fromPosix(Number(st.mode));
  const data = new VDict();
  if (process.platform !== 'win32') {
    data.set('DevMajor', devMajor(st.dev));
    data.set('DevMinor', devMinor(st.dev));
  }
  if (linkTarget !== undefined) data.set('Link', linkTarget);
  return {
    path,
    fullPath,
    size: normInt(st.size),
    mode,
    isDir: st.isDirectory(),
    isLink: st.isSymbolicLink(),
    mtime: nsTime(st.mtimeNs),
    atime: nsTime(st.atimeNs),
    ctime: nsTime(st.ctimeNs),
    btime: nsTime(st.birthtimeNs),
    data,
    identity: `${st.dev}:${st.ino}`,
    device: st.dev,
  };
}

/** The FileInfo row of glob() and stat(), in Velociraptor's column order. */
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
