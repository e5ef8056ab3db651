/**
 * The `zip`, `zip_nocase` and `collector` accessors: members of a zip file as a filesystem, addressed by a
 * pathspec whose delegate names the zip (VQL-FUNCTIONS.md 10.4):
 *
 *     pathspec(DelegateAccessor="file", DelegatePath="/data/x.zip", Path="/dir/a.txt")
 *
 * The delegate may itself be a zip pathspec (a zip inside a zip). Member names are split as
 * generic paths (`/` and `\`), so a collection's escaped names (`C%3A`) are listed as stored;
 * folders are made up from the members' paths; names starting with `{` are skipped, and empty,
 * `.` and `..` components are dropped (nothing listed climbs out of the zip). `zip_nocase`
 * finds names whatever their case. File information: Size (uncompressed), Mode 0755, all four
 * times the member's time, Data {CompressedSize, Method: stored, zlib or unknown}.
 *
 * The central directory is read once per query and zip (a few are kept, checked against the
 * zip's size and time); members are read through zip-read.ts, with its limits.
 */
import { constants } from 'node:fs';
import { VDict, VTime, type Registry, type Scope } from '../../vql/index.ts';
import { NotFound, readFull, registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { openZipEntry, readZipDirectory, unreadable, type ZipEntry } from './zip-read.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';
import { unescapeComponent } from './zip-escape.ts';
import { expandSparse, parseSparseIndex } from './sparse-upload.ts';
import { rangedReader, sparseSize, type SparseRange } from '../files/ranged-reader.ts';

interface Node {
  readonly name: string;
  entry?: ZipEntry;
  children?: Map<string, Node>;
  /** Lower-cased names → children (zip_nocase). */
  lower?: Map<string, Node>;
  /** collector: the member's sparse ranges from its `.idx` (null: none), read once per loaded zip. */
  sparse?: Promise<SparseRange[] | null>;
}

interface LoadedZip {
  readonly root: Node;
}

/** Zips kept read per query (Velociraptor's ZIP_FILE_CACHE_SIZE default). */
const CACHE_SIZE = 5;
/** Zips inside zips at most. */
const MAX_NESTING = 8;
const CACHE = Symbol('zip-accessor-cache');
const COLLECTOR_CACHE = Symbol('collector-accessor-cache');

const METHODS: Record<number, string> = { 0: 'stored', 8: 'zlib' };
const DIR_MODE = FileMode.fromPosix(constants.S_IFDIR | 0o755);
const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o755);

function nesting(p: OSPath): number {
  let n = 0;
  for (let s: OSPath | undefined = p; s?.delegate; s = s.delegate.spec) n++;
  return n;
}

/** The delegate accessor and what it opens. */
function zipDelegate(p: OSPath, scope: Scope, self: string): { accessor: Accessor; target: OSPath | string } {
  const d = delegateOf(p, scope, self, 'names no zip: give a pathspec, e.g. pathspec(DelegateAccessor="file", DelegatePath="/x.zip", Path="/member")');
  if (nesting(p) > MAX_NESTING) throw new Error(`${self} accessor: zips nested more than ${MAX_NESTING} deep`);
  return d;
}

function buildTree(entries: readonly ZipEntry[], unescape: boolean): Node {
  const root: Node = { name: '', children: new Map(), lower: new Map() };
  for (const e of entries) {
    if (e.name.startsWith('{')) continue;
    if (e.name.endsWith('/') && e.size === 0) continue;
    // A collection's names are split on `/` only, each part unescaped (`%5C%5C.%5CC%3A` is `\\.\C:`).
    const parts = unescape ? e.name.split('/').map(unescapeComponent) : e.name.split(/[\\/]/);
    const comps = parts.filter((c) => c !== '' && c !== '.' && c !== '..');
    if (!comps.length) continue;
    let node = root;
    for (let i = 0; i < comps.length; i++) {
      const c = comps[i]!;
      node.children ??= new Map();
      node.lower ??= new Map();
      let child = node.children.get(c);
      if (!child) {
        child = { name: c };
        node.children.set(c, child);
        if (!node.lower.has(c.toLowerCase())) node.lower.set(c.toLowerCase(), child);
      }
      node = child;
    }
    node.entry ??= e;
  }
  return root;
}

/** The zip a path's delegate names, read once per query and kept while the file does not change. */
function loadZip(p: OSPath, scope: Scope, self: string, unescape: boolean): Promise<LoadedZip> {
  const d = zipDelegate(p, scope, self);
  const { accessor, target } = d;
  return keptContainer(scope, unescape ? COLLECTOR_CACHE : CACHE, p, d, async (): Promise<LoadedZip> => {
    const r = await accessor.open(target, scope);
    try {
      if (r.size === null) throw new Error(`${self} accessor: the size of ${pathText(target)} is unknown: a zip must be a file`);
      const dir = await readZipDirectory(r, r.size);
      if (dir.unsafe.length) {
        const first = dir.unsafe[0]!;
        scope.log('warn', `${self} accessor: ${pathText(target)}: ${dir.unsafe.length} entr${dir.unsafe.length === 1 ? 'y has a name' : 'ies have names'} that would escape a folder if extracted (e.g. '${first.name}' ${first.why}): listed without their '..' and leading parts`);
      }
      return { root: buildTree(dir.entries, unescape) };
    } finally {
      await r.close();
    }
  }, { size: CACHE_SIZE });
}

function find(root: Node, components: readonly string[], nocase: boolean): Node | undefined {
  let node: Node | undefined = root;
  for (const c of components) {
    if (c === '' || c === '.' || c === '..') continue;
    node = nocase ? node.children?.get(c) ?? node.lower?.get(c.toLowerCase()) : node.children?.get(c);
    if (!node) return undefined;
  }
  return node;
}

