/**
 * Applying a remapping config (Velociraptor's vql/remapping): a new accessor table, and
 * replacement plugins and functions, for a session and the sessions it starts (query(),
 * Artifact.X()). Both live in the session's Env.mocks (the object mock() also fills), which
 * nested sessions are handed: the engine looks plugins and functions up there first, and
 * accessorFor() looks the accessor table up by it (main/host/files/accessors.ts). Nothing is
 * changed in the shared registry.
 *
 * - The table starts empty (the CLI's `--remap`, `remap(clear=TRUE)`) or as a copy of the
 *   current one (`remap()`), plus `remap(copy=[...])`'s accessors.
 * - `shadow`: the current accessor `from.accessor` under the name `on.accessor`.
 * - `mount`: `on.accessor` becomes (or stays) a mount tree (mount.ts) with `on.prefix` served
 *   by `from.accessor` at `from.prefix`; the variables of its `scope:` LETs are seen by that
 *   accessor (the `overlay` accessor reads its delegates from them).
 * - `impersonation`: info() says the OS and hostname given; environ() and expand() see the
 *   given env; each disabled function returns NULL and each disabled plugin no rows, saying so
 *   once.
 * - `permissions`: kept (remapState()). This engine has no ACLs: the one thing they change is
 *   that without EXECVE the execve() plugin is disabled too (with it, execve still needs
 *   `--allow-execve`).
 */
import type { FunctionDef, Mocks, PluginDef, Registry, Scope, Value } from '../../vql/index.ts';
import { VDict, parseScript } from '../../vql/index.ts';
import type { Let } from '../../vql/ast/nodes.ts';
import { scopeWithLets } from '../../vql/eval/session.ts';
import { accessorTable, registryAccessors, setRemappedAccessors, type Accessor } from '../files/accessors.ts';
import { OSPath, type PathType } from '../files/ospath.ts';
import { infoRow } from '../system/info.ts';
import { RemapError, type ImpersonationRemap, type MountRemap, type RemapConfig } from './config.ts';
import { MountAccessor, pristineScoper } from './mount.ts';
import { expandVars } from '../files/data.ts';
import { textOf } from '../files/text.ts';

/** What a remapping did, kept with the session's mocks (remapState()). */
export interface RemapState {
  readonly config: RemapConfig;
  readonly accessors: ReadonlyMap<string, Accessor>;
  /** The `permissions` remapping's list (undefined: none given). */
  readonly permissions?: readonly string[];
  readonly impersonation?: ImpersonationRemap;
}

const states = new WeakMap<object, RemapState>();

/** The remapping applied to `scope`'s session, if any. */
export function remapState(scope: Scope): RemapState | undefined {
  return scope.env.mocks === undefined ? undefined : remapStateOf(scope.env.mocks);
}

/** The remapping installed in session mocks (remapMocks()'s), if any. */
export function remapStateOf(mocks: object): RemapState | undefined {
  return states.get(mocks);
}

export interface ApplyOptions {
  /** Start from an empty accessor table (else from the current one). */
  readonly clear: boolean;
  /** Accessors of the current table to keep as they are. */
  readonly copy?: readonly string[];
}

/** A built remapping, not yet installed: the table and the log lines of its mounts. */
export interface BuiltRemap {
  readonly accessors: Map<string, Accessor>;
  readonly messages: readonly string[];
  readonly permissions?: readonly string[];
  readonly impersonation?: ImpersonationRemap;
}

function where(config: RemapConfig, r: { index: number; line?: number }): string {
  return `${config.source}: remapping #${r.index}${r.line ? ` (line ${r.line})` : ''}`;
}

/** An accessor under another name (a shadow). */
function renamed(a: Accessor, name: string): Accessor {
  return a.name === name ? a : (Object.create(a, { name: { value: name, enumerable: true } }) as Accessor);
}

function known(current: ReadonlyMap<string, Accessor>): string {
  return [...current.keys()].sort().join(', ');
}

