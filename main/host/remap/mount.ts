/**
 * The mount tree accessor of a remapping (Velociraptor's accessors/mount): paths of this
 * accessor (the `on` side) are served by other accessors (the `from` side) below their mount
 * points.
 *
 * - A path is served by the mount with the deepest prefix that starts it (compared
 *   case-insensitively when that mount's path type is windows or registry); the rest of the path
 *   is appended to the mount's `from` prefix and asked of its accessor.
 * - Parents of mount points are directories of their own: listing `HKEY_LOCAL_MACHINE` shows
 *   `Software` and `System` when both are mounted. A listing inside a mount also shows the mount
 *   points below it.
 * - Rows keep this accessor's paths: a glob over `C:\Users\*` gives `C:\Users\bob`, not the path
 *   of the folder it came from.
 * - A path no mount covers does not exist (an error naming the mount points).
 *
 * The `from` accessors run with the accessor table the remapping was applied over (the
 * "pristine" one: a mount of a hive file names the real file), never the remapped one.
 */
import { constants } from 'node:fs';
import { VDict, type VTime, type Value } from '../../vql/index.ts';
import { Scope, type Env } from '../../vql/eval/scope.ts';
import type { Accessor, FileReader } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText, type PathType } from '../files/ospath.ts';

const DIR_MODE = FileMode.fromPosix(constants.S_IFDIR | 0o755);

export interface MountPoint {
  /** The `on` prefix's components. */
  readonly prefix: readonly string[];
  /** Compare components without regard to case (windows, registry path types). */
  readonly fold: boolean;
  readonly from: Accessor;
  /** The `from` prefix: the path the mount point's contents live under. */
  readonly fromPath: OSPath;
  /** Gives the scope `from` runs with (the pristine accessor table). */
  readonly pristine: (scope: Scope) => Scope;
  /** For messages: `raw_reg {"DelegatePath":...}`. */
  readonly label: string;
  readonly id: number;
}

function notFound(message: string): Error {
  const e = new Error(message) as NodeJS.ErrnoException;
  e.code = 'ENOENT';
  return e;
}

/** The drive letter of a drive (`C:`) or drive device (`\\.\C:`, `\\?\C:`), upper case; else null. */
function driveOf(c: string): string | null {
  return /^(?:\\\\[.?]\\)?([a-zA-Z]):$/.exec(c)?.[1]!.toUpperCase() ?? null;
}

/**
 * Whether `a` and `b` name the same component (the `i`th of the path): without regard to case for
 * the windows-like path types, where a first component `C:` is also the device `\\.\C:` (the
 * ntfs path type's rule: `parse_mft(accessor="ntfs", filename="C:\\$MFT")` on a mount at `\\.\C:`).
 */
function same(a: string, b: string, fold: boolean, i = 1): boolean {
  if (a === b) return true;
  if (!fold) return false;
  if (a.toLowerCase() === b.toLowerCase()) return true;
  if (i !== 0) return false;
  const d = driveOf(a);
  return d !== null && d === driveOf(b);
}

/** A directory made by the mount tree (a parent of mount points). */
class VirtualDir implements FileStat {
  readonly size = 0;
  readonly mode = DIR_MODE;
  readonly isDir = true;
  readonly isLink = false;
  readonly mtime = null;
  readonly atime = null;
  readonly ctime = null;
  readonly btime = null;
  constructor(readonly path: OSPath, private readonly accessor: string) {}
  get name(): string {
    return this.path.basename;
  }
  get fullPath(): string {
    return this.path.toString();
  }
  get data(): VDict {
    return new VDict();
  }
  get identity(): string {
    return `mount:${this.accessor}:${this.path.components.join('\u0000').toLowerCase()}`;
  }
}

/** A `from` accessor's file information under this accessor's path. */
class MountedStat implements FileStat {
  constructor(private readonly inner: FileStat, readonly path: OSPath, private readonly mountId: number) {}
  get name(): string {
    return this.path.basename;
  }
  get fullPath(): string {
    return this.path.toString();
  }
  get size(): number | bigint { return this.inner.size; }
  get mode(): FileMode { return this.inner.mode; }
  get isDir(): boolean { return this.inner.isDir; }
  get isLink(): boolean { return this.inner.isLink; }
  get mtime(): VTime | null { return this.inner.mtime; }
  get atime(): VTime | null { return this.inner.atime; }
  get ctime(): VTime | null { return this.inner.ctime; }
  get btime(): VTime | null { return this.inner.btime; }
  get data(): VDict { return this.inner.data; }
  get identity(): string | undefined {
    const id = this.inner.identity;
    return id === undefined ? undefined : `${this.mountId}|${id}`;
  }
  get device(): bigint | undefined { return this.inner.device; }
  get sys(): Value | undefined { return this.inner.sys; }
}

let nextMountId = 0;

export class MountAccessor implements Accessor {
  readonly mounts: MountPoint[] = [];

  constructor(readonly name: string, readonly pathType: PathType, mounts: readonly MountPoint[] = []) {
    this.mounts.push(...mounts);
  }

  get doc(): string {
    return `Remapped: ${this.mounts.map((m) => `${this.show(m.prefix)} from ${m.label}`).join('; ')}`;
  }

