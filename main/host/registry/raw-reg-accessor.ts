/**
 * The `raw_reg` accessor (alias `raw_registry`): the keys and values of a registry hive file,
 * read with no Windows API, so on any OS. The path is a pathspec whose delegate names the hive
 * file and whose Path is the key path inside the hive (`\` or `/` separated, any case):
 *
 *     pathspec(DelegatePath="/case/NTUSER.DAT", Path="Software\\Microsoft")
 *
 * DelegateAccessor defaults to `auto` (a local file); any accessor works (zip, ntfs...).
 *
 * A key is a directory: Name = its name, Mtime (and Atime, Ctime, Btime) = its last-write time,
 * Size 0, Mode drwxr-xr-x, Data {type: "Key"}. A value is a file: Name = its name (the default
 * value, stored without a name, is `@`), Size = its data length, Mtime = its key's last-write
 * time, Mode -rw-r--r--, Data {type, data_len, value} (values.ts). open() reads a value's raw
 * data bytes. A key and a value may share a name: both are listed; stat() gives the key, open()
 * the value.
 *
 * The hive is read whole into memory once per query (at most MAX_HIVE bytes: real hives are
 * far smaller; a few are kept, checked against the delegate's size and time). A hive that is
 * not one, or is damaged where it is read, gives one error naming the accessor, the hive file
 * and the key path (logged once per query, and thrown); a glob goes on past a damaged subtree.
 */
import { constants } from 'node:fs';
import { VDict, VTime, type Registry, type Scope, type Value } from '../../vql/index.ts';
import { NotDir, NotFound, memoryReader, readFull, registerAccessor, type Accessor } from '../files/accessors.ts';
import { FileMode, type FileStat } from '../files/fileinfo.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { Hive, HiveError, type KeyNode, type ValueNode } from './hive.ts';
import { decodeValue, typeName } from './values.ts';
import { delegateOf, keptContainer } from '../files/delegate.ts';

/** The largest hive read (bytes). */
export const MAX_HIVE = 512 * 1024 * 1024;
/** Hives kept read per query. */
const CACHE_SIZE = 4;
/** How long a kept hive is used before its file's size and time are checked again (ms). */
const RECHECK_MS = 1000;
const CACHE = Symbol('raw-reg-cache');
const LOGGED = Symbol('raw-reg-logged');

const DIR_MODE = FileMode.fromPosix(constants.S_IFDIR | 0o755);
const FILE_MODE = FileMode.fromPosix(constants.S_IFREG | 0o644);
/** FILETIME of 1970-01-01. */
const EPOCH_FT = 116444736000000000n;

interface LoadedHive {
  readonly hive: Hive;
  /** Identifies the hive in stat identities (so a glob never enters a key twice on a descent). */
  readonly id: string;
}

/** A FILETIME (100 ns since 1601) as a time, or null when it is 0 (not set). Shared with ntfs/. */
export function filetime(ft: bigint): VTime | null {
  return ft === 0n ? null : new VTime((ft - EPOCH_FT) * 100n);
}

/** The hive file named by a path's delegate, as text (for messages). */
function hiveName(p: OSPath): string {
  return pathText((p.delegate?.spec ?? p.delegate?.path ?? '') as Value);
}

function regPath(filename: unknown): OSPath {
  if (filename instanceof OSPath) return filename;
  return OSPath.parse(pathText(filename as Value), 'pathspec');
}

/** The key path of `p` as Windows prints it (for messages). */
function keyText(components: readonly string[]): string {
  return components.length ? components.join('\\') : '(root key)';
}

function hiveDelegate(p: OSPath, scope: Scope, self: string): { accessor: Accessor; target: OSPath | string } {
  return delegateOf(p, scope, self, 'names no hive file: give a pathspec, e.g. pathspec(DelegatePath="/case/NTUSER.DAT", Path="Software")');
}

/** Logs `message` at `level` once per query. */
function logOnce(scope: Scope, level: 'error' | 'warn', message: string): void {
  let seen = scope.env.context.get(LOGGED) as Set<string> | undefined;
  if (!seen) scope.env.context.set(LOGGED, (seen = new Set()));
  if (seen.has(message) || seen.size > 1000) return;
  seen.add(message);
  scope.log(level, message);
}

