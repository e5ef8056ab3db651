/**
 * Tools (VELOCIRAPTOR.md 1.8) on a workstation: there is no server to serve them, so a local
 * inventory stands in for Velociraptor's tools service. A tool is
 *
 * - a file given on the command line (`--tool NAME=PATH`), or
 * - in the tools folder (default `<datastore>/tools/`, `--tools DIR`): a file named after the
 *   tool (`<tools>/<Name>`), or the single file of the folder `<tools>/<Name>/`.
 *
 * When an artifact runs, every tool declared in its `tools:` and in the artifacts it calls or
 * imports (followed recursively, as Velociraptor's launcher collects dependencies), and every
 * `--tool`, becomes the request variables Velociraptor's launcher sets: `Tool_<Name>_FILENAME`,
 * `_HASH`, `_VERSION`, and `_PATH` (the local file) or `_URL`/`_URLs` (the declared url).
 * Nested `Artifact.X()` runs inherit their caller's variables (a caller's declaration wins, as
 * one request env holds them in Velociraptor), so `Generic.Utils.FetchBinary` finds the tool
 * its caller declared. Workbench variables are added: `Tool_<Name>_GITHUB_PROJECT` and
 * `_GITHUB_ASSET_REGEX` (a tool declared with github_project and no url: FetchBinary takes the
 * first asset of the project's latest release whose name matches, as Velociraptor's server
 * does, from `_GithubApi`: https://api.github.com, or $VQL_GITHUB_API for a mirror or GitHub
 * Enterprise) and `_ToolsFolder`, so FetchBinary can say where to put a missing tool. `_LocalFolder` names the
 * workbench's folder for artifacts' local state (`<datastore>/local`: the local hash database of
 * Generic.Forensic.LocalHashes.Init), where sqlite() may write (main/host/parsers/sqlite.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { defaultDatastore } from '../collector/paths.ts';
import { VDict, type LogLevel, type Registry, type Value } from '../vql/index.ts';
import { scanArtifact } from './pack-refs.ts';
import type { Repository } from './repository.ts';
import type { LoadedArtifact } from './loader.ts';
import type { Tool } from './schema.ts';

/** The inventory's settings (plain data: it crosses to worker threads). */
export interface ToolsConfig {
  /** The tools folder; absent: no folder. */
  readonly dir?: string;
  /** `--tool NAME=PATH`: name → absolute path. */
  readonly files?: Readonly<Record<string, string>>;
  /** The folder for artifacts' local state (`_LocalFolder`); absent: the default datastore's `local`. */
  readonly localDir?: string;
}

/** A datastore's tools and local state folders (`<datastore>/tools`, `<datastore>/local`): the app, the collector and the CLI's default. */
export function datastoreTools(datastore: string = defaultDatastore()): ToolsConfig {
  return { dir: join(datastore, 'tools'), localDir: join(datastore, 'local') };
}

/** The variable prefix of tool `name`. */
export function toolPrefix(name: string): string {
  return `Tool_${name}_`;
}

/** The workbench variable naming the tools folder. */
export const TOOLS_FOLDER_VAR = '_ToolsFolder';

/** The workbench variable naming the local state folder (ToolsConfig.localDir). */
export const LOCAL_FOLDER_VAR = '_LocalFolder';
/** Where FetchBinary asks for a project's latest release (GitHub's API, or $VQL_GITHUB_API). */
export const GITHUB_API_VAR = '_GithubApi';

/** Parses `--tool NAME=PATH` values; throws an Error saying what is wrong with one. */
export function parseToolFlags(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf('=');
    const name = eq < 0 ? '' : kv.slice(0, eq);
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || eq === kv.length - 1) {
      throw new Error(`--tool takes NAME=PATH (a tool name as artifacts declare it, e.g. --tool OSQueryLinux=/usr/bin/osqueryi), not '${kv}'`);
    }
    const path = resolve(kv.slice(eq + 1));
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st || !st.isFile()) throw new Error(`--tool ${kv}: ${path} ${st ? 'is not a file' : 'does not exist'}`);
    out[name] = path;
  }
  return out;
}

