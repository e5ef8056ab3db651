/**
 * The `mscfb` accessor: the storages and streams of an OLE2 compound file as a filesystem,
 * addressed by a pathspec whose delegate names the file (Velociraptor's accessors/mscfb):
 *
 *     glob(globs='*', accessor='mscfb', root=pathspec(DelegatePath='C:/x.automaticDestinations-ms'))
 *
 * Storages are directories, streams files; names match whatever their case. File
 * information: Size (a stream's), Mtime and Btime the entry's modified and created times
 * (null when not set, as for most streams), Data {CLSID} for storages that have one. The
 * directory is read once per query and file (kept while the file's size and time do not
 * change); each open reads the stream's sectors through the delegate, never the whole file.
 */
import { constants } from 'node:fs';
import { VDict, type Registry, type Scope } from '../../vql/index.ts';
import { NotFound, registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';
import { filetime } from '../registry/raw-reg-accessor.ts';
import { CfbFile, EntryType, type CfbEntry } from './cfb.ts';

const CACHE = Symbol('mscfb-accessor-cache');
const NAME = 'mscfb';
const DIR_MODE = FileMode.fromPosix(constants.S_IFDIR | 0o755);
const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o644);

function cfbPath(filename: unknown): OSPath {
  if (filename instanceof OSPath) return filename;
  return OSPath.parse(pathText(filename as never), 'pathspec');
}

function delegate(p: OSPath, scope: Scope) {
  return delegateOf(p, scope, NAME, 'names no compound file: give a pathspec, e.g. pathspec(DelegatePath="/x.doc", Path="/WordDocument")');
}

function load(p: OSPath, scope: Scope): Promise<CfbFile> {
  const d = delegate(p, scope);
  return keptContainer(scope, CACHE, p, d, async () => {
    const r = await d.accessor.open(d.target, scope);
    try {
      return await CfbFile.open(r, pathText(d.target as never));
    } finally {
      await r.close();
    }
  }, { size: 5 });
}

function statOf(path: OSPath, e: CfbEntry): FileStat {
  const isDir = e.type !== EntryType.Stream;
  const data = new VDict();
  if (e.clsid) data.set('CLSID', e.clsid);
  return {
    path,
    fullPath: path.toString(),
    size: isDir ? 0 : e.size,
    mode: isDir ? DIR_MODE : FILE_MODE,
    isDir,
    isLink: false,
    mtime: filetime(e.modified),
    atime: filetime(e.modified),
    ctime: filetime(e.modified),
    btime: filetime(e.created),
    data,
  };
}

async function lookup(p: OSPath, scope: Scope | undefined): Promise<{ cfb: CfbFile; entry: CfbEntry }> {
  if (!scope) throw new Error(`${NAME} accessor: needs the query's scope`);
  const cfb = await load(p, scope);
  const entry = cfb.find(p.components.filter((c) => c !== '' && c !== '.'));
  if (!entry) throw new NotFound(`${NAME} accessor: ${p.path || '/'} is not in ${cfb.label}`);
  return { cfb, entry };
}

export const mscfbAccessor: Accessor = {
  name: NAME,
  doc: 'Streams and storages of an OLE2 compound file (a pathspec: DelegateAccessor/DelegatePath name the file, Path the stream)',
  path: cfbPath,
  async open(filename, scope): Promise<FileReader> {
    const p = cfbPath(filename);
    const { cfb, entry } = await lookup(p, scope);
    if (entry.type !== EntryType.Stream) throw new Error(`${NAME} accessor: ${p.path || '/'} is a storage, not a stream`);
    const d = delegate(p, scope);
    const file = await d.accessor.open(d.target, scope);
    const stream = cfb.stream(entry, file);
    return { size: stream.size, read: (o, n) => stream.read(o, n), close: () => file.close() };
  },
  async lstat(p, scope) {
    const { entry } = await lookup(p, scope);
    return statOf(p, entry);
  },
  async stat(p, scope) {
    const { entry } = await lookup(p, scope);
    return statOf(p, entry);
  },
  async readDir(dir, scope) {
    const { entry } = await lookup(dir, scope);
    return [...entry.children]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((c) => statOf(dir.append([c.name]), c));
  },
};

export function registerMscfb(registry: Registry): void {
  registerAccessor(registry, mscfbAccessor);
}
