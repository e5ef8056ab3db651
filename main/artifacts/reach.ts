/**
 * Which artifacts can run here: for each, whether it is meant for an OS (by its name's prefix,
 * or an `OS = '...'` test in its precondition), and which plugins, functions, accessors and
 * artifacts it lacks, its own and those of every artifact it calls (`Artifact.X()`), and those of
 * the `export` of every artifact it imports (an import brings only the export, as in Velociraptor).
 * `vql artifacts reach` prints it; the app's library shows it as a badge. The findings are those
 * of `vql artifacts verify --strict` (artifacts/lint.ts), so both agree on each artifact's own text.
 */
import { parseScript, walk, type Registry } from '../vql/index.ts';
import { ARTIFACT_PREFIX, type CheckCode } from '../vql/check.ts';
import { lintArtifact, queryFields } from './lint.ts';
import type { LoadedArtifact } from './loader.ts';
import type { Repository } from './repository.ts';

export type TargetOs = 'linux' | 'darwin' | 'windows';

export interface ArtifactReach {
  readonly name: string;
  /** `client`, `client_event`, `server`... as loaded. */
  readonly type: string;
  /** The OSes the artifact is meant for. */
  readonly os: readonly TargetOs[];
  /** Meant for the target OS, and nothing is missing. */
  readonly runs: boolean;
  /** What it lacks, sorted: `parse_binary()`, `accessor ntfs`, `Artifact.Windows.Sys.Users`. */
  readonly missing: readonly string[];
}

const CODES: ReadonlySet<CheckCode> = new Set(['unknown-plugin', 'unknown-function', 'unknown-artifact', 'unknown-accessor']);
const PREFIX_OS: ReadonlyArray<[string, TargetOs]> = [['Windows.', 'windows'], ['Linux.', 'linux'], ['MacOS.', 'darwin']];
const ALL_OS: readonly TargetOs[] = ['linux', 'darwin', 'windows'];