async function readHive(accessor: Accessor, target: OSPath | string, scope: Scope): Promise<Hive> {
  const r = await accessor.open(target, scope);
  try {
    let size = r.size;
    if (size !== null && size > MAX_HIVE) throw new HiveError(`it is ${size} bytes: hives larger than ${MAX_HIVE} bytes are not read`);
    let bytes: Uint8Array;
    if (size !== null) bytes = await readFull(r, 0, size, 16 << 20);
    else {
      bytes = await readFull(r, 0, MAX_HIVE + 1, 16 << 20);
      size = bytes.length;
      if (size > MAX_HIVE) throw new HiveError(`it is larger than ${MAX_HIVE} bytes: hives that large are not read`);
    }
    return new Hive(bytes);
  } finally {
    await r.close();
  }
}

let nextId = 0;

/**
 * The hive a path's delegate names, read once per query and kept while it does not change. Its
 * file's size and time are looked at again at most every RECHECK_MS (a glob asks for the hive
 * once per key: a stat of the file each time would cost more than the listing); a hive that
 * could not be read stays so for the query, its error said once.
 */
function loadHive(p: OSPath, scope: Scope, self: string): Promise<LoadedHive> {
  const d = hiveDelegate(p, scope, self);
  return keptContainer(scope, CACHE, p, d, async (): Promise<LoadedHive> => {
    try {
      return { hive: await readHive(d.accessor, d.target, scope), id: `${++nextId}` };
    } catch (e) {
      const msg = `${self} accessor: cannot read hive ${pathText(d.target as Value)} (for key ${keyText(p.components)}): ${e instanceof HiveError ? e.detail : (e as Error).message}`;
      logOnce(scope, 'error', msg);
      throw new Error(msg);
    }
  }, { size: CACHE_SIZE, recheckMs: RECHECK_MS, keepFailures: true });
}

/** What keys and values share as file information: names from the path, every time the key's last write. */
abstract class RegStat {
  readonly isLink = false;
  readonly mtime: VTime | null;
  constructor(readonly path: OSPath, key: KeyNode) {
    this.mtime = filetime(key.lastWrite);
  }
  get name(): string {
    return this.path.basename;
  }
  get fullPath(): string {
    return this.path.toString();
  }
  get atime(): VTime | null { return this.mtime; }
  get ctime(): VTime | null { return this.mtime; }
  get btime(): VTime | null { return this.mtime; }
}

/** A key as file information. */
class KeyStat extends RegStat implements FileStat {
  readonly size = 0;
  readonly mode = DIR_MODE;
  readonly isDir = true;
  readonly identity: string;
  constructor(path: OSPath, readonly key: KeyNode, hiveId: string) {
    super(path, key);
    this.identity = `${hiveId}:${key.offset}`;
  }
  get data(): VDict {
    return new VDict([['type', 'Key']]);
  }
}

/** A value as file information; its data is decoded when Data is first read. */
class ValueStat extends RegStat implements FileStat {
  readonly mode = FILE_MODE;
  readonly isDir = false;
  private cached: VDict | undefined;
  constructor(path: OSPath, readonly value: ValueNode, key: KeyNode, private readonly hive: Hive, private readonly where: string) {
    super(path, key);
  }
  get size(): number {
    return this.value.size;
  }
  get data(): VDict {
    if (this.cached) return this.cached;
    const d = new VDict([['type', typeName(this.value.type)], ['data_len', this.value.size]]);
    try {
      d.set('value', decodeValue(this.value.type, this.hive.valueData(this.value, this.where)));
    } catch (e) {
      d.set('value', null);
      d.set('error', (e as Error).message);
    }
    return (this.cached = d);
  }
}

/** The name a value is listed under (`@` for the default value). */
function valueName(v: ValueNode): string {
  return v.name === '' ? '@' : v.name;
}

