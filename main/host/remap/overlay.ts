/**
 * The `overlay` accessor (Velociraptor's accessors/overlay): several folders of another
 * accessor seen as one. Its delegates come from the scope variable
 *
 *     OVERLAY_ACCESSOR_DELEGATES = dict(accessor="collector", paths=[<folder>, <folder>...])
 *
 * which a remapping mount sets with `scope:` (Windows.Collectors.Remapping mounts the `auto`,
 * `file` and `ntfs` uploads of one drive of a collection this way). A path is looked up in each
 * folder in turn and the first that has it answers; a listing is the union of the folders'
 * (a name in several is listed once, from the first, names compared without regard to case).
 * A folder may be a path of the delegate accessor, a pathspec (JSON text or a dict) or an OSPath.
 */
import { VDict, type Scope, type Value } from '../../vql/index.ts';
import { resolveVar } from '../../vql/eval/expression.ts';
import { accessorFor, NotFound, type Accessor, type FileReader } from '../files/accessors.ts';
import type { FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText } from '../files/ospath.ts';

const VARIABLE = 'OVERLAY_ACCESSOR_DELEGATES';

interface Delegates {
  accessor: Accessor;
  roots: OSPath[];
}

function field(v: Value, key: string): Value {
  if (v instanceof VDict) return v.get(key) as Value;
  if (v && typeof v === 'object' && !Array.isArray(v)) return (v as Record<string, Value>)[key];
  return undefined;
}

/** The folder an entry of `paths` names, as a path of `accessor`. */
function root(accessor: Accessor, p: Value): OSPath {
  if (p instanceof OSPath) return p;
  if (p instanceof VDict) return OSPath.fromSpec(Object.fromEntries(p.entries()) as never);
  const text = pathText(p as never);
  if (text.trim().startsWith('{')) return OSPath.fromSpec(JSON.parse(text) as never);
  return accessor.path(text);
}

async function delegates(scope: Scope | undefined): Promise<Delegates> {
  if (!scope) throw new Error('overlay accessor: needs the query\'s scope');
  const v = await resolveVar(VARIABLE, scope);
  const name = field(v as Value, 'accessor');
  let paths = field(v as Value, 'paths');
  if (typeof paths === 'string' && paths.trim().startsWith('[')) paths = JSON.parse(paths) as Value;
  if (typeof name !== 'string' || !Array.isArray(paths)) {
    throw new Error(`overlay accessor: set ${VARIABLE} = dict(accessor=NAME, paths=[FOLDER, ...]) (a remapping mount's scope: does), not ${JSON.stringify(v ?? null)}`);
  }
  const accessor = accessorFor(scope, name);
  return { accessor, roots: paths.map((p) => root(accessor, p as Value)) };
}

function missing(p: OSPath, d: Delegates): NotFound {
  return new NotFound(`overlay accessor: ${p.toString() || '/'} is in none of ${d.roots.map((r) => r.toString()).join(', ')}`);
}

const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException)?.code ?? '');

/** The first folder's answer for `p`; a not-found in one folder moves on to the next. */
async function first<T>(p: OSPath, scope: Scope | undefined, ask: (d: Delegates, target: OSPath) => Promise<T>): Promise<T> {
  const d = await delegates(scope);
  let failure: unknown = null;
  for (const r of d.roots) {
    try {
      return await ask(d, r.append(p.components));
    } catch (e) {
      if (!isMissing(e)) failure ??= e;
    }
  }
  throw failure ?? missing(p, d);
}

/** `st` under the overlay's path `path`. */
function at(st: FileStat, path: OSPath): FileStat {
  return Object.create(st, { path: { value: path, enumerable: true }, fullPath: { value: path.toString(), enumerable: true } }) as FileStat;
}

function overlayPath(filename: Value): OSPath {
  return filename instanceof OSPath ? filename : OSPath.parse(pathText(filename as never), 'generic');
}

export const overlayAccessor: Accessor = {
  name: 'overlay',
  doc: `Several folders of another accessor as one (the first that has a path answers; listings merged), from the scope variable ${VARIABLE} = dict(accessor=NAME, paths=[...]), which a remapping mount's scope: sets`,
  path: overlayPath,
  async open(filename, scope): Promise<FileReader> {
    const p = overlayPath(filename);
    return first(p, scope, (d, target) => d.accessor.open(target, scope));
  },
  async stat(p, scope) {
    return first(p, scope, async (d, target) => at(await (d.accessor.stat ?? d.accessor.lstat)!.call(d.accessor, target, scope), p));
  },
  async lstat(p, scope) {
    return first(p, scope, async (d, target) => at(await (d.accessor.lstat ?? d.accessor.stat)!.call(d.accessor, target, scope), p));
  },
  async readDir(dir, scope) {
    const d = await delegates(scope);
    const seen = new Map<string, FileStat>();
    let found = false;
    let failure: unknown = null;
    for (const r of d.roots) {
      let entries: FileStat[];
      try {
        entries = (await d.accessor.readDir?.(r.append(dir.components), scope)) ?? [];
        found = true;
      } catch (e) {
        if (!isMissing(e)) failure ??= e;
        continue;
      }
      for (const e of entries) {
        const name = e.name ?? e.path.basename;
        if (!seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), at(e, dir.append([name])));
      }
    }
    if (!found) throw failure ?? missing(dir, d);
    const key = (e: FileStat) => e.path.basename;
    return [...seen.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  },
};
