/**
 * Velociraptor's remapping configuration (config.proto's RemappingConfig), read from YAML (or
 * JSON) and checked before anything runs:
 *
 *     remappings:
 *     - type: permissions        # permissions: [COLLECT_CLIENT, FILESYSTEM_READ, ...]
 *     - type: impersonation      # os, hostname, env [{key, value}], disabled_functions, disabled_plugins
 *     - type: shadow             # from: {accessor}, "on": {accessor}
 *     - type: mount              # from: {accessor, prefix, path_type}, "on": {accessor, prefix, path_type}
 *
 * A problem is a RemapError naming where the config came from, the remapping (its index, from 1,
 * its line when the text is YAML) and what to do. Unknown keys are errors too (a misspelt
 * `path_typ` would otherwise silently mount with the wrong path type).
 */
import { load as loadYaml } from 'js-yaml';
import { nativePathType, pathTypeArg, type PathType } from '../files/ospath.ts';
import { parseScript } from '../../vql/index.ts';

export class RemapError extends Error {}

export interface MountSide {
  readonly accessor: string;
  /** The prefix as written ('' when absent). */
  readonly prefix: string;
  /** The path type named by `path_type`, or undefined when it is absent. */
  readonly pathType?: PathType;
  /** `path_type` as written (for messages). */
  readonly pathTypeText?: string;
}

interface Base {
  /** Position in the list, from 1. */
  readonly index: number;
  /** Line of the entry in the YAML text (from 1), when known. */
  readonly line?: number;
  readonly description?: string;
}

export interface PermissionsRemap extends Base {
  readonly type: 'permissions';
  readonly permissions: readonly string[];
}

export interface ImpersonationRemap extends Base {
  readonly type: 'impersonation';
  readonly os?: string;
  readonly hostname?: string;
  readonly env: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  readonly disabledFunctions: readonly string[];
  readonly disabledPlugins: readonly string[];
}

export interface ShadowRemap extends Base {
  readonly type: 'shadow';
  readonly from: MountSide;
  readonly on: MountSide;
}

export interface MountRemap extends Base {
  readonly type: 'mount';
  readonly from: MountSide;
  readonly on: MountSide;
  /** VQL LET statements whose variables the `from` accessor sees (the `overlay` accessor's delegates). */
  readonly scope?: string;
}

export type Remapping = PermissionsRemap | ImpersonationRemap | ShadowRemap | MountRemap;

export interface RemapConfig {
  /** Where the config came from (a file name, `remap(config=...)`), for messages. */
  readonly source: string;
  readonly remappings: readonly Remapping[];
}

export const REMAP_TYPES = ['permissions', 'impersonation', 'shadow', 'mount'] as const;

/** Velociraptor's permission names look like this (acls.proto: COLLECT_CLIENT, EXECVE...). */
const PERMISSION_NAME = /^[A-Z][A-Z_]*$/;

const KEYS: Record<string, readonly string[]> = {
  permissions: ['type', 'description', 'permissions'],
  impersonation: ['type', 'description', 'os', 'hostname', 'env', 'disabled_functions', 'disabled_plugins'],
  shadow: ['type', 'description', 'from', 'on'],
  mount: ['type', 'description', 'from', 'on', 'scope'],
};

/**
 * Path type names a remapping may give: ours (ospath.ts) plus Velociraptor's others: `ntfs`
 * (Windows paths with `\\.\C:` devices), `file`/`auto` (this machine's), `zip` (generic),
 * `reg` (registry), `unix`/`darwin` (linux).
 */
export function remapPathType(text: string): PathType | undefined {
  switch (text.toLowerCase()) {
    case 'file': case 'auto': return nativePathType();
    case 'zip': return 'generic';
    case 'reg': return 'registry';
    default: return pathTypeArg(text, 'generic'); // ours, ntfs, unix, darwin (as pathspec(path_type=) reads them)
  }
}

const PATH_TYPE_NAMES = 'windows, linux, registry, ntfs, generic, pathspec (also file, auto, zip, reg)';