/** The `from` prefix of a mount as an OSPath of its accessor. */
function fromPath(config: RemapConfig, m: MountRemap, from: Accessor): OSPath {
  const text = m.from.prefix.trim();
  if (text.startsWith('{')) {
    const spec = JSON.parse(text) as Parameters<typeof OSPath.fromSpec>[0];
    return OSPath.fromSpec(spec, 'pathspec');
  }
  try {
    return m.from.pathType ? OSPath.parse(m.from.prefix, m.from.pathType) : from.path(m.from.prefix);
  } catch (e) {
    throw new RemapError(`${where(config, m)}: from.prefix ${JSON.stringify(m.from.prefix)} is not a path of the ${m.from.accessor} accessor: ${(e as Error).message}`);
  }
}

/**
 * Builds the accessor table of `config` over `current` (the accessors it is applied over; their
 * sessions' mocks key is `currentKey`, undefined for the registry's own table; `copy` takes
 * from `copyFrom`). Throws a
 * RemapError for an accessor that does not exist.
 */
export function buildRemap(config: RemapConfig, current: ReadonlyMap<string, Accessor>, currentKey: object | undefined, opts: ApplyOptions, copyFrom = current): BuiltRemap {
  const table = new Map<string, Accessor>(opts.clear ? [] : current);
  for (const name of opts.copy ?? []) {
    const a = copyFrom.get(name);
    if (!a) throw new RemapError(`${config.source}: copy: there is no accessor ${JSON.stringify(name)} to keep (known: ${known(copyFrom)})`);
    table.set(name, a);
  }
  const pristine = pristineScoper(currentKey);
  const messages: string[] = [];
  /** Mount trees made by this remapping (others are copied before being extended). */
  const mine = new Set<MountAccessor>();
  let permissions: readonly string[] | undefined;
  let impersonation: ImpersonationRemap | undefined;
  // The `file` and `auto` path types are the endpoint's: under an impersonation, the OS it
  // names (Windows.KapeFiles.Remapping mounts uploads on auto with path_type auto, os windows).
  const os = config.remappings.find((r): r is ImpersonationRemap => r.type === 'impersonation')?.os?.toLowerCase();
  const endpointType = (t: PathType | undefined, text: string | undefined): PathType | undefined =>
    os !== undefined && text !== undefined && /^(file|auto)$/i.test(text) ? (os === 'windows' ? 'windows' : 'linux') : t;
  for (const r of config.remappings) {
    switch (r.type) {
      case 'permissions':
        permissions = [...(permissions ?? []), ...r.permissions];
        break;
      case 'impersonation':
        impersonation = r;
        break;
      case 'shadow': {
        const from = current.get(r.from.accessor);
        if (!from) throw new RemapError(`${where(config, r)}: shadow of unknown accessor ${JSON.stringify(r.from.accessor)}: from.accessor must be one of ${known(current)}`);
        table.set(r.on.accessor, renamed(from, r.on.accessor));
        break;
      }
      case 'mount': {
        const from = current.get(r.from.accessor);
        if (!from) throw new RemapError(`${where(config, r)}: mount from unknown accessor ${JSON.stringify(r.from.accessor)}: from.accessor must be one of ${known(current)}`);
        const fp = fromPath(config, r, from);
        const onType: PathType = endpointType(r.on.pathType, r.on.pathTypeText) ?? 'generic';
        let prefix: readonly string[];
        try {
          prefix = OSPath.parse(r.on.prefix, onType).components;
        } catch (e) {
          throw new RemapError(`${where(config, r)}: on.prefix ${JSON.stringify(r.on.prefix)} is not a ${onType} path: ${(e as Error).message}`);
        }
        let tree = table.get(r.on.accessor);
        if (!(tree instanceof MountAccessor)) {
          tree = new MountAccessor(r.on.accessor, onType);
        } else if (!mine.has(tree)) {
          tree = tree.clone();
        }
        mine.add(tree as MountAccessor);
        table.set(r.on.accessor, tree);
        const label = `${r.from.accessor} ${fp.toString() || '(root)'}`;
        // `scope:` LETs are variables the mounted accessor sees (evaluated when read).
        const lets = r.scope ? (parseScript(r.scope).statements as Let[]) : null;
        const mountScope = lets ? (s: Scope) => scopeWithLets(pristine(s), lets) : pristine;
        (tree as MountAccessor).add({ prefix, fold: onType === 'windows' || onType === 'registry', from, fromPath: fp, pristine: mountScope, label });
        const onText = new OSPath(prefix, onType).toString() || '(root)';
        messages.push(`remap: Mounting ${r.from.accessor} path ${fp.toString() || '(root)'} on ${r.on.accessor} path ${onText}${r.description ? ` (${r.description})` : ''}`);
        break;
      }
    }
  }
  return { accessors: table, messages, permissions, impersonation };
}

