/**
 * The artifact repository: built-in artifacts plus any number of `--definitions` folders
 * (VELOCIRAPTOR.md 2.6), walked recursively for .yaml/.yml. A later definition of a name
 * replaces an earlier one, with a warning. `reload()` re-reads everything and tells
 * listeners what changed; `watch()` reloads when the folders change.
 *
 * A reload parses only the files that changed since the last one (same path, size, times and
 * inode: the earlier result is kept), so reloading before every query costs a stat per file.
 * A file over MAX_ARTIFACT_BYTES is refused from its stat, never read: one huge file in a
 * folder cannot slow every start. `reloadSliced()` gives the event loop back between files.
 */
import { existsSync, readdirSync, statSync, watch, type BigIntStats, type FSWatcher } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suggest } from '../vql/index.ts';
import { loadArtifactFile, sizeProblem, type ArtifactProblem, type LoadedArtifact, type LoadResult } from './loader.ts';
import { runSteps, runStepsSliced, type Steps } from './steps.ts';
import { readArtifactFolders } from './folders.ts';

export interface RepositoryOptions {
  /** The built-in folder (default: this package's artifacts/); null for none. */
  readonly builtinDir?: string | null;
  /** Extra folders (or single files), loaded in order after the built-ins. */
  readonly definitions?: readonly string[];
  /**
   * A folders file (artifacts/folders.ts): the folders it lists are loaded after the built-ins
   * and before `definitions`, re-read at every load.
   */
  readonly foldersFile?: string;
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

/** What a load builds; swapped in whole, so a sliced reload is never seen half done. */
interface LoadState {
  byName: Map<string, LoadedArtifact>;
  aliases: Map<string, string>;
  problems: ArtifactProblem[];
  cache: Map<string, CachedLoad>;
}

/** A file's load result and the stat it was made from. */
interface CachedLoad {
  readonly key: string;
  readonly result: LoadResult;
}

/** Changes whenever the file is written, replaced or renamed over (ctime moves on every one). */
function statKey(st: BigIntStats, builtIn: boolean): string {
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}:${builtIn}`;
}

export class Repository {
  private byName = new Map<string, LoadedArtifact>();
  private aliases = new Map<string, string>();
  private cache = new Map<string, CachedLoad>();
  /** Problems of the last load: file errors (those files were skipped) and override warnings. */
  problems: ArtifactProblem[] = [];
  private readonly listeners = new Set<(c: RepositoryChange) => void>();
  private watchers: FSWatcher[] = [];
  readonly builtinDir: string | null;
  readonly definitions: readonly string[];
  readonly foldersFile: string | undefined;

  constructor(opts: RepositoryOptions = {}) {
    this.builtinDir = opts.builtinDir === undefined ? builtinArtifactsDir() : opts.builtinDir;
    this.definitions = (opts.definitions ?? []).map((d) => resolve(d));
    this.foldersFile = opts.foldersFile;
    this.load();
  }

  /** The folders loaded after the built-ins: those of the folders file, then `definitions`. */
  folders(): string[] {
    const added = this.foldersFile ? readArtifactFolders(this.foldersFile) : [];
    return [...new Set([...added, ...this.definitions])];
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
    addTo({ byName: this.byName, aliases: this.aliases, problems: this.problems }, loaded);
  }

  private load(): void {
    this.swap(runSteps(this.loadSteps()));
  }

  private swap(state: LoadState): void {
    ({ byName: this.byName, aliases: this.aliases, problems: this.problems, cache: this.cache } = state);
  }

  /** Loads every folder into a new state, one step per file. */
  private *loadSteps(): Steps<LoadState> {
    const state: LoadState = { byName: new Map(), aliases: new Map(), problems: [], cache: new Map() };
    const dirs: Array<[string, boolean]> = [];
    if (this.builtinDir && existsSync(this.builtinDir)) dirs.push([this.builtinDir, true]);
    for (const d of this.folders()) dirs.push([d, false]);
    for (const [dir, builtIn] of dirs) {
      let files: string[];
      try {
        files = artifactFiles(dir);
      } catch (e) {
        state.problems.push({ file: dir, line: 1, column: 1, severity: 'error', message: `cannot read definitions: ${(e as Error).message}` });
        continue;
      }
      for (const f of files) {
        const result = this.loadFile(f, builtIn, state.cache);
        state.problems.push(...result.problems);
        if (result.loaded) addTo(state, result.loaded);
        yield;
      }
    }
    return state;
  }

  /**
   * One file's load result: the cached one when the file did not change, a size refusal
   * from its stat when it is too large (it is not opened), else a fresh load.
   */
  private loadFile(file: string, builtIn: boolean, cache: Map<string, CachedLoad>): LoadResult {
    const st = statSync(file, { bigint: true, throwIfNoEntry: false });
    if (!st) return loadArtifactFile(file, builtIn);
    const key = statKey(st, builtIn);
    const known = this.cache.get(file);
    if (known?.key === key) {
      cache.set(file, known);
      return known.result;
    }
    const tooBig = sizeProblem(file, Number(st.size));
    const result: LoadResult = tooBig ? { problems: [tooBig] } : loadArtifactFile(file, builtIn);
    cache.set(file, { key, result });
    return result;
  }

  /** Re-reads every folder; listeners get what changed (by name, comparing file text). */
  reload(): RepositoryChange {
    const before = new Map([...this.byName].map(([k, v]) => [k, v.raw]));
    this.load();
    return this.changed(before);
  }

  /**
   * reload(), giving the event loop back between the files it has to parse (the app's main
   * process after an import). The repository keeps answering from the previous state until
   * the new one is complete.
   */
  async reloadSliced(sliceMs?: number): Promise<RepositoryChange> {
    const state = await runStepsSliced(this.loadSteps(), sliceMs);
    const before = new Map([...this.byName].map(([k, v]) => [k, v.raw]));
    this.swap(state);
    return this.changed(before);
  }

  private changed(before: Map<string, string>): RepositoryChange {
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
    for (const d of [this.builtinDir, ...this.folders()]) {
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

/** Adds (or replaces) an artifact in a state; a replaced one gives a warning naming both files. */
function addTo(state: Pick<LoadState, 'byName' | 'aliases' | 'problems'>, loaded: LoadedArtifact): void {
  const name = loaded.artifact.name;
  const old = state.byName.get(name);
  if (old) {
    for (const [alias, target] of state.aliases) if (target === name) state.aliases.delete(alias);
    state.problems.push({
      file: loaded.file, line: 1, column: 1, severity: 'warning',
      message: `artifact ${name} replaces the definition loaded from ${old.file || 'text'}`,
    });
  }
  state.byName.set(name, loaded);
  for (const a of loaded.artifact.aliases ?? []) state.aliases.set(a, name);
}