/** The line (from 1) of each item of the top-level `remappings:` list, found by indentation. */
function itemLines(text: string): number[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^remappings\s*:/.test(l));
  if (start < 0) return [];
  const out: number[] = [];
  let indent = -1;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\S/.test(l) && !l.startsWith('-') && !l.startsWith('#')) break; // the next top-level key
    const m = /^(\s*)-(\s|$)/.exec(l);
    if (!m) continue;
    if (indent < 0) indent = m[1]!.length;
    if (m[1]!.length === indent) out.push(i + 1);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and checks a remapping config. `source` names it in messages (`remap.yaml`). Checks
 * everything that does not need the engine: accessor names are checked when it is applied.
 */
export function parseRemapConfig(text: string, source: string): RemapConfig {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new RemapError(`${source}: not valid YAML: ${msg}. A remapping config is a YAML document with a \`remappings:\` list (see docs/remapping.md).`);
  }
  if (!isObject(doc) || !('remappings' in doc)) {
    throw new RemapError(`${source}: no \`remappings:\` list: a remapping config is a YAML document whose \`remappings:\` key lists the remappings (types: ${REMAP_TYPES.join(', ')}; see docs/remapping.md)`);
  }
  const list = doc.remappings;
  if (!Array.isArray(list) || list.length === 0) {
    throw new RemapError(`${source}: \`remappings:\` must be a non-empty list of remappings (types: ${REMAP_TYPES.join(', ')})`);
  }
  const lines = itemLines(text);
  const out: Remapping[] = [];
  list.forEach((item, i) => out.push(parseOne(item, i + 1, lines.length === list.length ? lines[i] : undefined, source)));
  return { source, remappings: out };
}

function parseOne(item: unknown, index: number, line: number | undefined, source: string): Remapping {
  const where = `${source}: remapping #${index}${line ? ` (line ${line})` : ''}`;
  const bad = (what: string): never => {
    throw new RemapError(`${where}: ${what}`);
  };
  if (!isObject(item)) bad(`must be a mapping with a \`type:\` (one of ${REMAP_TYPES.join(', ')}), not ${JSON.stringify(item)}`);
  const obj = item as Record<string, unknown>;
  const type = obj.type;
  if (typeof type !== 'string' || !(REMAP_TYPES as readonly string[]).includes(type)) {
    bad(type === undefined ? `has no \`type:\`: give one of ${REMAP_TYPES.join(', ')}` : `unknown type ${JSON.stringify(type)}: the types are ${REMAP_TYPES.join(', ')}`);
  }
  const t = type as Remapping['type'];
  const unknown = Object.keys(obj).filter((k) => !KEYS[t]!.includes(k));
  if (unknown.length) bad(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `\`${k}\``).join(', ')} for type ${t}: its keys are ${KEYS[t]!.join(', ')}`);
  const description = obj.description === undefined || obj.description === null ? undefined : String(obj.description);
  const base = { index, ...(line ? { line } : {}), ...(description !== undefined ? { description } : {}) };
  const strings = (key: string): string[] => {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) bad(`\`${key}\` must be a list of names`);
    return v as string[];
  };
  switch (t) {
    case 'permissions': {
      const permissions = strings('permissions');
      const badNames = permissions.filter((p) => !PERMISSION_NAME.test(p));
      if (badNames.length) bad(`${badNames.map((p) => JSON.stringify(p)).join(', ')} ${badNames.length > 1 ? 'are not permission names' : 'is not a permission name'}: Velociraptor's are upper case, e.g. COLLECT_CLIENT, FILESYSTEM_READ, EXECVE`);
      return { type: t, ...base, permissions };
    }
    case 'impersonation': {
      const opt = (key: string): string | undefined => {
        const v = obj[key];
        if (v === undefined || v === null) return undefined;
        if (typeof v !== 'string' && typeof v !== 'number') bad(`\`${key}\` must be text`);
        return String(v);
      };
      const envList = obj.env ?? [];
      if (!Array.isArray(envList)) bad('`env` must be a list of {key: NAME, value: TEXT}');
      const env = (envList as unknown[]).map((e, j) => {
        if (!isObject(e) || typeof e.key !== 'string' || e.key === '' || (e.value !== undefined && e.value !== null && typeof e.value !== 'string' && typeof e.value !== 'number')) {
          bad(`env item ${j + 1} must be {key: NAME, value: TEXT}, not ${JSON.stringify(e)}`);
        }
        const ee = e as { key: string; value?: unknown };
        return { key: ee.key, value: ee.value === undefined || ee.value === null ? '' : String(ee.value) };
      });
      const os = opt('os');
      if (os !== undefined && !['windows', 'linux', 'darwin', 'freebsd'].includes(os)) bad(`os ${JSON.stringify(os)}: give windows, linux or darwin (what info() says as OS)`);
      return { type: t, ...base, os, hostname: opt('hostname'), env, disabledFunctions: strings('disabled_functions'), disabledPlugins: strings('disabled_plugins') };
    }
    case 'shadow':
    case 'mount': {
      const from = side(obj.from, 'from', t, bad);
      const on = side(obj.on, 'on', t, bad);
      if (t === 'mount' && from.prefix.trim().startsWith('{')) {
        try {
          const spec = JSON.parse(from.prefix) as unknown;
          if (!isObject(spec)) throw new Error('not an object');
        } catch (e) {
          bad(`from.prefix looks like a JSON pathspec but does not parse (${(e as Error).message}): give a path, or a pathspec such as {"DelegateAccessor": "file", "DelegatePath": "/case/SOFTWARE", "Path": "/"}`);
        }
      }
      if (t === 'mount' && on.prefix.trim().startsWith('{')) bad('on.prefix must be a path (where the mount appears, e.g. C: or HKEY_LOCAL_MACHINE\\Software), not a pathspec');
      if (t === 'mount' && obj.scope !== undefined && obj.scope !== null && obj.scope !== '') {
        if (typeof obj.scope !== 'string') bad('`scope` must be VQL text: LET statements, e.g. LET OVERLAY_ACCESSOR_DELEGATES <= dict(accessor="collector", paths=[...])');
        const scope = obj.scope as string;
        let kinds: string[] = [];
        try {
          kinds = parseScript(scope).statements.map((st) => st.kind);
        } catch (e) {
          bad(`\`scope\` does not parse as VQL: ${(e as Error).message}`);
        }
        if (kinds.some((k) => k !== 'Let')) bad('`scope` may hold only LET statements (they set variables for the mounted accessor)');
        return { type: t, ...base, from, on, scope };
      }
      return { type: t, ...base, from, on };
    }
  }
}