  /** A copy with the same mount points (extended by a later remapping, this one unchanged). */
  clone(): MountAccessor {
    return new MountAccessor(this.name, this.pathType, this.mounts);
  }

  add(m: Omit<MountPoint, 'id'>): void {
    this.mounts.push({ ...m, id: ++nextMountId });
  }

  private show(components: readonly string[]): string {
    return components.length ? new OSPath(components, this.pathType).toString() : '(root)';
  }

  path(filename: Value): OSPath {
    if (filename instanceof OSPath) return filename;
    return OSPath.parse(pathText(filename), this.pathType);
  }

  /**
   * The mount serving `components` (the deepest whose prefix starts them), for callers that
   * need what is behind a path rather than its bytes: parse_ntfs opens the image mounted on
   * `\\.\C:` as a volume.
   */
  mountOf(components: readonly string[]): MountPoint | undefined {
    return this.find(components);
  }

  /** The mount serving `components`: the deepest one whose prefix starts them. */
  private find(components: readonly string[]): MountPoint | undefined {
    let best: MountPoint | undefined;
    for (const m of this.mounts) {
      if (m.prefix.length > components.length || (best && best.prefix.length >= m.prefix.length)) continue;
      if (m.prefix.every((c, i) => same(c, components[i]!, m.fold, i))) best = m;
    }
    return best;
  }

  /** The names of mount points (or their parents) right below `components`. */
  private children(components: readonly string[]): string[] {
    const out: string[] = [];
    for (const m of this.mounts) {
      if (m.prefix.length <= components.length) continue;
      if (!components.every((c, i) => same(c, m.prefix[i]!, m.fold, i))) continue;
      const name = m.prefix[components.length]!;
      if (!out.some((n) => same(n, name, true))) out.push(name);
    }
    return out;
  }

  private target(m: MountPoint, p: OSPath): OSPath {
    const rest = p.components.slice(m.prefix.length);
    return new OSPath([...m.fromPath.components, ...rest], m.fromPath.type, m.fromPath.delegate);
  }

  private missing(p: OSPath): Error {
    const points = this.mounts.map((m) => this.show(m.prefix)).join(', ');
    return notFound(`${this.name} accessor (remapped): ${p.toString() || '(root)'} is not in any mount (mount points: ${points || 'none'})`);
  }

  private async statWith(p: OSPath, scope: Scope | undefined, link: boolean): Promise<FileStat> {
    const m = this.find(p.components);
    if (m) {
      const fn = link ? (m.from.lstat ?? m.from.stat) : (m.from.stat ?? m.from.lstat);
      if (fn) {
        try {
          const st = await fn.call(m.from, this.target(m, p), scope && m.pristine(scope));
          return new MountedStat(st, p, m.id);
        } catch (e) {
          if (!this.children(p.components).length) throw e;
        }
      } else if (p.components.length === m.prefix.length) {
        return new VirtualDir(p, this.name); // a mount point of a non-filesystem (data...)
      }
    }
    if (p.components.length === 0 || this.children(p.components).length) return new VirtualDir(p, this.name);
    throw this.missing(p);
  }

  stat(p: OSPath, scope?: Scope): Promise<FileStat> {
    return this.statWith(p, scope, false);
  }

  lstat(p: OSPath, scope?: Scope): Promise<FileStat> {
    return this.statWith(p, scope, true);
  }

  async readDir(dir: OSPath, scope?: Scope): Promise<FileStat[]> {
    const out: FileStat[] = [];
    const m = this.find(dir.components);
    const below = this.children(dir.components);
    if (m && m.from.readDir) {
      try {
        for (const e of await m.from.readDir(this.target(m, dir), scope && m.pristine(scope))) {
          out.push(new MountedStat(e, dir.append([e.name ?? e.path.basename]), m.id));
        }
      } catch (e) {
        if (!below.length) throw e;
      }
    } else if (!m && !below.length && dir.components.length > 0) {
      throw this.missing(dir);
    }
    for (const name of below) {
      if (!out.some((e) => same(e.name ?? e.path.basename, name, true))) out.push(new VirtualDir(dir.append([name]), this.name));
    }
    const key = (e: FileStat) => e.name ?? e.path.basename;
    return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  async open(filename: Value, scope: Scope): Promise<FileReader> {
    const p = this.path(filename);
    const m = this.find(p.components);
    if (!m) {
      if (p.components.length === 0 || this.children(p.components).length) throw new Error(`${this.name} accessor (remapped): ${p.toString() || '(root)'} is a directory`);
      throw this.missing(p);
    }
    return m.from.open(this.target(m, p), m.pristine(scope));
  }
}

/**
 * The scope a mount's `from` accessor runs with: the caller's variables, with an environment
 * whose mocks key is `key` (the pristine accessor table; undefined: the registry's). One
 * environment per calling one, so per-query caches (hives, zips) last the query.
 */
export function pristineScoper(key: object | undefined): (scope: Scope) => Scope {
  const envs = new WeakMap<Env, Env>();
  return (scope) => {
    let env = envs.get(scope.env);
    if (!env) {
      env = { ...scope.env, mocks: key as Env['mocks'], context: new Map() };
      envs.set(scope.env, env);
    }
    return new Scope(scope, null, env, scope.agg, scope.depth, scope.signal);
  };
}
