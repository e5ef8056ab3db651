/**
 * Static checks of artifacts and console queries beyond parsing (vql/check.ts): unknown
 * plugins, functions, arguments and `Artifact.X` names, positioned in the YAML file the way the
 * loader positions VQL parse errors (`LoadedArtifact.locate`). The editor (`artifacts:check`),
 * the console (`vql:check`) and `vql artifacts verify` share them.
 */
import { parseScript, positionAt, type Registry, type Statement } from '../vql/index.ts';
import { checkCalls, type ArtifactLookup, type CallFinding, type CheckCode } from '../vql/check.ts';
import { VELOCIRAPTOR_ARTIFACTS, VELOCIRAPTOR_FUNCTIONS, VELOCIRAPTOR_PLUGINS } from './velociraptor-builtins.ts';
import type { ArtifactProblem, LoadedArtifact } from './loader.ts';
import type { Repository } from './repository.ts';
import { accessorNames } from '../host/files/accessors.ts';

export interface QueryField {
  field: string;
  text: string;
}

/** Every VQL text of an artifact with its field path (`precondition`, `sources.1.query`...). */
export function queryFields(loaded: LoadedArtifact): QueryField[] {
  const a = loaded.artifact;
  const out: QueryField[] = [];
  if (a.precondition) out.push({ field: 'precondition', text: a.precondition });
  if (a.export) out.push({ field: 'export', text: a.export });
  (a.sources ?? []).forEach((s, i) => {
    if (s.precondition) out.push({ field: `sources.${i}.precondition`, text: s.precondition });
    if (s.query) out.push({ field: `sources.${i}.query`, text: s.query });
  });
  return out;
}

/**
 * `Artifact.X` names as the repository knows them. `self` (the artifact being checked, maybe
 * not saved yet) counts as known, so a recursive call is not flagged.
 */
export function repositoryLookup(repo: Repository, self?: LoadedArtifact): ArtifactLookup {
  const paramsOf = (a: LoadedArtifact) => (a.artifact.parameters ?? []).map((p) => p.name);
  return {
    parameters: (name) => {
      if (self && name === self.artifact.name) return paramsOf(self);
      const a = repo.get(name);
      return a ? paramsOf(a) : undefined;
    },
    names: () => repo.names(),
  };
}

const FOREIGN = { plugins: VELOCIRAPTOR_PLUGINS, functions: VELOCIRAPTOR_FUNCTIONS, artifacts: VELOCIRAPTOR_ARTIFACTS };

/** LET names of statements: they are not unknown calls. */
function letNames(statements: readonly Statement[]): string[] {
  return statements.flatMap((s) => (s.kind === 'Let' ? [s.name.name] : []));
}

function statementsOf(text: string): Statement[] | undefined {
  try {
    return [...parseScript(text).statements];
  } catch {
    return undefined; // parse errors are the loader's (or the parser's) to report
  }
}

export interface LintOptions {
  /** Only findings with these codes (default: all). */
  readonly codes?: ReadonlySet<CheckCode>;
  /** Check calls inside lambda strings (default true). */
  readonly lambdas?: boolean;
  /** Another wording for a finding's message. */
  readonly message?: (f: CallFinding) => string;
  /** The accessors that exist (default: the registry's; a remapping's table replaces them). */
  readonly accessors?: ReadonlySet<string>;
  /** Only the query fields named here (`export`, `sources.0.query`...; default: all). */
  readonly fields?: ReadonlySet<string>;
}

/**
 * The problems of a loaded artifact beyond loading: unknown imports (errors: it cannot run)
 * and call findings (warnings), in its own queries and in the exports it imports. LETs of every
 * field and of the imported exports, and the artifact's parameters, are defined names in every field.
 */
export function lintArtifact(loaded: LoadedArtifact, registry: Registry, repo: Repository, opts: LintOptions = {}): ArtifactProblem[] {
  const problems: ArtifactProblem[] = [];
  const parsed = queryFields(loaded).filter((f) => !opts.fields || opts.fields.has(f.field)).flatMap(({ field, text }) => {
    const statements = statementsOf(text);
    return statements ? [{ field, statements }] : [];
  });
  const defined = new Set([...parsed.flatMap((p) => letNames(p.statements)), ...(loaded.artifact.parameters ?? []).map((p) => p.name)]);
  for (const [i, imp] of (loaded.artifact.imports ?? []).entries()) {
    const dep = repo.get(imp);
    if (!dep) {
      problems.push({ file: loaded.file, ...loaded.position(`imports.${i}`), severity: 'error', message: `Artifact ${loaded.artifact.name} imports ${imp} which is not known` });
      continue;
    }
    // An imported artifact that does not parse reports that when it is checked itself.
    for (const n of letNames(statementsOf(dep.artifact.export ?? '') ?? [])) defined.add(n);
  }
  const check = { registry, defined, artifacts: repositoryLookup(repo, loaded), foreign: FOREIGN, lambdas: opts.lambdas, accessors: opts.accessors ?? accessorNames(registry) };
  for (const { field, statements } of parsed) {
    for (const f of checkCalls(statements, check)) {
      if (opts.codes && !opts.codes.has(f.code)) continue;
      problems.push({ file: loaded.file, ...loaded.locate(field, f.offset), severity: f.severity, message: opts.message?.(f) ?? f.message });
    }
  }
  // The exports it imports become part of its queries (as Velociraptor compiles them): what
  // they call is checked too, and reported at the import.
  if (!opts.fields) {
    for (const [i, imp] of (loaded.artifact.imports ?? []).entries()) {
      const dep = repo.get(imp);
      const statements = dep && statementsOf(dep.artifact.export ?? '');
      if (!statements) continue;
      for (const f of checkCalls(statements, { ...check, artifacts: repositoryLookup(repo, dep) })) {
        if (opts.codes && !opts.codes.has(f.code)) continue;
        const message = opts.message?.(f) ?? `${f.message} (in the export of ${imp}, which this artifact imports)`;
        problems.push({ file: loaded.file, ...loaded.position(`imports.${i}`), severity: f.severity, message });
      }
    }
  }
  return problems;
}

/** A console query's call findings, positioned in its text (1-based line and column). */
export function lintQuery(text: string, statements: readonly Statement[], registry: Registry, repo: Repository): Array<{ line: number; column: number; message: string; severity: 'warning' }> {
  const findings = checkCalls(statements, { registry, artifacts: repositoryLookup(repo), foreign: FOREIGN, accessors: accessorNames(registry) });
  return findings.map((f) => ({ ...positionAt(text, f.offset), message: f.message, severity: f.severity }));
}
