/**
 * Accessors: Velociraptor's `accessor=` argument. An accessor turns a filename value into
 * bytes (and, for filesystems, into directory listings and file information):
 *
 * - `file` / `auto`: this machine's filesystem (the default);
 * - `data`: the filename is the content itself;
 * - `scope`: the filename names a scope variable whose value is the content;
 * - `sparse`: ranges of a delegate file, zeros elsewhere (a pathspec with a JSON range list).
 *
 * Accessors live in a small per-registry table: `registerAccessor(registry, accessor)` adds one.
 */
import { rangedReader } from './ranged-reader.ts';
import { lstat, open as fsOpen, readlink, stat, type FileHandle } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { ABSENT, type Registry, type Scope, type Value } from '../../vql/index.ts';
import { member } from '../../vql/protocols/member.ts';
import { textBytes } from './text.ts';
import { statFromNode, type FileStat } from './fileinfo.ts';
import { OSPath, nativePathType, pathText, toOSPath } from './ospath.ts';
import { listLocal } from './local-list.ts';
import { LocalLister, type DirLister } from './local-prefetch.ts';

/** An open file: random-access reads. */
export interface FileReader {
  /** The size when known (null for streams). */
  readonly size: number | null;
  /** Reads up to `length` bytes at `offset`; fewer (or none) at the end of the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface Accessor {
  readonly name: string;
  readonly doc: string;
  /** The OSPath a filename argument names (used for output columns). */
  path(filename: Value): OSPath;
  open(filename: Value, scope: Scope): Promise<FileReader>;
  /**
   * File information without following a final symlink; absent for non-filesystems. `scope`
   * is the caller's (accessors that read through another one need it: zip).
   */
  lstat?(path: OSPath, scope?: Scope): Promise<FileStat>;
  /** File information following symlinks. */
  stat?(path: OSPath, scope?: Scope): Promise<FileStat>;
  /**
   * The entries of a directory, sorted by name. `self` is the directory's own information
   * when the caller has it (glob), which saves asking for it again.
   */
  readDir?(dir: OSPath, scope?: Scope, self?: FileStat): Promise<FileStat[]>;
  /** Listings for one walk (glob), which may be made ahead of need (local-prefetch.ts). */
  lister?(scope?: Scope): DirLister | null;
}

/** A path an accessor does not have (its code lets callers tell it from damage, as an fs ENOENT). */
export class NotFound extends Error {
  readonly code = 'ENOENT';
}

/** A path an accessor has as a file where a folder is needed (ENOTDIR). */
export class NotDir extends Error {
  readonly code = 'ENOTDIR';
}

/** A reader over bytes held in memory. */
export function memoryReader(bytes: Uint8Array): FileReader {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)),
    close: async () => {},
  };
}