function side(v: unknown, name: 'from' | 'on', type: string, bad: (what: string) => never): MountSide {
  const example = type === 'shadow' ? '{accessor: zip}' : name === 'from' ? '{accessor: file_nocase, prefix: /case/C}' : '{accessor: file, prefix: "C:", path_type: windows}';
  if (!isObject(v)) {
    bad(v === undefined ? `has no \`${name}:\` (e.g. ${name}: ${example}${name === 'on' ? '; write "on" in quotes: YAML 1.1 reads a bare on as true' : ''})` : `\`${name}\` must be a mapping like ${example}`);
  }
  const o = v as Record<string, unknown>;
  const allowed = type === 'shadow' ? ['accessor'] : ['accessor', 'prefix', 'path_type'];
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length) bad(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `\`${name}.${k}\``).join(', ')}: ${name} takes ${allowed.join(', ')}`);
  if (typeof o.accessor !== 'string' || o.accessor === '') bad(`\`${name}.accessor\` is missing: name the accessor (e.g. ${name}: ${example})`);
  // A pathspec may be written as a mapping ({DelegateAccessor: file, ...}) as well as JSON text.
  const prefix = o.prefix === undefined || o.prefix === null ? '' : typeof o.prefix === 'string' ? o.prefix
    : isObject(o.prefix) && name === 'from' ? JSON.stringify(o.prefix) : bad(`\`${name}.prefix\` must be text${name === 'from' ? ' (a path, or a pathspec)' : ' (a path)'}`);
  let pathType: PathType | undefined;
  let pathTypeText: string | undefined;
  if (o.path_type !== undefined && o.path_type !== null && o.path_type !== '') {
    pathTypeText = String(o.path_type);
    pathType = remapPathType(pathTypeText);
    if (!pathType) bad(`\`${name}.path_type\` ${JSON.stringify(pathTypeText)} is not a path type: give one of ${PATH_TYPE_NAMES}`);
  }
  return { accessor: o.accessor as string, prefix, ...(pathType ? { pathType, pathTypeText } : {}) };
}
