/**
 * `glob(globs=, root=, accessor=, nosymlink=, one_filesystem=, recursion_callback=)`: files
 * matching glob patterns, as GlobHit rows (glob-hit.ts: Velociraptor's columns, plus `Sys`).
 * A relative pattern is rooted at the accessor's root (`/`), as Velociraptor roots it, not at
 * the working directory. Symlinked directories are followed (unless nosymlink) but a directory
 * is never entered twice on one descent, so link loops end.
 *
 * The walk is one loop over an explicit stack (no generator per directory level: a row is
 * handed over once, not once per level) and hands rows over a directory at a time (a batched
 * plugin). Within a directory the hits come out sorted by name, before its subdirectories are
 * entered, in name order.
 */
import { truthy, type PluginDef, type Scope, type Value, type VqlLambda } from '../../vql/index.ts';
import { accessorFor, type Accessor } from './accessors.ts';
import type { FileStat } from './fileinfo.ts';
import { GlobHit } from './glob-hit.ts';
import { GlobMachine, compileSegments, expandBraces, type GlobState } from './glob-pattern.ts';
import { lambdaArg } from './lambdas.ts';
import type { DirLister } from './local-prefetch.ts';
import { textOf } from './text.ts';
import { OSPath, parseComponents, type PathType } from './ospath.ts';

/** Rows per batch at most (fewer when a LIMIT needs fewer), and the longest a found row waits. */
const BATCH_ROWS = 512;
const BATCH_MS = 50;

interface WalkOptions {
  readonly accessor: Accessor;
  readonly machine: GlobMachine;
  /** The glob argument each machine pattern came from (Globs column). */
  readonly sources: readonly string[];
  readonly scope: Scope;
  readonly signal: AbortSignal;
  readonly nosymlink: boolean;
  readonly oneFilesystem: boolean;
  readonly callback: VqlLambda | null;
  /** Paths already emitted (only when several roots could overlap). */
  readonly emitted: Set<string> | null;
  /** The accessor's listings for this walk (ahead of need: local-prefetch.ts), if it has them. */
  readonly lister: DirLister | null;
  log(message: string): void;
}

interface Group {
  readonly root: OSPath;
  readonly patterns: string[][];
  readonly sources: string[];
}

function isAbsolute(pattern: string, type: PathType): boolean {
  if (type === 'windows') return /^[a-zA-Z]:/.test(pattern) || /^[\\/]{2}/.test(pattern);
  return pattern.startsWith('/') || (type !== 'linux' && pattern.startsWith('\\'));
}

/**
 * A deprecated pathspec glob (`{"DelegatePath": ..., "Path": "/*.txt"}`): its Path is the
 * pattern and the rest is the root. Null when `g` is not one.
 */
function pathspecGlob(g: string): { root: OSPath; pattern: string } | null {
  if (!g.startsWith('{')) return null;
  try {
    const spec = JSON.parse(g) as { Path?: unknown; DelegateAccessor?: unknown; DelegatePath?: unknown };
    if (typeof spec !== 'object' || spec === null || typeof spec.Path !== 'string') return null;
    const root = OSPath.fromSpec({ ...spec, Path: '' } as never, 'pathspec');
    return root.delegate ? { root, pattern: spec.Path } : null;
  } catch {
    return null;
  }
}

/** Splits patterns into groups sharing a starting directory. */
function plan(globs: readonly string[], root: OSPath | null, accessorRoot: () => OSPath, log: (m: string) => void): Map<string, Group> {
  const groups = new Map<string, Group>();
  const add = (start: OSPath, rest: string[], source: string) => {
    if (rest.length === 0) return;
    const key = start.toString();
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { root: start, patterns: [], sources: [] }));
    group.patterns.push(rest);
    group.sources.push(source);
  };
  for (const g of globs) {
    const spec = root ? null : pathspecGlob(g);
    if (spec) {
      log(`a pathspec as a glob is deprecated: give the pattern as globs= and the rest as root= (${g})`);
      for (const p of expandBraces(spec.pattern)) add(spec.root, parseComponents(p, 'generic'), g);
      continue;
    }
    for (const pattern of expandBraces(g)) {
      const type: PathType = root?.type ?? accessorRoot().type;
      const comps = parseComponents(pattern, type === 'pathspec' ? 'generic' : type);
      if (root) add(root, comps, g);
      else if (isAbsolute(pattern, type)) {
        // The drive or device of a Windows pattern is where the walk starts.
        const drive = type === 'windows' && comps.length && !/[*?[]/.test(comps[0]!) ? 1 : 0;
        add(new OSPath(comps.slice(0, drive), type), comps.slice(drive), g);
      } else add(accessorRoot(), comps, g);
    }
  }
  return groups;
}

