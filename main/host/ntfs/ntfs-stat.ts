/**
 * A file or stream of an NTFS volume as file information (Velociraptor's NTFS FileInfo over
 * go-ntfs's FileInfo): Mtime/Atime/Ctime/Btime from $STANDARD_INFORMATION (modified,
 * accessed, MFT changed, created), Mode 0755 (d for a directory), Size the stream's size, and
 * Data {mft: "<entry>-<type>-<id>", name_type, fn_btime, fn_mtime}. An alternate data stream
 * is its own entry named `file:stream`.
 */
import { constants } from 'node:fs';
import { VDict, type VTime } from '../../vql/index.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import type { OSPath } from '../files/ospath.ts';
import { filetime } from '../registry/raw-reg-accessor.ts';
import type { FileNameAttr } from './filename-attr.ts';
import { dataSize, fileInode, type FileEntry } from './file-entry.ts';

const DIR_MODE = FileMode.fromPosix(constants.S_IFDIR | 0o755);
const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o755);

export class NtfsStat implements FileStat {
  readonly isLink = false;
  private cached: VDict | undefined;

  /**
   * `f` is the file, `stream` the $DATA stream ('' for the file itself), `fn` the name it is
   * listed under, `volumeId` the volume's identity.
   */
  constructor(
    readonly path: OSPath,
    readonly f: FileEntry,
    readonly stream: string,
    readonly fn: FileNameAttr | undefined,
    private readonly volumeId: string,
  ) {}

  get name(): string {
    return this.path.basename;
  }
  get fullPath(): string {
    return this.path.toString();
  }
  get isDir(): boolean {
    return this.f.isDir && this.stream === '';
  }
  get size(): number {
    return this.isDir ? 0 : dataSize(this.f, this.stream);
  }
  get mode(): FileMode {
    return this.isDir ? DIR_MODE : FILE_MODE;
  }
  get mtime(): VTime | null {
    return this.f.si ? filetime(this.f.si.modified) : null;
  }
  get atime(): VTime | null {
    return this.f.si ? filetime(this.f.si.accessed) : null;
  }
  get ctime(): VTime | null {
    return this.f.si ? filetime(this.f.si.mftModified) : null;
  }
  get btime(): VTime | null {
    return this.f.si ? filetime(this.f.si.created) : null;
  }
  /** The inode string of the stream (`46-128-0`). */
  get inode(): string {
    return fileInode(this.f, this.stream);
  }
  get identity(): string {
    return `${this.volumeId}:${this.f.entry}`;
  }
  get data(): VDict {
    if (this.cached) return this.cached;
    const d = new VDict([['mft', this.inode], ['name_type', this.fn?.nameType ?? '']]);
    if (this.fn && this.fn.created !== 0n) {
      d.set('fn_btime', filetime(this.fn.created));
      d.set('fn_mtime', filetime(this.fn.modified));
    }
    return (this.cached = d);
  }
}