function makeRawRegAccessor(name: string): Accessor {
  /** Runs `fn` over the hive, turning a HiveError into a message naming accessor, hive and key. */
  const within = async <T>(p: OSPath, scope: Scope | undefined, fn: (h: LoadedHive, where: string) => T): Promise<T> => {
    if (!scope) throw new Error(`${name} accessor: needs the query's scope`);
    let h: LoadedHive;
    try {
      h = await loadHive(p, scope, name);
    } catch (e) {
      logOnce(scope, 'error', (e as Error).message); // (said once: loadHive's own are already)
      throw e;
    }
    const where = `key ${keyText(p.components)}`;
    try {
      return fn(h, where);
    } catch (e) {
      if (!(e instanceof HiveError)) throw e;
      const msg = `${name} accessor: hive ${hiveName(p)} is damaged at ${e.where ?? where}: ${e.detail}`;
      logOnce(scope, 'warn', msg);
      throw new Error(msg);
    }
  };
  /** The key at `components`, or undefined. */
  const findKey = (hive: Hive, components: readonly string[], where: string): KeyNode | undefined => {
    let key: KeyNode | undefined = hive.key(hive.rootOffset, where);
    for (const c of components) {
      key = hive.subkey(key, c, where);
      if (!key) return undefined;
    }
    return key;
  };
  /** The value at `components` (its key's path, then its name), or undefined. */
  const findValue = (hive: Hive, components: readonly string[], where: string): { key: KeyNode; value: ValueNode } | undefined => {
    if (!components.length) return undefined;
    const key = findKey(hive, components.slice(0, -1), where);
    if (!key) return undefined;
    const want = components[components.length - 1]!;
    const values = hive.values(key, where);
    const lower = want.toLowerCase();
    const value = (want === '@' ? values.find((v) => v.name === '') : undefined)
      ?? values.find((v) => v.name === want) ?? values.find((v) => v.name.toLowerCase() === lower);
    return value ? { key, value } : undefined;
  };
  const statAt = async (p: OSPath, scope: Scope | undefined): Promise<FileStat> => {
    const st = await within(p, scope, (h, where) => {
      const key = findKey(h.hive, p.components, where);
      if (key) return new KeyStat(p, key, h.id);
      const v = findValue(h.hive, p.components, where);
      return v ? new ValueStat(p, v.value, v.key, h.hive, where) : null;
    });
    if (!st) throw new NotFound(`${name} accessor: ${keyText(p.components)} is not in hive ${hiveName(p)}`);
    return st;
  };
  return {
    name,
    doc: 'Keys (as directories) and values (as files) of a registry hive file, on any OS (a pathspec: DelegatePath names the hive, Path the key path)',
    path: regPath,
    async open(filename, scope) {
      const p = regPath(filename);
      const data = await within(p, scope, (h, where) => {
        const v = findValue(h.hive, p.components, where);
        return v ? h.hive.valueData(v.value, where).slice() : null;
      });
      if (!data) {
        const isKey = await within(p, scope, (h, where) => findKey(h.hive, p.components, where) !== undefined);
        if (isKey) throw new Error(`${name} accessor: ${keyText(p.components)} is a key, not a value (in hive ${hiveName(p)})`);
        throw new NotFound(`${name} accessor: no value ${keyText(p.components)} in hive ${hiveName(p)}`);
      }
      return memoryReader(data);
    },
    lstat: statAt,
    stat: statAt,
    async readDir(dir, scope) {
      const entries = await within(dir, scope, (h, where) => {
        const key = findKey(h.hive, dir.components, where);
        if (!key) return null;
        const out: Array<KeyStat | ValueStat> = [];
        // A damaged subkey is left out (and said once); the others are listed.
        const offsets = h.hive.subkeyOffsets(key, where);
        for (const off of offsets) {
          try {
            const k = h.hive.key(off, where);
            out.push(new KeyStat(dir.append([k.name]), k, h.id));
          } catch (e) {
            if (!(e instanceof HiveError)) throw e;
            logOnce(scope!, 'warn', `${name} accessor: hive ${hiveName(dir)} is damaged at ${e.where ?? where}: ${e.detail}`);
          }
        }
        for (const v of h.hive.values(key, where)) out.push(new ValueStat(dir.append([valueName(v)]), v, key, h.hive, `${where}, value ${valueName(v)}`));
        return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      });
      if (!entries) {
        const isValue = await within(dir, scope, (h, where) => findValue(h.hive, dir.components, where) !== undefined);
        if (isValue) throw new NotDir(`${name} accessor: ${keyText(dir.components)} is a value, not a key`);
        throw new NotFound(`${name} accessor: no key ${keyText(dir.components)} in hive ${hiveName(dir)}`);
      }
      return entries;
    },
  };
}

export const rawRegAccessor = makeRawRegAccessor('raw_reg');
export const rawRegistryAccessor = makeRawRegAccessor('raw_registry');

/** Registers raw_reg and raw_registry. */
export function registerRawRegAccessors(registry: Registry): void {
  registerAccessor(registry, rawRegAccessor);
  registerAccessor(registry, rawRegistryAccessor);
}