/** Says once per remapping that `name` is disabled. */
function once(seen: Set<string>, scope: Scope, name: string, why: string): void {
  if (seen.has(name)) return;
  seen.add(name);
  scope.log('warn', `${name} ${why}`);
}

const DISABLED = 'is disabled by the remapping (dead-disk analysis)';

function disabledFunction(name: string, seen: Set<string>, why = DISABLED): FunctionDef {
  return {
    name,
    doc: `${name}() ${why}: returns NULL`,
    args: {},
    freeArgs: true,
    run(call) {
      once(seen, call.scope, name, why);
      return null;
    },
  };
}

function disabledPlugin(name: string, seen: Set<string>, why = DISABLED): PluginDef {
  return {
    name,
    doc: `${name}() ${why}: no rows`,
    args: {},
    freeArgs: true,
    *run(call) {
      once(seen, call.scope, name, why);
    },
  };
}

/**
 * The info() row of the impersonated host: OS and Hostname (and Fqdn) as given; the facts of
 * this machine that would describe the wrong host (Platform, versions, HostID, virtualization)
 * are empty; the rest (process, time zone, architecture) is this run's.
 */
async function impersonatedInfo(imp: ImpersonationRemap): Promise<Record<string, unknown>> {
  const row = await infoRow();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v;
  if (imp.hostname !== undefined) {
    out.Hostname = imp.hostname;
    out.Fqdn = imp.hostname;
  }
  if (imp.os !== undefined) out.OS = imp.os;
  for (const k of ['Platform', 'PlatformFamily', 'PlatformVersion', 'KernelVersion', 'VirtualizationSystem', 'VirtualizationRole', 'HostID']) out[k] = '';
  return out;
}

/** The value of `name` in a remapping's env (names in any case when `fold`: a Windows host). */
function envLookup(env: ReadonlyArray<{ key: string; value: string }>, fold: boolean): (name: string) => string | undefined {
  return (name) => (env.find((e) => e.key === name) ?? (fold ? env.find((e) => e.key.toUpperCase() === name.toUpperCase()) : undefined))?.value;
}

function impersonationDefs(imp: ImpersonationRemap, seen: Set<string>): { plugins: PluginDef[]; functions: FunctionDef[] } {
  const fold = (imp.os ?? 'windows') === 'windows';
  const doc = `The impersonated host (remapping): OS ${imp.os ?? '(this machine\'s)'}, Hostname ${imp.hostname ?? '(this machine\'s)'}`;
  const plugins: PluginDef[] = [
    { name: 'info', doc: doc + '. One row.', args: {}, async *run() { yield await impersonatedInfo(imp); } },
    {
      name: 'environ',
      doc: 'The impersonated host\'s environment (the remapping\'s env): one row per variable with columns Name, Value.',
      args: { vars: { type: 'strings', doc: 'Only these variables (default or empty: all)' } },
      *run({ args }) {
        const vars = (args.vars as string[] | undefined) ?? [];
        const norm = (s: string) => (fold ? s.toUpperCase() : s);
        const wanted = vars.length ? new Set(vars.map(norm)) : null;
        for (const e of imp.env) if (!wanted || wanted.has(norm(e.key))) yield { Name: e.key, Value: e.value };
      },
    },
  ];
  const functions: FunctionDef[] = [
    { name: 'info', doc: doc + '. As a dict.', args: {}, run: () => impersonatedInfo(imp) },
    {
      name: 'expand',
      doc: 'Expand environment variables of the impersonated host (the remapping\'s env) in a path: %NAME% and $NAME / ${NAME}.',
      args: { path: { type: 'any', required: true, doc: 'The text to expand' } },
      run: ({ args }) => expandVars(textOf(args.path), envLookup(imp.env, fold)),
    },
  ];
  for (const n of imp.disabledFunctions) functions.push(disabledFunction(n, seen));
  for (const n of imp.disabledPlugins) plugins.push(disabledPlugin(n, seen));
  return { plugins, functions };
}