/** A reader over a file (or device) of this machine, at any offset; `size` is null for a device. */
export async function localFileReader(path: string): Promise<FileReader> {
  const fh = await fsOpen(path, 'r');
  const st = await fh.stat();
  return {
    size: st.isFile() ? st.size : null,
    async read(offset, length) {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}

/** The local filesystem path string of an OSPath. */
export function localPath(p: OSPath): string {
  if (p.type !== 'windows') return p.path;
  const s = p.path;
  return /^[a-zA-Z]:$/.test(s) ? s + '\\' : s;
}

const fileAccessor: Accessor = {
  name: 'file',
  doc: 'This machine\'s filesystem (relative paths are resolved against the working directory)',
  path(filename) {
    if (filename instanceof OSPath && !filename.delegate) return filename;
    return OSPath.parse(resolvePath(pathText(filename)), nativePathType());
  },
  async open(filename) {
    // NULL or '' names no file (it would resolve to the working directory): hash(path=Exe) of a
    // kernel thread, whose Exe is NULL, must not read the folder the query runs in.
    if (filename === null || filename === undefined || pathText(filename) === '') throw new Error('no file: the path is empty (NULL)');
    return localFileReader(localPath(this.path(filename)));
  },
  async lstat(p) {
    const full = localPath(p);
    const st = await lstat(full, { bigint: true });
    const link = st.isSymbolicLink() ? await readlink(full).catch(() => '') : undefined;
    return statFromNode(p, full, st, link);
  },
  async stat(p) {
    const full = localPath(p);
    return statFromNode(p, full, await stat(full, { bigint: true }));
  },
  async readDir(dir, scope, self) {
    // Vanished or unreadable entries are skipped (local-list.ts).
    return listLocal(dir, localPath(dir), dir.type === 'windows' ? '\\' : '/', self, scope?.signal);
  },
  lister(scope) {
    return process.platform === 'linux' ? new LocalLister(localPath, scope?.signal, { onFailure: (m) => scope?.log('warn', m) }) : null;
  },
};

const autoAccessor: Accessor = { ...fileAccessor, name: 'auto', doc: 'Same as file on this machine' };

const dataAccessor: Accessor = {
  name: 'data',
  doc: 'The filename is the data itself',
  path: (filename) => new OSPath([pathText(filename)], 'generic'),
  open: async (filename) => memoryReader(textBytes(filename)),
};

const scopeAccessor: Accessor = {
  name: 'scope',
  doc: 'The filename names a scope variable holding the data',
  path: (filename) => new OSPath([pathText(filename)], 'generic'),
  async open(filename, scope) {
    const name = pathText(filename);
    let v = await scope.lookup(name);
    // `String.Data` (Generic.Detection.Yara.Glob's HitContext): a member of a variable.
    if (v === ABSENT && name.includes('.')) {
      const [head, ...rest] = name.split('.');
      v = await scope.lookup(head!);
      for (const m of rest) v = v === ABSENT ? ABSENT : await member(v, m, scope);
    }
    if (v === ABSENT) throw new Error(`scope accessor: no variable ${name}`);
    return memoryReader(textBytes(v));
  },
};

/** Reads a delegate's ranges: `{"Offset":..,"Length":..}` entries, zeros between them. */
const sparseAccessor: Accessor = {
  name: 'sparse',
  doc: 'Ranges of a delegate file (pathspec Path: a JSON list of {Offset, Length}); zeros elsewhere',
  path: (filename) => toOSPath(filename, 'pathspec'),
  async open(filename, scope) {
    const p = toOSPath(filename, 'pathspec');
    const ranges = JSON.parse(p.components.join('/') || '[]') as Array<{ Offset: number; Length: number }>;
    const delegate = accessorFor(scope, p.delegate?.accessor ?? 'auto');
    const inner = await delegate.open(p.delegate?.spec ?? p.delegate?.path ?? '', scope);
    return rangedReader(inner, ranges.map((r) => ({ fileOffset: r.Offset, originalOffset: r.Offset, fileLength: r.Length, length: r.Length })));
  },
};

export const defaultAccessors: readonly Accessor[] = [fileAccessor, autoAccessor, dataAccessor, scopeAccessor, sparseAccessor];

const tables = new WeakMap<Registry, Map<string, Accessor>>();

function table(registry: Registry): Map<string, Accessor> {
  let t = tables.get(registry);
  if (!t) {
    t = new Map(defaultAccessors.map((a) => [a.name, a]));
    tables.set(registry, t);
  }
  return t;
}

/** Adds (or replaces) an accessor for the sessions of `registry`. */
export function registerAccessor(registry: Registry, accessor: Accessor): void {
  table(registry).set(accessor.name, accessor);
}

/** The names of the accessors available with `registry`. */
export function accessorNames(registry: Registry): Set<string> {
  return new Set(table(registry).keys());
}

/**
 * Accessor tables that replace the registry's for a session and the sessions it starts: a
 * remapping (main/host/remap) keys its table by the session's Env.mocks object, which query()
 * and Artifact.X() hand down. Only sessions with mocks look here.
 */
const remapped = new WeakMap<object, Map<string, Accessor>>();

/** Makes `accessors` the whole accessor table of the sessions that share `mocks` (a remapping). */
export function setRemappedAccessors(mocks: object, accessors: Map<string, Accessor>): void {
  remapped.set(mocks, accessors);
}

/** The remapped accessor table of `scope`'s session, or undefined when none applies. */
export function remappedAccessors(scope: Scope): Map<string, Accessor> | undefined {
  const m = scope.env.mocks;
  return m === undefined ? undefined : remapped.get(m);
}


/** The accessors of `registry` (what a session with no remapping sees). */
export function registryAccessors(registry: Registry): ReadonlyMap<string, Accessor> {
  return table(registry);
}

/** The accessors `scope` sees: its remapping's table, else the registry's. */
export function accessorTable(scope: Scope): ReadonlyMap<string, Accessor> {
  return remappedAccessors(scope) ?? table(scope.env.registry);
}

/** The accessor named `name` (default `auto`); throws a message naming the valid ones. */
export function accessorFor(scope: Scope, name: Value): Accessor {
  const key = name === undefined || name === null || name === '' ? 'auto' : String(name);
  const r = scope.env.mocks === undefined ? undefined : remapped.get(scope.env.mocks);
  if (r !== undefined) {
    const a = r.get(key);
    if (!a) throw new Error(`accessor ${JSON.stringify(key)} is not available under the remapping (dead-disk analysis): the remapped accessors are ${[...r.keys()].sort().join(', ') || 'none'}; add a mount or shadow for ${key} to the remapping config`);
    return a;
  }
  const t = table(scope.env.registry);
  const a = t.get(key);
  if (!a) throw new Error(`unknown accessor ${JSON.stringify(key)} (known: ${[...t.keys()].join(', ')})`);
  return a;
}

/** Reads a whole file (at most `limit` bytes from `offset`). */
export async function readAll(accessor: Accessor, filename: Value, scope: Scope, offset = 0, limit = Infinity): Promise<Uint8Array> {
  const r = await accessor.open(filename, scope);
  try {
    const chunks: Uint8Array[] = [];
    let pos = offset;
    let left = limit;
    while (left > 0) {
      const b = await r.read(pos, Math.min(left, 1 << 20));
      if (b.length === 0) break;
      chunks.push(b);
      pos += b.length;
      left -= b.length;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  } finally {
    await r.close();
  }
}

/**
 * Reads `length` bytes at `offset`, fewer only at the end of the file (an accessor's read may
 * return less than asked: a zip member, a device), asking for at most `piece` bytes at a time.
 */
export async function readFull(reader: FileReader, offset: number, length: number, piece = Infinity): Promise<Uint8Array> {
  const first = await reader.read(offset, Math.min(length, piece));
  if (first.length >= length || first.length === 0) return first;
  const parts = [first];
  let got = first.length;
  while (got < length) {
    const more = await reader.read(offset + got, Math.min(length - got, piece));
    if (more.length === 0) break;
    parts.push(more);
    got += more.length;
  }
  return Buffer.concat(parts);
}

/**
 * Writes what `reader` holds, from its start, to `out` one chunk after another (copy(),
 * unzip(), sqlite()'s copies); the bytes written, or null when `signal` aborted first.
 */
export async function writeReader(reader: FileReader, out: FileHandle, signal: AbortSignal, chunkSize = 1 << 20): Promise<number | null> {
  for (let pos = 0; ; ) {
    if (signal.aborted) return null;
    const b = await reader.read(pos, chunkSize);
    if (b.length === 0) return pos;
    await out.write(b, 0, b.length);
    pos += b.length;
  }
}

/** Reads a file chunk by chunk (for hashing and line parsing). */
export async function* readChunks(accessor: Accessor, filename: Value, scope: Scope, chunkSize = 1 << 20): AsyncGenerator<Uint8Array> {
  const r = await accessor.open(filename, scope);
  try {
    for (let pos = 0; ; ) {
      if (scope.signal.aborted) return;
      const b = await r.read(pos, chunkSize);
      if (b.length === 0) return;
      yield b;
      pos += b.length;
    }
  } finally {
    await r.close();
  }
}
