/**
 * `Sys`: the raw stat record of a file, as Go's `os.FileInfo.Sys()` gives it on this OS
 * (`syscall.Stat_t`), with Go's field names: on Linux `Dev`, `Ino`, `Nlink`, `Mode` (the raw
 * st_mode, file type bits included), `Uid`, `Gid`, `X__pad0`, `Rdev`, `Size`, `Blksize`,
 * `Blocks`, `Atim`/`Mtim`/`Ctim` (`{Sec, Nsec}`), `X__unused`; on macOS Darwin's names
 * (`Atimespec`, `Birthtimespec`, `Flags`, `Gen`...).
 *
 * Artifacts read `Sys.Uid`, `Sys.Gid`, `Sys.Ino` from glob rows (Linux.Sys.SUID's owner
 * columns). Current Velociraptor leaves them NULL there (its GlobHit hides `Sys`); we fill them
 * deliberately. Windows has no such record here (node does not expose the file attributes):
 * `Sys` is NULL there.
 */
import { ABSENT, GET_MEMBER, MEMBERS, VDict, normInt, type Absent, type HostObject, type Value } from '../../vql/index.ts';

/** What NodeStat and StatSys read from a stat (node's BigIntStats has it all). */
export interface StatRecord {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: bigint;
  readonly nlink: bigint;
  readonly uid: bigint;
  readonly gid: bigint;
  readonly rdev: bigint;
  readonly size: bigint;
  readonly blksize: bigint;
  readonly blocks: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly birthtimeNs: bigint;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

const LINUX_FIELDS = [
  'Dev', 'Ino', 'Nlink', 'Mode', 'Uid', 'Gid', 'X__pad0', 'Rdev', 'Size', 'Blksize', 'Blocks',
  'Atim', 'Mtim', 'Ctim', 'X__unused',
] as const;

const DARWIN_FIELDS = [
  'Dev', 'Mode', 'Nlink', 'Ino', 'Uid', 'Gid', 'Rdev', 'Pad_cgo_0', 'Atimespec', 'Mtimespec',
  'Ctimespec', 'Birthtimespec', 'Size', 'Blocks', 'Blksize', 'Flags', 'Gen', 'Lspare', 'Qspare',
] as const;

const NS = 1_000_000_000n;
const DARWIN = process.platform === 'darwin';

/** Go's syscall.Timespec from nanoseconds since the epoch. */
function timespec(ns: bigint): VDict {
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS;
  }
  return new VDict([['Sec', normInt(sec)], ['Nsec', Number(nsec)]]);
}

/** The stat record of one file (members resolved when read). */
export class StatSys implements HostObject {
  constructor(private readonly st: StatRecord, private readonly darwin = DARWIN) {}

  /** The record for this OS, or null where there is none (Windows). */
  static of(st: StatRecord): StatSys | null {
    return process.platform === 'win32' ? null : new StatSys(st);
  }

  [MEMBERS](): readonly string[] {
    return this.darwin ? DARWIN_FIELDS : LINUX_FIELDS;
  }

  [GET_MEMBER](name: string): Value | Absent {
    const st = this.st;
    switch (name) {
      case 'Dev': return normInt(st.dev);
      case 'Ino': return normInt(st.ino);
      case 'Nlink': return normInt(st.nlink);
      case 'Mode': return normInt(st.mode);
      case 'Uid': return normInt(st.uid);
      case 'Gid': return normInt(st.gid);
      case 'Rdev': return normInt(st.rdev);
      case 'Size': return normInt(st.size);
      case 'Blksize': return normInt(st.blksize);
      case 'Blocks': return normInt(st.blocks);
    }
    if (this.darwin) {
      switch (name) {
        case 'Atimespec': return timespec(st.atimeNs);
        case 'Mtimespec': return timespec(st.mtimeNs);
        case 'Ctimespec': return timespec(st.ctimeNs);
        case 'Birthtimespec': return timespec(st.birthtimeNs);
        case 'Pad_cgo_0': return [0, 0, 0, 0];
        case 'Flags': case 'Gen': case 'Lspare': return 0;
        case 'Qspare': return [0, 0];
        default: return ABSENT;
      }
    }
    switch (name) {
      case 'Atim': return timespec(st.atimeNs);
      case 'Mtim': return timespec(st.mtimeNs);
      case 'Ctim': return timespec(st.ctimeNs);
      case 'X__pad0': return 0;
      case 'X__unused': return [0, 0, 0];
      default: return ABSENT;
    }
  }
}
