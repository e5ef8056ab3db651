/**
 * `glob(globs=, root=, accessor=, nosymlink=, one_filesystem=, recursion_callback=)`: files
 * matching glob patterns, as FileInfo rows. Symlinked directories are followed (unless
 * nosymlink) but a directory is never entered twice on one descent, so link loops end.
 */
import { truthy, type PluginDef, type Scope, type Value, type VqlLambda } from '../../vql/index.ts';
import { accessorFor, type Accessor } from './accessors.ts';
import { fileInfoRow, type FileStat } from './fileinfo.ts';
import { GlobMachine, compileSegments, expandBraces, type GlobState } from './glob-pattern.ts';
import { lambdaArg } from './lambdas.ts';
import { textOf } from './text.ts';
import { OSPath, parseComponents, type PathType } from './ospath.ts';

interface WalkOptions {
  readonly accessor: Accessor;
  readonly machine: GlobMachine;
  readonly scope: Scope;
  readonly signal: AbortSignal;
  readonly nosymlink: boolean;
  readonly oneFilesystem: boolean;
  readonly callback: VqlLambda | null;
  /** Paths already emitted (only when several roots could overlap). */
  readonly emitted: Set<string> | null;
  /** The device of the starting directory (one_filesystem). */
  readonly device: bigint | undefined;
  log(message: string): void;
}

function isAbsolute(pattern: string, type: PathType): boolean {
  if (type === 'windows') return /^[a-zA-Z]:/.test(pattern) || /^[\\/]{2}/.test(pattern);
  return pattern.startsWith('/') || (type !== 'linux' && pattern.startsWith('\\'));
}

/** Splits patterns into groups sharing a starting directory. */
function plan(globs: readonly string[], root: OSPath | null, rootForRelative: () => OSPath): Map<string, { root: OSPath; patterns: string[][] }> {
  const groups = new Map<string, { root: OSPath; patterns: string[][] }>();
  for (const g of globs) {
    for (const pattern of expandBraces(g)) {
      const type: PathType = root?.type ?? rootForRelative().type;
      const comps = parseComponents(pattern, type === 'pathspec' ? 'generic' : type);
      let start: OSPath;
      let rest: string[];
      if (root) {
        start = root;
        rest = comps;
      } else if (isAbsolute(pattern, type)) {
        // The drive or device of a Windows pattern is where the walk starts.
        const drive = type === 'windows' && comps.length && !/[*?[]/.test(comps[0]!) ? 1 : 0;
        start = new OSPath(comps.slice(0, drive), type);
        rest = comps.slice(drive);
      } else {
        start = rootForRelative();
        rest = comps;
      }
      if (rest.length === 0) continue;
      const key = start.toString();
      const group = groups.get(key) ?? { root: start, patterns: [] };
      group.patterns.push(rest);
      groups.set(key, group);
    }
  }
  return groups;
}

async function* walk(dir: OSPath, states: GlobState[], opts: WalkOptions, ancestors: Set<string>): AsyncGenerator<Value> {
  let entries: FileStat[];
  try {
    entries = await opts.accessor.readDir!(dir);
  } catch (e) {
    if (ancestors.size <= 1) opts.log(`glob: ${(e as Error).message}`);
    return;
  }
  const descend: Array<{ entry: FileStat; next: GlobState[] }> = [];
  for (const entry of entries) {
    if (opts.signal.aborted) return;
    const { next, accept } = opts.machine.step(states, entry.path.basename);
    if (accept && (!opts.emitted || !opts.emitted.has(entry.fullPath))) {
      opts.emitted?.add(entry.fullPath);
      yield fileInfoRow(entry);
    }
    if ((entry.isDir || entry.isLink) && opts.machine.live(next)) descend.push({ entry, next });
  }
  for (const { entry, next } of descend) {
    if (opts.signal.aborted) return;
    let target = entry;
    if (entry.isLink) {
      if (opts.nosymlink || !opts.accessor.stat) continue;
      try {
        target = await opts.accessor.stat(entry.path);
      } catch {
        continue; // A dangling link.
      }
      if (!target.isDir) continue;
    }
    const id = target.identity ?? target.fullPath;
    if (ancestors.has(id)) continue;
    if (opts.oneFilesystem && opts.device !== undefined && target.device !== opts.device) continue;
    if (opts.callback && !(await truthy(await opts.callback(opts.scope, fileInfoRow(entry)), opts.scope))) continue;
    ancestors.add(id);
    yield* walk(entry.path, next, opts, ancestors);
    ancestors.delete(id);
  }
}

export const glob: PluginDef = {
  name: 'glob',
  doc: 'Find files matching glob patterns (`*`, `?`, `[a-z]`, `{a,b}`, `**` for any depth, `**3` for at most 3 levels; case-insensitive). Rows are FileInfo: FullPath, Name, Size, Mode, ModTime, Mtime, Atime, Ctime, Btime, IsDir, IsLink, OSPath, Data.',
  args: {
    globs: { type: 'any', required: true, doc: 'Glob patterns (text, or a list of them)' },
    root: { type: 'any', doc: 'Directory the patterns are relative to' },
    accessor: { type: 'string', doc: 'How to read files (file, auto...)', default: 'auto' },
    nosymlink: { type: 'bool', doc: 'Do not descend into symlinked directories' },
    one_filesystem: { type: 'bool', doc: 'Do not cross into other filesystems' },
    recursion_callback: { type: 'string', doc: 'Lambda given a directory\'s FileInfo: descend only when it is true' },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const log = call.log.bind(call);
    let accessor: Accessor;
    try {
      accessor = accessorFor(scope, args.accessor);
    } catch (e) {
      log('error', `glob: ${(e as Error).message}`);
      return;
    }
    if (!accessor.readDir) {
      log('error', `glob: accessor ${accessor.name} cannot list directories`);
      return;
    }
    const root = args.root === undefined || args.root === null || args.root === '' ? null : accessor.path(args.root);
    const globs = (Array.isArray(args.globs) ? args.globs : [args.globs]).filter((g) => g !== null && g !== undefined).map(textOf);
    const groups = plan(globs, root, () => accessor.path('.'));
    const callback = args.recursion_callback ? lambdaArg(String(args.recursion_callback), scope) : null;
    const emitted = groups.size > 1 ? new Set<string>() : null;
    for (const { root: start, patterns } of groups.values()) {
      const machine = new GlobMachine(patterns.map(compileSegments));
      const ancestors = new Set<string>();
      let device: bigint | undefined;
      if (accessor.stat) {
        try {
          const st = await accessor.stat(start);
          ancestors.add(st.identity ?? st.fullPath);
          device = st.device;
        } catch {
          continue; // The starting directory does not exist.
        }
      }
      yield* walk(start, machine.start(), {
        accessor, machine, scope, signal, emitted, callback, device,
        nosymlink: args.nosymlink === true,
        oneFilesystem: args.one_filesystem === true,
        log: (m) => log('debug', m),
      }, ancestors);
    }
  },
};
