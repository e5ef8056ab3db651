/**
 * The `raw_ntfs` and `ntfs` accessors: the files of an NTFS volume image read with no OS
 * support (go-ntfs's view). The path is a pathspec whose delegate names the image and whose
 * Path is the path inside the volume:
 *
 *     pathspec(DelegateAccessor="file", DelegatePath="/case/c.dd", Path="/Windows/System32")
 *
 * Metafiles ($MFT, $Boot, $Extend...) are listed in the root; `file:stream` opens a named
 * $DATA stream and a listing shows each one as its own entry. On Windows Velociraptor's `ntfs`
 * reads `\\.\C:`; here a bare device cannot be opened (a remapping can mount one), and a
 * pathspec with a delegate works as for raw_ntfs.
 */
import { constants } from 'node:fs';
import { VDict, type Registry, type Scope } from '../../vql/index.ts';
import { NotDir, NotFound, registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import type { OSPath } from '../files/ospath.ts';
import { NtfsError } from './errors.ts';
import { ATTR_DATA } from './attributes.ts';
import { attributePieces, bestName, streamNames } from './file-entry.ts';
import { ROOT_ENTRY } from './volume.ts';
import { NtfsStat } from './ntfs-stat.ts';
import { loadVolume, ntfsPath, volumeName, type LoadedVolume } from './open-volume.ts';
import { logOnce } from '../files/log.ts';

/** The volume of `p`, and a function turning NtfsErrors into messages naming the accessor (logged once). */
async function within<T>(self: string, p: OSPath, scope: Scope | undefined, fn: (v: LoadedVolume, warn: (m: string) => void) => Promise<T>): Promise<T> {
  if (!scope) throw new Error(`${self} accessor: needs the query's scope`);
  const v = await loadVolume(p, scope, self);
  const warn = (m: string) => logOnce(scope, 'warn', `${self} accessor: ${m.replace(/^ntfs: /, '')}`);
  try {
    return await fn(v, warn);
  } catch (e) {
    if (!(e instanceof NtfsError)) throw e;
    const msg = `${self} accessor: ${e.message.replace(/^ntfs: /, '')}`;
    logOnce(scope, 'warn', msg);
    throw new Error(msg);
  }
}

/** The file or stream at `p` (ADS: the last component `name:stream`), or a NotFound. */
export async function lookupStat(self: string, p: OSPath, v: LoadedVolume, warn: (m: string) => void): Promise<NtfsStat> {
  const vol = v.volume;
  let entry = ROOT_ENTRY;
  let fn;
  const comps = p.components;
  let stream = '';
  for (let i = 0; i < comps.length; i++) {
    const c = comps[i]!;
    let hit = await vol.child(entry, c, warn);
    if (!hit && i === comps.length - 1 && c.includes(':')) {
      const at = c.indexOf(':');
      hit = await vol.child(entry, c.slice(0, at), warn);
      stream = c.slice(at + 1);
    }
    if (!hit) throw new NotFound(`${self} accessor: ${p.path || '/'} is not in NTFS volume ${volumeName(p)}`);
    if (i < comps.length - 1 && !(await vol.fileEntry(hit.entry)).isDir) throw new NotDir(`${self} accessor: ${comps.slice(0, i + 1).join('/')} is not a directory (in ${volumeName(p)})`);
    entry = hit.entry;
    fn = hit.fn;
  }
  const f = await vol.fileEntry(entry);
  if (stream && !streamNames(f).some((s) => s.toLowerCase() === stream.toLowerCase())) {
    throw new NotFound(`${self} accessor: ${p.path} has no stream ${stream} (in ${volumeName(p)})`);
  }
  stream = streamNames(f).find((s) => s === stream) ?? streamNames(f).find((s) => s.toLowerCase() === stream.toLowerCase()) ?? '';
  return new NtfsStat(p, f, stream, fn ?? bestName(f), v.id);
}

/** The entries of the directory at `dir`: each name, then each named stream as `name:stream`. */
async function listing(self: string, dir: OSPath, v: LoadedVolume, warn: (m: string) => void): Promise<FileStat[]> {
  const st = await lookupStat(self, dir, v, warn);
  if (!st.isDir) throw new NotDir(`${self} accessor: ${dir.path} is not a directory (in ${volumeName(dir)})`);
  const out: NtfsStat[] = [];
  for (const e of await v.volume.listDir(st.f.entry, warn)) {
    try {
      const f = await v.volume.fileEntry(e.entry);
      out.push(new NtfsStat(dir.append([e.fn.name]), f, '', e.fn, v.id));
      for (const s of streamNames(f)) if (s) out.push(new NtfsStat(dir.append([`${e.fn.name}:${s}`]), f, s, e.fn, v.id));
    } catch (err) {
      if (!(err instanceof NtfsError)) throw err;
      warn(`${err.message} (listed as ${e.fn.name} in ${dir.path || '/'}: left out)`);
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The `ntfs` accessor's root with no image: where Velociraptor on Windows lists this machine's devices. */
function isDeviceRoot(p: OSPath): boolean {
  return !p.delegate && p.components.length === 0;
}

/** The device root as a folder (it lists nothing here). */
function deviceRootStat(p: OSPath): FileStat {
  return {
    path: p, name: '', fullPath: '', size: 0, mode: FileMode.fromPosix(constants.S_IFDIR | 0o755), isDir: true, isLink: false,
    mtime: null, atime: null, ctime: null, btime: null, data: new VDict(),
  };
}

export function makeNtfsAccessor(name: string, doc: string): Accessor {
  const devices = name === 'ntfs';
  const stat = (p: OSPath, scope?: Scope) =>
    devices && isDeviceRoot(p) ? Promise.resolve(deviceRootStat(p)) : within(name, p, scope, (v, warn) => lookupStat(name, p, v, warn));
  return {
    name,
    doc,
    path: ntfsPath,
    async open(filename, scope): Promise<FileReader> {
      const p = ntfsPath(filename);
      return within(name, p, scope, async (v, warn) => {
        const st = await lookupStat(name, p, v, warn);
        if (st.isDir) throw new Error(`${name} accessor: ${p.path || '/'} is a directory (in ${volumeName(p)})`);
        const pieces = attributePieces(st.f, ATTR_DATA, st.stream);
        if (!pieces.length) throw new NotFound(`${name} accessor: ${p.path} has no data stream (in ${volumeName(p)})`);
        return v.volume.reader(pieces, `MFT entry ${st.f.entry}, $DATA${st.stream ? ':' + st.stream : ''}`);
      });
    },
    lstat: stat,
    stat,
    readDir(dir, scope) {
      // No devices of this machine are read (no raw disk access): a glob over `C:\...` (as
      // Windows.NTFS.ADSHunter's default) finds nothing, rather than failing.
      if (devices && isDeviceRoot(dir)) {
        if (scope) logOnce(scope, 'debug', `${name} accessor: this machine's NTFS devices are not listed here: give a disk image (--evidence, or a pathspec with DelegatePath=)`);
        return Promise.resolve([]);
      }
      return within(name, dir, scope, (v, warn) => listing(name, dir, v, warn));
    },
  };
}

export const rawNtfsAccessor = makeNtfsAccessor('raw_ntfs',
  'Files of an NTFS volume image, read with no OS support (a pathspec: DelegatePath names the image, Path the path inside the volume)');
export const ntfsAccessor = makeNtfsAccessor('ntfs',
  'NTFS volumes: as raw_ntfs for a pathspec with a delegate; a device (\\\\.\\C:) only when a remapping mounts an image on it');

export function registerNtfsAccessors(registry: Registry): void {
  registerAccessor(registry, rawNtfsAccessor);
  registerAccessor(registry, ntfsAccessor);
}