/** The OSes a precondition tests (`OS = 'windows'`, `OS =~ 'linux|darwin'`); none when it tests no OS. */
function testedOs(precondition: string): Set<TargetOs> {
  const tested = new Set<TargetOs>();
  for (const m of precondition.matchAll(/\bOS\s*(?:=~?|==)\s*['"]([A-Za-z|]+)['"]/g)) {
    for (const part of m[1]!.toLowerCase().split('|')) {
      if (part === 'windows' || part === 'linux' || part === 'darwin') tested.add(part);
    }
  }
  return tested;
}

/**
 * The OSes an artifact is meant for: its name's prefix; else the OSes its precondition tests;
 * else those its sources' preconditions test (a source without an OS test runs anywhere); else all.
 */
export function artifactOs(a: LoadedArtifact): TargetOs[] {
  const name = a.artifact.name;
  for (const [prefix, os] of PREFIX_OS) if (name.startsWith(prefix)) return [os];
  const own = testedOs(a.artifact.precondition ?? '');
  if (own.size) return [...own];
  const union = new Set<TargetOs>();
  for (const s of a.artifact.sources ?? []) {
    const t = testedOs(s.precondition ?? '');
    for (const os of t.size ? t : ALL_OS) union.add(os);
  }
  return union.size ? ALL_OS.filter((os) => union.has(os)) : [...ALL_OS];
}

/** Only the export: what an artifact brings to those that import it. */
const EXPORT: ReadonlySet<string> = new Set(['export']);

/**
 * The artifacts `a` depends on: those its queries call (`FROM Artifact.X(...)`: all of them
 * runs) and those it imports (only their `export` comes in, as in Velociraptor). With
 * `exportOnly`, only what its export needs.
 */
function dependencies(a: LoadedArtifact, exportOnly: boolean): { calls: string[]; imports: string[] } {
  const calls = new Set<string>();
  for (const { field, text } of queryFields(a)) {
    if (exportOnly && field !== 'export') continue;
    let statements;
    try {
      statements = parseScript(text).statements;
    } catch {
      continue; // a parse error is verify's to report
    }
    for (const st of statements) {
      walk(st, (node) => {
        if (node.kind === 'Select' && node.from.args !== undefined) {
          const name = node.from.parts.map((p) => p.name).join('.');
          if (name.startsWith(ARTIFACT_PREFIX)) calls.add(name.slice(ARTIFACT_PREFIX.length));
        }
      });
    }
  }
  return { calls: [...calls], imports: [...(a.artifact.imports ?? [])] };
}

/** What one artifact lacks itself (verify --strict's findings, named); with `exportOnly`, in its export. */
function ownMissing(a: LoadedArtifact, registry: Registry, repo: Repository, accessors: ReadonlySet<string> | undefined, exportOnly: boolean): Set<string> {
  const out = new Set<string>();
  const problems = lintArtifact(a, registry, repo, {
    accessors,
    codes: CODES,
    lambdas: false,
    fields: exportOnly ? EXPORT : undefined,
    message: (f) =>
      f.code === 'unknown-accessor' ? `accessor ${f.arg}` : f.code === 'unknown-artifact' ? f.callee : `${f.callee}()`,
  });
  for (const p of problems) {
    if (p.severity === 'error' && /imports .* which is not known/.test(p.message)) out.add(`${ARTIFACT_PREFIX}${/imports (\S+)/.exec(p.message)![1]}`);
    else if (p.severity === 'warning') out.add(p.message);
  }
  return out;
}

/**
 * The reach of every artifact in `repo` on `os`, sorted by name. `accessors`, when given, are the
 * accessors that exist instead of the registry's (a remapping's table: `reach --remap`).
 */
export function artifactsReach(repo: Repository, registry: Registry, os: TargetOs, accessors?: ReadonlySet<string>): ArtifactReach[] {
  const memo = new Map<string, Set<string>>();
  /** What `name` lacks to run (or, `exportOnly`, to be imported: its export's needs). */
  const missingOf = (name: string, exportOnly: boolean, path: Set<string>): Set<string> => {
    const key = `${exportOnly ? 'export:' : ''}${name}`;
    const known = memo.get(key);
    if (known) return known;
    const a = repo.get(name);
    if (!a) return new Set([`${ARTIFACT_PREFIX}${name}`]);
    if (path.has(key)) return new Set(); // a cycle: its own findings are counted where it started
    path.add(key);
    const all = ownMissing(a, registry, repo, accessors, exportOnly);
    const { calls, imports } = dependencies(a, exportOnly);
    for (const dep of calls) for (const m of missingOf(dep, false, path)) all.add(m);
    for (const dep of imports) for (const m of missingOf(dep, true, path)) all.add(m);
    path.delete(key);
    memo.set(key, all);
    return all;
  };
  return repo.names().map((name) => {
    const a = repo.get(name)!;
    const targets = artifactOs(a);
    const missing = [...missingOf(name, false, new Set())].sort();
    return { name, type: a.artifact.type ?? 'client', os: targets, runs: targets.includes(os) && missing.length === 0, missing };
  });
}

/** Client artifacts (collected from a client, or its events). */
export function isClientArtifact(r: ArtifactReach): boolean {
  return r.type === 'client' || r.type === 'client_event';
}

export interface ReachSummary {
  readonly os: TargetOs;
  /** Client artifacts meant for `os`. */
  readonly clientArtifacts: number;
  /** Of those, the ones that can run here. */
  readonly runnable: number;
  /** Missing names, by how many of those client artifacts need each, most first. */
  readonly ranked: ReadonlyArray<{ readonly name: string; readonly artifacts: number }>;
}

export function summarizeReach(all: readonly ArtifactReach[], os: TargetOs): ReachSummary {
  const mine = all.filter((r) => isClientArtifact(r) && r.os.includes(os));
  const counts = new Map<string, number>();
  for (const r of mine) for (const m of r.missing) counts.set(m, (counts.get(m) ?? 0) + 1);
  const ranked = [...counts].map(([name, artifacts]) => ({ name, artifacts })).sort((a, b) => b.artifacts - a.artifacts || a.name.localeCompare(b.name));
  return { os, clientArtifacts: mine.length, runnable: mine.filter((r) => r.runs).length, ranked };
}

/** This machine's OS as a target, or linux for others. */
export function hostOs(): TargetOs {
  return process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'darwin' : 'linux';
}
