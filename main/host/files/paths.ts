/**
 * Path functions: `basename`, `dirname`, `path_join`, `path_split`, `pathspec`, and the
 * operator protocols of OSPath values (`path + "sub\\dir"`, `path + ["a", "b"]`, comparisons
 * and regex matches against its text).
 */
import { toJSON, type FunctionDef, type ProtocolHandler, type Registry, type Value } from '../../vql/index.ts';
import { regexMatch } from '../../vql/protocols/regex.ts';
import { OSPath, joinComponents, parseComponents, pathText, pathTypeArg, toOSPath, type PathType } from './ospath.ts';
import { textOf } from './text.ts';
import { accessorFor, type Accessor } from './accessors.ts';

const pathTypeDoc = 'How to parse the path: generic (default), linux, windows, registry, pathspec';

/** The OSPath of a `path=` argument (an OSPath is kept; text is parsed by path_type or split by sep). */
function pathArg(path: Value, pathType: Value, sep: Value, log: (l: 'error', m: string) => void): OSPath | null {
  if (path instanceof OSPath && (pathType === undefined || pathType === null)) return path;
  if (typeof sep === 'string' && sep !== '') {
    return new OSPath(pathText(path).split(sep).filter((c) => c !== ''), 'generic');
  }
  const type = pathTypeArg(pathType, 'generic');
  if (!type) {
    log('error', `unknown path_type ${JSON.stringify(pathType)}`);
    return null;
  }
  if (path instanceof OSPath) return new OSPath(path.components, type, path.delegate);
  return toOSPath(path, type);
}

const pathArgs = {
  path: { type: 'any', required: true, doc: 'A path (text or OSPath)' },
  path_type: { type: 'string', doc: pathTypeDoc, default: 'generic' },
  sep: { type: 'string', doc: 'Split on this separator instead of parsing by path_type' },
} as const;

export const basename: FunctionDef = {
  name: 'basename',
  doc: 'The last component of a path (quoted components count as one: /a/"b/c" gives b/c).',
  args: pathArgs,
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    return pathArg(args.path, args.path_type, args.sep, log)?.basename ?? null;
  },
};

export const dirname: FunctionDef = {
  name: 'dirname',
  doc: 'A path without its last component (an OSPath for an OSPath, else text).',
  args: pathArgs,
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    const p = pathArg(args.path, args.path_type, args.sep, log);
    if (!p) return null;
    if (args.path instanceof OSPath) return p.dirname();
    if (typeof args.sep === 'string' && args.sep !== '') return p.components.slice(0, -1).join(args.sep);
    return p.dirname().toString();
  },
};

export const pathSplit: FunctionDef = {
  name: 'path_split',
  doc: 'The components of a path, as a list.',
  args: { path: pathArgs.path, path_type: pathArgs.path_type },
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    return pathArg(args.path, args.path_type, undefined, log)?.components.slice() ?? null;
  },
};

export const pathJoin: FunctionDef = {
  name: 'path_join',
  doc: 'Join path components: with `sep` (default /) between them, or printed as a path of `path_type`.',
  args: {
    components: { type: 'any', required: true, doc: 'The components (text or OSPaths)' },
    sep: { type: 'string', doc: 'Separator', default: '/' },
    path_type: { type: 'string', doc: 'Print as this path type instead (windows, linux...)' },
  },
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    const list = Array.isArray(args.components) ? args.components : [args.components];
    const comps = list.flatMap((c) => (c instanceof OSPath ? c.components : [textOf(c)]));
    if (args.path_type !== undefined) {
      const type = pathTypeArg(args.path_type, 'generic');
      if (!type) {
        log('error', `path_join: unknown path_type ${JSON.stringify(args.path_type)}`);
        return null;
      }
      return joinComponents(comps.flatMap((c) => parseComponents(c, type, false)), type);
    }
    const sep = (args.sep as string | undefined) ?? '/';
    return comps.join(sep);
  },
};

export const relpath: FunctionDef = {
  name: 'relpath',
  doc: 'The part of `path` below `base` (its remaining components joined by `sep`); the whole path when it is not below base.',
  args: {
    path: pathArgs.path,
    base: { type: 'any', required: true, doc: 'The base directory' },
    path_type: pathArgs.path_type,
    sep: { type: 'string', doc: 'Separator between the remaining components', default: '/' },
  },
  run(call) {
    const { args } = call;
    const log = call.log.bind(call);
    const p = pathArg(args.path, args.path_type, undefined, log);
    const base = pathArg(args.base, args.path_type, undefined, log);
    if (!p || !base) return null;
    const under = base.components.length <= p.components.length && base.components.every((c, i) => c.toLowerCase() === p.components[i]!.toLowerCase());
    return (under ? p.components.slice(base.components.length) : p.components).join((args.sep as string | undefined) ?? '/');
  },
};

