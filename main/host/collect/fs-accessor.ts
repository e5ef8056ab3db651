/**
 * The `fs` and `fs_sparse` accessors (VQL-FUNCTIONS.md 10.5, Velociraptor's
 * accessors/file_store): a Velociraptor server's file store, read from a folder that holds one
 * (a server's datastore directory, or a copy of it brought to this machine).
 *
 * - Paths are the store's logical components: `/clients/C.x/collections/F.y/uploads/auto/C:/Windows`
 *   (an `fs:` prefix is optional). On disk each component is escaped as the server escapes it
 *   (`C:` is `C%3A`, main/logs/flows.ts sanitizeComponent); listings unescape the names.
 * - A path that does not exist is tried again component by component without regard to case,
 *   as Velociraptor retries, so `Windows/System32/Config/SOFTWARE` finds `config`.
 * - `ds:/...` paths name datastore records: the `.json.db` file, or the older `.db`.
 * - `fs_sparse` reads an upload that has a `.idx` companion as the file it was (holes as zeros);
 *   `fs` reads the stored data as it is.
 * - Reads never leave the store's folder: escaping turns `..` into `%2E%2E`.
 *
 * The folder is `HostOptions.filestore` (`--filestore DIR`), else `$VQL_FILESTORE`, else this
 * app's datastore. This is how `Windows.KapeFiles.Remapping` mounts a collection's uploads.
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry, Scope, Value } from '../../vql/index.ts';
import { NotFound, localFileReader, registerAccessor, type Accessor } from '../files/accessors.ts';
import { statFromNode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { rangedReader, sparseSize } from '../files/ranged-reader.ts';
import { parseSparseIndex } from './sparse-upload.ts';
import { sanitizeComponent } from '../../logs/flows.ts';
import { unescapeComponent } from './zip-escape.ts';
import { defaultDatastore } from '../../collector/paths.ts';

/** A stored name back to the component it escapes (the decoder strips the one `_` the escaper adds). */
export function unsanitizeComponent(stored: string): string {
  return unescapeComponent(stored.endsWith('_') ? stored.slice(0, -1) : stored);
}

/** The store's folder: the option, else $VQL_FILESTORE, else the default datastore. */
export function filestoreRoot(option?: string): string {
  return option || process.env.VQL_FILESTORE || defaultDatastore();
}

/** Splits a leading `fs:` / `ds:` component off. */
function split(p: OSPath): { ds: boolean; comps: readonly string[] } {
  const head = p.components[0]?.toLowerCase();
  if (head === 'fs:' || head === 'ds:') return { ds: head === 'ds:', comps: p.components.slice(1) };
  return { ds: false, comps: p.components };
}

/** The local file of a store path: exact first, then each component without regard to case. */
async function locate(root: string, comps: readonly string[]): Promise<string> {
  const exact = join(root, ...comps.map(sanitizeComponent));
  if (await lstat(exact).then(() => true, () => false)) return exact;
  let dir = root;
  for (const c of comps) {
    const want = c.toLowerCase();
    const names = await readdir(dir).catch(() => [] as string[]);
    const hit = names.find((n) => unsanitizeComponent(n).toLowerCase() === want);
    if (hit === undefined) throw new NotFound(`${joinStore(comps)}: no such file in the file store ${root}`);
    dir = join(dir, hit);
  }
  return dir;
}

function joinStore(comps: readonly string[]): string {
  return '/' + comps.join('/');
}

/** A datastore record: `<path>.json.db`, else the older `<path>.db`. */
async function locateRecord(root: string, comps: readonly string[]): Promise<string> {
  if (!comps.length) return root;
  const last = comps[comps.length - 1]!;
  for (const ext of ['.json.db', '.db']) {
    try {
      return await locate(root, [...comps.slice(0, -1), last + ext]);
    } catch {
      // the next extension
    }
  }
  return locate(root, comps);
}

function storeAccessor(name: 'fs' | 'fs_sparse', root: () => string): Accessor {
  const sparse = name === 'fs_sparse';
  const local = (p: OSPath) => {
    const { ds, comps } = split(p);
    return ds ? locateRecord(root(), comps) : locate(root(), comps);
  };
  /** The sparse ranges of an upload's `.idx` companion, when fs_sparse and there is one. */
  const ranges = async (full: string) => {
    if (!sparse) return null;
    const text = await readFile(full + '.idx', 'utf8').catch(() => null);
    return text === null ? null : parseSparseIndex(text);
  };
  const withSize = async (st: FileStat, full: string): Promise<FileStat> => {
    if (st.isDir) return st;
    const r = await ranges(full);
    if (!r) return st;
    const { path, fullPath, mode, isDir, isLink, mtime, atime, ctime, btime, data, identity, device, sys } = st;
    return { path, fullPath, size: sparseSize(r), mode, isDir, isLink, mtime, atime, ctime, btime, data, identity, device, sys };
  };
  const accessor: Accessor = {
    name,
    doc: sparse
      ? 'A Velociraptor file store (--filestore DIR), uploads with a .idx read as the files they were'
      : 'A Velociraptor file store (--filestore DIR): /clients/<id>/collections/<flow>/uploads/...; ds:/ for datastore records',
    path(filename: Value) {
      if (filename instanceof OSPath && !filename.delegate) return filename;
      return OSPath.parse(pathText(filename), 'generic');
    },
    async open(filename: Value, scope: Scope) {
      void scope;
      const full = await local(this.path(filename));
      const reader = await localFileReader(full);
      const r = await ranges(full);
      return r ? rangedReader(reader, r) : reader;
    },
    async lstat(p: OSPath) {
      const full = await local(p);
      return withSize(statFromNode(p, full, await lstat(full, { bigint: true })), full);
    },
    async stat(p: OSPath) {
      const full = await local(p);
      return withSize(statFromNode(p, full, await stat(full, { bigint: true })), full);
    },
    async readDir(dir: OSPath, scope?: Scope) {
      const full = await local(dir);
      const names = await readdir(full);
      // Only an entry with a `.idx` beside it can be a sparse upload: the others are not looked at again.
      const present = new Set(names);
      const out: FileStat[] = [];
      for (const n of names) {
        if (scope?.signal.aborted) break;
        const child = new OSPath([...dir.components, unsanitizeComponent(n)], dir.type);
        const file = join(full, n);
        const st = await lstat(file, { bigint: true }).catch(() => null);
        if (!st) continue;
        const info = statFromNode(child, file, st);
        out.push(present.has(`${n}.idx`) ? await withSize(info, file) : info);
      }
      return out.sort((a, b) => (a.path.basename < b.path.basename ? -1 : a.path.basename > b.path.basename ? 1 : 0));
    },
  };
  return accessor;
}

/** Registers `fs` and `fs_sparse` over the store folder `filestore` (resolved when used). */
export function registerFilestoreAccessors(registry: Registry, filestore?: string): void {
  const root = () => filestoreRoot(filestore);
  registerAccessor(registry, storeAccessor('fs', root));
  registerAccessor(registry, storeAccessor('fs_sparse', root));
}