/** A local copy of a tool. */
export interface LocalTool {
  readonly path: string;
  readonly sha256: string;
}

/** The local tools: `--tool` files, then the tools folder. Hashes are cached by the file's stat. */
export class ToolInventory {
  private readonly hashes = new Map<string, { key: string; sha256: string }>();
  private readonly warned = new Set<string>();

  constructor(readonly config: ToolsConfig) {}

  get dir(): string | undefined {
    return this.config.dir;
  }

  /** The local state folder (not created here: its first writer makes it, mode 0700). */
  get localDir(): string {
    return resolve(this.config.localDir ?? datastoreTools().localDir!);
  }

  /** Names given with `--tool` (always defined, declared or not). */
  explicitNames(): string[] {
    return Object.keys(this.config.files ?? {});
  }

  /** The local file of tool `name`, or undefined; a folder that is not one file is logged once. */
  path(name: string, log: (level: LogLevel, m: string) => void): string | undefined {
    const given = this.config.files?.[name];
    if (given) return given;
    const dir = this.config.dir;
    if (!dir || name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') return undefined;
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return undefined;
    if (st.isFile()) return p;
    if (!st.isDirectory()) return undefined;
    let files: string[];
    try {
      files = readdirSync(p).filter((f) => !f.startsWith('.') && statSync(join(p, f), { throwIfNoEntry: false })?.isFile());
    } catch (e) {
      this.warnOnce(log, `tools: cannot read ${p}: ${(e as Error).message}`);
      return undefined;
    }
    if (files.length === 1) return join(p, files[0]!);
    this.warnOnce(log, `tools: ${p} holds ${files.length} files; a tool folder must hold exactly one (the tool ${name}): it is ignored`);
    return undefined;
  }

  /** The sha256 (hex) of a local file, computed once per version of the file. */
  async sha256(path: string, signal: AbortSignal): Promise<string> {
    const st: Stats = statSync(path);
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    const cached = this.hashes.get(path);
    if (cached?.key === key) return cached.sha256;
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path, { signal })) h.update(chunk as Buffer);
    const sha256 = h.digest('hex');
    this.hashes.set(path, { key, sha256 });
    return sha256;
  }

  warnOnce(log: (level: LogLevel, m: string) => void, message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    log('warn', message);
  }
}

const inventories = new WeakMap<Registry, ToolInventory>();

/** Makes `inventory` the tools of artifacts run with `registry` (main/cli/engine.ts). */
export function attachTools(registry: Registry, inventory: ToolInventory): void {
  inventories.set(registry, inventory);
}

/** The inventory attached to `registry`, if any. */
export function toolsOf(registry: Registry): ToolInventory | undefined {
  return inventories.get(registry);
}

/** The local state folder of the runs of `registry`; undefined when it has no inventory (no datastore). */
export function localFolderOf(registry: Registry): string | undefined {
  return inventories.get(registry)?.localDir;
}

/** `Artifact.X` names an artifact refers to, plus its imports (cached: a loaded artifact never changes). */
const refsCache = new WeakMap<LoadedArtifact, string[]>();

function referenced(loaded: LoadedArtifact): string[] {
  let refs = refsCache.get(loaded);
  if (!refs) {
    const names = new Set<string>(loaded.artifact.imports ?? []);
    for (const use of scanArtifact(loaded.artifact).artifacts) names.add(use.name);
    refs = [...names];
    refsCache.set(loaded, refs);
  }
  return refs;
}

/**
 * The tools `loaded` and what it depends on declare, by name; the first declaration found
 * (the artifact's own, then its dependencies' in call order) wins.
 */