export const pathspec: FunctionDef = {
  name: 'pathspec',
  doc: 'Build an OSPath: parse= a path (or pathspec JSON), or Path= with DelegateAccessor=/DelegatePath=/Delegate= for paths inside another accessor\'s file. OSPaths print as text; .Components, .Basename, .Dirname, + "sub/path".',
  args: {
    parse: { type: 'any', doc: 'A path to parse (text, pathspec JSON or OSPath)' },
    path_type: { type: 'string', doc: pathTypeDoc, default: 'generic' },
    Path: { type: 'any', doc: 'The path inside the delegate (text, components, or data such as sparse ranges)' },
    DelegateAccessor: { type: 'string', doc: 'The accessor of the containing file' },
    DelegatePath: { type: 'string', doc: 'The path of the containing file' },
    Delegate: { type: 'any', doc: 'The containing file as an OSPath' },
    accessor: { type: 'string', doc: "Parse Path with this accessor's own path rules (falls back to path_type when they fail)" },
  },
  run(call) {
    const { args } = call;
    if (typeof args.accessor === 'string' && args.accessor !== '' && typeof args.Path === 'string') {
      let accessor: Accessor;
      try {
        accessor = accessorFor(call.scope, args.accessor);
      } catch (e) {
        call.log('error', `pathspec: ${(e as Error).message}`);
        return false;
      }
      try {
        const parsed = accessor.path(args.Path);
        if (args.DelegateAccessor === undefined && args.DelegatePath === undefined && args.Delegate === undefined) return parsed;
        return new OSPath([...parsed.components], parsed.type, toDelegate(args));
      } catch {
        // The accessor cannot read this path: parsed with path_type below, as Velociraptor falls back.
      }
    }
    const log = call.log.bind(call);
    const type: PathType | undefined = pathTypeArg(args.path_type, 'generic');
    if (!type) {
      log('error', `pathspec: unknown path_type ${JSON.stringify(args.path_type)}`);
      return null;
    }
    if (args.parse !== undefined && args.parse !== null) {
      if (args.parse instanceof OSPath) return args.parse;
      return OSPath.parse(textOf(args.parse), type);
    }
    const p = args.Path;
    let components: string[] = [];
    if (typeof p === 'string') components = parseComponents(p, type === 'pathspec' ? 'generic' : type);
    else if (p instanceof OSPath) components = [...p.components];
    else if (Array.isArray(p) && p.every((c) => typeof c === 'string')) components = p as string[];
    else if (p !== undefined && p !== null) components = [toJSON(p)];
    return new OSPath(components, type, toDelegate(args, type));
  },
};

/** The delegate that DelegateAccessor, DelegatePath and Delegate describe, if any. */
function toDelegate(args: Record<string, Value>, type: PathType = 'generic') {
  const d = args.Delegate;
  const spec = d === undefined || d === null ? undefined : d instanceof OSPath ? d : toOSPath(d, type);
  const accessor = args.DelegateAccessor as string | undefined;
  const path = args.DelegatePath as string | undefined;
  return accessor || path || spec ? { accessor, path, spec } : undefined;
}

function isPath(v: Value): v is OSPath {
  return v instanceof OSPath;
}

/** `path + "a\\b"` parses the text; `path + ["a/b"]` appends components as they are. */
const pathAdd: ProtocolHandler = {
  name: 'OSPath + components',
  applies: (a, b) => isPath(a) && (typeof b === 'string' || Array.isArray(b) || isPath(b)),
  apply(a, b) {
    const p = a as OSPath;
    if (typeof b === 'string') return p.join(b);
    if (isPath(b)) return p.append(b.components);
    return p.append((b as Value[]).map(textOf));
  },
};

function pathCompare(name: string, op: (x: string, y: string) => boolean): ProtocolHandler {
  return {
    name,
    applies: (a, b) => (isPath(a) && (isPath(b) || typeof b === 'string')) || (typeof a === 'string' && isPath(b)),
    apply: (a, b) => op(pathText(a), pathText(b)),
  };
}

/** Teaches the operators about OSPath values. */
export function installPathProtocols(registry: Registry): void {
  const t = registry.protocols;
  t.add.push(pathAdd);
  t.eq.push(pathCompare('OSPath = text', (x, y) => x === y));
  t.lt.push(pathCompare('OSPath < text', (x, y) => x < y));
  t.gt.push(pathCompare('OSPath > text', (x, y) => x > y));
  t.regex.push({ name: 'OSPath =~ regex', applies: (a) => isPath(a), apply: (a, b, scope) => regexMatch(pathText(a), b, scope) });
}

export const pathFunctions: readonly FunctionDef[] = [basename, dirname, pathSplit, pathJoin, relpath, pathspec];
