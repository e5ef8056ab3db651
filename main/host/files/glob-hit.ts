/**
 * A glob() row: Velociraptor's GlobHit. `SELECT *` shows its columns in Velociraptor's order:
 * Name, OSPath, Mtime, Atime, Ctime, Btime, Size, Mode, IsDir, IsLink, Data, Globs. Hidden
 * members stay reachable by name: FullPath (deprecated upstream), ModTime (= Mtime), GetLink
 * (the link target as a path), and Sys (the OS stat record, stat-sys.ts), which Velociraptor
 * hides on glob rows and we fill so that artifacts reading Sys.Uid / Sys.Gid get values.
 *
 * Members are computed when read: a glob over a large tree makes one row per entry, and most
 * queries read a few columns of it.
 */
import { ABSENT, GET_MEMBER, MEMBERS, type Absent, type HostObject, type Value } from '../../vql/index.ts';
import type { FileStat } from './fileinfo.ts';
import { OSPath } from './ospath.ts';

export const GLOB_COLUMNS: readonly string[] = ['Name', 'OSPath', 'Mtime', 'Atime', 'Ctime', 'Btime', 'Size', 'Mode', 'IsDir', 'IsLink', 'Data', 'Globs'];

export class GlobHit implements HostObject {
  /** `globs` may be shared between rows: never changed. */
  constructor(readonly stat: FileStat, readonly globs: readonly string[]) {}

  [MEMBERS](): readonly string[] {
    return GLOB_COLUMNS;
  }

  [GET_MEMBER](name: string): Value | Absent {
    const st = this.stat;
    switch (name) {
      case 'Name': return st.name ?? st.path.basename;
      case 'OSPath': return st.path;
      case 'Mtime': case 'ModTime': return st.mtime;
      case 'Atime': return st.atime;
      case 'Ctime': return st.ctime;
      case 'Btime': return st.btime;
      case 'Size': return st.size;
      case 'Mode': return st.mode;
      case 'IsDir': return st.isDir;
      case 'IsLink': return st.isLink;
      case 'Data': return st.data;
      case 'Globs': return this.globs.slice();
      case 'FullPath': return st.fullPath;
      case 'Sys': return st.sys ?? null;
      case 'GetLink': {
        const link = st.isLink ? st.data.get('Link') : ABSENT;
        return typeof link === 'string' && link !== '' ? OSPath.parse(link, st.path.type) : null;
      }
      default: return ABSENT;
    }
  }
}
