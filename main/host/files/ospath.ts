/**
 * OSPath: Velociraptor's parsed path. A path is a list of components plus the path type that
 * parses and prints it (`linux`, `windows`, `registry`, `generic`, `pathspec`), and optionally a
 * delegate (another accessor's file that this path lives inside, as in `sparse` or `zip`).
 *
 * Members: Components, Basename, Dirname, String, Path, Type, DelegateAccessor, DelegatePath,
 * Delegate, PathSpec. An OSPath serializes as its string form (`toJSON`): the plain path, or the compact
 * JSON pathspec when it has a delegate.
 */
import { ABSENT, GET_MEMBER, MEMBERS, TRUTHY, VDict, type Absent, type HostObject, type Value } from '../../vql/index.ts';

export type PathType = 'generic' | 'linux' | 'windows' | 'registry' | 'pathspec';

export const PATH_TYPES: readonly PathType[] = ['generic', 'linux', 'windows', 'registry', 'pathspec'];

/** The delegate part of a pathspec. */
export interface Delegate {
  readonly accessor?: string;
  readonly path?: string;
  readonly spec?: OSPath;
}

const HIVES: Record<string, string> = {
  HKLM: 'HKEY_LOCAL_MACHINE', HKCU: 'HKEY_CURRENT_USER', HKU: 'HKEY_USERS',
  HKCR: 'HKEY_CLASSES_ROOT', HKCC: 'HKEY_CURRENT_CONFIG',
};

const DRIVE = /^[a-zA-Z]:$/;
/**
 * A device prefix: `\\.\C:` (a drive letter ends it even with no separator after it:
 * Windows.NTFS.Recover writes `Drive + Inode`, `\\.\C:46-128-0`) or `\\?\GLOBALROOT`.
 */
const DEVICE = /^\\\\[.?]\\(?:[a-zA-Z]:|[^\\/]+)/;

/** The path type of this machine's local files. */
export function nativePathType(): PathType {
  return process.platform === 'win32' ? 'windows' : 'linux';
}

/**
 * Splits a path into components on the separators in `seps`. A component written in double
 * quotes is taken whole (`/a/"http://x/"` has the components `a`, `http://x/`); empty
 * components and `.` are dropped.
 */