/** A member's (or made-up folder's) file information. */
function statOf(path: OSPath, node: Node): FileStat {
  const isDir = node.children !== undefined && node.children.size > 0 || !node.entry;
  const e = node.entry;
  const time = !isDir && e?.mtime ? VTime.fromMillis(e.mtime.getTime()) : null;
  const data = new VDict();
  if (!isDir && e) {
    data.set('CompressedSize', e.compressed);
    data.set('Method', METHODS[e.method] ?? 'unknown');
  }
  return {
    path,
    fullPath: path.toString(),
    size: isDir || !e ? 0 : e.size,
    mode: isDir ? DIR_MODE : FILE_MODE,
    isDir,
    isLink: false,
    mtime: time,
    atime: time,
    ctime: time,
    btime: time,
    data,
  };
}

function zipPath(filename: unknown): OSPath {
  if (filename instanceof OSPath) return filename;
  return OSPath.parse(pathText(filename as never), 'pathspec');
}

function makeZipAccessor(name: string, nocase: boolean, unescape = false, doc?: string): Accessor {
  const lookup = async (p: OSPath, scope: Scope | undefined): Promise<Node> => {
    if (!scope) throw new Error(`${name} accessor: needs the query's scope`);
    const zip = await loadZip(p, scope, name, unescape);
    const node = find(zip.root, p.components, nocase);
    if (!node) throw new NotFound(`${name} accessor: ${p.path || '/'} is not in ${pathText((p.delegate?.spec ?? p.delegate?.path ?? '') as never)}`);
    return node;
  };
  /** A collection member's sparse index (`<member>.idx`), when it has one; kept on the member. */
  const sparseIndex = (p: OSPath, member: Node, scope: Scope): Promise<SparseRange[] | null> => (member.sparse ??= readSparseIndex(p, scope));
  const readSparseIndex = async (p: OSPath, scope: Scope): Promise<SparseRange[] | null> => {
    if (!p.components.length) return null;
    const idx = p.dirname().append([`${p.basename}.idx`]);
    let node: Node;
    try {
      node = await lookup(idx, scope);
    } catch {
      return null;
    }
    if (!node.entry || node.entry.size > 64 << 20) return null;
    const { accessor, target } = zipDelegate(p, scope, name);
    const r = await openZipEntry(await accessor.open(target, scope), node.entry);
    try {
      return parseSparseIndex(Buffer.from(await readFull(r, 0, node.entry.size)).toString('utf8'));
    } finally {
      await r.close();
    }
  };
  /** File information; a sparse upload has the size of the file it was (when read expanded). */
  const statAs = async (p: OSPath, node: Node, scope: Scope | undefined): Promise<FileStat> => {
    const st = statOf(p, node);
    if (!unescape || st.isDir || !scope) return st;
    const ranges = await sparseIndex(p, node, scope);
    return ranges && expandSparse(ranges) ? { ...st, size: sparseSize(ranges) } : st;
  };
  return {
    name,
    doc: doc ?? (nocase
      ? 'Members of a zip, names matched whatever their case (a pathspec: DelegateAccessor/DelegatePath name the zip, Path the member)'
      : 'Members of a zip (a pathspec: DelegateAccessor/DelegatePath name the zip, Path the member)'),
    path: zipPath,
    async open(filename, scope): Promise<FileReader> {
      const p = zipPath(filename);
      const node = await lookup(p, scope);
      if (!node.entry || (node.children && node.children.size)) throw new Error(`${name} accessor: ${p.path || '/'} is a directory`);
      const why = unreadable(node.entry);
      if (why) throw new Error(`${name} accessor: ${why}`);
      const { accessor, target } = zipDelegate(p, scope, name);
      const member = await openZipEntry(await accessor.open(target, scope), node.entry);
      const ranges = unescape ? await sparseIndex(p, node, scope) : null;
      return ranges && expandSparse(ranges) ? rangedReader(member, ranges) : member;
    },
    async lstat(p, scope) {
      return statAs(p, await lookup(p, scope), scope);
    },
    async stat(p, scope) {
      return statAs(p, await lookup(p, scope), scope);
    },
    async readDir(dir, scope) {
      const node = await lookup(dir, scope);
      if (!node.children) return [];
      const kids = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // A sparse upload is listed with the size stat() gives: only members with a `.idx` beside them are looked at.
      const names = unescape ? new Set(kids.map((k) => k.name)) : null;
      return Promise.all(kids.map((child) => {
        const p = dir.append([child.name]);
        return names && child.entry && names.has(`${child.name}.idx`) ? statAs(p, child, scope) : statOf(p, child);
      }));
    },
  };
}

export const zipAccessor = makeZipAccessor('zip', false);
export const zipNocaseAccessor = makeZipAccessor('zip_nocase', true);
/**
 * `collector`: a Velociraptor collection container with its member names unescaped (`uploads/
 * ntfs/\\.\C:/$MFT`), as Velociraptor's collector accessor shows them, and found whatever
 * their case (Windows' files are asked for as `Config` where they were stored as `config`); a
 * sparse upload (with a `.idx` member) is read as the file it was (sparse-upload.ts).
 */
export const collectorAccessor = makeZipAccessor('collector', true, true,
  'A collection container (zip) with its member names unescaped: uploads/auto/C:/..., uploads/ntfs/\\\\.\\C:/... (a pathspec: DelegateAccessor/DelegatePath name the zip, Path the member)');

/** Registers zip, zip_nocase and collector. */
export function registerZipAccessors(registry: Registry): void {
  registerAccessor(registry, zipAccessor);
  registerAccessor(registry, zipNocaseAccessor);
  registerAccessor(registry, collectorAccessor);
}