/**
 * Installs `built` into `mocks` (the session's, shared with the sessions it starts): the
 * accessor table and the replaced plugins and functions.
 */
export function installRemap(mocks: Mocks, config: RemapConfig, built: BuiltRemap): RemapState {
  setRemappedAccessors(mocks, built.accessors);
  const seen = new Set<string>();
  if (built.impersonation) {
    const defs = impersonationDefs(built.impersonation, seen);
    for (const p of defs.plugins) mocks.plugins.set(p.name, p);
    for (const f of defs.functions) mocks.functions.set(f.name, f);
  }
  if (built.permissions && !built.permissions.includes('EXECVE')) {
    mocks.plugins.set('execve', disabledPlugin('execve', seen, 'is disabled: the remapping\'s permissions do not include EXECVE'));
  }
  const state: RemapState = { config, accessors: built.accessors, permissions: built.permissions, impersonation: built.impersonation };
  states.set(mocks, state);
  return state;
}

/**
 * The mocks of a session run under `config` from the start (the CLI's `--remap`): an empty
 * accessor table plus the config's. Throws a RemapError before anything runs.
 */
export function remapMocks(registry: Registry, config: RemapConfig, log?: (message: string) => void): Mocks {
  const mocks: Mocks = { plugins: new Map(), functions: new Map() };
  const built = buildRemap(config, registryAccessors(registry), undefined, { clear: true });
  for (const m of built.messages) log?.(m);
  installRemap(mocks, config, built);
  return mocks;
}

/**
 * Applies `config` to `scope`'s session (remap()): the session's mocks are created when it has
 * none, else extended. Returns the state; throws a RemapError.
 */
export function applyToScope(scope: Scope, config: RemapConfig, opts: ApplyOptions): RemapState {
  const env = scope.env;
  const current = accessorTable(scope);
  // The sessions the mounts read through: the current table, under a key of its own (the
  // session's mocks object is about to map to the new one). A remapping that starts clear
  // mounts and shadows this machine's own accessors (as Velociraptor's pristine ones), even in
  // a session already remapped; `copy` keeps current ones.
  let currentKey: object | undefined;
  const remapped = env.mocks !== undefined && states.has(env.mocks);
  if (remapped && !opts.clear) {
    currentKey = { plugins: new Map(), functions: new Map() };
    setRemappedAccessors(currentKey, new Map(current));
  }
  const base = remapped && opts.clear ? registryAccessors(env.registry) : current;
  const built = buildRemap(config, base, currentKey, opts, current);
  for (const m of built.messages) scope.log('info', m);
  if (!env.mocks) env.mocks = { plugins: new Map(), functions: new Map() };
  return installRemap(env.mocks, config, built);
}

/** The config as remap() returns it: {remappings: [...]}, as applied. */
export function configValue(config: RemapConfig): VDict {
  const list: Value[] = config.remappings.map((r) => {
    const d = new VDict([['type', r.type]]);
    if (r.description !== undefined) d.set('description', r.description);
    switch (r.type) {
      case 'permissions':
        d.set('permissions', [...r.permissions]);
        break;
      case 'impersonation':
        if (r.os !== undefined) d.set('os', r.os);
        if (r.hostname !== undefined) d.set('hostname', r.hostname);
        d.set('env', r.env.map((e) => new VDict([['key', e.key], ['value', e.value]])));
        d.set('disabled_functions', [...r.disabledFunctions]);
        d.set('disabled_plugins', [...r.disabledPlugins]);
        break;
      default: {
        const side = (s: typeof r.from) => {
          const o = new VDict([['accessor', s.accessor]]);
          if (r.type === 'mount') {
            o.set('prefix', s.prefix);
            if (s.pathTypeText !== undefined) o.set('path_type', s.pathTypeText);
          }
          return o;
        };
        d.set('from', side(r.from));
        d.set('on', side(r.on));
        if (r.type === 'mount' && r.scope !== undefined) d.set('scope', r.scope);
      }
    }
    return d;
  });
  return new VDict([['remappings', list]]);
}