export function declaredTools(repo: Repository, loaded: LoadedArtifact): Map<string, Tool> {
  const out = new Map<string, Tool>();
  const seen = new Set<string>();
  const visit = (a: LoadedArtifact) => {
    if (seen.has(a.artifact.name)) return;
    seen.add(a.artifact.name);
    for (const t of a.artifact.tools ?? []) if (t.name && !out.has(t.name)) out.set(t.name, t);
    for (const name of referenced(a)) {
      const dep = repo.get(name);
      if (dep) visit(dep);
    }
  };
  visit(loaded);
  return out;
}

/** The sha256 a declaration expects (`expected_hash`, or the older `hash`), lower case; '' when none. */
function declaredHash(declared: Tool | undefined): string {
  return (declared?.expected_hash || declared?.hash || '').toLowerCase();
}

/** The last path segment of a URL ('' when it has none). */
function urlBasename(url: string): string {
  try {
    return decodeURIComponent(basename(new URL(url).pathname));
  } catch {
    return basename(url.split(/[?#]/)[0] ?? '');
  }
}

/**
 * The variables of one tool: `declared` is its declaration (undefined for a `--tool` that no
 * artifact declares), `local` its local copy.
 */
export function toolVariables(name: string, declared: Tool | undefined, local: LocalTool | undefined): Array<[string, Value]> {
  const p = toolPrefix(name);
  const url = declared?.url ?? '';
  const out: Array<[string, Value]> = [
    [`${p}FILENAME`, declared?.filename || (local ? basename(local.path) : url ? urlBasename(url) : '')],
    [`${p}HASH`, local ? local.sha256 : declaredHash(declared)],
    [`${p}VERSION`, declared?.version ?? ''],
  ];
  if (local) out.push([`${p}PATH`, local.path]);
  else if (url) out.push([`${p}URL`, url], [`${p}URLs`, JSON.stringify([url])]);
  else if (declared?.github_project) out.push([`${p}GITHUB_PROJECT`, declared.github_project], [`${p}GITHUB_ASSET_REGEX`, declared.github_asset_regex ?? '']);
  return out;
}

/**
 * The tool variables of a run of `loaded`: the caller's (`inherited`, a nested run) plus those
 * of the tools it declares that the caller did not define; at top level also every `--tool`,
 * `_ToolsFolder` and `_LocalFolder`. Problems (an unreadable file) are logged, never thrown.
 */
export async function toolEnv(
  repo: Repository,
  loaded: LoadedArtifact,
  registry: Registry,
  inherited: VDict | undefined,
  log: (level: LogLevel, m: string) => void,
  signal: AbortSignal,
): Promise<VDict> {
  const env = new VDict(inherited ? inherited.entries() : []);
  const inventory = toolsOf(registry);
  if (!inherited && inventory?.dir) env.set(TOOLS_FOLDER_VAR, inventory.dir);
  if (!inherited && inventory) env.set(LOCAL_FOLDER_VAR, inventory.localDir);
  const wanted: Map<string, Tool | undefined> = declaredTools(repo, loaded);
  if (!inherited && inventory) for (const name of inventory.explicitNames()) if (!wanted.has(name)) wanted.set(name, undefined);
  for (const [name, declared] of wanted) {
    if (env.has(`${toolPrefix(name)}FILENAME`)) continue; // the caller defined it
    let local: LocalTool | undefined;
    const path = inventory?.path(name, log);
    if (path) {
      try {
        local = { path, sha256: await inventory!.sha256(path, signal) };
      } catch (e) {
        if (signal.aborted) return env;
        inventory!.warnOnce(log, `tools: cannot read ${path} (the tool ${name}): ${(e as Error).message}`);
      }
      const expected = declaredHash(declared);
      if (local && expected && expected !== local.sha256) {
        inventory!.warnOnce(log, `tools: ${path} (the tool ${name}) has sha256 ${local.sha256}, but ${loaded.artifact.name} or an artifact it calls declares ${expected}: using the local file`);
      }
    }
    for (const [k, v] of toolVariables(name, declared, local)) env.set(k, v);
    if (declared?.github_project && !env.has(GITHUB_API_VAR)) env.set(GITHUB_API_VAR, process.env.VQL_GITHUB_API || 'https://api.github.com');
  }
  return env;
}