export function splitComponents(text: string, seps: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  const push = () => {
    if (cur !== '' && cur !== '.') out.push(cur);
    cur = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && cur === '') {
      const end = text.indexOf('"', i + 1);
      if (end > 0) {
        out.push(text.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    if (seps.includes(c)) push();
    else cur += c;
    i++;
  }
  push();
  return out;
}

/** Parses `text` as a path of `type` into components. */
export function parseComponents(text: string, type: PathType, first = true): string[] {
  switch (type) {
    case 'linux':
      return text.split('/').filter((c) => c !== '' && c !== '.');
    case 'windows': {
      const dev = first ? DEVICE.exec(text) : null;
      if (dev) return [dev[0], ...splitComponents(text.slice(dev[0].length), '\\/')];
      return splitComponents(text, '\\/');
    }
    case 'registry': {
      const parts = splitComponents(text, '\\/');
      if (first && parts.length) parts[0] = HIVES[parts[0]!.toUpperCase()] ?? parts[0]!;
      return parts;
    }
    default:
      return splitComponents(text, '/\\');
  }
}

function quoteIf(c: string, seps: RegExp): string {
  return seps.test(c) ? `"${c}"` : c;
}

/** Prints components as a path of `type` (no delegate). */
export function joinComponents(components: readonly string[], type: PathType): string {
  switch (type) {
    case 'linux':
      return '/' + components.join('/');
    case 'windows':
    case 'registry':
      return components
        .map((c, i) => (i === 0 && (DRIVE.test(c) || DEVICE.test(c)) ? c : quoteIf(c, /[\\/]/)))
        .join('\\');
    default:
      return components.length ? '/' + components.map((c) => quoteIf(c, /[\\/]/)).join('/') : '';
  }
}

/** Listed members (Dirname and Delegate resolve too, but are not listed: they nest OSPaths). */
const OSPATH_MEMBERS = ['Components', 'Basename', 'String', 'Path', 'Type', 'DelegateAccessor', 'DelegatePath', 'PathSpec'];

export class OSPath implements HostObject {
  constructor(
    readonly components: readonly string[],
    readonly type: PathType = 'generic',
    readonly delegate?: Delegate,
  ) {}

  /** Parses `text`; a pathspec JSON text (`{"DelegateAccessor":...}`) gives a delegate path. */
  static parse(text: string, type: PathType = 'generic'): OSPath {
    const t = text.trim();
    if (t.startsWith('{') && (type === 'pathspec' || type === 'generic')) {
      try {
        return OSPath.fromSpec(JSON.parse(t) as SpecJSON, type);
      } catch {
        // Not a pathspec after all: an ordinary path.
      }
    }
    return new OSPath(parseComponents(text, type), type);
  }

  static fromSpec(spec: SpecJSON, type: PathType = 'pathspec'): OSPath {
    const delegate: Delegate | undefined =
      spec.DelegateAccessor || spec.DelegatePath || spec.Delegate
        ? { accessor: spec.DelegateAccessor, path: spec.DelegatePath, spec: spec.Delegate ? OSPath.fromSpec(spec.Delegate, type) : undefined }
        : undefined;
    return new OSPath(spec.Path ? parseComponents(spec.Path, type === 'pathspec' ? 'generic' : type) : [], type, delegate);
  }

  /** The path part alone (no delegate), as the path type prints it. */
  get path(): string {
    return joinComponents(this.components, this.type === 'pathspec' ? 'generic' : this.type);
  }

  /** The pathspec as JSON data (Velociraptor's PathSpec field order). */
  spec(): SpecJSON {
    const out: SpecJSON = {};
    if (this.delegate?.accessor) out.DelegateAccessor = this.delegate.accessor;
    if (this.delegate?.path) out.DelegatePath = this.delegate.path;
    if (this.delegate?.spec) out.Delegate = this.delegate.spec.spec();
    const p = this.path;
    if (p) out.Path = p;
    return out;
  }

  toString(): string {
    return this.delegate ? JSON.stringify(this.spec()) : this.path;
  }
  toJSON(): string {
    return this.toString();
  }

  get basename(): string {
    return this.components[this.components.length - 1] ?? '';
  }
  dirname(): OSPath {
    return new OSPath(this.components.slice(0, -1), this.type, this.delegate);
  }
  /** A new path with `parts` appended as components (not parsed). */
  append(parts: readonly string[]): OSPath {
    return new OSPath([...this.components, ...parts], this.type, this.delegate);
  }
  /** A new path with `text` parsed by this path's type and appended. */
  join(text: string): OSPath {
    return this.append(parseComponents(text, this.type === 'pathspec' ? 'generic' : this.type, false));
  }
  /** The component at `i` (from the end when negative): VQL's OSPath[-2]. */
  at(i: number): string | undefined {
    return this.components.at(i);
  }
  slice(start?: number, end?: number): OSPath {
    return new OSPath(this.components.slice(start, end), this.type, this.delegate);
  }

  /**
   * Truthy unless it is the empty path: a pathspec naming only a container (Velociraptor's
   * DeadDiskRemapping tests `PartitionPath && ...` on an offset pathspec with no Path).
   */
  [TRUTHY](): boolean {
    return this.components.length > 0 || this.delegate !== undefined;
  }
  [MEMBERS](): readonly string[] {
    return OSPATH_MEMBERS;
  }
  /**
   * Velociraptor's `OSPath.PathSpec`: DelegateAccessor, DelegatePath, Delegate, Path, and
   * `String`, the pathspec as JSON (what a mount's `from.prefix` or a DelegatePath takes).
   */
  pathSpec(): VDict {
    return new VDict([
      ['DelegateAccessor', this.delegate?.accessor ?? ''],
      ['DelegatePath', this.delegate?.path ?? ''],
      ['Delegate', this.delegate?.spec ?? null],
      ['Path', this.path],
      ['String', JSON.stringify(this.spec())],
    ]);
  }
  [GET_MEMBER](name: string): Value | Absent {
    switch (name) {
      case 'Components':
        return this.components.slice();
      case 'Basename':
        return this.basename;
      case 'Dirname':
        return this.dirname();
      case 'String':
        return this.toString();
      case 'Path':
        return this.path;
      case 'Type':
        return this.type;
      case 'DelegateAccessor':
        return this.delegate?.accessor ?? '';
      case 'DelegatePath':
        return this.delegate?.path ?? '';
      case 'Delegate':
        return this.delegate?.spec ?? null;
      case 'PathSpec':
        return this.pathSpec();
      default:
        return ABSENT;
    }
  }
}

/** Velociraptor's PathSpec as JSON. */
export interface SpecJSON {
  DelegateAccessor?: string;
  DelegatePath?: string;
  Delegate?: SpecJSON;
  Path?: string;
}

/** The text of a path-like value (an OSPath, a string, a list of components). */
export function pathText(v: Value): string {
  if (v instanceof OSPath) return v.toString();
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (v instanceof VDict) return JSON.stringify(v.toJSON());
  return String(v);
}

/** A path-like value as an OSPath of `type` (an OSPath is kept as it is). */
export function toOSPath(v: Value, type: PathType = 'generic'): OSPath {
  if (v instanceof OSPath) return v;
  if (Array.isArray(v)) return new OSPath(v.map((c) => pathText(c)), type);
  return OSPath.parse(pathText(v), type);
}

/** Checks a `path_type` argument; undefined for an unknown type. */
export function pathTypeArg(v: Value, fallback: PathType): PathType | undefined {
  if (v === undefined || v === null || v === '') return fallback;
  const t = String(v).toLowerCase();
  if (t === 'unix' || t === 'darwin') return 'linux';
  if (t === 'ntfs') return 'windows';
  if (t === 'zip') return 'generic'; // Velociraptor's name for a container's member paths
  return (PATH_TYPES as readonly string[]).includes(t) ? (t as PathType) : undefined;
}