/** One step of the machine: the next states, the globs matched (null: no hit), and whether to go on. */
function stepOf(machine: GlobMachine, states: GlobState[], name: string, sources: readonly string[]): { next: GlobState[]; globs: string[] | null; live: boolean } {
  const { next, accept, accepted } = machine.step(states, name);
  let globs: string[] | null = null;
  if (accept) {
    globs = [];
    for (const p of accepted) if (!globs.includes(sources[p]!)) globs.push(sources[p]!);
  }
  return { next, globs, live: machine.live(next) };
}

interface Listing {
  readonly hits: Value[];
  readonly descend: Array<{ entry: FileStat; next: GlobState[] }>;
}

/** One directory: its hits, and the entries to descend into with their states. */
async function visit(dir: OSPath, self: FileStat | undefined, states: GlobState[], opts: WalkOptions): Promise<Listing> {
  let entries: FileStat[];
  try {
    entries = await (opts.lister ? opts.lister.readDir(dir, self) : opts.accessor.readDir!(dir, opts.scope, self));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A directory that does not exist is silent; an unreadable one is said (at debug level:
    // a glob over / meets hundreds of them in /proc).
    if (code !== 'ENOENT' && code !== 'ENOTDIR') opts.log(`Globber: ${(e as Error).message} while processing ${dir.toString()}`);
    return { hits: [], descend: [] };
  }
  const hits: Value[] = [];
  const descend: Listing['descend'] = [];
  const { machine } = opts;
  // Under a `**` with nothing after it, every entry steps the same way: step once.
  const shared = entries.length > 1 && machine.nameFree(states) ? stepOf(machine, states, entries[0]!.name ?? entries[0]!.path.basename, opts.sources) : null;
  for (const entry of entries) {
    const { next, globs, live } = shared ?? stepOf(machine, states, entry.name ?? entry.path.basename, opts.sources);
    if (globs && (!opts.emitted || !opts.emitted.has(entry.fullPath))) {
      opts.emitted?.add(entry.fullPath);
      hits.push(new GlobHit(entry, globs));
    }
    if (live && (entry.isDir || entry.isLink)) descend.push({ entry, next });
  }
  // The walk enters these next, in this order (unless the recursion callback says no).
  if (opts.lister && !opts.callback && descend.length) {
    let levels = Infinity;
    for (const d of descend) levels = Math.min(levels, machine.levels(d.next));
    opts.lister.want(descend.map((d) => d.entry), levels);
  }
  return { hits, descend };
}

/** The directory a descend entry leads to (a link's target), or null when it is not entered. */
async function target(entry: FileStat, opts: WalkOptions, ancestors: Set<string>): Promise<FileStat | null> {
  let dir = entry;
  if (entry.isLink) {
    if (opts.nosymlink || !opts.accessor.stat) return null;
    try {
      dir = await opts.accessor.stat(entry.path, opts.scope);
    } catch {
      return null; // A dangling link.
    }
    if (!dir.isDir) return null;
    // one_filesystem: a link is not followed onto another device.
    if (opts.oneFilesystem && dir.device !== undefined && dir.device !== entry.device) return null;
  }
  if (ancestors.has(dir.identity ?? dir.fullPath)) return null;
  if (opts.callback && !(await truthy(await opts.callback(opts.scope, new GlobHit(entry, [])), opts.scope))) return null;
  return dir;
}

/**
 * Walks one group: batches of hits. Small directories' hits are gathered into one batch (a
 * batch costs the engine as much as many rows) until BATCH_ROWS rows, or the scope's demand
 * (a LIMIT), or BATCH_MS since the last one: rows of a slow walk still come out as they are found.
 */
async function* walkGroup(start: OSPath, startStat: FileStat | undefined, opts: WalkOptions): AsyncGenerator<Value[]> {
  const ancestors = new Set<string>();
  if (startStat) ancestors.add(startStat.identity ?? startStat.fullPath);
  const first = await visit(start, startStat, opts.machine.start(), opts);
  let pending = first.hits;
  let last = performance.now();
  const stack: Array<{ descend: Listing['descend']; i: number; id: string | null }> = [{ descend: first.descend, i: 0, id: null }];
  while (stack.length && !opts.signal.aborted) {
    if (pending.length && (pending.length >= opts.scope.batchLimit(BATCH_ROWS) || performance.now() - last >= BATCH_MS)) {
      yield pending;
      pending = [];
      last = performance.now();
    }
    const frame = stack[stack.length - 1]!;
    if (frame.i >= frame.descend.length) {
      if (frame.id !== null) ancestors.delete(frame.id);
      stack.pop();
      continue;
    }
    const { entry, next } = frame.descend[frame.i++]!;
    const dir = await target(entry, opts, ancestors);
    if (!dir) {
      opts.lister?.drop(entry.path);
      continue;
    }
    const id = dir.identity ?? dir.fullPath;
    ancestors.add(id);
    const listing = await visit(entry.path, dir, next, opts);
    if (listing.hits.length) {
      if (pending.length) for (const h of listing.hits) pending.push(h);
      else pending = listing.hits;
    }
    stack.push({ descend: listing.descend, i: 0, id });
  }
  if (pending.length && !opts.signal.aborted) yield pending;
}

export const glob: PluginDef = {
  name: 'glob',
  doc: 'Find files matching glob patterns (`*`, `?`, `[a-z]`, `{a,b}`, `**` for any depth, `**3` for at most 3 levels; case-insensitive); relative patterns start at `/`. Rows: Name, OSPath, Mtime, Atime, Ctime, Btime, Size, Mode, IsDir, IsLink, Data, Globs; also FullPath, ModTime and Sys (the stat record: Sys.Uid, Sys.Gid, Sys.Ino...).',
  batched: true,
  args: {
    globs: { type: 'any', required: true, doc: 'Glob patterns (text, or a list of them)' },
    root: { type: 'any', doc: 'Directory the patterns are relative to (default: the accessor\'s root, `/`)' },
    accessor: { type: 'string', doc: 'How to read files (file, auto, zip...)', default: 'auto' },
    nosymlink: { type: 'bool', doc: 'Do not descend into symlinked directories' },
    one_filesystem: { type: 'bool', doc: 'Do not follow a symlink onto another filesystem' },
    recursion_callback: { type: 'string', doc: 'Lambda given a directory\'s row: descend only when it is true' },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const log = call.log.bind(call);
    let accessor: Accessor;
    try {
      accessor = accessorFor(scope, args.accessor);
    } catch (e) {
      log('error', (e as Error).message);
      return;
    }
    if (!accessor.readDir) {
      log('error', `accessor ${accessor.name} cannot list directories`);
      return;
    }
    const root = args.root === undefined || args.root === null || args.root === '' ? null : accessor.path(args.root);
    const globs = (Array.isArray(args.globs) ? args.globs : [args.globs]).filter((g) => g !== null && g !== undefined).map(textOf);
    const groups = plan(globs, root, () => accessor.path('/'), (m) => log('debug', m));
    const callback = args.recursion_callback ? lambdaArg(String(args.recursion_callback), scope) : null;
    if (args.recursion_callback && !callback) return; // Its parse error is logged.
    const emitted = groups.size > 1 ? new Set<string>() : null;
    const lister = accessor.lister?.(scope) ?? null;
    try {
      for (const { root: start, patterns, sources } of groups.values()) {
        if (signal.aborted) return;
        let startStat: FileStat | undefined;
        if (accessor.stat) {
          try {
            startStat = await accessor.stat(start, scope);
          } catch {
            continue; // The starting directory does not exist.
          }
        }
        yield* walkGroup(start, startStat, {
          accessor, machine: new GlobMachine(patterns.map(compileSegments)), sources, scope, signal, emitted, callback, lister,
          nosymlink: args.nosymlink === true,
          oneFilesystem: args.one_filesystem === true,
          log: (m) => log('debug', m),
        });
      }
    } finally {
      lister?.close();
    }
  },
};
