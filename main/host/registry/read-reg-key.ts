/**
 * `read_reg_key(globs=, root=, accessor=)`: Velociraptor's plugin that reads registry keys with
 * their values as columns. It globs like glob() and gives one row per KEY matched (values
 * matched are skipped): `Key` (the key's glob row: Name, OSPath, Mtime...), then one column per
 * value of the key, named as the value (`@` for the default value), holding its decoded data
 * (raw-reg-accessor.ts, values.ts).
 *
 * The default accessor is `registry`, the live Windows registry, as in Velociraptor; it is not
 * available here, and saying so is an error that points to `raw_reg` with a hive file, unless a
 * remapping (main/host/remap) mounts hives on it.
 */
import { ABSENT, GET_MEMBER, MEMBERS, type Absent, type HostObject, type PluginDef, type Value } from '../../vql/index.ts';
import { accessorFor, remappedAccessors } from '../files/accessors.ts';
import { glob } from '../files/glob.ts';
import { GlobHit } from '../files/glob-hit.ts';

/**
 * A row: Key, then the values. Names are matched whatever their case when no column has the
 * exact name (Velociraptor's row is a case-insensitive dict: artifacts write `key.Mtime`).
 */
export class RegKeyRow implements HostObject {
  private readonly columns = new Map<string, Value>();
  private lower: Map<string, string> | undefined;
  constructor(key: GlobHit) {
    this.columns.set('Key', key);
  }
  set(name: string, value: Value): void {
    this.columns.set(name, value);
  }
  [MEMBERS](): readonly string[] {
    return [...this.columns.keys()];
  }
  [GET_MEMBER](name: string): Value | Absent {
    const v = this.columns.get(name);
    if (v !== undefined || this.columns.has(name)) return v as Value;
    if (!this.lower) {
      this.lower = new Map();
      for (const k of this.columns.keys()) if (!this.lower.has(k.toLowerCase())) this.lower.set(k.toLowerCase(), k);
    }
    const k = this.lower.get(name.toLowerCase());
    return k === undefined ? ABSENT : (this.columns.get(k) as Value);
  }
}

export const readRegKey: PluginDef = {
  name: 'read_reg_key',
  doc: 'Registry keys matching glob patterns, one row per key: Key (the key\'s glob row: Name, OSPath, Mtime...) and one column per value of the key (the value\'s name, `@` for the default value, holding its decoded data). Offline hives: accessor="raw_reg" with root=pathspec(DelegatePath=HiveFile).',
  batched: true,
  args: {
    globs: { type: 'any', required: true, doc: 'Glob patterns of keys (text, or a list of them)' },
    root: { type: 'any', doc: 'Where the patterns start: for raw_reg, a pathspec whose DelegatePath is the hive file' },
    accessor: { type: 'string', doc: 'How to read the registry: raw_reg (a hive file); `registry`, the live Windows registry, is the default but not available here', default: 'registry' },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const name = args.accessor === undefined || args.accessor === null || args.accessor === '' ? 'registry' : String(args.accessor);
    if ((name === 'registry' || name === 'reg') && !remappedAccessors(scope)?.has(name)) {
      call.log('error', `the ${name} accessor (the live Windows registry) is not available here: read a hive file with accessor="raw_reg" and root=pathspec(DelegatePath="/path/to/NTUSER.DAT")`);
      return;
    }
    let accessor;
    try {
      accessor = accessorFor(scope, name);
    } catch (e) {
      call.log('error', (e as Error).message);
      return;
    }
    if (!accessor.readDir) {
      call.log('error', `accessor ${name} cannot list keys`);
      return;
    }
    const hits = glob.run({ scope, signal, log: call.log.bind(call), args: { globs: args.globs, root: args.root, accessor: name } }) as AsyncIterable<Value[]>;
    for await (const batch of hits) {
      const rows: RegKeyRow[] = [];
      for (const hit of batch) {
        if (!(hit instanceof GlobHit) || !hit.stat.isDir) continue;
        let entries;
        try {
          entries = await accessor.readDir(hit.stat.path, scope, hit.stat);
        } catch (e) {
          call.log('debug', (e as Error).message);
          continue;
        }
        const row = new RegKeyRow(hit);
        for (const e of entries) {
          if (e.isDir) continue;
          const v = e.data.get('value');
          row.set(e.name ?? e.path.basename, v === ABSENT ? null : v);
        }
        rows.push(row);
        if (signal.aborted) return;
      }
      if (rows.length) yield rows;
    }
  },
};
