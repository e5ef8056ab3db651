/**
 * The artifact repository: built-in artifacts plus any number of `--definitions` folders
 * (VELOCIRAPTOR.md 2.6), walked recursively for .yaml/.yml. A later definition of a name
 * replaces an earlier one, with a warning. `reload()` re-reads everything and tells
 * listeners what changed; `watch()` reloads when the folders change.
 */
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suggest } from '../vql/index.ts';
import { loadArtifactFile, type ArtifactProblem, type LoadedArtifact } from './loader.ts';

export interface RepositoryOptions {
  /** The built-in folder (default: this package's artifacts/); null for none. */
  readonly builtinDir?: string | null;
  /** Extra folders (or single files), loaded in order after the built-ins. */
  readonly definitions?: readonly string[];
}

/** What a reload changed, by artifact name. */
export interface RepositoryChange {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

/**
 * Names the built-in artifacts folder when set. The packaged desktop app sets it: its artifacts
 * ship as resources outside the asar, where walking up from the bundle cannot find them, and
 * an environment variable also reaches the query worker threads.
 */
export const BUILTIN_ARTIFACTS_ENV = 'VQL_BUILTIN_ARTIFACTS';

/**
 * The built-in artifacts folder: $VQL_BUILTIN_ARTIFACTS when set, else the package's own
 * artifacts/ folder, found by walking up from this module (src or dist).
 */
export function builtinArtifactsDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env[BUILTIN_ARTIFACTS_ENV];
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'artifacts'))) return join(dir, 'artifacts');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** Every .yaml/.yml file under `path` (or `path` itself), sorted for a stable load order. */
export function artifactFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(path, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) continue;
    if (s.isDirectory()) out.push(...artifactFiles(p));
    else if (/\.ya?ml$/i.test(name)) out.push(p);
  }
  return out;
}

export class Repository {
  private byName = new Map<string, LoadedArtifact>();
  private aliases = new Map<string, string>();
  /** Problems of the last load: file errors (those files were skipped) and override warnings. */
  problems: ArtifactProblem[] = [];
  private readonly listeners = new Set<(c: RepositoryChange) => void>();
  private watchers: FSWatcher[] = [];
  readonly builtinDir: string | null;
  readonly definitions: readonly string[];

  constructor(opts: RepositoryOptions = {}) {
    this.builtinDir = opts.builtinDir === undefined ? builtinArtifactsDir() : opts.builtinDir;
    this.definitions = (opts.definitions ?? []).map((d) => resolve(d));
    this.load();
  }

  /** Names of every artifact (not aliases), sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** The artifact called `name` (or aliased so). */
  get(name: string): LoadedArtifact | undefined {
    return this.byName.get(name) ?? this.byName.get(this.aliases.get(name) ?? '');
  }

  /** Names close to `name`, for "did you mean" messages. */
  suggest(name: string): string[] {
    return suggest(name, this.byName.keys());
  }

  /** Adds (or replaces) an artifact; a replaced one gives a warning naming both files. */
  add(loaded: LoadedArtifact): void {
    const name = loaded.artifact.name;
    const old = this.byName.get(name);
    if (old) {
      for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
      this.problems.push({
        file: loaded.file, line: 1, column: 1, severity: 'warning',
        message: `artifact ${name} replaces the definition loaded from ${old.file || 'text'}`,
      });
    }
    this.byName.set(name, loaded);
    for (const a of loaded.artifact.aliases ?? []) this.aliases.set(a, name);
  }

  private load(): void {
    this.byName = new Map();
    this.aliases = new Map();
    this.problems = [];
    const dirs: Array<[string, boolean]> = [];
    if (this.builtinDir && existsSync(this.builtinDir)) dirs.push([this.builtinDir, true]);
    for (const d of this.definitions) dirs.push([d, false]);
    for (const [dir, builtIn] of dirs) {
      let files: string[];
      try {
        files = artifactFiles(dir);
      } catch (e) {
        this.problems.push({ file: dir, line: 1, column: 1, severity: 'error', message: `cannot read definitions: ${(e as Error).message}` });
        continue;
      }
      for (const f of files) {
        const r = loadArtifactFile(f, builtIn);
        this.problems.push(...r.problems);
        if (r.loaded) this.add(r.loaded);
      }
    }
  }

  /** Re-reads every folder; listeners get what changed (by name, comparing file text). */
  reload(): RepositoryChange {
    const before = new Map([...this.byName].map(([k, v]) => [k, v.raw]));
    this.load();
    const change: RepositoryChange = { added: [], removed: [], changed: [] };
    for (const [k, v] of this.byName) {
      if (!before.has(k)) change.added.push(k);
      else if (before.get(k) !== v.raw) change.changed.push(k);
    }
    for (const k of before.keys()) if (!this.byName.has(k)) change.removed.push(k);
    if (change.added.length || change.removed.length || change.changed.length) for (const l of this.listeners) l(change);
    return change;
  }

  /** Calls `listener` after every reload that changed something; returns an unsubscribe function. */
  onChange(listener: (c: RepositoryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reloads (debounced) whenever a file under the folders changes. Returns a stop function. */
  watch(debounceMs = 200): () => void {
    let timer: NodeJS.Timeout | null = null;
    const kick = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => this.reload(), debounceMs);
    };
    for (const d of [this.builtinDir, ...this.definitions]) {
      if (!d || !existsSync(d)) continue;
      try {
        this.watchers.push(watch(d, { recursive: statSync(d).isDirectory() }, kick));
      } catch (e) {
        // A folder that cannot be watched (a platform limit) still reloads on demand.
        this.problems.push({ file: d, line: 1, column: 1, severity: 'warning', message: `cannot watch for changes: ${(e as Error).message}` });
      }
    }
    return () => {
      if (timer) clearTimeout(timer);
      for (const w of this.watchers) w.close();
      this.watchers = [];
    };
  }
}
